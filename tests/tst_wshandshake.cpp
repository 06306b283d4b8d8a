// SPDX-License-Identifier: MIT
// WsHandshake: the client's upgrade request byte for byte, RFC 6455's accept example, and the
// server's answer read in every split: upgraded, refused (with the real status), or invalid (and
// which rule). Bytes after the head are the first frames, never the handshake's.

#include "wshandshake.h"

#include <QTest>

#include "splitfeed.h"

using rtlab::WsHandshake;
using State = WsHandshake::State;
using Error = WsHandshake::Error;

Q_DECLARE_METATYPE(State)
Q_DECLARE_METATYPE(Error)

namespace {

const QByteArray RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
const QByteArray RfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct Read
{
    State state = State::Reading;
    Error error = Error::None;
    int status = 0;
    QByteArray reason;
    QByteArray head;
    QByteArray rest; // what feed() said was not the head's
    bool operator==(const Read &) const = default;
};

Read readIn(const QList<QByteArrayView> &pieces, const QByteArray &key = RfcKey)
{
    WsHandshake h(QUrl(QStringLiteral("ws://127.0.0.1:1/ws")), key);
    Read r;
    for (QByteArrayView piece : pieces) {
        const qsizetype used = h.feed(piece);
        r.rest += piece.sliced(used);
    }
    r.state = h.state();
    r.error = h.error();
    r.status = h.status();
    r.reason = h.reasonPhrase();
    r.head = h.head();
    return r;
}

// Whole, at every cut point and a byte at a time: the same reading, returned.
Read readEveryWay(const QByteArray &answer)
{
    return rtlab::test::sameEveryWay(answer, [](const QList<QByteArrayView> &pieces) { return readIn(pieces); });
}

const QByteArray Upgraded = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: "
        + RfcAccept + "\r\n\r\n";

} // namespace

class tst_WsHandshake : public QObject
{
    Q_OBJECT
private slots:
    void rfcAcceptExample();
    void keysAreFreshAndWellFormed();
    void request_data();
    void request();
    void upgradedAnySplit();
    void answers_data();
    void answers();
    void headIsBounded();
    void serverKeyCheck_data();
    void serverKeyCheck();
    void serverAnswerIsReadAsUpgraded();
};

void tst_WsHandshake::rfcAcceptExample()
{
    QCOMPARE(WsHandshake::acceptFor(RfcKey), RfcAccept);
    QCOMPARE(WsHandshake(QUrl(QStringLiteral("ws://h/")), RfcKey).expectedAccept(), RfcAccept);
}

void tst_WsHandshake::keysAreFreshAndWellFormed()
{
    const QByteArray a = WsHandshake::generateKey();
    const QByteArray b = WsHandshake::generateKey();
    QCOMPARE(a.size(), 24);
    const auto decoded = QByteArray::fromBase64Encoding(a, QByteArray::AbortOnBase64DecodingErrors);
    QCOMPARE(decoded.decodingStatus, QByteArray::Base64DecodingStatus::Ok);
    QCOMPARE(decoded.decoded.size(), 16);
    QVERIFY(a != b);
    // A handshake with no key given makes its own.
    const WsHandshake h(QUrl(QStringLiteral("ws://h/")));
    QCOMPARE(h.key().size(), 24);
    QVERIFY(h.request().contains("Sec-WebSocket-Key: " + h.key() + "\r\n"));
}

void tst_WsHandshake::request_data()
{
    QTest::addColumn<QUrl>("url");
    QTest::addColumn<QString>("origin");
    QTest::addColumn<WsHandshake::Headers>("headers");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray tail = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + RfcKey
            + "\r\nSec-WebSocket-Version: 13\r\n";
    QTest::newRow("path, query and port")
            << QUrl(QStringLiteral("ws://127.0.0.1:8080/ws?after=5&epoch=abc")) << QString() << WsHandshake::Headers {}
            << "GET /ws?after=5&epoch=abc HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" + tail + "\r\n";
    QTest::newRow("no path, no port") << QUrl(QStringLiteral("ws://example.com")) << QString()
                                      << WsHandshake::Headers {}
                                      << "GET / HTTP/1.1\r\nHost: example.com\r\n" + tail + "\r\n";
    QTest::newRow("IPv6, wss, origin") << QUrl(QStringLiteral("wss://[::1]:9443/chat#frag"))
                                       << QStringLiteral("http://a.example") << WsHandshake::Headers {}
                                       << "GET /chat HTTP/1.1\r\nHost: [::1]:9443\r\n" + tail
                    + "Origin: http://a.example\r\n\r\n";
    // A client that can set headers on the upgrade (unlike a browser) sends its token there.
    QTest::newRow("a bearer token") << QUrl(QStringLiteral("ws://127.0.0.1:8080/ws")) << QString()
                                    << WsHandshake::Headers { { "Authorization", "Bearer a.b.c" } }
                                    << "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" + tail
                    + "Authorization: Bearer a.b.c\r\n\r\n";
}

void tst_WsHandshake::request()
{
    QFETCH(QUrl, url);
    QFETCH(QString, origin);
    QFETCH(WsHandshake::Headers, headers);
    QFETCH(QByteArray, expected);
    QCOMPARE(WsHandshake(url, RfcKey, origin, WsHandshake::Limits {}, headers).request(), expected);
}

// The server's 101 and, in the same read, the first frames: the head is the handshake's, the
// frame is not. Header names and tokens in any case.
void tst_WsHandshake::upgradedAnySplit()
{
    const QByteArray frame = "\x81\x05Hello";
    const Read r = readEveryWay(Upgraded + frame);
    QCOMPARE(r.state, State::Upgraded);
    QCOMPARE(r.status, 101);
    QCOMPARE(r.reason, QByteArray("Switching Protocols"));
    QCOMPARE(r.head, Upgraded);
    QCOMPARE(r.rest, frame);

    const QByteArray mixed =
            "HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
            "sec-websocket-accept: "
            + RfcAccept + "\r\nServer: x\r\n\r\n";
    WsHandshake h(QUrl(QStringLiteral("ws://h/")), RfcKey);
    QCOMPARE(h.feed(mixed), mixed.size());
    QCOMPARE(h.state(), State::Upgraded);
    QCOMPARE(h.header("Sec-WebSocket-Accept"), RfcAccept);
    QCOMPARE(h.header("server"), QByteArray("x"));
}

void tst_WsHandshake::answers_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<State>("state");
    QTest::addColumn<Error>("error");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("reason");
    const QByteArray upgrade = "Upgrade: websocket\r\n";
    const QByteArray connection = "Connection: Upgrade\r\n";
    const QByteArray accept = "Sec-WebSocket-Accept: " + RfcAccept + "\r\n";
    QTest::newRow("403 refused") << QByteArray("HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nnope")
                                 << State::Refused << Error::None << 403 << QByteArray("Forbidden");
    QTest::newRow("200: not an upgrade") << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>")
                                         << State::Refused << Error::None << 200 << QByteArray("OK");
    QTest::newRow("503 with a longer phrase")
            << QByteArray("HTTP/1.0 503 Service Unavailable\r\n\r\n") << State::Refused << Error::None << 503
            << QByteArray("Service Unavailable");
    QTest::newRow("bare LF lines") << QByteArray("HTTP/1.1 101 Switching Protocols\n" + upgrade.chopped(2) + "\n"
                                                 + connection.chopped(2) + "\n" + accept.chopped(2) + "\n\n")
                                   << State::Upgraded << Error::None << 101 << QByteArray("Switching Protocols");
    QTest::newRow("wrong accept") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + connection
                                                + "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
                                  << State::Invalid << Error::WrongAccept << 101 << QByteArray("Switching Protocols");
    QTest::newRow("no accept") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + connection + "\r\n")
                               << State::Invalid << Error::WrongAccept << 101 << QByteArray("Switching Protocols");
    QTest::newRow("no upgrade") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + connection + accept + "\r\n")
                                << State::Invalid << Error::NoUpgradeHeader << 101 << QByteArray("Switching Protocols");
    QTest::newRow("upgrade to h2c") << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n" + connection
                                                  + accept + "\r\n")
                                    << State::Invalid << Error::NoUpgradeHeader << 101
                                    << QByteArray("Switching Protocols");
    QTest::newRow("no connection") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + accept + "\r\n")
                                   << State::Invalid << Error::NoConnectionUpgrade << 101
                                   << QByteArray("Switching Protocols");
    QTest::newRow("an extension") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + connection + accept
                                                + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
                                  << State::Invalid << Error::UnrequestedExtension << 101
                                  << QByteArray("Switching Protocols");
    QTest::newRow("a subprotocol") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + connection + accept
                                                 + "Sec-WebSocket-Protocol: chat\r\n\r\n")
                                   << State::Invalid << Error::UnrequestedProtocol << 101
                                   << QByteArray("Switching Protocols");
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << State::Invalid << Error::BadStatusLine << 0
                              << QByteArray();
    QTest::newRow("status not a number") << QByteArray("HTTP/1.1 1x1 Nope\r\n\r\n") << State::Invalid
                                         << Error::BadStatusLine << 0 << QByteArray();
    QTest::newRow("empty first line") << QByteArray("\r\nHTTP/1.1 101 x\r\n\r\n") << State::Invalid
                                      << Error::BadStatusLine << 0 << QByteArray();
    QTest::newRow("header without colon")
            << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n") << State::Invalid
            << Error::BadHeaderLine << 101 << QByteArray("Switching Protocols");
    QTest::newRow("folded header") << QByteArray("HTTP/1.1 101 Switching Protocols\r\n" + upgrade + " more\r\n\r\n")
                                   << State::Invalid << Error::BadHeaderLine << 101
                                   << QByteArray("Switching Protocols");
}

void tst_WsHandshake::answers()
{
    QFETCH(QByteArray, answer);
    QFETCH(State, state);
    QFETCH(Error, error);
    QFETCH(int, status);
    QFETCH(QByteArray, reason);
    const Read r = readEveryWay(answer);
    QCOMPARE(r.state, state);
    QCOMPARE(r.error, error);
    QCOMPARE(r.status, status);
    QCOMPARE(r.reason, reason);
    if (state != State::Invalid || error != Error::BadStatusLine) {
        // The head ends at its empty line; a body (or a frame) is not the head's.
        const qsizetype end = answer.contains("\r\n\r\n") ? answer.indexOf("\r\n\r\n") + 4 : answer.indexOf("\n\n") + 2;
        QCOMPARE(r.head, answer.left(end));
        QCOMPARE(r.rest, answer.mid(end));
    }
    WsHandshake h(QUrl(QStringLiteral("ws://h/")), RfcKey);
    h.feed(answer);
    QCOMPARE(h.errorString().isEmpty(), error == Error::None);
}

// 16 KiB of head and no end: invalid, holding no more than the limit.
void tst_WsHandshake::headIsBounded()
{
    WsHandshake h(QUrl(QStringLiteral("ws://h/")), RfcKey);
    QByteArray answer = "HTTP/1.1 101 Switching Protocols\r\n";
    while (answer.size() <= 16 * 1024)
        answer += "X-Padding: 0123456789abcdef0123456789abcdef\r\n";
    for (qsizetype i = 0; i < answer.size() && h.state() == State::Reading; i += 100)
        h.feed(QByteArrayView(answer).sliced(i, qMin<qsizetype>(100, answer.size() - i)));
    QCOMPARE(h.state(), State::Invalid);
    QCOMPARE(h.error(), Error::HeadTooLarge);
    QVERIFY(h.head().size() <= 16 * 1024 + 2);
    // A head just under the limit is read.
    WsHandshake ok(QUrl(QStringLiteral("ws://h/")), RfcKey);
    QByteArray big = Upgraded.chopped(2);
    while (big.size() + 50 < 16 * 1024)
        big += "X-Padding: 0123456789abcdef0123456789abcdef01234\r\n";
    big += "\r\n";
    QVERIFY(big.size() <= 16 * 1024);
    QCOMPARE(ok.feed(big), big.size());
    QCOMPARE(ok.state(), State::Upgraded);
}

// The server's side: a key is exactly 16 bytes in base64 (RFC 6455 §4.2.1), nothing more lenient.
void tst_WsHandshake::serverKeyCheck_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<bool>("valid");
    QTest::newRow("RFC example") << RfcKey << true;
    QTest::newRow("a fresh one") << WsHandshake::generateKey() << true;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("15 bytes") << QByteArray(15, 'x').toBase64() << false;
    QTest::newRow("17 bytes") << QByteArray(17, 'x').toBase64() << false;
    QTest::newRow("24 characters, not base64") << QByteArray("dGhlIHNhbXBsZSBub25jZ*==") << false;
    QTest::newRow("no padding") << QByteArray("dGhlIHNhbXBsZSBub25jZQ") << false;
}

void tst_WsHandshake::serverKeyCheck()
{
    QFETCH(QByteArray, key);
    QFETCH(bool, valid);
    QCOMPARE(WsHandshake::isValidKey(key), valid);
}

// The server's 101 is exactly what the client side accepts, and carries the RFC's accept value.
void tst_WsHandshake::serverAnswerIsReadAsUpgraded()
{
    const QByteArray answer = WsHandshake::acceptResponse(RfcKey);
    QCOMPARE(answer, Upgraded);
    const Read r = readEveryWay(answer);
    QCOMPARE(r.state, State::Upgraded);
    QCOMPARE(r.rest, QByteArray());
}

QTEST_GUILESS_MAIN(tst_WsHandshake)
#include "tst_wshandshake.moc"
