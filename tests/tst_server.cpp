// SPDX-License-Identifier: MIT
// Integration tests: the real server in-process on 127.0.0.1, port 0, and real sockets.
#include "testsupport.h"

#include "hub.h"

#include <QDateTime>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

using namespace rtlab;
using namespace rtlab::test;

class tst_Server : public QObject
{
    Q_OBJECT
private slots:
    void publishReachesAllThree();
    void resumeFromId_data();
    void resumeFromId();
    void resetBeyondHistory_data();
    void resetBeyondHistory();
    void resetOnForeignEpoch_data();
    void resetOnForeignEpoch();
    void noIdMeansNewMessagesOnly();
    void heldPollReturnsWhenMessageArrives();
    void pollTimesOutEmpty();
    void webSocketPublish();
    void repeatedClientMsgIdPublishesOnce();
    void webSocketRepeatedClientMsgIdPublishesOnce();
    void badInput_data();
    void badInput();
    void webSocketBadInput_data();
    void webSocketBadInput();
    void webSocketOrigin_data();
    void webSocketOrigin();
    void sseHeartbeats();
    void webSocketPingsAndDeadPeer();
    void keepAliveAndPipelining();
    void slowReaderIsCutAndResumes();
    void sseTextCannotInjectFields();
    void sseReplaysLargeHistoryInOrder();
    void ticksDescribeTheServer();
    void statsAndHealth();
    void statsListsConnectedClients();
    void shortPollingIsCountedApart();
    void headOptionsAndCors();
    void headAnswersTheHeadAlone_data();
    void headAnswersTheHeadAlone();
    void gracefulShutdown();
};

// Sends a WebSocket opening handshake by hand, so the test sees every byte that comes back.
static QByteArray wsHandshake(quint16 port, const QByteArray &target, const QByteArray &origin = {})
{
    QByteArray r = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n";
    if (!origin.isEmpty())
        r += "Origin: " + origin + "\r\n";
    return r + "\r\n";
}

void tst_Server::publishReachesAllThree()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    SseClient sse(port);
    WsClient ws(port);
    QVERIFY(sse.waitOpen());
    QVERIFY(ws.waitOpen());
    RawHttp poll(port);
    poll.send("GET /poll?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::LongPoll).held, 1, WaitMs);

    QCOMPARE(publish(port, QStringLiteral("hello")), 1u);

    RawResponse pollAnswer;
    QVERIFY(poll.read(&pollAnswer));
    QCOMPARE(pollAnswer.status, 200);
    QVERIFY(sse.waitEvents(1));
    QVERIFY(ws.waitMessages(1));
    const QList<Message> fromPoll = pollMessages(pollAnswer);
    QCOMPARE(fromPoll.size(), 1);
    QCOMPARE(fromPoll[0].text, QStringLiteral("hello"));
    QCOMPARE(fromPoll[0].from, QStringLiteral("test"));
    QCOMPARE(fromPoll[0].epoch, server->hub()->log().epoch());
    QCOMPARE(pollAnswer.json().value(QLatin1String("cursor")).toInteger(), 1);
    // The same message, byte for byte, on all three.
    QCOMPARE(sse.messages().value(0), fromPoll[0]);
    QCOMPARE(ws.messages.value(0), fromPoll[0]);
    QCOMPARE(sse.events[0].type, QStringLiteral("chat"));
    QCOMPARE(sse.events[0].lastEventId, server->hub()->log().epoch() + QStringLiteral(":1"));
    QCOMPARE(ws.texts[0].toUtf8(), server->hub()->log().entry(1)->json);
}

void tst_Server::resumeFromId_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("long poll") << QStringLiteral("lp");
    QTest::newRow("sse, Last-Event-ID header") << QStringLiteral("sse");
    QTest::newRow("sse, lastEventId query") << QStringLiteral("sse-query");
    QTest::newRow("websocket") << QStringLiteral("ws");
}

// Collects what a client of the given transport receives after (epoch, after), up to n messages.
static QList<Message> receiveAfter(Server *server, const QString &transport, const QString &epoch, quint64 after,
                                   qsizetype n)
{
    const quint16 port = server->port();
    const QByteArray e = epoch.toUtf8();
    const QByteArray a = QByteArray::number(after);
    if (transport == u"lp") {
        QList<Message> out;
        QByteArray cursor = a;
        // Bounded: each answer brings at least one message or a reset.
        for (int round = 0; round < 50 && out.size() < n; ++round) {
            const RawResponse r = request(port, "GET", "/poll?after=" + cursor + "&epoch=" + e);
            if (r.status != 200)
                return {};
            out += pollMessages(r);
            cursor = QByteArray::number(r.json().value(QLatin1String("cursor")).toInteger());
        }
        return out;
    }
    if (transport.startsWith(u"sse")) {
        const QByteArray id = e + ':' + a;
        SseClient sse(port, transport == u"sse" ? QByteArray("/events") : "/events?lastEventId=" + id,
                      transport == u"sse" ? QList<QByteArray> { "Last-Event-ID: " + id } : QList<QByteArray> {});
        sse.waitEvents(n);
        return sse.messages();
    }
    WsClient ws(port, QStringLiteral("?after=%1&epoch=%2").arg(after).arg(epoch));
    ws.waitMessages(n);
    return ws.messages;
}

void tst_Server::resumeFromId()
{
    QFETCH(QString, transport);
    auto server = startServer(quietConfig());
    for (int i = 1; i <= 5; ++i)
        QCOMPARE(publish(server->port(), QStringLiteral("m%1").arg(i)), quint64(i));
    const QList<Message> got = receiveAfter(server.get(), transport, server->hub()->log().epoch(), 2, 3);
    QCOMPARE(ids(got, false), (QList<quint64> { 3, 4, 5 }));
    QCOMPARE(got[0].text, QStringLiteral("m3"));
}

void tst_Server::resetBeyondHistory_data()
{
    resumeFromId_data();
}

void tst_Server::resetBeyondHistory()
{
    QFETCH(QString, transport);
    ServerConfig config = quietConfig();
    config.historyCount = 5;
    auto server = startServer(config);
    for (int i = 1; i <= 10; ++i)
        publish(server->port(), QStringLiteral("m%1").arg(i));
    // The client has 2; 3..5 are gone (history keeps 6..10): a reset saying 3 lost, then 6..10.
    const QList<Message> got = receiveAfter(server.get(), transport, server->hub()->log().epoch(), 2, 6);
    QCOMPARE(got.size(), 6);
    QCOMPARE(got[0].type, MessageType::Reset);
    QCOMPARE(got[0].lost, 3);
    QCOMPARE(got[0].cursor, 5u);
    QCOMPARE(ids(got.mid(1)), (QList<quint64> { 6, 7, 8, 9, 10 }));
}

void tst_Server::resetOnForeignEpoch_data()
{
    resumeFromId_data();
}

void tst_Server::resetOnForeignEpoch()
{
    QFETCH(QString, transport);
    auto server = startServer(quietConfig());
    for (int i = 1; i <= 3; ++i)
        publish(server->port(), QStringLiteral("m%1").arg(i));
    // An id from another server's log (a restart): unknown loss, then all of the history.
    const QList<Message> got = receiveAfter(server.get(), transport, QStringLiteral("0123456789abcdef"), 2, 4);
    QCOMPARE(got.size(), 4);
    QCOMPARE(got[0].type, MessageType::Reset);
    QCOMPARE(got[0].lost, -1);
    QCOMPARE(got[0].epoch, server->hub()->log().epoch());
    QCOMPARE(ids(got.mid(1)), (QList<quint64> { 1, 2, 3 }));
}

void tst_Server::noIdMeansNewMessagesOnly()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    publish(port, QStringLiteral("old"));
    publish(port, QStringLiteral("old"));
    // A poll with no "after" answers at once: no messages, the live end as cursor.
    const RawResponse r = request(port, "GET", "/poll");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QLatin1String("messages")).toArray().size(), 0);
    QCOMPARE(r.json().value(QLatin1String("cursor")).toInteger(), 2);
    QCOMPARE(r.json().value(QLatin1String("epoch")).toString(), server->hub()->log().epoch());

    SseClient sse(port);
    WsClient ws(port);
    QVERIFY(sse.waitOpen());
    QVERIFY(ws.waitOpen());
    publish(port, QStringLiteral("new"));
    QVERIFY(sse.waitEvents(1));
    QVERIFY(ws.waitMessages(1));
    QCOMPARE(ids(sse.messages()), QList<quint64> { 3 });
    QCOMPARE(ids(ws.messages), QList<quint64> { 3 });
}

void tst_Server::heldPollReturnsWhenMessageArrives()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    RawHttp poll(port);
    poll.send("GET /poll?after=0&epoch=" + server->hub()->log().epoch().toUtf8()
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::LongPoll).held, 1, WaitMs);
    RawResponse early;
    QVERIFY(!poll.read(&early, 200)); // held: nothing yet (a bound, not a timing claim)
    publish(port, QStringLiteral("wake"));
    RawResponse r;
    QVERIFY(poll.read(&r));
    QCOMPARE(r.status, 200);
    QCOMPARE(ids(pollMessages(r)), QList<quint64> { 1 });
    QCOMPARE(r.json().value(QLatin1String("cursor")).toInteger(), 1);
    QCOMPARE(server->hub()->stats().at(TransportKind::LongPoll).held, 0);
}

void tst_Server::pollTimesOutEmpty()
{
    ServerConfig config = quietConfig();
    config.pollTimeoutMs = 200;
    auto server = startServer(config);
    publish(server->port(), QStringLiteral("x"));
    const RawResponse r = request(server->port(), "GET", "/poll?after=1");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QLatin1String("messages")).toArray().size(), 0);
    QCOMPARE(r.json().value(QLatin1String("cursor")).toInteger(), 1);
    QCOMPARE(server->hub()->stats().pollTimeouts, 1);
    // A shorter hold asked by the client is honoured; a longer one is capped.
    const RawResponse shortPoll = request(server->port(), "GET", "/poll?after=1&timeout=0.05");
    QCOMPARE(shortPoll.status, 200);
    QCOMPARE(server->hub()->stats().pollTimeouts, 2);
}

void tst_Server::webSocketPublish()
{
    auto server = startServer(quietConfig());
    WsClient ws(server->port());
    SseClient sse(server->port());
    QVERIFY(ws.waitOpen());
    QVERIFY(sse.waitOpen());
    ws.socket.sendTextMessage(
            QStringLiteral("{\"type\":\"chat\",\"from\":\"ws\",\"text\":\"over the socket\",\"clientTs\":1234567}"));
    QVERIFY(ws.waitMessages(1));
    QCOMPARE(ws.messages[0].text, QStringLiteral("over the socket"));
    QCOMPARE(ws.messages[0].from, QStringLiteral("ws"));
    QCOMPARE(ws.messages[0].clientTs.toInteger(), 1234567);
    QVERIFY(sse.waitEvents(1));
    QCOMPARE(sse.messages()[0], ws.messages[0]);
}

static QByteArray publishBody(const QString &from, const QString &text, const QString &clientMsgId)
{
    PublishRequest p;
    p.from = from;
    p.text = text;
    p.clientMsgId = clientMsgId;
    return MessageCodec::encodePublish(p);
}

// A retry of a publish whose answer was lost: the same clientMsgId from the same sender is in the
// log once, and the repeat is answered like the original, with the original id.
void tst_Server::repeatedClientMsgIdPublishesOnce()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    const QList<QByteArray> json { "Content-Type: application/json" };
    const QByteArray body = publishBody(QStringLiteral("ann"), QStringLiteral("once"), QStringLiteral("c-1"));
    const RawResponse first = request(port, "POST", "/send", body, json);
    QCOMPARE(first.status, 202);
    QCOMPARE(first.json().value(QLatin1String("id")).toInteger(), 1);
    QCOMPARE(first.json().value(QLatin1String("clientMsgId")).toString(), QStringLiteral("c-1"));
    QVERIFY(!first.json().contains(QLatin1String("duplicate")));

    const RawResponse repeat = request(port, "POST", "/send", body, json);
    QCOMPARE(repeat.status, 202);
    QCOMPARE(repeat.json().value(QLatin1String("id")).toInteger(), 1);
    QCOMPARE(repeat.json().value(QLatin1String("epoch")).toString(), server->hub()->log().epoch());
    QCOMPARE(repeat.json().value(QLatin1String("clientMsgId")).toString(), QStringLiteral("c-1"));
    QCOMPARE(repeat.json().value(QLatin1String("duplicate")).toBool(), true);

    // Another sender's clientMsgId is another message; no clientMsgId, no dedup.
    const QByteArray bobs = publishBody(QStringLiteral("bob"), QStringLiteral("mine"), QStringLiteral("c-1"));
    QCOMPARE(request(port, "POST", "/send", bobs, json).json().value(QLatin1String("id")).toInteger(), 2);
    QCOMPARE(publish(port, QStringLiteral("plain")), 3u);
    QCOMPARE(publish(port, QStringLiteral("plain")), 4u);

    const QList<Message> kept = pollMessages(request(port, "GET", "/poll?after=0"));
    QCOMPARE(ids(kept), (QList<quint64> { 1, 2, 3, 4 }));
    // The message carries its clientMsgId, so that its sender recognises it coming back.
    QCOMPARE(kept[0].clientMsgId, QStringLiteral("c-1"));
    QCOMPARE(kept[0].text, QStringLiteral("once"));
    QCOMPARE(kept[1].from, QStringLiteral("bob"));
    QVERIFY(kept[2].clientMsgId.isEmpty());
    const QJsonObject stats = request(port, "GET", "/stats").json();
    QCOMPARE(stats.value(QLatin1String("published")).toInteger(), 4);
    QCOMPARE(stats.value(QLatin1String("duplicatePublishes")).toInteger(), 1);
}

void tst_Server::webSocketRepeatedClientMsgIdPublishesOnce()
{
    auto server = startServer(quietConfig());
    WsClient ws(server->port());
    QVERIFY(ws.waitOpen());
    const QString body = QString::fromUtf8(
            publishBody(QStringLiteral("ws"), QStringLiteral("over the socket"), QStringLiteral("w-1")));
    ws.socket.sendTextMessage(body);
    QVERIFY(ws.waitMessages(1));
    QCOMPARE(ws.messages[0].id, 1u);
    QCOMPARE(ws.messages[0].clientMsgId, QStringLiteral("w-1"));

    // The repeat is answered like the original: the original message, same id, on this socket. A
    // message after it on the same socket is published after it (frames are handled in order).
    ws.socket.sendTextMessage(body);
    ws.socket.sendTextMessage(QStringLiteral("{\"from\":\"ws\",\"text\":\"next\"}"));
    QVERIFY(ws.waitMessages(3));
    QCOMPARE(ids(ws.messages), (QList<quint64> { 1, 1, 2 }));
    QCOMPARE(ws.messages[1], ws.messages[0]);
    // In the log once: a socket that resumes from before it gets it once, in order.
    WsClient late(server->port(), QStringLiteral("?after=0"));
    QVERIFY(late.waitOpen());
    QVERIFY(late.waitMessages(2));
    QCOMPARE(ids(late.messages), (QList<quint64> { 1, 2 }));
    QCOMPARE(ids(pollMessages(request(server->port(), "GET", "/poll?after=0"))), (QList<quint64> { 1, 2 }));
    QCOMPARE(server->hub()->stats().duplicatePublishes, 1);
}

void tst_Server::badInput_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("closes");

    const QByteArray host = "Host: 127.0.0.1\r\n";
    auto post = [&](const QByteArray &body, const QByteArray &extra = {}) {
        return "POST /send HTTP/1.1\r\n" + host + extra + "Content-Length: " + QByteArray::number(body.size())
                + "\r\n\r\n" + body;
    };
    QTest::newRow("head over 16 KiB") << "GET /healthz HTTP/1.1\r\n" + host + "X-Big: " + QByteArray(16 * 1024, 'a')
                    + "\r\n\r\n" << 431
                                      << true;
    QTest::newRow("body over 64 KiB") << "POST /send HTTP/1.1\r\n" + host + "Content-Length: 70000\r\n\r\n"
                                      << 413 << true;
    QTest::newRow("chat text over 16 KiB")
            << post("{\"type\":\"chat\",\"from\":\"a\",\"text\":\"" + QByteArray(16 * 1024 + 1, 'x') + "\"}") << 413
            << false;
    QTest::newRow("malformed JSON") << post("{\"type\":\"chat\",") << 400 << false;
    QTest::newRow("missing text") << post("{\"type\":\"chat\",\"from\":\"a\"}") << 400 << false;
    QTest::newRow("wrong type") << post("{\"type\":\"tick\",\"from\":\"a\",\"text\":\"b\"}") << 400 << false;
    QTest::newRow("clientMsgId over 64 characters")
            << post("{\"from\":\"a\",\"text\":\"b\",\"clientMsgId\":\"" + QByteArray(65, 'c') + "\"}") << 400 << false;
    QTest::newRow("clientMsgId not a string")
            << post("{\"from\":\"a\",\"text\":\"b\",\"clientMsgId\":7}") << 400 << false;
    QTest::newRow("unknown path") << "GET /nope HTTP/1.1\r\n" + host + "\r\n" << 404 << false;
    QTest::newRow("GET on /send") << "GET /send HTTP/1.1\r\n" + host + "\r\n" << 405 << false;
    QTest::newRow("POST on /events") << post("{}").replace("/send", "/events") << 405 << false;
    QTest::newRow("Content-Length and Transfer-Encoding")
            << "POST /send HTTP/1.1\r\n" + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            << 400 << true;
    QTest::newRow("two Content-Length") << "POST /send HTTP/1.1\r\n" + host
                    + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
                                        << 400 << true;
    QTest::newRow("garbage on 2 lines") << QByteArray("\x01\x02 nonsense\r\nmore\r\n\r\n") << 400 << true;
    QTest::newRow("after is not a number") << "GET /poll?after=abc HTTP/1.1\r\n" + host + "\r\n" << 400 << false;
    QTest::newRow("timeout is negative") << "GET /poll?after=0&timeout=-1 HTTP/1.1\r\n" + host + "\r\n" << 400 << false;
    QTest::newRow("malformed Last-Event-ID") << "GET /events HTTP/1.1\r\n" + host + "Last-Event-ID: x:y\r\n\r\n"
                                             << 400 << false;
    QTest::newRow("publish from a foreign Origin")
            << post("{\"type\":\"chat\",\"from\":\"a\",\"text\":\"b\"}", "Origin: http://evil.example\r\n") << 403
            << false;
    QTest::newRow("plain GET on /ws") << "GET /ws HTTP/1.1\r\n" + host + "\r\n" << 426 << false;
    QTest::newRow("WebSocket from a foreign Origin") << wsHandshake(0, "/ws", "http://evil.example") << 403 << true;

    // Strict HTTP (RFC 9112 §3.2, RFC 9110 §5.1): a request that could be read two ways is refused.
    QTest::newRow("HTTP/1.1 without Host") << QByteArray("GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n") << 400 << true;
    QTest::newRow("two Host headers") << "GET /healthz HTTP/1.1\r\n" + host + "Host: attacker.example\r\n\r\n"
                                      << 400 << true;
    QTest::newRow("space inside a header name") << "GET /healthz HTTP/1.1\r\n" + host + "X Forwarded-For: a\r\n\r\n"
                                                << 400 << true;
    QTest::newRow("space before a header's colon")
            << QByteArray("GET /healthz HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n") << 400 << true;
    QTest::newRow("two Origin headers") << post("{\"from\":\"a\",\"text\":\"b\"}",
                                                "Origin: http://127.0.0.1\r\nOrigin: http://evil.example\r\n")
                                        << 400 << true;
    QTest::newRow("two Transfer-Encoding") << "POST /send HTTP/1.1\r\n" + host
                    + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                                           << 400 << true;
    QTest::newRow("chunk extension over 80 KiB") << "POST /send HTTP/1.1\r\n" + host
                    + "Transfer-Encoding: chunked\r\n\r\n1;x=" + QByteArray(81 * 1024, 'e')
                    + "\r\na\r\n0\r\n\r\n" << 413 << true;
    QTest::newRow("two Sec-WebSocket-Key")
            << wsHandshake(0, "/ws").replace("\r\n\r\n", "\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n")
            << 400 << true;
    QTest::newRow("two Sec-WebSocket-Version")
            << wsHandshake(0, "/ws").replace("\r\n\r\n", "\r\nSec-WebSocket-Version: 13\r\n\r\n") << 400 << true;
    // Strict JSON: what one strict client could not read is not published to all of them.
    QTest::newRow("lone surrogate in text") << post("{\"from\":\"a\",\"text\":\"x\\ud800\"}") << 400 << false;
    QTest::newRow("lone surrogate in from") << post("{\"from\":\"\\udc00a\",\"text\":\"x\"}") << 400 << false;
    QTest::newRow("NUL in from") << post("{\"from\":\"a\\u0000b\",\"text\":\"x\"}") << 400 << false;
    QTest::newRow("raw NUL in from") << post(QByteArray("{\"from\":\"a") + '\0' + "b\",\"text\":\"x\"}") << 400
                                     << false;
    QTest::newRow("bidi override in from") << post("{\"from\":\"a\\u202eb\",\"text\":\"x\"}") << 400 << false;
    QTest::newRow("NUL in text") << post("{\"from\":\"a\",\"text\":\"x\\u0000\"}") << 400 << false;
    QTest::newRow("timeout NaN") << "GET /poll?after=0&timeout=nan HTTP/1.1\r\n" + host + "\r\n" << 400 << false;
    QTest::newRow("after over 2^64") << "GET /poll?after=18446744073709551616 HTTP/1.1\r\n" + host + "\r\n"
                                     << 400 << false;
    QTest::newRow("after twice") << "GET /poll?after=0&after=5 HTTP/1.1\r\n" + host + "\r\n" << 400 << false;
}

void tst_Server::badInput()
{
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    QFETCH(bool, closes);
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    QCOMPARE(publish(port, QStringLiteral("accepted before")), 1u);

    RawHttp http(port);
    QVERIFY(http.connected());
    http.send(raw);
    RawResponse r;
    QVERIFY(http.read(&r));
    QCOMPARE(r.status, status);
    // Errors are JSON that says why.
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
    QCOMPARE(r.json().value(QLatin1String("status")).toInt(), status);
    QVERIFY(!r.json().value(QLatin1String("error")).toString().isEmpty());
    if (closes) {
        QVERIFY(http.waitClosed());
    } else {
        // The connection stays usable.
        http.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        RawResponse again;
        QVERIFY(http.read(&again));
        QCOMPARE(again.status, 200);
    }
    // Nothing already accepted is lost, and the server keeps serving.
    const RawResponse replay = request(port, "GET", "/poll?after=0");
    QCOMPARE(ids(pollMessages(replay)), QList<quint64> { 1 });
    QCOMPARE(publish(port, QStringLiteral("accepted after")), 2u);
}

void tst_Server::webSocketBadInput_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("closeCode"); // 0: stays open, with an error frame

    const QString big = QString(70 * 1024, QLatin1Char('x'));
    QTest::newRow("message over 64 KiB") << big << false << 1009;
    QTest::newRow("chat text over 16 KiB")
            << QStringLiteral("{\"type\":\"chat\",\"from\":\"a\",\"text\":\"%1\"}").arg(QString(17 * 1024, u'y'))
            << false << 1009;
    QTest::newRow("binary frame") << QString() << true << 1003;
    QTest::newRow("malformed JSON") << QStringLiteral("{not json") << false << 0;
    QTest::newRow("missing from") << QStringLiteral("{\"type\":\"chat\",\"text\":\"x\"}") << false << 0;
    QTest::newRow("clientMsgId over 64 characters")
            << QStringLiteral("{\"from\":\"a\",\"text\":\"x\",\"clientMsgId\":\"%1\"}").arg(QString(65, u'c')) << false
            << 0;
    QTest::newRow("lone surrogate in text") << QStringLiteral("{\"from\":\"a\",\"text\":\"x\\ud800\"}") << false << 0;
    QTest::newRow("lone surrogate in clientMsgId")
            << QStringLiteral("{\"from\":\"a\",\"text\":\"x\",\"clientMsgId\":\"k\\udfff\"}") << false << 0;
    QTest::newRow("NUL in from") << QStringLiteral("{\"from\":\"a\\u0000\",\"text\":\"x\"}") << false << 0;
    QTest::newRow("bidi override in from") << QStringLiteral("{\"from\":\"\\u202ea\",\"text\":\"x\"}") << false << 0;
    QTest::newRow("NUL in text") << QStringLiteral("{\"from\":\"a\",\"text\":\"\\u0000\"}") << false << 0;
}

void tst_Server::webSocketBadInput()
{
    QFETCH(QString, text);
    QFETCH(bool, binary);
    QFETCH(int, closeCode);
    auto server = startServer(quietConfig());
    publish(server->port(), QStringLiteral("accepted before"));
    WsClient ws(server->port());
    QVERIFY(ws.waitOpen());
    if (binary)
        ws.socket.sendBinaryMessage(QByteArray("\x01\x02", 2));
    else
        ws.socket.sendTextMessage(text);
    if (closeCode) {
        QVERIFY(ws.waitClosed());
        QCOMPARE(int(ws.closeCode), closeCode);
    } else {
        QVERIFY(QTest::qWaitFor([&] { return !ws.texts.isEmpty(); }, WaitMs));
        const QJsonObject error = QJsonDocument::fromJson(ws.texts[0].toUtf8()).object();
        QCOMPARE(error.value(QLatin1String("type")).toString(), QStringLiteral("error"));
        QCOMPARE(error.value(QLatin1String("status")).toInt(), 400);
        // Still open: a good message goes through.
        ws.socket.sendTextMessage(QStringLiteral("{\"type\":\"chat\",\"from\":\"a\",\"text\":\"fine\"}"));
        QVERIFY(ws.waitMessages(1));
        QCOMPARE(ws.messages.last().text, QStringLiteral("fine"));
    }
    const RawResponse replay = request(server->port(), "GET", "/poll?after=0");
    QCOMPARE(pollMessages(replay).value(0).text, QStringLiteral("accepted before"));
}

void tst_Server::webSocketOrigin_data()
{
    QTest::addColumn<QString>("origin");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("no Origin (a native client)") << QString() << true;
    QTest::newRow("same origin") << QStringLiteral("http://127.0.0.1:%1") << true;
    QTest::newRow("allowed by --allow-origin") << QStringLiteral("http://friend.example") << true;
    QTest::newRow("foreign") << QStringLiteral("http://evil.example") << false;
}

void tst_Server::webSocketOrigin()
{
    QFETCH(QString, origin);
    QFETCH(bool, accepted);
    ServerConfig config = quietConfig();
    config.allowOrigins = { QStringLiteral("http://friend.example") };
    auto server = startServer(config);
    if (origin.contains(u'%'))
        origin = origin.arg(server->port());
    WsClient ws(server->port(), {}, origin);
    QCOMPARE(ws.waitOpen(), accepted);
    QCOMPARE(server->hub()->stats().rejectedOrigin, accepted ? 0 : 1);
}

void tst_Server::sseHeartbeats()
{
    ServerConfig config = quietConfig();
    config.heartbeatMs = 50;
    auto server = startServer(config);
    SseClient sse(server->port());
    QVERIFY(sse.waitOpen());
    QVERIFY(QTest::qWaitFor([&] { return sse.parser.commentCount() >= 3; }, WaitMs));
    QVERIFY(sse.events.isEmpty()); // a heartbeat dispatches nothing
    QVERIFY(sse.raw.contains("\r\n\r\nretry: 1000\n\n"));
    QVERIFY(sse.raw.contains("\n: hb\n"));
    QCOMPARE(sse.parser.retry(), std::optional<qint64>(1000));
}

void tst_Server::webSocketPingsAndDeadPeer()
{
    ServerConfig config = quietConfig();
    // Generous against a loaded machine: the live client has two whole intervals to answer.
    config.heartbeatMs = 400;
    auto server = startServer(config);
    // A live client answers pings (QWebSocket does) and stays.
    WsClient live(server->port());
    QVERIFY(live.waitOpen());
    // A dead one: a raw socket that completes the handshake and then never answers.
    RawHttp dead(server->port());
    dead.send(wsHandshake(server->port(), "/ws"));
    QByteArray seen;
    const bool gotPing = QTest::qWaitFor(
            [&] {
                seen += dead.socket().readAll();
                const qsizetype head = seen.indexOf("\r\n\r\n");
                return head >= 0 && seen.indexOf(char(0x89), head + 4) >= 0; // FIN + ping opcode
            },
            WaitMs);
    QVERIFY(gotPing);
    QVERIFY(seen.startsWith("HTTP/1.1 101"));
    QVERIFY(dead.waitClosed());
    QCOMPARE(server->hub()->stats().heartbeatTimeouts, 1);
    QCOMPARE(live.socket.state(), QAbstractSocket::ConnectedState);
}

void tst_Server::keepAliveAndPipelining()
{
    auto server = startServer(quietConfig());
    RawHttp http(server->port());
    // Two requests in one write: answered in order on the same connection.
    const QByteArray body = "{\"type\":\"chat\",\"from\":\"p\",\"text\":\"pipelined\"}";
    http.send("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + QByteArray::number(body.size())
              + "\r\n\r\n" + body
              + "GET /poll?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    RawResponse a, b, c;
    QVERIFY(http.read(&a));
    QVERIFY(http.read(&b));
    QVERIFY(http.read(&c));
    QCOMPARE(a.status, 202);
    QCOMPARE(b.status, 200);
    QCOMPARE(pollMessages(b).value(0).text, QStringLiteral("pipelined"));
    QCOMPARE(c.status, 200);
    QCOMPARE(c.json().value(QLatin1String("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(server->hub()->stats().other.connectionsTotal, 1);
    // HTTP/1.0 and Connection: close end the connection after the answer.
    http.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(http.read(&a));
    QCOMPARE(a.header("connection"), QByteArray("close"));
    QVERIFY(http.waitClosed());
}

void tst_Server::slowReaderIsCutAndResumes()
{
    ServerConfig config = quietConfig();
    config.maxPendingBytes = 64 * 1024;
    auto server = startServer(config);
    const QString epoch = server->hub()->log().epoch();
    // A reader that stops reading: Qt stops pulling from the kernel once its 1 KiB buffer is full.
    QTcpSocket slow;
    slow.setReadBufferSize(1024);
    slow.connectToHost(QHostAddress::LocalHost, server->port());
    slow.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::Sse).connections, 1, WaitMs);
    SseClient healthy(server->port());
    QVERIFY(healthy.waitOpen());

    PublishRequest p;
    p.from = QStringLiteral("load");
    p.text = QString(8 * 1024, u'z');
    int published = 0;
    // Bounded: the kernel's socket buffers hold a few MiB at most.
    while (server->hub()->stats().slowReadersCut == 0 && published < 4000) {
        server->hub()->publish(p);
        ++published;
        QCoreApplication::processEvents();
    }
    QCOMPARE(server->hub()->stats().slowReadersCut, 1);
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::Sse).connections, 1, WaitMs);
    // The healthy reader got every message, in order.
    QVERIFY(healthy.waitEvents(published));
    QList<quint64> expected;
    for (int i = 1; i <= published; ++i)
        expected.append(quint64(i));
    QCOMPARE(ids(healthy.messages()), expected);
    // The cut reader resumes from an id it had, with no gap and no repeat.
    SseClient resumed(server->port(), "/events", { "Last-Event-ID: " + epoch.toUtf8() + ":5" });
    const bool all = resumed.waitEvents(published - 5);
    if (!all)
        qWarning() << "published" << published << "resumed got" << resumed.events.size() << "cut"
                   << server->hub()->stats().slowReadersCut << resumed.raw.left(300);
    QVERIFY(all);
    QCOMPARE(ids(resumed.messages()), expected.mid(5));
}

void tst_Server::sseTextCannotInjectFields()
{
    auto server = startServer(quietConfig());
    SseClient sse(server->port());
    QVERIFY(sse.waitOpen());
    const QString text = QStringLiteral("line one\n\nid: 999\nevent: evil\r\ndata: forged\rretry: 1");
    QCOMPARE(publish(server->port(), text), 1u);
    QCOMPARE(publish(server->port(), QStringLiteral("after")), 2u);
    QVERIFY(sse.waitEvents(2));
    QCOMPARE(sse.events.size(), 2);
    QCOMPARE(sse.events[0].type, QStringLiteral("chat"));
    QCOMPARE(sse.messages()[0].text, text);
    QCOMPARE(sse.events[0].lastEventId, server->hub()->log().epoch() + QStringLiteral(":1"));
    QCOMPARE(sse.parser.retry(), std::optional<qint64>(1000));
}

void tst_Server::sseReplaysLargeHistoryInOrder()
{
    auto server = startServer(quietConfig());
    PublishRequest p;
    p.from = QStringLiteral("bulk");
    p.text = QString(1024, u'r');
    const int n = 3000; // ~3.5 MB of SSE: far more than one write's worth
    for (int i = 0; i < n; ++i)
        server->hub()->publish(p);
    SseClient sse(server->port(), "/events", { "Last-Event-ID: " + server->hub()->log().epoch().toUtf8() + ":0" });
    QVERIFY(sse.waitEvents(n));
    QList<quint64> expected;
    for (int i = 1; i <= n; ++i)
        expected.append(quint64(i));
    QCOMPARE(ids(sse.messages()), expected);
    QCOMPARE(server->hub()->stats().slowReadersCut, 0);
}

void tst_Server::ticksDescribeTheServer()
{
    ServerConfig config = quietConfig();
    config.tickRate = 50;
    auto server = startServer(config);
    SseClient sse(server->port());
    QVERIFY(sse.waitOpen());
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const Message &m : sse.messages())
                    if (m.type == MessageType::Tick
                        && m.data.value(QLatin1String("connections")).toObject().value(QLatin1String("sse")).toInteger()
                                == 1)
                        return true;
                return false;
            },
            WaitMs));
    const Message tick = sse.messages().constLast();
    QCOMPARE(sse.events.constLast().type, QStringLiteral("tick"));
    for (const char *key : { "connections", "held", "messagesPerSec", "bytesOut", "rss" })
        QVERIFY2(tick.data.contains(QLatin1String(key)), key);
    QVERIFY(tick.data.value(QLatin1String("rss")).toInteger() > 0);
    QVERIFY(tick.id > 0);
}

void tst_Server::statsAndHealth()
{
    auto server = startServer(quietConfig());
    SseClient sse(server->port());
    QVERIFY(sse.waitOpen());
    publish(server->port(), QStringLiteral("counted"));
    QVERIFY(sse.waitEvents(1));
    const RawResponse r = request(server->port(), "GET", "/stats");
    QCOMPARE(r.status, 200);
    const QJsonObject stats = r.json();
    QCOMPARE(stats.value(QLatin1String("published")).toInteger(), 1);
    QCOMPARE(stats.value(QLatin1String("epoch")).toString(), server->hub()->log().epoch());
    const QJsonObject sseStats =
            stats.value(QLatin1String("transports")).toObject().value(QLatin1String("sse")).toObject();
    QCOMPARE(sseStats.value(QLatin1String("connections")).toInteger(), 1);
    QCOMPARE(sseStats.value(QLatin1String("messages")).toInteger(), 1);
    QVERIFY(sseStats.value(QLatin1String("bytesOut")).toInteger() > 0);
    QVERIFY(stats.value(QLatin1String("rss")).toInteger() > 0);
    QVERIFY(stats.value(QLatin1String("transports")).toObject().contains(QLatin1String("lp")));
    QVERIFY(stats.value(QLatin1String("transports")).toObject().contains(QLatin1String("ws")));
    const RawResponse health = request(server->port(), "GET", "/healthz");
    QCOMPARE(health.status, 200);
    QCOMPARE(health.json().value(QLatin1String("lastId")).toInteger(), 1);
}

void tst_Server::statsListsConnectedClients()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    SseClient sse(port);
    QVERIFY(sse.waitOpen());
    WsClient ws(port);
    QVERIFY(ws.waitOpen());
    // A long-polling client: one keep-alive connection, polled twice.
    RawHttp lp(port);
    QVERIFY(lp.connected());
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n\r\n";
    lp.send("GET /poll HTTP/1.1\r\n" + host);
    RawResponse first;
    QVERIFY(lp.read(&first));
    const qint64 cursor = first.json().value(QLatin1String("cursor")).toInteger();
    QVERIFY(publish(port, QStringLiteral("to everyone")) > 0);
    QVERIFY(sse.waitEvents(1));
    QVERIFY(ws.waitMessages(1));
    lp.send("GET /poll?after=" + QByteArray::number(cursor) + " HTTP/1.1\r\n" + host);
    RawResponse second;
    QVERIFY(lp.read(&second));
    QCOMPARE(pollMessages(second).size(), 1);
    const qint64 after = QDateTime::currentMSecsSinceEpoch();

    // Without the parameter: no list (the dashboards that poll /stats pay nothing for it).
    QVERIFY(!request(port, "GET", "/stats").json().contains(QLatin1String("clients")));

    const QJsonObject stats = request(port, "GET", "/stats?clients=1").json();
    QCOMPARE(stats.value(QLatin1String("clientsTruncated")).toInteger(), 0);
    const QJsonArray clients = stats.value(QLatin1String("clients")).toArray();
    QCOMPARE(clients.size(), 3); // the /stats requests themselves are no clients
    const QMap<QString, quint16> localPorts { { QStringLiteral("sse"), sse.socket.localPort() },
                                              { QStringLiteral("ws"), ws.socket.localPort() },
                                              { QStringLiteral("lp"), lp.socket().localPort() } };
    QSet<QString> seen;
    for (const QJsonValue &v : clients) {
        const QJsonObject c = v.toObject();
        const QString transport = c.value(QLatin1String("transport")).toString();
        QVERIFY2(localPorts.contains(transport), qPrintable(transport));
        seen.insert(transport);
        QCOMPARE(c.value(QLatin1String("peer")).toString(),
                 QStringLiteral("127.0.0.1:%1").arg(localPorts.value(transport)));
        QCOMPARE(c.value(QLatin1String("messages")).toInteger(), 1);
        const qint64 since = c.value(QLatin1String("since")).toInteger();
        QVERIFY2(since >= before - 5 && since <= after + 5, qPrintable(QString::number(since - before)));
    }
    QCOMPARE(seen.size(), 3);

    // At most `limit`, and how many more.
    const QJsonObject one = server->hub()->statsSnapshot(1).toJson();
    QCOMPARE(one.value(QLatin1String("clients")).toArray().size(), 1);
    QCOMPARE(one.value(QLatin1String("clientsTruncated")).toInteger(), 2);

    // A client that leaves leaves the list.
    sse.socket.abort();
    QVERIFY(QTest::qWaitFor(
            [&] {
                return request(port, "GET", "/stats?clients=1").json().value(QLatin1String("clients")).toArray().size()
                        == 2;
            },
            WaitMs));
    lp.socket().abort();
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QJsonArray left =
                        request(port, "GET", "/stats?clients=1").json().value(QLatin1String("clients")).toArray();
                return left.size() == 1 && left.at(0).toObject().value(QLatin1String("transport")).toString() == u"ws";
            },
            WaitMs));
}

// A client that polls traditionally says `mode=short`: its connection, requests and messages
// count under "poll", not long polling's "lp", in /stats, the tick and the clients list.
void tst_Server::shortPollingIsCountedApart()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n\r\n";
    RawHttp shortPoller(port);
    QVERIFY(shortPoller.connected());
    shortPoller.send("GET /poll?mode=short HTTP/1.1\r\n" + host);
    RawResponse first;
    QVERIFY(shortPoller.read(&first));
    const qint64 cursor = first.json().value(QLatin1String("cursor")).toInteger();
    QVERIFY(publish(port, QStringLiteral("one")) > 0);
    shortPoller.send("GET /poll?after=" + QByteArray::number(cursor) + "&mode=short&timeout=0 HTTP/1.1\r\n" + host);
    RawResponse second;
    QVERIFY(shortPoller.read(&second));
    QCOMPARE(pollMessages(second).size(), 1);
    RawHttp longPoller(port);
    QVERIFY(longPoller.connected());
    longPoller.send("GET /poll HTTP/1.1\r\n" + host);
    RawResponse third;
    QVERIFY(longPoller.read(&third));

    const QJsonObject stats = request(port, "GET", "/stats?clients=1").json();
    const QJsonObject transports = stats.value(QLatin1String("transports")).toObject();
    const QJsonObject poll = transports.value(QLatin1String("poll")).toObject();
    const QJsonObject lp = transports.value(QLatin1String("lp")).toObject();
    QCOMPARE(poll.value(QLatin1String("connections")).toInteger(), 1);
    QCOMPARE(poll.value(QLatin1String("requests")).toInteger(), 2);
    QCOMPARE(poll.value(QLatin1String("messages")).toInteger(), 1);
    QVERIFY(poll.value(QLatin1String("bytesOut")).toInteger() > 0);
    QCOMPARE(lp.value(QLatin1String("connections")).toInteger(), 1);
    QCOMPARE(lp.value(QLatin1String("requests")).toInteger(), 1);
    QMap<QString, int> listed;
    for (const QJsonValue &v : stats.value(QLatin1String("clients")).toArray())
        listed[v.toObject().value(QLatin1String("transport")).toString()]++;
    QCOMPARE(listed.value(QStringLiteral("poll")), 1);
    QCOMPARE(listed.value(QStringLiteral("lp")), 1);
    QCOMPARE(server->hub()
                     ->tickData()
                     .toJson()
                     .value(QLatin1String("connections"))
                     .toObject()
                     .value(QLatin1String("poll"))
                     .toInteger(),
             1);

    shortPoller.socket().abort();
    QVERIFY(QTest::qWaitFor(
            [&] {
                return request(port, "GET", "/stats")
                               .json()[QLatin1String("transports")][QLatin1String("poll")][QLatin1String("connections")]
                               .toInteger()
                        == 0;
            },
            WaitMs));
}

void tst_Server::headOptionsAndCors()
{
    ServerConfig config = quietConfig();
    config.allowOrigins = { QStringLiteral("http://friend.example") };
    auto server = startServer(config);
    const quint16 port = server->port();
    RawHttp head(port);
    head.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray raw;
    QVERIFY(QTest::qWaitFor(
            [&] {
                raw += head.socket().readAll();
                return raw.count("HTTP/1.1 200") == 2 && raw.endsWith("}");
            },
            WaitMs));
    // HEAD: the length of the body that GET would send, and no body: the GET's answer follows.
    const qsizetype firstHeadEnd = raw.indexOf("\r\n\r\n");
    QVERIFY(raw.left(firstHeadEnd).contains("Content-Length: "));
    QVERIFY(raw.mid(firstHeadEnd + 4).startsWith("HTTP/1.1 200"));

    const RawResponse preflight = request(port, "OPTIONS", "/send", {},
                                          { "Origin: http://friend.example", "Access-Control-Request-Method: POST" });
    QCOMPARE(preflight.status, 204);
    QCOMPARE(preflight.header("access-control-allow-origin"), QByteArray("http://friend.example"));
    QVERIFY(preflight.header("access-control-allow-methods").contains("POST"));
    const RawResponse foreign = request(port, "OPTIONS", "/send", {}, { "Origin: http://evil.example" });
    QCOMPARE(foreign.status, 403);
    const RawResponse poll = request(port, "GET", "/poll", {}, { "Origin: http://friend.example" });
    QCOMPARE(poll.header("access-control-allow-origin"), QByteArray("http://friend.example"));
    QCOMPARE(request(port, "GET", "/poll", {}, { "Origin: http://evil.example" }).header("access-control-allow-origin"),
             QByteArray());
    QCOMPARE(request(port, "GET", "/healthz").header("x-content-type-options"), QByteArray("nosniff"));
}

// HEAD on every resource, on both cores: the head GET would have and no body, at once (a poll GET
// would hold and an event stream GET would begin are answered too), and the connection goes on:
// a GET pipelined behind the HEAD is answered next, read as the client expects it.
void tst_Server::headAnswersTheHeadAlone_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("sameLength"); // whether GET's Content-Length is known to be the same

    QTest::newRow("/") << QByteArray("/") << 200 << true;
    QTest::newRow("a static file") << QByteArray("/app.js") << 200 << true;
    QTest::newRow("/poll with a message") << QByteArray("/poll?after=0") << 200 << true;
    QTest::newRow("/poll at the live end, which GET holds") << QByteArray("/poll?after=1") << 200 << false;
    QTest::newRow("/poll, bad after") << QByteArray("/poll?after=x") << 400 << true;
    QTest::newRow("/events") << QByteArray("/events") << 200 << false;
    QTest::newRow("/events resuming") << QByteArray("/events?lastEventId=0") << 200 << false;
    QTest::newRow("/stats") << QByteArray("/stats") << 200 << false;
    QTest::newRow("/healthz") << QByteArray("/healthz") << 200 << true;
    QTest::newRow("/ws without an upgrade") << QByteArray("/ws") << 426 << true;
    QTest::newRow("/send") << QByteArray("/send") << 405 << true;
    QTest::newRow("a 404") << QByteArray("/nope") << 404 << true;
}

void tst_Server::headAnswersTheHeadAlone()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(bool, sameLength);

    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    QCOMPARE(publish(port, QStringLiteral("one")), 1u);
    RawHttp http(port);
    QVERIFY(http.connected());
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    http.send("HEAD " + target + " HTTP/1.1\r\n" + host + "\r\nGET /healthz HTTP/1.1\r\n" + host + "\r\n");
    // Everything up to the end of the GET's answer: a HEAD answered with a body (or held, or
    // streamed) puts other bytes before it, or never lets it come.
    QByteArray raw;
    QVERIFY2(QTest::qWaitFor(
                     [&] {
                         raw += http.socket().readAll();
                         const qsizetype second = raw.indexOf("\r\n\r\nHTTP/1.1 200");
                         return second >= 0 && raw.endsWith("}");
                     },
                     WaitMs),
             raw.left(300).constData());
    const qsizetype headEnd = raw.indexOf("\r\n\r\n");
    const QByteArray head = raw.left(headEnd);
    QVERIFY2(head.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), head.constData());
    QVERIFY2(raw.mid(headEnd + 4).startsWith("HTTP/1.1 200 OK\r\n"), "a body followed the HEAD's head");
    QVERIFY2(!head.contains("Connection: close"), head.constData());
    QVERIFY(http.socket().state() == QAbstractSocket::ConnectedState);
    // Nothing held, nothing streaming: the HEAD left no session behind.
    QCOMPARE(server->hub()->sessionCount(), 0);
    const RawResponse get = request(port, "GET", target == "/poll?after=1" ? "/poll?after=1&timeout=0" : target);
    QCOMPARE(get.status, status);
    const QByteArray length = QRegularExpression(QStringLiteral("\r\nContent-Length: (\\d+)"))
                                      .match(QString::fromLatin1(head))
                                      .captured(1)
                                      .toLatin1();
    if (sameLength)
        QCOMPARE(length, QByteArray::number(get.body.size()));
    if (target.startsWith("/events"))
        QVERIFY2(length.isEmpty(), "an event stream has no length");
    else
        QVERIFY2(!length.isEmpty(), head.constData());
}

void tst_Server::gracefulShutdown()
{
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    WsClient ws(port);
    SseClient sse(port);
    QVERIFY(ws.waitOpen());
    QVERIFY(sse.waitOpen());
    RawHttp poll(port);
    poll.send("GET /poll?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::LongPoll).held, 1, WaitMs);
    RawHttp idle(port);
    idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    RawResponse idleAnswer;
    QVERIFY(idle.read(&idleAnswer));

    QSignalSpy finished(server.get(), &Server::finished);
    server->shutdown();
    RawResponse pollAnswer;
    QVERIFY(poll.read(&pollAnswer));
    QCOMPARE(pollAnswer.status, 200);
    QCOMPARE(pollAnswer.json().value(QLatin1String("messages")).toArray().size(), 0);
    QVERIFY(ws.waitClosed());
    QCOMPARE(ws.closeCode, QWebSocketProtocol::CloseCodeGoingAway);
    QVERIFY(QTest::qWaitFor([&] { return sse.socket.state() == QAbstractSocket::UnconnectedState; }, WaitMs));
    QVERIFY(idle.waitClosed());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, WaitMs);
    // No longer listening.
    QTcpSocket late;
    late.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(QTest::qWaitFor([&] { return late.state() == QAbstractSocket::UnconnectedState; }, WaitMs));
    QCOMPARE(late.error(), QAbstractSocket::ConnectionRefusedError);
}

QTEST_GUILESS_MAIN(tst_Server)
#include "tst_server.moc"
