// SPDX-License-Identifier: MIT
// SseEncoder writes text/event-stream (WHATWG HTML, server-sent events). Its output is checked byte for
// byte, then read back through SseParser: whatever the text of a message, it must come back as exactly
// one event with the same data (line ends normalised to LF, as the parser joins "data:" lines with LF),
// id and type, and never inject a field of its own.

#include "sseencoder.h"
#include "sseparser.h"

#include <QTest>

#include <climits>
#include <iterator>
#include <memory>
#include <optional>

#include "testprinters.h"

using rtlab::SseEncoder;
using rtlab::SseEvent;
using rtlab::SseParser;

namespace {

// A literal as bytes, embedded NULs included.
template<qsizetype N>
QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

SseEvent ev(QStringView data, QStringView lastEventId = {}, QStringView type = u"message")
{
    return SseEvent { type.toString(), data.toString(), lastEventId.toString() };
}

// A null QByteArray stands for "no id": event() then writes no "id:" line at all.
const QByteArray NoId;
const QByteArray Bom("\xEF\xBB\xBF");

struct Parsed
{
    QList<SseEvent> events {};
    std::optional<qint64> retry {};
    QString lastEventId {};
    qint64 comments = 0;
    bool ok = true; // no parser error, and reading one byte at a time gave the same events
};

// Reads a stream whole, then one byte at a time; both ways must agree.
Parsed parse(const QByteArray &stream)
{
    const auto run = [](const QList<QByteArrayView> &pieces) {
        SseParser parser;
        Parsed p;
        for (QByteArrayView piece : pieces) {
            parser.feed(piece);
            p.events += parser.takeEvents();
        }
        parser.finish();
        p.events += parser.takeEvents();
        p.retry = parser.retry();
        p.lastEventId = parser.lastEventId();
        p.comments = parser.commentCount();
        p.ok = parser.error() == SseParser::Error::None;
        return p;
    };
    QList<QByteArrayView> single;
    for (qsizetype i = 0; i < stream.size(); ++i)
        single.append(QByteArrayView(stream).sliced(i, 1));
    Parsed whole = run({ stream });
    const Parsed bytewise = run(single);
    if (bytewise.events != whole.events || bytewise.lastEventId != whole.lastEventId)
        whole.ok = false;
    return whole;
}

// The data row's event encoded and parsed back: exactly the expected event, its id the last
// event ID. False (the test has failed) if not.
bool roundTripsRow(Parsed *p)
{
    QFETCH(QByteArray, id);
    QFETCH(QByteArray, type);
    QFETCH(QByteArray, data);
    QFETCH(SseEvent, expected);

    *p = parse(SseEncoder::event(id, type, data));
    [&] {
        QVERIFY(p->ok);
        QCOMPARE(p->events, QList<SseEvent> { expected });
        QCOMPARE(p->lastEventId, expected.lastEventId);
    }();
    return !QTest::currentTestFailed();
}

} // namespace

class tst_SseEncoder : public QObject
{
    Q_OBJECT

private slots:
    void event_data();
    void event();
    void fieldInjection_data();
    void fieldInjection();
    void fieldControlCharactersDropped_data();
    void fieldControlCharactersDropped();
    void retry_data();
    void retry();
    void comment_data();
    void comment();
    void roundTrip_data();
    void roundTrip();
    void roundTripOneStream();
};

void tst_SseEncoder::event_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("data only") << NoId << QByteArray() << bytes("hello") << bytes("data: hello\n\n");
    QTest::newRow("id, type and data") << bytes("7") << bytes("chat") << bytes("hi")
                                       << bytes("id: 7\nevent: chat\ndata: hi\n\n");
    QTest::newRow("empty id is written: it resets the client's last event id")
            << bytes("") << QByteArray() << bytes("x") << bytes("id: \ndata: x\n\n");
    QTest::newRow("empty type is not written") << bytes("1") << bytes("") << bytes("x") << bytes("id: 1\ndata: x\n\n");
    QTest::newRow("empty data is one empty data line") << NoId << QByteArray() << QByteArray() << bytes("data: \n\n");
    QTest::newRow("lf splits lines") << NoId << QByteArray() << bytes("a\nb") << bytes("data: a\ndata: b\n\n");
    QTest::newRow("crlf splits lines") << NoId << QByteArray() << bytes("a\r\nb") << bytes("data: a\ndata: b\n\n");
    QTest::newRow("lone cr splits lines") << NoId << QByteArray() << bytes("a\rb") << bytes("data: a\ndata: b\n\n");
    QTest::newRow("cr cr is an empty line between")
            << NoId << QByteArray() << bytes("a\r\rb") << bytes("data: a\ndata: \ndata: b\n\n");
    QTest::newRow("lf cr is an empty line between")
            << NoId << QByteArray() << bytes("a\n\rb") << bytes("data: a\ndata: \ndata: b\n\n");
    QTest::newRow("trailing lf keeps an empty last line")
            << NoId << QByteArray() << bytes("a\n") << bytes("data: a\ndata: \n\n");
    QTest::newRow("trailing crlf keeps an empty last line")
            << NoId << QByteArray() << bytes("a\r\n") << bytes("data: a\ndata: \n\n");
    QTest::newRow("just a line end") << NoId << QByteArray() << bytes("\n") << bytes("data: \ndata: \n\n");
    QTest::newRow("leading space survives the separator space")
            << NoId << QByteArray() << bytes(" a") << bytes("data:  a\n\n");
    QTest::newRow("nul in data is passed through") << NoId << QByteArray() << bytes("a\0b") << bytes("data: a\0b\n\n");
    QTest::newRow("utf-8 is passed through") << bytes("\xE2\x82\xAC") << bytes("\xC3\xA9") << bytes("ok\xE2\x80\xA6")
                                             << bytes("id: \xE2\x82\xAC\nevent: \xC3\xA9\ndata: ok\xE2\x80\xA6\n\n");
}

void tst_SseEncoder::event()
{
    QFETCH(QByteArray, id);
    QFETCH(QByteArray, type);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, expected);
    QCOMPARE(SseEncoder::event(id, type, data), expected);
}

// A message's text must never end its event early or add an "id:", "event:" or "retry:" line.
void tst_SseEncoder::fieldInjection_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<SseEvent>("expected");

    QTest::newRow("fields after lf in data") << bytes("1") << bytes("chat") << bytes("\nid: 9\nevent: evil\n\n")
                                             << ev(u"\nid: 9\nevent: evil\n\n", u"1", u"chat");
    QTest::newRow("fields after crlf in data")
            << bytes("1") << bytes("chat") << bytes("hi\r\nid: 9\r\nevent: evil\r\n\r\ndata: more")
            << ev(u"hi\nid: 9\nevent: evil\n\ndata: more", u"1", u"chat");
    QTest::newRow("fields after lone cr in data")
            << bytes("1") << bytes("chat") << bytes("hi\rid: 9\revent: evil\r\rretry: 1")
            << ev(u"hi\nid: 9\nevent: evil\n\nretry: 1", u"1", u"chat");
    QTest::newRow("fields after mixed line ends in data")
            << bytes("1") << bytes("chat") << bytes("\r\nid: 9\revent: evil\n\r\n")
            << ev(u"\nid: 9\nevent: evil\n\n", u"1", u"chat");
    QTest::newRow("blank lines and a comment in data")
            << NoId << QByteArray() << bytes("a\n\n\n: not a comment\n\nb") << ev(u"a\n\n\n: not a comment\n\nb");
    QTest::newRow("event ended inside the id")
            << bytes("1\n\ndata: evil\n\n") << bytes("chat") << bytes("x") << ev(u"x", u"1data: evil", u"chat");
    QTest::newRow("event ended inside the type")
            << bytes("1") << bytes("chat\r\n\r\ndata: evil\r\n\r\n") << bytes("x") << ev(u"x", u"1", u"chatdata: evil");
}

void tst_SseEncoder::fieldInjection()
{
    Parsed p;
    if (!roundTripsRow(&p))
        return;
    QVERIFY(!p.retry.has_value());
    QCOMPARE(p.comments, qint64(0));
}

// CR or LF would end the field's line; the client ignores an id that contains NUL. All three are
// dropped from id and event names, the rest of the value is kept.
void tst_SseEncoder::fieldControlCharactersDropped_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("expectedBytes");
    QTest::addColumn<SseEvent>("expected");

    QTest::newRow("cr, lf and nul in the id")
            << bytes("a\rb\nc\0d") << QByteArray() << bytes("id: abcd\ndata: x\n\n") << ev(u"x", u"abcd");
    QTest::newRow("nul-only id becomes empty") << bytes("\0") << QByteArray() << bytes("id: \ndata: x\n\n") << ev(u"x");
    QTest::newRow("cr, lf and nul in the type")
            << NoId << bytes("up\r\0da\nte") << bytes("event: update\ndata: x\n\n") << ev(u"x", u"", u"update");
    QTest::newRow("type of only line ends is the default type")
            << NoId << bytes("\r\n") << bytes("event: \ndata: x\n\n") << ev(u"x");
    QTest::newRow("spaces and colons are kept")
            << bytes(" 4:2 ") << bytes("a: b") << bytes("id:  4:2 \nevent: a: b\ndata: x\n\n")
            << ev(u"x", u" 4:2 ", u"a: b");
}

void tst_SseEncoder::fieldControlCharactersDropped()
{
    QFETCH(QByteArray, id);
    QFETCH(QByteArray, type);
    QFETCH(QByteArray, expectedBytes);
    QFETCH(SseEvent, expected);

    const QByteArray out = SseEncoder::event(id, type, "x");
    QCOMPARE(out, expectedBytes);
    const Parsed p = parse(out);
    QVERIFY(p.ok);
    QCOMPARE(p.events, QList<SseEvent> { expected });
}

void tst_SseEncoder::retry_data()
{
    QTest::addColumn<int>("milliseconds");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<qint64>("parsed");

    QTest::newRow("zero") << 0 << bytes("retry: 0\n\n") << qint64(0);
    QTest::newRow("typical") << 1500 << bytes("retry: 1500\n\n") << qint64(1500);
    // Only ASCII digits are a valid retry value, so a negative one is clamped rather than written.
    QTest::newRow("negative is clamped to zero") << -5 << bytes("retry: 0\n\n") << qint64(0);
    QTest::newRow("int max") << INT_MAX << bytes("retry: 2147483647\n\n") << qint64(INT_MAX);
}

void tst_SseEncoder::retry()
{
    QFETCH(int, milliseconds);
    QFETCH(QByteArray, expected);
    QFETCH(qint64, parsed);

    const QByteArray out = SseEncoder::retry(milliseconds);
    QCOMPARE(out, expected);
    const Parsed p = parse(out);
    QVERIFY(p.ok);
    QVERIFY(p.events.isEmpty());
    QVERIFY(p.retry.has_value());
    QCOMPARE(*p.retry, parsed);
}

void tst_SseEncoder::comment_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("heartbeat") << bytes("hb") << bytes(": hb\n\n");
    QTest::newRow("empty") << QByteArray() << bytes(":\n\n");
    QTest::newRow("line ends are dropped") << bytes("a\nb\r\nc\rd") << bytes(": abcd\n\n");
    QTest::newRow("no field can follow") << bytes("x\r\n\r\ndata: evil\n\n") << bytes(": xdata: evil\n\n");
    QTest::newRow("colons and spaces are kept") << bytes(" a: b ") << bytes(":  a: b \n\n");
}

void tst_SseEncoder::comment()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, expected);

    const QByteArray out = SseEncoder::comment(text);
    QCOMPARE(out, expected);
    // A comment dispatches nothing and, after a complete event, changes nothing.
    const Parsed p = parse(SseEncoder::event("5", {}, "x") + out);
    QVERIFY(p.ok);
    QCOMPARE(p.events, QList<SseEvent> { ev(u"x", u"5") });
    QCOMPARE(p.comments, qint64(1));
    QCOMPARE(p.lastEventId, QStringLiteral("5"));
}

void tst_SseEncoder::roundTrip_data()
{
    QTest::addColumn<QByteArray>("id");
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<SseEvent>("expected");

    QTest::newRow("plain message") << NoId << QByteArray() << bytes("hello") << ev(u"hello");
    QTest::newRow("with id") << bytes("42") << QByteArray() << bytes("hello") << ev(u"hello", u"42");
    QTest::newRow("with type") << NoId << bytes("presence") << bytes("{}") << ev(u"{}", u"", u"presence");
    QTest::newRow("explicit message type") << bytes("1") << bytes("message") << bytes("m") << ev(u"m", u"1");
    QTest::newRow("empty data") << bytes("3") << bytes("ping") << QByteArray() << ev(u"", u"3", u"ping");
    QTest::newRow("json") << bytes("0:17") << bytes("chat") << bytes("{\"id\":17,\"text\":\"a: b\"}")
                          << ev(u"{\"id\":17,\"text\":\"a: b\"}", u"0:17", u"chat");
    QTest::newRow("multi-line lf") << NoId << QByteArray() << bytes("a\nb\nc") << ev(u"a\nb\nc");
    QTest::newRow("multi-line crlf normalised") << NoId << QByteArray() << bytes("a\r\nb") << ev(u"a\nb");
    QTest::newRow("multi-line cr normalised") << NoId << QByteArray() << bytes("a\rb") << ev(u"a\nb");
    QTest::newRow("trailing newline kept") << NoId << QByteArray() << bytes("a\n") << ev(u"a\n");
    QTest::newRow("trailing crlf kept as lf") << NoId << QByteArray() << bytes("a\r\n") << ev(u"a\n");
    QTest::newRow("only newlines") << NoId << QByteArray() << bytes("\n\n") << ev(u"\n\n");
    QTest::newRow("leading and trailing spaces")
            << bytes(" 7 ") << QByteArray() << bytes("  two  ") << ev(u"  two  ", u" 7 ");
    QTest::newRow("looks like a comment") << NoId << QByteArray() << bytes(":x\n:y") << ev(u":x\n:y");
    QTest::newRow("looks like fields") << NoId << QByteArray() << bytes("data: x\nid: 2\nretry: 5")
                                       << ev(u"data: x\nid: 2\nretry: 5");
    QTest::newRow("tab") << NoId << QByteArray() << bytes("\tx") << ev(u"\tx");
    QTest::newRow("nul in data") << NoId << QByteArray() << bytes("\0") << ev(QString(1, QChar(u'\0')));
    QTest::newRow("utf-8") << bytes("\xE2\x82\xAC") << bytes("\xC3\xA9v") << bytes("caf\xC3\xA9\n\xF0\x9F\x98\x80")
                           << ev(u"caf\u00E9\n\U0001F600", u"\u20AC", u"\u00E9v");
    QTest::newRow("byte order mark inside data") << NoId << QByteArray() << Bom + "x\n" + Bom << ev(u"\uFEFFx\n\uFEFF");
}

void tst_SseEncoder::roundTrip()
{
    Parsed p;
    roundTripsRow(&p);
}

// Several events as one stream, with a retry first and a heartbeat after each event: the last event ID
// carries over to events without an id of their own, and an empty id resets it.
void tst_SseEncoder::roundTripOneStream()
{
    const struct
    {
        QByteArray id, type, data;
        SseEvent expected;
    } rows[] = {
        { NoId, {}, "a", ev(u"a") },           { "1", "chat", "b\r\nc", ev(u"b\nc", u"1", u"chat") },
        { NoId, {}, "d\n", ev(u"d\n", u"1") }, { "", "x", "", ev(u"", u"", u"x") },
        { NoId, {}, "e", ev(u"e") },           { "2\n\nid: 3", {}, "\rf", ev(u"\nf", u"2id: 3") },
    };
    QByteArray stream = SseEncoder::retry(2500);
    QList<SseEvent> expected;
    for (const auto &row : rows) {
        stream += SseEncoder::event(row.id, row.type, row.data);
        stream += SseEncoder::comment("hb");
        expected.append(row.expected);
    }

    const Parsed p = parse(stream);
    QVERIFY(p.ok);
    QCOMPARE(p.events, expected);
    QCOMPARE(p.lastEventId, QStringLiteral("2id: 3"));
    QCOMPARE(p.retry.value_or(-1), qint64(2500));
    QCOMPARE(p.comments, qint64(std::size(rows)));
}

QTEST_APPLESS_MAIN(tst_SseEncoder)

#include "tst_sseencoder.moc"
