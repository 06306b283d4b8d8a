// SPDX-License-Identifier: MIT
#include "messagecodec.h"
#include "messagelog.h"
#include "sseencoder.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using rtlab::LogEntryPtr;
using rtlab::Message;
using rtlab::MessageCodec;
using rtlab::MessageLog;
using rtlab::MessageType;
using rtlab::ResumePoint;
using rtlab::ResumeResult;

Q_DECLARE_METATYPE(rtlab::MessageType)

static const QString Epoch = QStringLiteral("00000000feedbeef");

// A log on a clock the test moves by hand: age limits are checked without waiting.
struct FakeClockLog
{
    explicit FakeClockLog(MessageLog::Limits limits) : log(limits, Epoch, [this] { return nowMs; }) { }
    qint64 nowMs = 1000000;
    MessageLog log;
};

static Message chat(const QString &text)
{
    Message m;
    m.type = MessageType::Chat;
    m.from = QStringLiteral("ann");
    m.text = text;
    return m;
}

static void appendChats(MessageLog &log, int count)
{
    for (int i = 0; i < count; ++i)
        log.append(chat(QString::number(i)));
}

class tst_MessageLog : public QObject
{
    Q_OBJECT

private slots:
    void emptyLog();
    void appendAssignsIdEpochAndTs();
    void preparedBytes_data();
    void preparedBytes();
    void boundByCount();
    void boundByAge();
    void clientMsgIdRememberedWhileKept();
    void entry_data();
    void entry();
    void appendedSignal();
    void resume_data();
    void resume();
    void makeResetEntry_data();
    void makeResetEntry();
    void newEpoch();
};

void tst_MessageLog::emptyLog()
{
    FakeClockLog f({ 10, 1000 });
    QCOMPARE(f.log.epoch(), Epoch);
    QCOMPARE(f.log.lastId(), quint64(0));
    QCOMPARE(f.log.firstId(), quint64(1));
    QCOMPARE(f.log.size(), 0);
    QVERIFY(!f.log.entry(0));
    QVERIFY(!f.log.entry(1));
}

void tst_MessageLog::appendAssignsIdEpochAndTs()
{
    FakeClockLog f({ 10, 1000 });
    for (quint64 expectedId = 1; expectedId <= 3; ++expectedId) {
        Message m = chat(QStringLiteral("hello"));
        // Whatever the caller put there is replaced.
        m.id = 777;
        m.epoch = QStringLiteral("forged");
        m.ts = 5;
        const qint64 before = rtlab::nowMicros();
        const LogEntryPtr e = f.log.append(m);
        const qint64 after = rtlab::nowMicros();
        QVERIFY(e);
        QCOMPARE(e->message.id, expectedId);
        QCOMPARE(e->message.epoch, Epoch);
        QVERIFY(e->message.ts >= before);
        QVERIFY(e->message.ts <= after);
        QCOMPARE(e->message.text, QStringLiteral("hello"));
        QCOMPARE(e->appendedMs, f.nowMs);
        QCOMPARE(f.log.lastId(), expectedId);
        QCOMPARE(f.log.firstId(), quint64(1));
        QCOMPARE(f.log.size(), qsizetype(expectedId));
        f.nowMs += 10;
    }
}

void tst_MessageLog::preparedBytes_data()
{
    QTest::addColumn<MessageType>("type");
    QTest::addColumn<QByteArray>("eventName");

    QTest::newRow("chat") << MessageType::Chat << QByteArray("chat");
    QTest::newRow("tick") << MessageType::Tick << QByteArray("tick");
    QTest::newRow("system") << MessageType::System << QByteArray("system");
}

void tst_MessageLog::preparedBytes()
{
    QFETCH(MessageType, type);
    QFETCH(QByteArray, eventName);

    FakeClockLog f({ 10, 1000 });
    appendChats(f.log, 2);
    Message m;
    m.type = type;
    m.from = QStringLiteral("ann");
    m.text = QStringLiteral("two\nlines");
    m.data = QJsonObject { { QStringLiteral("cpu"), 0.5 } };
    const LogEntryPtr e = f.log.append(m);

    QCOMPARE(e->json, MessageCodec::encode(e->message));
    QVERIFY(!e->json.contains('\n'));
    const QJsonObject object = QJsonDocument::fromJson(e->json).object();
    QCOMPARE(object.value(QLatin1String("id")).toInteger(), 3);
    QCOMPARE(object.value(QLatin1String("epoch")).toString(), Epoch);
    QCOMPARE(object.value(QLatin1String("type")).toString(), QString::fromLatin1(eventName));

    const QByteArray expectedSse =
            "id: " + Epoch.toLatin1() + ":3\nevent: " + eventName + "\ndata: " + e->json + "\n\n";
    QCOMPARE(e->sse, expectedSse);
    QCOMPARE(e->sse, rtlab::SseEncoder::event(Epoch.toLatin1() + ":3", eventName, e->json));
}

void tst_MessageLog::boundByCount()
{
    FakeClockLog f({ 5, 1000 });
    appendChats(f.log, 12);
    QCOMPARE(f.log.size(), 5);
    QCOMPARE(f.log.firstId(), quint64(8));
    QCOMPARE(f.log.lastId(), quint64(12));
    for (quint64 id = 8; id <= 12; ++id)
        QCOMPARE(f.log.entry(id)->message.id, id);

    // A limit below one still keeps the newest message.
    FakeClockLog tiny({ 0, 1000 });
    appendChats(tiny.log, 3);
    QCOMPARE(tiny.log.size(), 1);
    QCOMPARE(tiny.log.firstId(), quint64(3));
}

void tst_MessageLog::boundByAge()
{
    FakeClockLog f({ 100, 1000 });
    const qint64 start = f.nowMs;
    f.log.append(chat(QStringLiteral("1"))); // at start
    f.nowMs = start + 400;
    f.log.append(chat(QStringLiteral("2"))); // at start + 400
    f.nowMs = start + 900;
    f.log.append(chat(QStringLiteral("3"))); // at start + 900

    // Exactly the age limit old is still kept.
    f.nowMs = start + 1000;
    f.log.expire();
    QCOMPARE(f.log.size(), 3);
    QCOMPARE(f.log.firstId(), quint64(1));

    f.nowMs = start + 1001;
    f.log.expire();
    QCOMPARE(f.log.size(), 2);
    QCOMPARE(f.log.firstId(), quint64(2));
    QVERIFY(!f.log.entry(1));

    // append() expires too.
    f.nowMs = start + 1500;
    f.log.append(chat(QStringLiteral("4")));
    QCOMPARE(f.log.size(), 2);
    QCOMPARE(f.log.firstId(), quint64(3));
    QCOMPARE(f.log.lastId(), quint64(4));

    // Everything gone: nothing kept, but the ids go on.
    f.nowMs = start + 10000;
    f.log.expire();
    QCOMPARE(f.log.size(), 0);
    QCOMPARE(f.log.lastId(), quint64(4));
    QCOMPARE(f.log.firstId(), quint64(5));
    QVERIFY(!f.log.entry(4));
    QCOMPARE(f.log.append(chat(QStringLiteral("5")))->message.id, quint64(5));
    QCOMPARE(f.log.firstId(), quint64(5));
    QCOMPARE(f.log.size(), 1);
}

static Message chatWithId(const QString &from, const QString &clientMsgId)
{
    Message m = chat(clientMsgId);
    m.from = from;
    m.clientMsgId = clientMsgId;
    return m;
}

// The log remembers a sender's clientMsgId exactly as long as it keeps the message: by count and
// by age, like the history itself.
void tst_MessageLog::clientMsgIdRememberedWhileKept()
{
    FakeClockLog f({ 3, 1000 });
    const LogEntryPtr a = f.log.append(chatWithId(QStringLiteral("ann"), QStringLiteral("a")));
    QCOMPARE(f.log.findPublished(QStringLiteral("ann"), QStringLiteral("a")), a);
    // Scoped by sender; and no id, no match.
    QVERIFY(!f.log.findPublished(QStringLiteral("bob"), QStringLiteral("a")));
    QVERIFY(!f.log.findPublished(QStringLiteral("ann"), QString()));
    f.log.append(chat(QStringLiteral("no id")));
    QCOMPARE(f.log.clientMsgIdCount(), 1);

    // Pushed out by count: forgotten with it.
    f.log.append(chatWithId(QStringLiteral("ann"), QStringLiteral("b")));
    QCOMPARE(f.log.findPublished(QStringLiteral("ann"), QStringLiteral("a")), a);
    f.log.append(chatWithId(QStringLiteral("ann"), QStringLiteral("c")));
    QVERIFY(!f.log.entry(1));
    QVERIFY(!f.log.findPublished(QStringLiteral("ann"), QStringLiteral("a")));
    QCOMPARE(f.log.clientMsgIdCount(), 2);

    // Expired by age: forgotten with it.
    f.nowMs += 1001;
    f.log.expire();
    QVERIFY(!f.log.findPublished(QStringLiteral("ann"), QStringLiteral("b")));
    QVERIFY(!f.log.findPublished(QStringLiteral("ann"), QStringLiteral("c")));
    QCOMPARE(f.log.clientMsgIdCount(), 0);

    // Once forgotten, the same id may be published again (a new message, a new id).
    const LogEntryPtr again = f.log.append(chatWithId(QStringLiteral("ann"), QStringLiteral("a")));
    QCOMPARE(again->message.id, quint64(5));
    QCOMPARE(f.log.findPublished(QStringLiteral("ann"), QStringLiteral("a")), again);
    QVERIFY(again->json.contains("\"clientMsgId\":\"a\""));
}

void tst_MessageLog::entry_data()
{
    QTest::addColumn<quint64>("id");
    QTest::addColumn<bool>("kept");

    // maxCount 5, 12 appended, then the clock expires nothing: ids 8..12 are kept.
    QTest::newRow("id 0") << quint64(0) << false;
    QTest::newRow("dropped by count") << quint64(3) << false;
    QTest::newRow("just dropped") << quint64(7) << false;
    QTest::newRow("oldest kept") << quint64(8) << true;
    QTest::newRow("middle") << quint64(10) << true;
    QTest::newRow("newest") << quint64(12) << true;
    QTest::newRow("future") << quint64(13) << false;
    QTest::newRow("far future") << std::numeric_limits<quint64>::max() << false;
}

void tst_MessageLog::entry()
{
    QFETCH(quint64, id);
    QFETCH(bool, kept);

    FakeClockLog f({ 5, 1000 });
    appendChats(f.log, 12);
    const LogEntryPtr e = f.log.entry(id);
    QCOMPARE(bool(e), kept);
    if (kept)
        QCOMPARE(e->message.id, id);

    // Once expired by age, no id is kept.
    f.nowMs += 1001;
    f.log.expire();
    QVERIFY(!f.log.entry(id));
}

void tst_MessageLog::appendedSignal()
{
    FakeClockLog f({ 10, 1000 });
    QSignalSpy spy(&f.log, &MessageLog::appended);
    QVERIFY(spy.isValid());
    const LogEntryPtr first = f.log.append(chat(QStringLiteral("a")));
    const LogEntryPtr second = f.log.append(chat(QStringLiteral("b")));
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(0).at(0).value<LogEntryPtr>(), first);
    QCOMPARE(spy.at(1).at(0).value<LogEntryPtr>(), second);

    // The entry announced is already in the log: a slot may read it back.
    quint64 seenLastId = 0;
    connect(&f.log, &MessageLog::appended, this, [&](const LogEntryPtr &e) {
        seenLastId = f.log.lastId();
        QCOMPARE(f.log.entry(e->message.id), e);
    });
    f.log.append(chat(QStringLiteral("c")));
    QCOMPARE(seenLastId, quint64(3));
    QCOMPARE(spy.count(), 3);
    QCOMPARE(spy.at(2).at(0).value<LogEntryPtr>()->message.text, QStringLiteral("c"));

    // Expiry announces nothing.
    f.nowMs += 5000;
    f.log.expire();
    QCOMPARE(spy.count(), 3);
}

void tst_MessageLog::resume_data()
{
    QTest::addColumn<int>("appendCount"); // into a log of maxCount 5
    QTest::addColumn<bool>("expireAll");  // then advance the clock past the age limit
    QTest::addColumn<bool>("hasAfter");
    QTest::addColumn<quint64>("after");
    QTest::addColumn<QString>("epoch");
    QTest::addColumn<bool>("reset");
    QTest::addColumn<qint64>("lost");
    QTest::addColumn<quint64>("cursor");

    const QString same = Epoch;
    const QString foreign = QStringLiteral("1111111111111111");

    // 12 appended, 5 kept: firstId 8, lastId 12.
    QTest::newRow("no after") << 12 << false << false << quint64(0) << QString() << false << qint64(0) << quint64(12);
    QTest::newRow("no after, with a foreign epoch")
            << 12 << false << false << quint64(0) << foreign << false << qint64(0) << quint64(12);
    QTest::newRow("after within history")
            << 12 << false << true << quint64(10) << same << false << qint64(0) << quint64(10);
    QTest::newRow("after = firstId") << 12 << false << true << quint64(8) << same << false << qint64(0) << quint64(8);
    QTest::newRow("after = firstId - 1 (nothing lost)")
            << 12 << false << true << quint64(7) << same << false << qint64(0) << quint64(7);
    QTest::newRow("after = lastId") << 12 << false << true << quint64(12) << same << false << qint64(0) << quint64(12);
    QTest::newRow("after older than history")
            << 12 << false << true << quint64(3) << same << true << qint64(4) << quint64(7);
    QTest::newRow("after 0, history trimmed")
            << 12 << false << true << quint64(0) << same << true << qint64(7) << quint64(7);
    QTest::newRow("after beyond lastId") << 12 << false << true << quint64(13) << same << true << qint64(-1)
                                         << quint64(7);
    QTest::newRow("after far beyond lastId")
            << 12 << false << true << std::numeric_limits<quint64>::max() << same << true << qint64(-1) << quint64(7);
    QTest::newRow("foreign epoch") << 12 << false << true << quint64(10) << foreign << true << qint64(-1) << quint64(7);
    QTest::newRow("foreign epoch, after = lastId")
            << 12 << false << true << quint64(12) << foreign << true << qint64(-1) << quint64(7);
    QTest::newRow("empty epoch treated as same")
            << 12 << false << true << quint64(10) << QString() << false << qint64(0) << quint64(10);
    QTest::newRow("empty epoch, after older than history")
            << 12 << false << true << quint64(3) << QString() << true << qint64(4) << quint64(7);

    // 3 appended, all kept: firstId 1.
    QTest::newRow("after 0, whole history kept")
            << 3 << false << true << quint64(0) << same << false << qint64(0) << quint64(0);

    // Nothing appended.
    QTest::newRow("empty log, no after") << 0 << false << false << quint64(0) << QString() << false << qint64(0)
                                         << quint64(0);
    QTest::newRow("empty log, after 0") << 0 << false << true << quint64(0) << same << false << qint64(0) << quint64(0);
    QTest::newRow("empty log, after 5") << 0 << false << true << quint64(5) << same << true << qint64(-1) << quint64(0);
    QTest::newRow("empty log, foreign epoch")
            << 0 << false << true << quint64(0) << foreign << true << qint64(-1) << quint64(0);

    // 12 appended, then all expired by age: size 0, lastId 12, firstId 13.
    QTest::newRow("all expired, no after")
            << 12 << true << false << quint64(0) << QString() << false << qint64(0) << quint64(12);
    QTest::newRow("all expired, after = lastId")
            << 12 << true << true << quint64(12) << same << false << qint64(0) << quint64(12);
    QTest::newRow("all expired, after < lastId")
            << 12 << true << true << quint64(10) << same << true << qint64(2) << quint64(12);
    QTest::newRow("all expired, after 0")
            << 12 << true << true << quint64(0) << same << true << qint64(12) << quint64(12);
    QTest::newRow("all expired, after beyond lastId")
            << 12 << true << true << quint64(13) << same << true << qint64(-1) << quint64(12);
    QTest::newRow("all expired, foreign epoch")
            << 12 << true << true << quint64(12) << foreign << true << qint64(-1) << quint64(12);
}

void tst_MessageLog::resume()
{
    QFETCH(int, appendCount);
    QFETCH(bool, expireAll);
    QFETCH(bool, hasAfter);
    QFETCH(quint64, after);
    QFETCH(QString, epoch);
    QFETCH(bool, reset);
    QFETCH(qint64, lost);
    QFETCH(quint64, cursor);

    FakeClockLog f({ 5, 1000 });
    appendChats(f.log, appendCount);
    if (expireAll) {
        f.nowMs += 1001;
        f.log.expire();
        QCOMPARE(f.log.size(), 0);
        QCOMPARE(f.log.lastId(), quint64(appendCount));
    }

    ResumePoint point;
    if (hasAfter)
        point.after = after;
    point.epoch = epoch;
    const ResumeResult r = f.log.resume(point);
    QCOMPARE(r.reset, reset);
    QCOMPARE(r.lost, lost);
    QCOMPARE(r.cursor, cursor);
    QCOMPARE(bool(r.resetEntry), reset);
    if (reset) {
        // The reset is said in this log's epoch, so the client adopts it.
        const rtlab::Message &m = r.resetEntry->message;
        QCOMPARE(m.type, MessageType::Reset);
        QCOMPARE(m.epoch, Epoch);
        QCOMPARE(m.lost, lost);
        QCOMPARE(m.cursor, cursor);
    }
    // Whatever was lost, the client goes on inside what the log still holds: no silent gap.
    QVERIFY(r.cursor + 1 >= f.log.firstId());
    QVERIFY(r.cursor <= f.log.lastId());
}

void tst_MessageLog::makeResetEntry_data()
{
    QTest::addColumn<qint64>("lost");
    QTest::addColumn<quint64>("cursor");

    QTest::newRow("known loss") << qint64(4) << quint64(7);
    QTest::newRow("unknown loss") << qint64(-1) << quint64(0);
    QTest::newRow("large cursor") << qint64(1) << quint64(9007199254740991); // 2^53 - 1
}

void tst_MessageLog::makeResetEntry()
{
    QFETCH(qint64, lost);
    QFETCH(quint64, cursor);

    const LogEntryPtr e = rtlab::makeResetEntry(Epoch, lost, cursor);
    QVERIFY(e);
    QCOMPARE(e->message.type, MessageType::Reset);
    QCOMPARE(e->message.id, quint64(0));
    QCOMPARE(e->message.epoch, Epoch);
    QVERIFY(e->message.ts > 0);

    QJsonParseError error;
    const QJsonObject object = QJsonDocument::fromJson(e->json, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(object.value(QLatin1String("type")).toString(), QStringLiteral("reset"));
    QCOMPARE(object.value(QLatin1String("epoch")).toString(), Epoch);
    QCOMPARE(object.value(QLatin1String("lost")).toInteger(), lost);
    QCOMPARE(quint64(object.value(QLatin1String("cursor")).toInteger()), cursor);
    QVERIFY(!object.contains(QLatin1String("id")));

    // The SSE id of a reset is the cursor: a reconnect with Last-Event-ID goes on from there.
    const QByteArray expectedSse =
            "id: " + MessageCodec::eventId(Epoch, cursor).toLatin1() + "\nevent: reset\ndata: " + e->json + "\n\n";
    QCOMPARE(e->sse, expectedSse);
}

void tst_MessageLog::newEpoch()
{
    const QString a = rtlab::LogStore::newEpoch();
    const QString b = rtlab::LogStore::newEpoch();
    QCOMPARE(a.size(), 16);
    QVERIFY(a != b);
    for (QChar c : a)
        QVERIFY2(QStringLiteral("0123456789abcdef").contains(c), qPrintable(a));
    // The epoch goes into "<epoch>:<id>", so it must not hold the separator.
    QVERIFY(!a.contains(QLatin1Char(':')));

    MessageLog defaulted({ 10, 1000 });
    QCOMPARE(defaulted.epoch().size(), 16);
    QVERIFY(defaulted.epoch() != MessageLog({ 10, 1000 }).epoch());
}

QTEST_GUILESS_MAIN(tst_MessageLog)
#include "tst_messagelog.moc"
