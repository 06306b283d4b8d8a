// SPDX-License-Identifier: MIT
// Host and Origin rules on a real server (both cores: tests/CMakeLists.txt runs this again with
// RTLAB_TEST_CORE=qt): DNS rebinding refused, --allowed-host, --public-origin behind a TLS proxy,
// X-Forwarded-* believed only with --trust-proxy. OriginPolicy's parsing is tst_originpolicy's.
#include "testsupport.h"

using namespace rtlab;
using namespace rtlab::test;

Q_DECLARE_METATYPE(rtlab::ServerConfig)

class tst_HostOrigin : public QObject
{
    Q_OBJECT

private slots:
    void rules_data();
    void rules();
    void clientAddressBehindProxy_data();
    void clientAddressBehindProxy();
};

static QByteArray publishRequest(const QByteArray &headers)
{
    const QByteArray body = R"({"type":"chat","from":"a","text":"rebound?"})";
    return "POST /send HTTP/1.1\r\n" + headers + "Content-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

static QByteArray wsRequest(const QByteArray &headers)
{
    return "GET /ws HTTP/1.1\r\n" + headers
            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n";
}

void tst_HostOrigin::rules_data()
{
    QTest::addColumn<ServerConfig>("config");
    QTest::addColumn<QByteArray>("raw"); // %P is the server's port
    QTest::addColumn<int>("status");

    const ServerConfig plain = quietConfig();
    ServerConfig chatHost = plain;
    chatHost.allowedHosts = { QStringLiteral("chat.example") };
    ServerConfig anyHost = plain;
    anyHost.allowedHosts = { QStringLiteral("*") };
    ServerConfig publicOrigin = plain;
    publicOrigin.publicOrigins = { QStringLiteral("https://chat.example.org") };
    ServerConfig proxied = publicOrigin;
    proxied.trustProxy = true;
    ServerConfig proxiedNoPublic = plain;
    proxiedNoPublic.trustProxy = true;
    proxiedNoPublic.allowedHosts = { QStringLiteral("chat.example.org") };
    ServerConfig untrusted = proxiedNoPublic;
    untrusted.trustProxy = false;

    const QByteArray rebound = "Host: attacker.example:%P\r\nOrigin: http://attacker.example:%P\r\n";
    // DNS rebinding: attacker.example now resolves to 127.0.0.1; its page is "same-origin" by
    // Host and Origin, and must get nothing.
    QTest::newRow("rebinding: publish") << plain << publishRequest(rebound) << 421;
    QTest::newRow("rebinding: WebSocket") << plain << wsRequest(rebound) << 421;
    QTest::newRow("rebinding: poll") << plain << QByteArray("GET /poll HTTP/1.1\r\n" + rebound + "\r\n") << 421;
    QTest::newRow("rebinding: stats") << plain << QByteArray("GET /stats HTTP/1.1\r\n" + rebound + "\r\n") << 421;
    QTest::newRow("rebinding: the page") << plain << QByteArray("GET / HTTP/1.1\r\n" + rebound + "\r\n") << 421;
    QTest::newRow("rebinding: CORS preflight")
            << plain << QByteArray("OPTIONS /send HTTP/1.1\r\n" + rebound + "\r\n") << 421;
    QTest::newRow("/healthz answers any Host")
            << plain << QByteArray("GET /healthz HTTP/1.1\r\nHost: 10.9.8.7\r\n\r\n") << 200;
    QTest::newRow("same origin on 127.0.0.1")
            << plain << publishRequest("Host: 127.0.0.1:%P\r\nOrigin: http://127.0.0.1:%P\r\n") << 202;
    QTest::newRow("same origin on localhost, any case")
            << plain << publishRequest("Host: LocalHost:%P\r\nOrigin: http://localhost:%P\r\n") << 202;
    QTest::newRow("[::1], its port ignored") << plain << publishRequest("Host: [::1]:1\r\n") << 202;
    QTest::newRow("WebSocket on localhost")
            << plain << wsRequest("Host: localhost:%P\r\nOrigin: http://localhost:%P\r\n") << 101;
    QTest::newRow("--allowed-host: another port of it")
            << chatHost << publishRequest("Host: chat.example:8443\r\nOrigin: http://chat.example:8443\r\n") << 202;
    QTest::newRow("--allowed-host: loopback names still served")
            << chatHost << publishRequest("Host: 127.0.0.1:%P\r\n") << 202;
    QTest::newRow("--allowed-host: another name refused")
            << chatHost << publishRequest("Host: chat.example.net\r\n") << 421;
    QTest::newRow("--allowed-host *: the check is off") << anyHost << publishRequest(rebound) << 202;
    QTest::newRow("--allowed-host *: a foreign Origin still refused")
            << anyHost << publishRequest("Host: attacker.example\r\nOrigin: http://elsewhere.example\r\n") << 403;

    // Behind a TLS-terminating proxy: the browser's Origin is https, the Host what the proxy sends.
    const QByteArray httpsOrigin = "Origin: https://chat.example.org\r\n";
    QTest::newRow("--public-origin: nginx Host $host")
            << publicOrigin << publishRequest("Host: chat.example.org\r\n" + httpsOrigin) << 202;
    QTest::newRow("--public-origin: nginx's default Host (the upstream's)")
            << publicOrigin << publishRequest("Host: 127.0.0.1:%P\r\n" + httpsOrigin) << 202;
    QTest::newRow("--public-origin: WebSocket")
            << publicOrigin << wsRequest("Host: chat.example.org\r\n" + httpsOrigin) << 101;
    QTest::newRow("--public-origin: http is another origin")
            << publicOrigin << publishRequest("Host: chat.example.org\r\nOrigin: http://chat.example.org\r\n") << 403;
    QTest::newRow("--public-origin: the direct page is not it")
            << publicOrigin << publishRequest("Host: 127.0.0.1:%P\r\nOrigin: http://127.0.0.1:%P\r\n") << 403;
    QTest::newRow("--public-origin: default port spelled out")
            << publicOrigin << publishRequest("Host: chat.example.org\r\nOrigin: https://chat.example.org:443\r\n")
            << 202;
    QTest::newRow("--trust-proxy: X-Forwarded-Host not served")
            << proxied << publishRequest("Host: 127.0.0.1:%P\r\nX-Forwarded-Host: attacker.example\r\n" + httpsOrigin)
            << 421;
    const QByteArray forwarded = "Host: 127.0.0.1:%P\r\nX-Forwarded-Proto: https\r\n"
                                 "X-Forwarded-Host: chat.example.org:8443\r\nOrigin: https://chat.example.org:8443\r\n";
    QTest::newRow("--trust-proxy: same origin from X-Forwarded-Proto/Host")
            << proxiedNoPublic << publishRequest(forwarded) << 202;
    QTest::newRow("--trust-proxy: WebSocket from X-Forwarded-Proto/Host")
            << proxiedNoPublic << wsRequest(forwarded) << 101;
    QTest::newRow("without --trust-proxy X-Forwarded-* count for nothing")
            << untrusted << publishRequest(forwarded) << 403;
}

void tst_HostOrigin::rules()
{
    QFETCH(ServerConfig, config);
    QFETCH(QByteArray, raw);
    QFETCH(int, status);
    auto server = startServer(config);
    const quint16 port = server->port();
    QCOMPARE(publish(port, QStringLiteral("accepted before")), 1u);

    RawHttp http(port);
    QVERIFY(http.connected());
    http.send(raw.replace("%P", QByteArray::number(port)));
    RawResponse r;
    QVERIFY(http.read(&r));
    QCOMPARE(r.status, status);
    if (status >= 400) {
        // A clear answer: the status and why, in JSON, as every error.
        QCOMPARE(r.json().value(QLatin1String("status")).toInt(), status);
        QVERIFY(!r.json().value(QLatin1String("error")).toString().isEmpty());
    }
    if (status == 421) {
        QVERIFY(r.json().value(QLatin1String("error")).toString().contains(u"--allowed-host"));
        QCOMPARE(server->hub()->stats().rejectedHost, 1);
    }
    // A refused publish appends nothing; what was accepted before stays.
    const qsizetype expected = raw.startsWith("POST") && status == 202 ? 2 : 1;
    const RawResponse replay = request(port, "GET", "/poll?after=0");
    QCOMPARE(replay.status, 200);
    QCOMPARE(replay.json().value(QLatin1String("messages")).toArray().size(), expected);
}

void tst_HostOrigin::clientAddressBehindProxy_data()
{
    QTest::addColumn<bool>("trustProxy");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("shown"); // empty: the peer's own address (127.0.0.1:port)
    for (const char *target : { "/events", "/poll?after=0&timeout=5", "/ws" }) {
        QTest::addRow("%s, --trust-proxy: the last hop", target)
                << true << QByteArray(target) << QStringLiteral("203.0.113.9");
        QTest::addRow("%s, no --trust-proxy: the peer", target) << false << QByteArray(target) << QString();
    }
}

// The /stats client list shows X-Forwarded-For's last hop (the one our proxy appended; the
// first is the client's own word) only when the proxy is trusted.
void tst_HostOrigin::clientAddressBehindProxy()
{
    QFETCH(bool, trustProxy);
    QFETCH(QByteArray, target);
    QFETCH(QString, shown);
    ServerConfig config = quietConfig();
    config.trustProxy = trustProxy;
    auto server = startServer(config);
    const quint16 port = server->port();
    RawHttp client(port);
    QVERIFY(client.connected());
    const QByteArray headers = "Host: 127.0.0.1\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9\r\n";
    client.send(target == "/ws" ? wsRequest(headers) : "GET " + target + " HTTP/1.1\r\n" + headers + "\r\n");
    // Listed once the session is open (a poll with no id is answered at once, and stays listed).
    QVERIFY(QTest::qWaitFor(
            [&] {
                return !server->hub()
                                ->statsSnapshot(Hub::MaxListedClients)
                                .clients.value_or(QList<StatsSnapshot::Client>())
                                .isEmpty();
            },
            WaitMs));
    const QString address = server->hub()->statsSnapshot(Hub::MaxListedClients).clients->constFirst().peer;
    if (shown.isEmpty())
        QVERIFY2(address.startsWith(u"127.0.0.1:"), qPrintable(address));
    else
        QCOMPARE(address, shown);
}

QTEST_GUILESS_MAIN(tst_HostOrigin)
#include "tst_hostorigin.moc"
