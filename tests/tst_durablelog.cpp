// SPDX-License-Identifier: MIT
// The durable log end to end (issue 15): real rtlab-server processes on one SQLite file
// (--store sqlite:PATH) stopped, killed with -9, rolled back to an older copy, corrupted and starved
// of disk, and the project's own clients (RealtimeClient's transports, rtlab-cli) and raw HTTP (what
// curl would send) resuming across it. The memory store's restart, a reset with lost -1 on every
// transport, is the contrast the lab's lesson shows.
//
// The server runs as a child process on the core under test (RTLAB_TEST_CORE, passed as --core) at a
// port taken from the OS once, so that a restarted server is where the clients left the old one. Every
// wait is on a line, a message or a process state, with a bound; traffic is bounded in count.
#include "processsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>

using namespace rtlab;
using namespace rtlab::test;

namespace {

QByteArray sha256(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

// The database and the files SQLite keeps beside it in WAL mode. Not the store's high-water mark:
// a restore from a backup brings back the database only.
QStringList databaseFiles(const QString &db)
{
    return { db, db + QStringLiteral("-wal"), db + QStringLiteral("-shm") };
}

bool copyDatabase(const QString &fromDb, const QString &toDb)
{
    const QStringList from = databaseFiles(fromDb);
    const QStringList to = databaseFiles(toDb);
    for (qsizetype i = 0; i < from.size(); ++i) {
        QFile::remove(to[i]);
        if (QFile::exists(from[i]) && !QFile::copy(from[i], to[i]))
            return false;
    }
    return true;
}

QList<quint64> chatIdsOf(const QList<Message> &messages)
{
    return ids(messages);
}

} // namespace

class tst_DurableLog : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void restartResumesEveryTransport_data();
    void restartResumesEveryTransport();
    void killNineLosesNoAcknowledgedMessage();
    void olderFileGetsANewEpoch();
    void corruptFileIsRefused_data();
    void corruptFileIsRefused();
    void fullDiskAnswers503AndKeepsServing();
    void retentionHoldsAcrossARestart_data();
    void retentionHoldsAcrossARestart();
    void resumeOlderThanTheRingAfterARestart();
    void cliResumesAcrossAKillNine_data();
    void cliResumesAcrossAKillNine();

private:
    QString freshDb(const QString &name = QStringLiteral("chat.db"));
    QString sqlite(const QString &db) const { return QStringLiteral("sqlite:") + db; }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_DurableLog::initTestCase()
{
    QVERIFY(QFile::exists(QStringLiteral(RTLAB_SERVER_BINARY)));
}

// A database path in a directory of its own, new for each test.
QString tst_DurableLog::freshDb(const QString &name)
{
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid())
        qFatal("no temporary directory");
    return m_dir->filePath(name);
}

void tst_DurableLog::restartResumesEveryTransport_data()
{
    QTest::addColumn<QStringList>("store");
    QTest::addColumn<bool>("durable");
    QTest::newRow("sqlite: nothing lost, no reset")
            << QStringList { QStringLiteral("--store"), QStringLiteral("sqlite") } << true;
    QTest::newRow("sqlite, --store-sync full") << QStringList { QStringLiteral("--store"), QStringLiteral("sqlite"),
                                                                QStringLiteral("--store-sync"), QStringLiteral("full") }
                                               << true;
    QTest::newRow("memory: a reset, lost unknown")
            << QStringList { QStringLiteral("--store"), QStringLiteral("memory") } << false;
}

// Clients that have read up to k of N, then a restart: on the same SQLite file the epoch and the
// ids are kept and every transport receives exactly k+1..N and then what is new, with no reset; with
// the memory store every transport is told of a reset with lost -1. The Qt clients reach the server
// through a relay, taken down while k+1..N are published and the server restarts, so they resume
// across both the gap and the restart.
void tst_DurableLog::restartResumesEveryTransport()
{
    QFETCH(QStringList, store);
    QFETCH(bool, durable);
    const QString db = freshDb();
    store.replace(1, store[1] == u"sqlite" ? sqlite(db) : store[1]);
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, port));

    const int k = 5;
    const int n = 12;
    Subscribers subscribers(urlOf(relay.port()));
    QVERIFY(subscribers.waitOpen());
    QCOMPARE(publishMany(port, k, QStringLiteral("m")), range(1, k));
    QVERIFY(subscribers.waitFor(k));
    relay.setDown(true);
    QCOMPARE(publishMany(port, n - k, QStringLiteral("m"), k + 1), range(k + 1, n));
    const StatsSnapshot before = stats(port);
    QCOMPARE(before.history.lastId, qint64(n));

    QVERIFY(server.stop());
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    const StatsSnapshot after = stats(port);
    if (durable) {
        QCOMPARE(after.epoch, before.epoch);
        QCOMPARE(after.history.lastId, qint64(n));
        QCOMPARE(after.history.firstId, qint64(1));
    } else {
        QVERIFY(after.epoch != before.epoch);
        QCOMPARE(after.history.lastId, qint64(0));
    }

    // Raw HTTP at (epoch, k), as curl would resume: a poll, an event stream, a WebSocket.
    RawResumers raw(port, k, before.epoch);
    QVERIFY(raw.waitOpen());
    relay.setDown(false);

    const quint64 next = durable ? n + 1 : 1;
    QCOMPARE(publish(port, QStringLiteral("after the restart")), next);
    QVERIFY(subscribers.waitFor(next, after.epoch));
    const qsizetype expected = durable ? n - k + 1 : 2; // k+1..N and the new one; or the reset and it
    QVERIFY(raw.waitStreams(expected));
    for (qsizetype i = 0; i < raw.all().size(); ++i) {
        const QList<Message> got = raw.all()[i];
        const Message *reset = firstReset(got);
        if (durable) {
            QVERIFY2(!reset, qPrintable(QStringLiteral("raw client %1 was told to reset").arg(i)));
            const QList<quint64> want = i == 0 ? range(k + 1, n) : range(k + 1, n + 1);
            QCOMPARE(chatIdsOf(got), want);
            for (const Message &m : got) {
                QCOMPARE(m.epoch, before.epoch);
                QCOMPARE(m.text,
                         m.id <= quint64(n) ? QStringLiteral("m%1").arg(m.id) : QStringLiteral("after the restart"));
            }
        } else {
            QVERIFY(reset);
            QCOMPARE(reset->lost, qint64(-1));
            QCOMPARE(reset->epoch, after.epoch);
        }
    }

    for (size_t i = 0; i < subscribers.clients.size(); ++i) {
        const RealtimeClient &c = *subscribers.clients[i];
        const Recorder &rec = *subscribers.recorders[i];
        const QByteArray name = Subscribers::name(i);
        QVERIFY2(c.continuity().gaps == 0, name);
        if (durable) {
            QVERIFY2(c.continuity().resets == 0, name);
            QVERIFY2(rec.count(ConnectionEvent::Type::Reset) == 0, name);
            QVERIFY2(rec.chatIds() == range(1, n + 1), name);
            QVERIFY2(std::all_of(rec.messages.begin(), rec.messages.end(),
                                 [&](const Message &m) { return m.epoch == before.epoch; }),
                     name);
        } else {
            QVERIFY2(c.continuity().resets == 1, name);
            const Message *reset = firstReset(rec.messages);
            QVERIFY2(reset && reset->lost == -1 && reset->epoch == after.epoch, name);
            QVERIFY2(rec.chatIds() == range(1, k) + QList<quint64> { 1 }, name);
        }
    }
    QVERIFY(server.stop());
}

// Publishers over POST /send and a WebSocket publish steadily; the server is killed with -9 mid-stream
// and started again on the same file. Every id answered 202 (or come back on the publisher's socket)
// is there with its text, no id is used twice, the publishes that were in flight, sent again with
// their clientMsgId as the clients do, are there exactly once, and the subscribers resume with no reset.
void tst_DurableLog::killNineLosesNoAcknowledgedMessage()
{
    const QString db = freshDb();
    const QStringList store = { QStringLiteral("--store"), sqlite(db) };
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    const QString epoch = stats(port).epoch;
    Subscribers subscribers(urlOf(port));
    QVERIFY(subscribers.waitOpen());

    const int max = 3000; // each; far more than the server takes before the kill
    std::vector<std::unique_ptr<HttpSteadyPublisher>> http;
    http.push_back(std::make_unique<HttpSteadyPublisher>(port, QStringLiteral("http0"), max));
    http.push_back(std::make_unique<HttpSteadyPublisher>(port, QStringLiteral("http1"), max));
    WsSteadyPublisher ws(port, QStringLiteral("ws"), max);
    const auto ackedCount = [&] {
        qsizetype n = ws.acked.size();
        for (const auto &p : http)
            n += p->acked.size();
        return n;
    };
    // Mid-stream: every publisher has been answered a few times and is still sending.
    QVERIFY(QTest::qWaitFor(
            [&] {
                return ackedCount() >= 200 && ws.acked.size() >= 20
                        && std::all_of(http.begin(), http.end(), [](const auto &p) { return p->acked.size() >= 20; });
            },
            WaitMs));
    server.killNine();
    QCOMPARE(server.process().exitStatus(), QProcess::CrashExit);
    QVERIFY(QTest::qWaitFor(
            [&] { return ws.ended && std::all_of(http.begin(), http.end(), [](const auto &p) { return p->ended; }); },
            WaitMs));
    for (const auto &p : http)
        QCOMPARE(p->otherAnswers, QList<int> {});
    QVERIFY(ws.errors.isEmpty());

    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(stats(port).epoch, epoch);

    // What was in flight is sent again, with the same sender and clientMsgId (RealtimeClient's outbox
    // does this after a lost answer); the server publishes each once.
    struct Sent
    {
        QString from;
        QString clientMsgId;
    };
    QList<Sent> resent;
    for (const auto &p : http)
        for (const QString &id : p->unanswered)
            resent.append({ p->from(), id });
    for (const QString &id : ws.inFlight)
        resent.append({ QStringLiteral("ws"), id });
    QHash<QString, quint64> resentIds;
    for (const Sent &s : resent) {
        PublishRequest p;
        p.from = s.from;
        p.clientMsgId = s.clientMsgId;
        p.text = HttpSteadyPublisher::textOf(s.clientMsgId);
        const RawResponse r =
                request(port, "POST", "/send", MessageCodec::encodePublish(p), { "Content-Type: application/json" });
        QCOMPARE(r.status, 202);
        resentIds.insert(s.clientMsgId, quint64(r.json().value(QLatin1String("id")).toInteger()));
    }
    const quint64 last = publish(port, QStringLiteral("after the kill"));
    QVERIFY(last > 0);

    // The whole log: ids 1..last, each once, every acknowledged id with its own message.
    const QList<Message> log = pollAll(port, 0, epoch);
    QVERIFY(!firstReset(log));
    QCOMPARE(chatIdsOf(log), range(1, last));
    QHash<quint64, Message> byId;
    QHash<QString, int> timesPublished;
    for (const Message &m : log) {
        byId.insert(m.id, m);
        QCOMPARE(m.epoch, epoch);
        if (!m.clientMsgId.isEmpty())
            ++timesPublished[m.from + u'/' + m.clientMsgId];
    }
    qsizetype acknowledged = 0;
    const auto checkAcked = [&](const QString &from, const QHash<QString, quint64> &acked) {
        for (auto it = acked.begin(); it != acked.end(); ++it) {
            const Message m = byId.value(it.value());
            if (m.from != from || m.clientMsgId != it.key() || m.text != HttpSteadyPublisher::textOf(it.key()))
                return false;
            ++acknowledged;
        }
        return true;
    };
    for (const auto &p : http)
        QVERIFY(checkAcked(p->from(), p->acked));
    QVERIFY(checkAcked(QStringLiteral("ws"), ws.acked));
    for (auto it = timesPublished.begin(); it != timesPublished.end(); ++it)
        QVERIFY2(it.value() == 1, qPrintable(it.key()));
    for (const Sent &s : resent) {
        QVERIFY2(timesPublished.value(s.from + u'/' + s.clientMsgId) == 1, qPrintable(s.clientMsgId));
        QCOMPARE(byId.value(resentIds.value(s.clientMsgId)).clientMsgId, s.clientMsgId);
    }
    qInfo("%lld acknowledged before the kill, %lld in flight sent again, last id %llu", qint64(acknowledged),
          qint64(resent.size()), last);

    // The subscribers rode through the kill: every id once, each with the log's text, no reset.
    QVERIFY(subscribers.waitFor(last, epoch));
    for (size_t i = 0; i < subscribers.clients.size(); ++i) {
        const QByteArray name = Subscribers::name(i);
        const RealtimeClient &c = *subscribers.clients[i];
        const Recorder &rec = *subscribers.recorders[i];
        QVERIFY2(c.continuity().resets == 0 && c.continuity().gaps == 0, name);
        QVERIFY2(rec.chatIds() == range(1, last), name);
        for (const Message &m : rec.messages)
            QVERIFY2(m.text == byId.value(m.id).text, name);
    }
    QVERIFY(server.stop());
}

// A database restored from an older copy is behind the ids already given out: the server starts it
// with a new epoch, so a client that resumes at a newer id is told of a reset (lost -1) on every
// transport and never receives a reused id with other content.
void tst_DurableLog::olderFileGetsANewEpoch()
{
    const QString db = freshDb();
    const QString backup = m_dir->filePath(QStringLiteral("backup.db"));
    const QStringList store = { QStringLiteral("--store"), sqlite(db) };
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 5, QStringLiteral("old ")), range(1, 5));
    const QString oldEpoch = stats(port).epoch;
    QVERIFY(server.stop());
    QVERIFY(copyDatabase(db, backup));

    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 5, QStringLiteral("newer ")), range(6, 10));
    QVERIFY(server.stop());
    QVERIFY(copyDatabase(backup, db)); // the older copy back, the high-water mark beside it untouched

    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    const StatsSnapshot restored = stats(port);
    QVERIFY2(restored.epoch != oldEpoch, qPrintable(restored.epoch));

    RawResumers raw(port, 10, oldEpoch);
    QVERIFY(raw.waitOpen());
    const quint64 id = publish(port, QStringLiteral("after the restore"));
    QVERIFY(id > 0);
    QVERIFY(QTest::qWaitFor([&] { return ids(raw.sse.messages()).contains(id) && ids(raw.ws.messages).contains(id); },
                            WaitMs));
    for (const QList<Message> &messages : raw.all()) {
        QVERIFY(!messages.isEmpty());
        QCOMPARE(messages.first().type, MessageType::Reset);
        QCOMPARE(messages.first().lost, qint64(-1));
        QCOMPARE(messages.first().epoch, restored.epoch);
        for (const Message &m : messages) // nothing in the old epoch: an old id never means new content
            QCOMPARE(m.epoch, restored.epoch);
    }
    QCOMPARE(raw.ws.messages.last().text, QStringLiteral("after the restore"));
    QVERIFY(server.stop());
}

void tst_DurableLog::corruptFileIsRefused_data()
{
    QTest::addColumn<QString>("damage");
    QTest::newRow("garbage bytes") << QStringLiteral("garbage");
    QTest::newRow("truncated to half") << QStringLiteral("truncate");
}

// A database that is not one (or no longer whole) is a clear error at start: the server exits
// non-zero before listening, its stderr names the file and SQLite's message, and the file is left
// as it was — never an empty log in its place.
void tst_DurableLog::corruptFileIsRefused()
{
    QFETCH(QString, damage);
    const QString db = freshDb();
    const quint16 port = freePort();
    ServerProcess server;
    if (damage == u"garbage") {
        QFile f(db);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray bytes;
        for (int i = 0; i < 16 * 1024; ++i)
            bytes.append(char((i * 7919 + 13) % 251));
        f.write(bytes);
    } else {
        QVERIFY2(server.start(port, { QStringLiteral("--store"), sqlite(db) }), qPrintable(server.errors()));
        const QString text(1000, u'x');
        QCOMPARE(publishMany(port, 300, text).size(), 300);
        QVERIFY(server.stop());
        for (const QString &beside : databaseFiles(db).mid(1))
            QFile::remove(beside);
        QFile f(db);
        QVERIFY(f.size() > 64 * 1024);
        QVERIFY(f.resize(f.size() / 2));
    }
    const QByteArray hash = sha256(db);

    QVERIFY(!server.start(port, { QStringLiteral("--store"), sqlite(db) }));
    QVERIFY(server.waitExit());
    QCOMPARE(server.process().exitStatus(), QProcess::NormalExit);
    QVERIFY(server.process().exitCode() != 0);
    QVERIFY(!server.output().contains("listening"));
    const QString errors = server.errors();
    QVERIFY2(errors.contains(db), qPrintable(errors));
    QVERIFY2(errors.contains(QRegularExpression(QStringLiteral("not a database|malformed|corrupt"))),
             qPrintable(errors));
    QCOMPARE(sha256(db), hash);
}

// A full disk (the server's RLIMIT_FSIZE, which a small filesystem would do as well): a publish that
// cannot be committed is answered 503 with a reason over POST and with the error frame over a
// WebSocket; /healthz, polls and streams go on serving the history; nothing acknowledged is lost; once
// there is room again publishes succeed with the next id, no hole.
void tst_DurableLog::fullDiskAnswers503AndKeepsServing()
{
    const QString db = freshDb();
    const QStringList store = { QStringLiteral("--store"), sqlite(db) };
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 3, QStringLiteral("before ")), range(1, 3));
    const QString epoch = stats(port).epoch;
    QVERIFY(server.stop());

    // Room for a few commits of the write-ahead log (where SQLite writes between checkpoints), then none.
    const qint64 limit = qMax<qint64>(QFileInfo(db).size(), 32 * 1024) + 64 * 1024;
    QVERIFY2(server.start(port, store, limit), qPrintable(server.errors()));
    WsClient subscriber(port, QStringLiteral("?") + QString::fromLatin1(resumeQuery(3, epoch)));
    QVERIFY(subscriber.waitOpen());
    QList<quint64> acked = range(1, 3);
    RawResponse refused;
    const QString big(8 * 1024, u'b');
    for (int i = 0; i < 200; ++i) {
        PublishRequest p { QStringLiteral("test"), big + QString::number(i) };
        const RawResponse r =
                request(port, "POST", "/send", MessageCodec::encodePublish(p), { "Content-Type: application/json" });
        if (r.status != 202) {
            refused = r; // 0: no answer at all (the server died: SIGXFSZ's default action)
            break;
        }
        acked.append(quint64(r.json().value(QLatin1String("id")).toInteger()));
    }
    if (!server.running())
        server.waitExit();
    QVERIFY2(refused.status == 503,
             qPrintable(QStringLiteral("answered %1; the server %2 (exit status %3, code or signal %4): %5")
                                .arg(refused.status)
                                .arg(server.running() ? QStringLiteral("runs") : QStringLiteral("ended"))
                                .arg(int(server.process().exitStatus()))
                                .arg(server.process().exitCode())
                                .arg(server.errors())));
    QVERIFY2(!refused.json().value(QLatin1String("error")).toString().isEmpty(), refused.body.constData());
    QCOMPARE(acked, range(1, quint64(acked.size())));
    QVERIFY2(server.running(), qPrintable(server.errors()));                        // not killed by SIGXFSZ
    QVERIFY(QTest::qWaitFor([&] { return server.errors().contains(db); }, WaitMs)); // and said so, naming the file

    // As large as the publish refused above: it needs as much room.
    const QString wsText = big + QStringLiteral(" over a WebSocket");
    WsSteadyPublisher wsPublisher(port, QStringLiteral("ws"), 0);
    QVERIFY(QTest::qWaitFor([&] { return wsPublisher.socket.state() == QAbstractSocket::ConnectedState; }, WaitMs));
    wsPublisher.sendOne(QStringLiteral("ws-full"), wsText);
    QVERIFY2(QTest::qWaitFor([&] { return !wsPublisher.errors.isEmpty(); }, WaitMs),
             wsPublisher.acked.isEmpty() ? "no answer" : "acknowledged");
    const QJsonObject error = wsPublisher.errors.first();
    QCOMPARE(error.value(QLatin1String("status")).toInt(), 503);
    QCOMPARE(error.value(QLatin1String("clientMsgId")).toString(), QStringLiteral("ws-full"));
    QVERIFY(!error.value(QLatin1String("error")).toString().isEmpty());

    // Reads go on: health, a poll of the whole history, a stream from the start.
    QCOMPARE(request(port, "GET", "/healthz").status, 200);
    QCOMPARE(chatIdsOf(pollAll(port, 0, epoch)), acked);
    SseClient sse(port, "/events", { "Last-Event-ID: " + epoch.toLatin1() + ":0" });
    QVERIFY(sse.waitEvents(acked.size()));
    QCOMPARE(ids(sse.messages()), acked);
    QVERIFY(subscriber.waitMessages(acked.size() - 3));
    QCOMPARE(ids(subscriber.messages), acked.mid(3));

    // Room again: the next publishes take the next ids.
    const rlimit unlimited { RLIM_INFINITY, RLIM_INFINITY };
    QCOMPARE(::prlimit(server.pid(), RLIMIT_FSIZE, &unlimited, nullptr), 0);
    const quint64 next = acked.last() + 1;
    QCOMPARE(publish(port, QStringLiteral("room again")), next);
    wsPublisher.sendOne(QStringLiteral("ws-full"), wsText);
    QVERIFY(QTest::qWaitFor([&] { return wsPublisher.acked.contains(QStringLiteral("ws-full")); }, WaitMs));
    QCOMPARE(wsPublisher.acked.value(QStringLiteral("ws-full")), next + 1);
    QVERIFY(subscriber.waitMessages(acked.size() - 3 + 2));
    const QList<quint64> afterRoom = { next, next + 1 };
    QCOMPARE(ids(subscriber.messages), acked.mid(3) + afterRoom);

    // And all of it is on disk.
    QVERIFY(server.stop());
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    const QList<Message> log = pollAll(port, 0, epoch);
    QCOMPARE(chatIdsOf(log), range(1, next + 1));
    QCOMPARE(log.last().text, wsText);
    QVERIFY(server.stop());
}

void tst_DurableLog::retentionHoldsAcrossARestart_data()
{
    QTest::addColumn<QString>("firstHistory");
    QTest::newRow("--history 50 both times") << QStringLiteral("50");
    QTest::newRow("--history lowered to 50 at the restart") << QStringLiteral("1000");
}

// --history 50 with a stored log: after a restart only the last 50 are replayed, and a client behind
// them is told of a reset with the exact count it lost, on every transport.
void tst_DurableLog::retentionHoldsAcrossARestart()
{
    QFETCH(QString, firstHistory);
    const QString db = freshDb();
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, { QStringLiteral("--store"), sqlite(db), QStringLiteral("--history"), firstHistory }),
             qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 120, QStringLiteral("m")).size(), 120);
    const QString epoch = stats(port).epoch;
    QVERIFY(server.stop());

    QVERIFY2(server.start(port,
                          { QStringLiteral("--store"), sqlite(db), QStringLiteral("--history"), QStringLiteral("50") }),
             qPrintable(server.errors()));
    const StatsSnapshot s = stats(port);
    QCOMPARE(s.epoch, epoch);
    QCOMPARE(s.history.count, qint64(50));
    QCOMPARE(s.history.firstId, qint64(71));
    QCOMPARE(s.history.lastId, qint64(120));

    RawResumers raw(port, 10, epoch);
    QVERIFY(raw.waitStreams(51));
    for (const QList<Message> &got : raw.all()) {
        QCOMPARE(got.size(), 51);
        QCOMPARE(got.first().type, MessageType::Reset);
        QCOMPARE(got.first().lost, qint64(60)); // 11..70
        QCOMPARE(got.first().cursor, quint64(70));
        QCOMPARE(chatIdsOf(got), range(71, 120));
        QCOMPARE(got.last().text, QStringLiteral("m120"));
    }
    // A client inside the history resumes with nothing lost.
    QCOMPARE(chatIdsOf(pollAll(port, 100, epoch)), range(101, 120));
    QVERIFY(!firstReset(pollAll(port, 100, epoch)));
    QVERIFY(server.stop());
}

// --memory-ring 16 with 500 stored: after a restart a resume at id 10 is read from the store (off the
// event loop) and every transport receives 11..500, in order, with their texts.
void tst_DurableLog::resumeOlderThanTheRingAfterARestart()
{
    const QString db = freshDb();
    const QStringList store = { QStringLiteral("--store"), sqlite(db), QStringLiteral("--memory-ring"),
                                QStringLiteral("16") };
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 500, QStringLiteral("m")).size(), 500);
    const QString epoch = stats(port).epoch;
    QVERIFY(server.stop());
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));

    RawResumers raw(port, 10, epoch);
    QVERIFY(raw.waitStreams(490));
    for (const QList<Message> &got : raw.all()) {
        QVERIFY(!firstReset(got));
        QCOMPARE(ids(got, false), range(11, 500));
        for (const Message &m : got)
            QCOMPARE(m.text, QStringLiteral("m%1").arg(m.id));
    }
    QVERIFY(server.stop());
}

void tst_DurableLog::cliResumesAcrossAKillNine_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("lp") << QStringLiteral("lp");
    QTest::newRow("sse") << QStringLiteral("sse");
    QTest::newRow("ws") << QStringLiteral("ws");
}

// rtlab-cli following a server that is killed with -9 and started again on the same file: it keeps its
// (epoch, id), prints every message once in order, and no reset.
void tst_DurableLog::cliResumesAcrossAKillNine()
{
    QFETCH(QString, transport);
    const QString db = freshDb();
    const QStringList store = { QStringLiteral("--store"), sqlite(db) };
    const quint16 port = freePort();
    ServerProcess server;
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QProcess cli;
    cli.start(QStringLiteral(RTLAB_CLI_BINARY),
              { QStringLiteral("--url"), urlOf(port).toString(), QStringLiteral("--transport"), transport,
                QStringLiteral("--count"), QStringLiteral("6") });
    const auto stopCli = qScopeGuard([&] {
        if (cli.state() != QProcess::NotRunning) {
            cli.kill();
            cli.waitForFinished();
        }
    });
    QByteArray out;
    QByteArray err;
    const auto drain = [&] {
        out += cli.readAllStandardOutput();
        err += cli.readAllStandardError();
    };
    QVERIFY(QTest::qWaitFor(
            [&] {
                drain();
                return err.contains("\"event\":\"opened\"");
            },
            WaitMs));
    QCOMPARE(publishMany(port, 3, QStringLiteral("m")), range(1, 3));
    QVERIFY(QTest::qWaitFor(
            [&] {
                drain();
                return out.count('\n') >= 3;
            },
            WaitMs));
    server.killNine();
    QVERIFY2(server.start(port, store), qPrintable(server.errors()));
    QCOMPARE(publishMany(port, 3, QStringLiteral("n")), range(4, 6));
    QVERIFY(QTest::qWaitFor(
            [&] {
                drain();
                return cli.state() == QProcess::NotRunning;
            },
            30000 * RTLAB_TEST_TIMEOUT_SCALE));
    drain();
    QCOMPARE(cli.exitCode(), 0);
    QList<Message> printed;
    for (const QByteArray &line : out.split('\n'))
        if (const std::optional<Message> m = MessageCodec::decode(line))
            printed.append(*m);
    QCOMPARE(ids(printed, false), range(1, 6));
    for (const Message &m : printed)
        QCOMPARE(m.epoch, printed.first().epoch);
    QVERIFY2(!err.contains("\"event\":\"reset\""), err.constData());
    QVERIFY2(err.count("\"event\":\"opened\"") >= 2, err.constData()); // it did reconnect
    QVERIFY(server.stop());
}

QTEST_GUILESS_MAIN(tst_DurableLog)
#include "tst_durablelog.moc"
