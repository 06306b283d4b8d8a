// SPDX-License-Identifier: MIT
// Tokens over real sockets (docs/protocol.md, "Authentication"), on the core under test (CTest
// runs this again with RTLAB_TEST_CORE=qt): every transport with a valid, expired, wrongly signed,
// alg-none and missing token; the browser's cookie from POST /auth; the query token; the sender
// taken from the token; permissions. Expiry of open streams is tst_hubauth's (a moved clock).
#include "jwt.h"
#include "testsupport.h"

#include <QDateTime>

using namespace rtlab;
using namespace rtlab::test;

namespace {

const QByteArray key = "tst_auth: a key of at least 32 bytes";

QByteArray token(const QString &sub = QStringLiteral("ann"),
                 std::optional<qint64> exp = QDateTime::currentSecsSinceEpoch() + 3600,
                 Permissions permissions = permissionBit(Permission::Subscribe) | permissionBit(Permission::Publish))
{
    return Jwt::sign({ sub, exp, std::nullopt, permissions }, key);
}

ServerConfig authConfig(bool allowQueryToken = false)
{
    ServerConfig c = quietConfig();
    c.authKey = key;
    c.allowQueryToken = allowQueryToken;
    return c;
}

// The answer to a WebSocket handshake, read raw: 101, or the refusal's status and body.
RawResponse handshake(quint16 port, const QByteArray &target, const QList<QByteArray> &headers)
{
    RawHttp http(port);
    QByteArray req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for (const QByteArray &h : headers)
        req += h + "\r\n";
    http.send(req + "\r\n");
    RawResponse r;
    http.read(&r);
    return r;
}

// A WebSocket client that sends these headers with its handshake.
std::unique_ptr<WsClient> webSocket(quint16 port, const QString &query,
                                    const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    return std::make_unique<WsClient>(port, query, QString(), headers);
}

QString errorOf(const RawResponse &r)
{
    return r.json().value(u"error").toString();
}

} // namespace

class tst_Auth : public QObject
{
    Q_OBJECT
private slots:
    void everyTransport_data();
    void everyTransport();
    void fromIsTheTokensSub();
    void cookieFromPostAuth();
    void queryToken();
    void permissions();
    void withoutKeyNothingChanges();
};

void tst_Auth::everyTransport_data()
{
    QTest::addColumn<QByteArray>("authorization"); // empty: none sent
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("why");
    const QByteArray none = Jwt::encodeBase64Url(R"({"alg":"none","typ":"JWT"})") + '.'
            + Jwt::encodeBase64Url(R"({"sub":"ann","rtlab":["subscribe","publish"]})") + '.';
    QTest::newRow("valid") << "Authorization: Bearer " + token() << 0 << QString();
    QTest::newRow("expired") << "Authorization: Bearer "
                    + token(QStringLiteral("ann"), QDateTime::currentSecsSinceEpoch() - 3600)
                             << 401 << QStringLiteral("token expired");
    QTest::newRow("wrongly signed") << "Authorization: Bearer "
                    + Jwt::sign({ QStringLiteral("ann"), std::nullopt, std::nullopt, 3 },
                                "some other key of 32 bytes......")
                                    << 401 << QStringLiteral("bad signature");
    QTest::newRow("alg none") << "Authorization: Bearer " + none << 401 << QStringLiteral("algorithm none");
    QTest::newRow("missing") << QByteArray() << 401 << QStringLiteral("missing token");
}

void tst_Auth::everyTransport()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(QString, why);
    auto server = startServer(authConfig());
    const quint16 port = server->port();
    QList<QByteArray> headers;
    if (!authorization.isEmpty())
        headers.append(authorization);
    const auto check = [&](const RawResponse &r, int okStatus) {
        QCOMPARE(r.status, status ? status : okStatus);
        if (status) {
            QVERIFY2(errorOf(r).contains(why), qPrintable(errorOf(r)));
            QVERIFY(r.header("www-authenticate").startsWith("Bearer realm=\"rtlab\""));
        }
    };

    // Long polling (answered at once, and held).
    check(request(port, "GET", "/poll", {}, headers), 200);
    check(request(port, "GET", "/poll?after=0&timeout=0", {}, headers), 200);
    // SSE: the stream opens, or the refusal is the whole answer.
    SseClient sse(port, "/events", headers);
    QVERIFY(sse.waitOpen());
    QVERIFY2(sse.head.startsWith(status ? "HTTP/1.1 401 " : "HTTP/1.1 200 "), sse.head.constData());

    // Publishing; with a valid token the open stream carries it.
    PublishRequest p { QStringLiteral("ann"), QStringLiteral("hello") };
    check(request(port, "POST", "/send", MessageCodec::encodePublish(p),
                  headers + QList<QByteArray> { "Content-Type: application/json" }),
          202);

    // WebSocket: refused before the upgrade with the same status.
    const RawResponse ws = handshake(port, "/ws", headers);
    check(ws, 101);
    if (status)
        QCOMPARE(ws.header("connection").toLower(), QByteArray("close"));

    // And the message published with a valid token reached the subscribers.
    if (!status) {
        QVERIFY(sse.waitEvents(1));
        QCOMPARE(sse.messages().constLast().text, QStringLiteral("hello"));
    }
    // /healthz and the page need none.
    QCOMPARE(request(port, "GET", "/healthz").status, 200);
    QCOMPARE(request(port, "GET", "/").status, 200);
}

void tst_Auth::fromIsTheTokensSub()
{
    auto server = startServer(authConfig());
    const quint16 port = server->port();
    const QByteArray bearer = "Bearer " + token(QStringLiteral("ann"));
    auto ws = webSocket(port, QStringLiteral("?after=0"), { { "Authorization", bearer } });
    QVERIFY(ws->waitOpen());
    // A frame and a POST that claim other senders: published as the token's sub.
    ws->socket.sendTextMessage(QStringLiteral(R"({"from":"mallory","text":"over ws"})"));
    PublishRequest p { QStringLiteral("bob"), QStringLiteral("over http") };
    QCOMPARE(request(port, "POST", "/send", MessageCodec::encodePublish(p), { "Authorization: " + bearer }).status,
             202);
    QVERIFY(ws->waitMessages(2));
    QCOMPARE(ws->messages[0].from, QStringLiteral("ann"));
    QCOMPARE(ws->messages[1].from, QStringLiteral("ann"));
    QCOMPARE(QSet<QString>({ ws->messages[0].text, ws->messages[1].text }),
             QSet<QString>({ QStringLiteral("over ws"), QStringLiteral("over http") }));
}

void tst_Auth::cookieFromPostAuth()
{
    auto server = startServer(authConfig());
    const quint16 port = server->port();
    const QByteArray t = token();
    const QByteArray host = "127.0.0.1:" + QByteArray::number(port);
    // The page's own origin exchanges its token for the cookie.
    const RawResponse login =
            request(port, "POST", "/auth", QByteArray(""), { "Authorization: Bearer " + t, "Origin: http://" + host });
    QCOMPARE(login.status, 204);
    const QByteArray setCookie = login.header("set-cookie");
    QVERIFY2(setCookie.startsWith("rtlab_token=" + t + "; HttpOnly; SameSite=Strict; Path=/; Max-Age="),
             setCookie.constData());
    const QByteArray cookie = "Cookie: " + setCookie.left(setCookie.indexOf(';'));

    // What a browser then sends: the cookie alone, on every transport.
    SseClient sse(port, "/events", { cookie });
    QVERIFY(sse.waitOpen());
    QVERIFY2(sse.head.startsWith("HTTP/1.1 200 "), sse.head.constData());
    auto ws = webSocket(port, QStringLiteral("?after=0"), { { "Cookie", cookie.sliced(8) } });
    QVERIFY(ws->waitOpen());
    QCOMPARE(request(port, "GET", "/poll?after=0&timeout=0", {}, { cookie }).status, 200);
    PublishRequest p { QStringLiteral("x"), QStringLiteral("by cookie") };
    QCOMPARE(request(port, "POST", "/send", MessageCodec::encodePublish(p), { cookie }).status, 202);
    QVERIFY(ws->waitMessages(1));
    QCOMPARE(ws->messages[0].from, QStringLiteral("ann"));
    QVERIFY(sse.waitEvents(1));

    // A foreign page cannot plant it; DELETE clears it.
    QCOMPARE(request(port, "POST", "/auth", QByteArray(""),
                     { "Authorization: Bearer " + t, "Origin: http://evil.example" })
                     .status,
             403);
    const RawResponse logout = request(port, "DELETE", "/auth");
    QCOMPARE(logout.status, 204);
    QVERIFY(logout.header("set-cookie").contains("Max-Age=0"));
}

void tst_Auth::queryToken()
{
    const QByteArray target = "/ws?after=0&access_token=" + token();
    {
        auto server = startServer(authConfig());
        const RawResponse refused = handshake(server->port(), target, {});
        QCOMPARE(refused.status, 401);
        QVERIFY(errorOf(refused).contains(QStringLiteral("not allowed")));
        QCOMPARE(request(server->port(), "GET", "/events?access_token=" + token()).status, 401);
    }
    auto server = startServer(authConfig(true));
    QCOMPARE(handshake(server->port(), target, {}).status, 101);
    SseClient sse(server->port(), "/events?access_token=" + token());
    QVERIFY(sse.waitOpen());
    QVERIFY2(sse.head.startsWith("HTTP/1.1 200 "), sse.head.constData());
    QCOMPARE(request(server->port(), "GET", "/poll?timeout=0&access_token=" + token()).status, 200);
    QCOMPARE(request(server->port(), "GET", "/poll?timeout=0&access_token=x.y.z").status, 401);
}

void tst_Auth::permissions()
{
    auto server = startServer(authConfig());
    const quint16 port = server->port();
    const QByteArray readOnly =
            "Authorization: Bearer " + token(QStringLiteral("ann"), std::nullopt, permissionBit(Permission::Subscribe));
    PublishRequest p { QStringLiteral("ann"), QStringLiteral("hi") };
    const RawResponse send = request(port, "POST", "/send", MessageCodec::encodePublish(p), { readOnly });
    QCOMPARE(send.status, 403);
    QVERIFY(errorOf(send).contains(QStringLiteral("\"publish\"")));
    QCOMPARE(request(port, "GET", "/stats", {}, { readOnly }).status, 403);
    QCOMPARE(request(port, "GET", "/stats").status, 401);
    const QByteArray stats =
            "Authorization: Bearer " + token(QStringLiteral("ops"), std::nullopt, permissionBit(Permission::Stats));
    QCOMPARE(request(port, "GET", "/stats", {}, { stats }).status, 200);
    QCOMPARE(handshake(port, "/ws", { stats }).status, 403);

    // A subscribe-only WebSocket is told, per frame, and stays open.
    auto ws = webSocket(port, QStringLiteral("?after=0"), { { "Authorization", readOnly.sliced(15) } });
    QVERIFY(ws->waitOpen());
    ws->socket.sendTextMessage(QStringLiteral(R"({"from":"ann","text":"no","clientMsgId":"c1"})"));
    QVERIFY(QTest::qWaitFor([&] { return !ws->texts.isEmpty(); }, WaitMs));
    const QJsonObject error = QJsonDocument::fromJson(ws->texts.constFirst().toUtf8()).object();
    QCOMPARE(error.value(u"type").toString(), QStringLiteral("error"));
    QCOMPARE(error.value(u"status").toInt(), 403);
    QCOMPARE(error.value(u"clientMsgId").toString(), QStringLiteral("c1"));
    QCOMPARE(ws->socket.state(), QAbstractSocket::ConnectedState);
}

void tst_Auth::withoutKeyNothingChanges()
{
    auto server = startServer(quietConfig());
    QCOMPARE(request(server->port(), "GET", "/stats").status, 200);
    QCOMPARE(request(server->port(), "GET", "/poll?timeout=0").status, 200);
    QCOMPARE(handshake(server->port(), "/ws", {}).status, 101);
    QVERIFY(publish(server->port(), QStringLiteral("hi"), QStringLiteral("anyone")));
}

QTEST_GUILESS_MAIN(tst_Auth)
#include "tst_auth.moc"
