// SPDX-License-Identifier: MIT
// Tokens in the Hub (docs/protocol.md, "Authentication") with no socket and no timer: requests
// come in on FakeHttpStreams and FakeWsChannels, the test moves the hub's clock. Tokens carry
// wall-clock dates, made here from the real time; the streams' deadlines are on the hub's clock.
#include "authenticator.h"
#include "fakehttpstream.h"
#include "fakewschannel.h"
#include "hub.h"
#include "jwt.h"
#include "messagecodec.h"
#include "sseparser.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <deque>

using namespace rtlab;

namespace {

const QByteArray key = "0123456789abcdef0123456789abcdef";

qint64 wallNow()
{
    return QDateTime::currentSecsSinceEpoch();
}

QByteArray token(const QString &sub = QStringLiteral("ann"), std::optional<qint64> exp = wallNow() + 3600,
                 Permissions permissions = permissionBit(Permission::Subscribe) | permissionBit(Permission::Publish))
{
    return Jwt::sign({ sub, exp, std::nullopt, permissions }, key);
}

QByteArray bearer(const QByteArray &token)
{
    return "Bearer " + token;
}

// The headers of a request with a valid token for this sub.
QList<std::pair<QByteArray, QByteArray>> signedIn(const QString &sub)
{
    return { { "authorization", bearer(token(sub)) } };
}

struct Bench
{
    explicit Bench(ServerConfig config = defaults()) : hub(config, [this] { return nowMs; }) { }

    static ServerConfig defaults()
    {
        ServerConfig c;
        c.tickRate = 0;
        c.authKey = key;
        return c;
    }

    FakeHttpStream *stream() { return &streams.emplace_back(); }

    // Answers one request; the stream keeps what was answered.
    FakeHttpStream *request(const QByteArray &method, const QByteArray &target,
                            const QList<std::pair<QByteArray, QByteArray>> &headers = {}, const QByteArray &body = {})
    {
        FakeHttpStream *s = stream();
        s->setPeerAddress("127.0.0.1:40000");
        hub.handleRequest(make(method, target, headers, body), s);
        return s;
    }

    static HttpRequest make(const QByteArray &method, const QByteArray &target,
                            const QList<std::pair<QByteArray, QByteArray>> &headers = {}, const QByteArray &body = {})
    {
        const QUrl url = QUrl::fromEncoded(target);
        HttpRequest r;
        r.method = method;
        r.target = target;
        r.path = url.path(QUrl::FullyDecoded).toUtf8();
        r.query = QUrlQuery(url);
        r.headers = headers;
        r.body = body;
        return r;
    }

    // A WebSocket handshake through the Hub's checks and, when they pass, opened on a fake channel.
    FakeWsChannel *webSocket(const QByteArray &target, const QList<std::pair<QByteArray, QByteArray>> &headers,
                             std::optional<HttpResponse> *refusal = nullptr)
    {
        auto all = headers;
        all += QList<std::pair<QByteArray, QByteArray>> { { "upgrade", "websocket" },
                                                          { "connection", "Upgrade" },
                                                          { "sec-websocket-version", "13" },
                                                          { "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==" } };
        const HttpRequest handshake = make("GET", target, all);
        std::optional<HttpResponse> refused = hub.refuseWebSocket(handshake);
        if (refusal)
            *refusal = refused;
        if (refused)
            return nullptr;
        FakeWsChannel *channel = &channels.emplace_back(target);
        hub.openWebSocket(channel, handshake);
        return channel;
    }

    static QByteArray publishBody(const QString &from, const QString &text)
    {
        return MessageCodec::encodePublish({ from, text });
    }

    qint64 nowMs = 1000;
    std::deque<FakeHttpStream> streams;
    std::deque<FakeWsChannel> channels;
    Hub hub;
};

int status(const FakeHttpStream *s)
{
    if (s->response())
        return s->response()->status;
    if (s->streamHead())
        return s->streamHead()->status;
    return 0;
}

QByteArray header(const HttpResponse &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers) {
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    }
    return {};
}

QString errorOf(const HttpResponse &r)
{
    return QJsonDocument::fromJson(r.body).object().value(u"error").toString();
}

} // namespace

class tst_HubAuth : public QObject
{
    Q_OBJECT
private slots:
    void withoutKeyEverythingIsOpen();
    void everyTransport_data();
    void everyTransport();
    void unauthorizedNamesTheChallenge();
    void permissions_data();
    void permissions();
    void fromIsTheTokensSub();
    void webSocketPublishNeedsPermission();
    void cookieFromPostAuth();
    void authIsSameOriginOnly();
    void precedenceHeaderCookieQuery();
    void queryTokenOnlyWhenAllowed();
    void redactTarget();
    void expiredSseStreamEnds();
    void expiredWebSocketIsClosed();
    void expiredHeldPollIsAnswered401();
    void publishRate();
    void publishRateWebSocket();
    void publishRateByAddressWithoutTokens();
    void rateLimiterIsBounded();
};

void tst_HubAuth::withoutKeyEverythingIsOpen()
{
    ServerConfig c = Bench::defaults();
    c.authKey.clear();
    Bench bench(c);
    QCOMPARE(status(bench.request("GET", "/poll")), 200);
    QCOMPARE(status(bench.request("GET", "/stats")), 200);
    QCOMPARE(status(bench.request("POST", "/send", {}, Bench::publishBody(QStringLiteral("x"), QStringLiteral("hi")))),
             202);
    std::optional<HttpResponse> refusal;
    QVERIFY(bench.webSocket("/ws", {}, &refusal));
    // POST /auth has nothing to do without tokens.
    QCOMPARE(status(bench.request("POST", "/auth", { { "authorization", bearer(token()) } })), 404);
}

void tst_HubAuth::everyTransport_data()
{
    QTest::addColumn<QByteArray>("authorization"); // empty: none sent
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("why");
    QJsonObject none { { QStringLiteral("alg"), QStringLiteral("none") } };
    const QByteArray payload =
            Jwt::encodeBase64Url(QJsonDocument(QJsonObject { { QStringLiteral("sub"), QStringLiteral("ann") } })
                                         .toJson(QJsonDocument::Compact));
    QTest::newRow("valid") << bearer(token()) << 0 << QString();
    QTest::newRow("expired") << bearer(token(QStringLiteral("ann"), wallNow() - 3600)) << 401
                             << QStringLiteral("token expired");
    QTest::newRow("wrongly signed") << bearer(
            Jwt::sign({ QStringLiteral("ann"), std::nullopt, std::nullopt, 3 }, "another key of 32 bytes or more.."))
                                    << 401 << QStringLiteral("bad signature");
    QTest::newRow("alg none") << bearer(Jwt::encodeBase64Url(QJsonDocument(none).toJson(QJsonDocument::Compact)) + '.'
                                        + payload + '.')
                              << 401 << QStringLiteral("algorithm none not accepted");
    QTest::newRow("missing") << QByteArray() << 401 << QStringLiteral("missing token");
    QTest::newRow("not Bearer") << QByteArray("Basic YW5uOnB3") << 401 << QStringLiteral("Bearer <token>");
}

// Every transport — held poll, publish, SSE, WebSocket handshake — with each kind of token.
void tst_HubAuth::everyTransport()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(QString, why);
    Bench bench;
    QList<std::pair<QByteArray, QByteArray>> headers;
    if (!authorization.isEmpty())
        headers.append({ "authorization", authorization });

    struct Case
    {
        QByteArray method, target, body;
        int okStatus;
    };
    const Case cases[] = {
        { "GET", "/poll", {}, 200 },
        { "GET", "/poll?after=0&timeout=0", {}, 200 },
        { "POST", "/send", Bench::publishBody(QStringLiteral("ann"), QStringLiteral("hi")), 202 },
        { "GET", "/events", {}, 200 },
    };
    for (const Case &c : cases) {
        const FakeHttpStream *s = bench.request(c.method, c.target, headers, c.body);
        QCOMPARE(::status(s), status ? status : c.okStatus);
        if (status) {
            QVERIFY2(errorOf(*s->response()).contains(why), qPrintable(errorOf(*s->response())));
            QVERIFY(header(*s->response(), "WWW-Authenticate").startsWith("Bearer realm=\"rtlab\""));
        }
    }
    std::optional<HttpResponse> refusal;
    FakeWsChannel *channel = bench.webSocket("/ws", headers, &refusal);
    if (status) {
        QVERIFY(!channel);
        QCOMPARE(refusal->status, status);
        QVERIFY(refusal->closeConnection);
        QVERIFY2(errorOf(*refusal).contains(why), qPrintable(errorOf(*refusal)));
    } else {
        QVERIFY(channel);
        QVERIFY(channel->closes().isEmpty());
    }
    // Pages and the health check need no token, and a bad one does not close them.
    QCOMPARE(::status(bench.request("GET", "/healthz", headers)), 200);
    QCOMPARE(::status(bench.request("GET", "/", headers)), 200);
}

void tst_HubAuth::unauthorizedNamesTheChallenge()
{
    Bench bench;
    // RFC 6750 §3: no token, the bare challenge; a bad one, the error and its description.
    QCOMPARE(header(*bench.request("GET", "/poll")->response(), "WWW-Authenticate"),
             QByteArray("Bearer realm=\"rtlab\""));
    const FakeHttpStream *s = bench.request("GET", "/poll", { { "authorization", "Bearer abc" } });
    QCOMPARE(header(*s->response(), "WWW-Authenticate"),
             QByteArray("Bearer realm=\"rtlab\", error=\"invalid_token\", "
                        "error_description=\"not a compact JWS (three base64url parts)\""));
    // A quote in the token's header cannot end the quoted string early.
    const QByteArray quoting = Jwt::signPayload({ { QStringLiteral("alg"), QStringLiteral("x\", evil=\"1") } },
                                                { { QStringLiteral("sub"), QStringLiteral("a") } }, key);
    s = bench.request("GET", "/poll", { { "authorization", bearer(quoting) } });
    QCOMPARE(header(*s->response(), "WWW-Authenticate"),
             QByteArray("Bearer realm=\"rtlab\", error=\"invalid_token\", "
                        "error_description=\"algorithm x?, evil=?1 not accepted; the server's key is HS256\""));
}

void tst_HubAuth::permissions_data()
{
    QTest::addColumn<int>("permissions");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    const int sub = permissionBit(Permission::Subscribe);
    const int pub = permissionBit(Permission::Publish);
    const int stats = permissionBit(Permission::Stats);
    QTest::newRow("subscribe-only token publishes") << sub << QByteArray("POST") << QByteArray("/send") << 403;
    QTest::newRow("publish-only token polls") << pub << QByteArray("GET") << QByteArray("/poll") << 403;
    QTest::newRow("publish-only token streams") << pub << QByteArray("GET") << QByteArray("/events") << 403;
    QTest::newRow("default token reads /stats") << (sub | pub) << QByteArray("GET") << QByteArray("/stats") << 403;
    QTest::newRow("stats token reads /stats") << stats << QByteArray("GET") << QByteArray("/stats") << 200;
    QTest::newRow("stats token reads /stats?clients=1")
            << stats << QByteArray("GET") << QByteArray("/stats?clients=1") << 200;
    QTest::newRow("publish token publishes") << pub << QByteArray("POST") << QByteArray("/send") << 202;
}

void tst_HubAuth::permissions()
{
    QFETCH(int, permissions);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    Bench bench;
    const FakeHttpStream *s = bench.request(
            method, target,
            { { "authorization", bearer(token(QStringLiteral("ann"), wallNow() + 60, Permissions(permissions))) } },
            Bench::publishBody(QStringLiteral("ann"), QStringLiteral("hi")));
    QCOMPARE(::status(s), status);
    if (status == 403)
        QVERIFY2(errorOf(*s->response()).startsWith(QStringLiteral("token lacks the \"")),
                 qPrintable(errorOf(*s->response())));
    // The WebSocket handshake needs "subscribe" like the other streams.
    std::optional<HttpResponse> refusal;
    bench.webSocket(
            "/ws",
            { { "authorization", bearer(token(QStringLiteral("ann"), std::nullopt, Permissions(permissions))) } },
            &refusal);
    QCOMPARE(refusal ? refusal->status : 101, (permissions & permissionBit(Permission::Subscribe)) ? 101 : 403);
    // /metrics counts each refusal under its reason: a permission short is "forbidden".
    const qint64 forbidden = (status == 403 ? 1 : 0) + (refusal ? 1 : 0);
    QCOMPARE(bench.hub.stats().refused[int(Refusal::Forbidden)], forbidden);
    QCOMPARE(bench.hub.stats().refused[int(Refusal::Unauthorized)], 0);
}

void tst_HubAuth::fromIsTheTokensSub()
{
    Bench bench;
    const auto headers = signedIn(QStringLiteral("ann"));
    QCOMPARE(status(bench.request("POST", "/send", headers,
                                  Bench::publishBody(QStringLiteral("bob"), QStringLiteral("I am bob")))),
             202);
    FakeWsChannel *channel = bench.webSocket("/ws?after=0", headers);
    QVERIFY(channel);
    channel->receiveText(Bench::publishBody(QStringLiteral("carol"), QStringLiteral("I am carol")));
    const LogEntryPtr first = bench.hub.log().entry(1);
    const LogEntryPtr second = bench.hub.log().entry(2);
    QVERIFY(first && second);
    QCOMPARE(first->message.from, QStringLiteral("ann"));
    QCOMPARE(second->message.from, QStringLiteral("ann"));
    QCOMPARE(second->message.text, QStringLiteral("I am carol"));
}

void tst_HubAuth::webSocketPublishNeedsPermission()
{
    Bench bench;
    FakeWsChannel *channel = bench.webSocket(
            "/ws",
            { { "authorization",
                bearer(token(QStringLiteral("ann"), std::nullopt, permissionBit(Permission::Subscribe))) } });
    QVERIFY(channel);
    channel->receiveText(R"({"from":"ann","text":"hi","clientMsgId":"c1"})");
    QCOMPARE(bench.hub.log().lastId(), 0u);
    QCOMPARE(channel->texts().size(), 1);
    const QJsonObject error = QJsonDocument::fromJson(channel->texts().constFirst()).object();
    QCOMPARE(error.value(u"type").toString(), QStringLiteral("error"));
    QCOMPARE(error.value(u"status").toInt(), 403);
    QCOMPARE(error.value(u"clientMsgId").toString(), QStringLiteral("c1"));
    QVERIFY(channel->closes().isEmpty()); // told, and stays
}

void tst_HubAuth::cookieFromPostAuth()
{
    Bench bench;
    const qint64 exp = wallNow() + 600;
    const QByteArray t = token(QStringLiteral("ann"), exp);
    const FakeHttpStream *login = bench.request("POST", "/auth", { { "authorization", bearer(t) } });
    QCOMPARE(status(login), 204);
    const QByteArray cookie = header(*login->response(), "Set-Cookie");
    QVERIFY2(cookie.startsWith("rtlab_token=" + t + "; HttpOnly; SameSite=Strict; Path=/; Max-Age="),
             cookie.constData());
    const qint64 maxAge = cookie.sliced(cookie.lastIndexOf('=') + 1).toLongLong();
    QVERIFY2(maxAge > 590 && maxAge <= 600, cookie.constData());
    QVERIFY(!cookie.contains("Secure"));

    // The cookie opens every transport a browser uses.
    const QList<std::pair<QByteArray, QByteArray>> withCookie { { "cookie", "theme=dark; rtlab_token=" + t } };
    QCOMPARE(status(bench.request("GET", "/events", withCookie)), 200);
    QCOMPARE(status(bench.request("GET", "/poll", withCookie)), 200);
    QCOMPARE(status(bench.request("POST", "/send", withCookie,
                                  Bench::publishBody(QStringLiteral("x"), QStringLiteral("hi")))),
             202);
    QVERIFY(bench.webSocket("/ws", withCookie));

    // No token, or a bad one: 401, no cookie.
    QCOMPARE(status(bench.request("POST", "/auth")), 401);
    const FakeHttpStream *bad = bench.request("POST", "/auth", { { "authorization", "Bearer x.y.z" } });
    QCOMPARE(status(bad), 401);
    QVERIFY(header(*bad->response(), "Set-Cookie").isEmpty());
    // A cookie cannot log itself in.
    QCOMPARE(status(bench.request("POST", "/auth", withCookie)), 401);

    const FakeHttpStream *logout = bench.request("DELETE", "/auth");
    QCOMPARE(status(logout), 204);
    QCOMPARE(header(*logout->response(), "Set-Cookie"),
             QByteArray("rtlab_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"));
    QCOMPARE(status(bench.request("GET", "/auth")), 405);
}

void tst_HubAuth::authIsSameOriginOnly()
{
    ServerConfig c = Bench::defaults();
    c.allowOrigins = { QStringLiteral("http://allowed.example") };
    Bench bench(c);
    const QByteArray t = bearer(token());
    QCOMPARE(status(bench.request(
                     "POST", "/auth",
                     { { "authorization", t }, { "host", "127.0.0.1:8080" }, { "origin", "http://127.0.0.1:8080" } })),
             204);
    QCOMPARE(status(bench.request(
                     "POST", "/auth",
                     { { "authorization", t }, { "host", "127.0.0.1:8080" }, { "origin", "http://evil.example" } })),
             403);
    QCOMPARE(status(bench.request(
                     "POST", "/auth",
                     { { "authorization", t }, { "host", "127.0.0.1:8080" }, { "origin", "http://allowed.example" } })),
             403);
    QCOMPARE(status(bench.request("DELETE", "/auth",
                                  { { "host", "127.0.0.1:8080" }, { "origin", "http://evil.example" } })),
             403);
}

void tst_HubAuth::precedenceHeaderCookieQuery()
{
    ServerConfig c = Bench::defaults();
    c.allowQueryToken = true;
    Bench bench(c);
    const QByteArray good = token();
    const QByteArray bad = "x.y.z";
    // The first present decides, even when it is the bad one.
    QCOMPARE(status(bench.request("GET", "/poll?access_token=" + bad,
                                  { { "authorization", bearer(good) }, { "cookie", "rtlab_token=" + bad } })),
             200);
    QCOMPARE(status(bench.request("GET", "/poll?access_token=" + good,
                                  { { "authorization", bearer(bad) }, { "cookie", "rtlab_token=" + good } })),
             401);
    QCOMPARE(status(bench.request("GET", "/poll?access_token=" + bad, { { "cookie", "rtlab_token=" + good } })), 200);
    QCOMPARE(status(bench.request("GET", "/poll?access_token=" + good, { { "cookie", "rtlab_token=" + bad } })), 401);
    QCOMPARE(status(bench.request("GET", "/poll?access_token=" + good)), 200);
}

void tst_HubAuth::queryTokenOnlyWhenAllowed()
{
    const QByteArray target = "/events?access_token=" + token();
    {
        Bench bench;
        const FakeHttpStream *s = bench.request("GET", target);
        QCOMPARE(status(s), 401);
        QVERIFY(errorOf(*s->response()).contains(QStringLiteral("not allowed")));
        std::optional<HttpResponse> refusal;
        QVERIFY(!bench.webSocket("/ws?access_token=" + token(), {}, &refusal));
        QCOMPARE(refusal->status, 401);
        QCOMPARE(bench.hub.stats().refused[int(Refusal::Unauthorized)], 2); // /metrics' reason
    }
    ServerConfig c = Bench::defaults();
    c.allowQueryToken = true;
    Bench bench(c);
    QCOMPARE(status(bench.request("GET", target)), 200);
    QVERIFY(bench.webSocket("/ws?after=0&access_token=" + token(), {}));
}

namespace {
QStringList capturedLog;
void captureLog(QtMsgType, const QMessageLogContext &, const QString &message)
{
    capturedLog.append(message);
}
} // namespace

void tst_HubAuth::redactTarget()
{
    // What the server logs of a refused request never holds the token.
    {
        Bench bench;
        const QByteArray secret = token(QStringLiteral("ann"), wallNow() - 3600);
        capturedLog.clear();
        const QtMessageHandler previous = qInstallMessageHandler(captureLog);
        QCOMPARE(status(bench.request("GET", "/events?after=1&access_token=" + secret)), 401);
        qInstallMessageHandler(previous);
        QVERIFY(!capturedLog.isEmpty());
        for (const QString &line : std::as_const(capturedLog)) {
            QVERIFY2(!line.contains(QString::fromLatin1(secret)), qPrintable(line));
            QVERIFY2(line.contains(QStringLiteral("access_token=REDACTED")), qPrintable(line));
        }
    }
    QCOMPARE(Authenticator::redactTarget("/ws?access_token=eyJ.eyJ.sig&after=3"),
             QByteArray("/ws?access_token=REDACTED&after=3"));
    QCOMPARE(Authenticator::redactTarget("/events?after=3&access_token=abc"),
             QByteArray("/events?after=3&access_token=REDACTED"));
    QCOMPARE(Authenticator::redactTarget("/poll?my_access_token=abc"), QByteArray("/poll?my_access_token=abc"));
    QCOMPARE(Authenticator::redactTarget("/poll"), QByteArray("/poll"));
}

void tst_HubAuth::expiredSseStreamEnds()
{
    Bench bench;
    FakeHttpStream *s = bench.request("GET", "/events",
                                      { { "authorization", bearer(token(QStringLiteral("ann"), wallNow() + 60)) } });
    QCOMPARE(status(s), 200);
    // exp + 30 s of leeway is about 90 s away.
    bench.nowMs += 80000;
    bench.hub.sweepHeartbeats();
    QVERIFY(!s->ended());
    bench.nowMs += 20000;
    bench.hub.sweepHeartbeats();
    QVERIFY(s->ended());
    QVERIFY(!s->aborted());
    QVERIFY2(s->written().endsWith(": token expired\n\n"), s->written().constData());
    QCOMPARE(bench.hub.sessionCount(), 0);
    // A token with no exp never ends a stream.
    FakeHttpStream *endless = bench.request(
            "GET", "/events", { { "authorization", bearer(token(QStringLiteral("ann"), std::nullopt)) } });
    bench.nowMs += qint64(365) * 24 * 3600 * 1000;
    bench.hub.sweepHeartbeats();
    QVERIFY(!endless->ended());
}

void tst_HubAuth::expiredWebSocketIsClosed()
{
    Bench bench;
    FakeWsChannel *channel =
            bench.webSocket("/ws", { { "authorization", bearer(token(QStringLiteral("ann"), wallNow() + 60)) } });
    QVERIFY(channel);
    bench.nowMs += 80000;
    bench.hub.sweepHeartbeats();
    QVERIFY(channel->closes().isEmpty());
    bench.nowMs += 20000;
    // A publish frame between the expiry and the sweep is not published: the socket closes.
    channel->receiveText(Bench::publishBody(QStringLiteral("ann"), QStringLiteral("late")));
    QCOMPARE(bench.hub.log().lastId(), 0u);
    QCOMPARE(channel->closes().size(), 1);
    QCOMPARE(channel->closes().constFirst().code, quint16(1008));
    QCOMPARE(channel->closes().constFirst().reason, QStringLiteral("token expired"));
    QCOMPARE(bench.hub.sessionCount(), 0);

    FakeWsChannel *swept =
            bench.webSocket("/ws", { { "authorization", bearer(token(QStringLiteral("ann"), wallNow() + 60)) } });
    bench.nowMs += 100000;
    bench.hub.sweepHeartbeats();
    QCOMPARE(swept->closes().size(), 1);
    QCOMPARE(swept->closes().constFirst().code, quint16(1008));
    QCOMPARE(swept->closes().constFirst().reason, QStringLiteral("token expired"));
}

void tst_HubAuth::expiredHeldPollIsAnswered401()
{
    ServerConfig c = Bench::defaults();
    c.pollTimeoutMs = 3600 * 1000; // held far longer than the token lasts
    Bench bench(c);
    FakeHttpStream *s = bench.request("GET", "/poll?after=0",
                                      { { "authorization", bearer(token(QStringLiteral("ann"), wallNow() + 60)) } });
    QVERIFY(!s->response()); // held
    bench.nowMs += 80000;
    bench.hub.firePollDeadlines();
    QVERIFY(!s->response());
    bench.nowMs += 20000;
    bench.hub.firePollDeadlines();
    QVERIFY(s->response());
    QCOMPARE(s->response()->status, 401);
    QVERIFY(header(*s->response(), "WWW-Authenticate").contains("token expired"));
    QCOMPARE(bench.hub.sessionCount(), 0);
    // The next poll with the same token: 401 too (the client stops there).
    QCOMPARE(status(bench.request(
                     "GET", "/poll?after=0",
                     { { "authorization",
                         bearer(Jwt::sign({ QStringLiteral("ann"), wallNow() - 31, std::nullopt, 3 }, key)) } })),
             401);
}

void tst_HubAuth::publishRate()
{
    ServerConfig c = Bench::defaults();
    c.maxPublishRate = 3;
    Bench bench(c);
    const auto ann = signedIn(QStringLiteral("ann"));
    const auto bob = signedIn(QStringLiteral("bob"));
    const QByteArray body = Bench::publishBody(QStringLiteral("x"), QStringLiteral("hi"));
    for (int i = 0; i < 3; ++i)
        QCOMPARE(status(bench.request("POST", "/send", ann, body)), 202); // the burst
    const FakeHttpStream *over = bench.request("POST", "/send", ann, body);
    QCOMPARE(status(over), 429);
    QCOMPARE(header(*over->response(), "Retry-After"), QByteArray("1"));
    // Per sub: bob has his own burst.
    QCOMPARE(status(bench.request("POST", "/send", bob, body)), 202);
    // A third of a second gives one more.
    bench.nowMs += 334;
    QCOMPARE(status(bench.request("POST", "/send", ann, body)), 202);
    QCOMPARE(status(bench.request("POST", "/send", ann, body)), 429);
    bench.nowMs += 1000;
    for (int i = 0; i < 3; ++i)
        QCOMPARE(status(bench.request("POST", "/send", ann, body)), 202);
    QCOMPARE(bench.hub.log().lastId(), 8u); // nothing refused was published
}

void tst_HubAuth::publishRateWebSocket()
{
    ServerConfig c = Bench::defaults();
    c.maxPublishRate = 1;
    Bench bench(c);
    const auto ann = signedIn(QStringLiteral("ann"));
    FakeWsChannel *channel = bench.webSocket("/ws?after=0", ann);
    channel->receiveText(R"({"from":"ann","text":"1"})");
    // The same sub over HTTP shares the bucket.
    QCOMPARE(status(bench.request("POST", "/send", ann, Bench::publishBody(QStringLiteral("x"), QStringLiteral("2")))),
             429);
    channel->receiveText(R"({"from":"ann","text":"3","clientMsgId":"m3"})");
    QCOMPARE(bench.hub.log().lastId(), 1u);
    const QJsonObject error = QJsonDocument::fromJson(channel->texts().constLast()).object();
    QCOMPARE(error.value(u"type").toString(), QStringLiteral("error"));
    QCOMPARE(error.value(u"status").toInt(), 429);
    QCOMPARE(error.value(u"clientMsgId").toString(), QStringLiteral("m3"));
    QVERIFY(channel->closes().isEmpty());
}

void tst_HubAuth::publishRateByAddressWithoutTokens()
{
    ServerConfig c = Bench::defaults();
    c.authKey.clear();
    c.maxPublishRate = 1;
    Bench bench(c);
    const QByteArray body = Bench::publishBody(QStringLiteral("x"), QStringLiteral("hi"));
    QCOMPARE(status(bench.request("POST", "/send", {}, body)), 202);
    // Another port of the same address: the same client.
    FakeHttpStream *s = bench.stream();
    s->setPeerAddress("127.0.0.1:40001");
    bench.hub.handleRequest(Bench::make("POST", "/send", {}, body), s);
    QCOMPARE(status(s), 429);
    FakeHttpStream *other = bench.stream();
    other->setPeerAddress("[::1]:40001");
    bench.hub.handleRequest(Bench::make("POST", "/send", {}, body), other);
    QCOMPARE(status(other), 202);
}

void tst_HubAuth::rateLimiterIsBounded()
{
    RateLimiter limiter(2);
    QVERIFY(!limiter.admit(QStringLiteral("a"), 0));
    QVERIFY(!limiter.admit(QStringLiteral("a"), 0));
    QCOMPARE(limiter.admit(QStringLiteral("a"), 0), std::optional<int>(1));
    QCOMPARE(limiter.keyCount(), 1);
    // Keys fill the table; once full, keys whose buckets refilled make room.
    for (qsizetype i = 1; i < RateLimiter::MaxKeys; ++i)
        QVERIFY(!limiter.admit(QString::number(i), 0));
    QCOMPARE(limiter.keyCount(), RateLimiter::MaxKeys);
    QCOMPARE(limiter.admit(QStringLiteral("new"), 100), std::optional<int>(1)); // none refilled yet
    QVERIFY(!limiter.admit(QStringLiteral("new"), 1000));                       // all refilled: pruned
    QCOMPARE(limiter.keyCount(), 1);
    QVERIFY(!RateLimiter(0).isEnabled());
}

QTEST_GUILESS_MAIN(tst_HubAuth)
#include "tst_hubauth.moc"
