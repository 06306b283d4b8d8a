// SPDX-License-Identifier: MIT
// rtlab-server behind a real nginx started from docs/deploy/nginx.conf as shipped (only the ports,
// the certificate paths and nginx's temp paths are the test's), TLS at the proxy with a
// self-signed certificate made here: every transport works through it with the browser's Origin
// being the public origin, a foreign Origin and a rebound Host are refused, and the client
// address is the proxy's last X-Forwarded-For hop. Skips when nginx or openssl is missing
// (dev.sh installs both).
#include "httpresponseparser.h"
#include "sseparser.h"
#include "testsupport.h"
#include "wsframeparser.h"
#include "wshandshake.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>

#include <pwd.h>
#include <unistd.h>

using namespace rtlab;
using namespace rtlab::test;

static QString findProgram(const QString &name)
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty()) // Debian keeps nginx in /usr/sbin, which a user's PATH may lack
        path = QStandardPaths::findExecutable(name, { QStringLiteral("/usr/sbin"), QStringLiteral("/sbin") });
    return path;
}

// A port free on 127.0.0.1 now: bound, read, closed. Someone may take it before nginx does;
// the caller retries then.
static quint16 freePort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

// One HTTP/1.1 client over TLS that trusts only the test's certificate.
class TlsClient
{
public:
    TlsClient(quint16 port, const QSslCertificate &certificate)
    {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates({ certificate });
        m_socket.setSslConfiguration(tls);
        // 127.0.0.1 on the wire, "localhost" (the certificate's name) for the TLS check.
        m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
        m_encrypted =
                QTest::qWaitFor(
                        [this] {
                            return m_socket.isEncrypted() || m_socket.state() == QAbstractSocket::UnconnectedState;
                        },
                        WaitMs)
                && m_socket.isEncrypted();
    }
    bool encrypted() const { return m_encrypted; }
    QString errorString() const { return m_socket.errorString(); }
    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    // Bytes as they come, for a caller that parses them itself (a WebSocket).
    bool waitBytes(QByteArray *into, const std::function<bool()> &done)
    {
        return QTest::qWaitFor(
                [&] {
                    *into += m_socket.readAll();
                    return done();
                },
                WaitMs);
    }
    // Reads one response through HttpResponseParser: its head, then body bytes as they come
    // (chunked framing removed) until `bodyDone` says enough, or the response ends.
    bool read(HttpResponseParser *parser, QByteArray *body, const std::function<bool()> &bodyDone = {})
    {
        return QTest::qWaitFor(
                [&] {
                    m_buffer += m_socket.readAll();
                    m_buffer.remove(0, parser->feed(m_buffer));
                    *body += parser->takeBody();
                    if (parser->state() == HttpResponseParser::State::Complete)
                        return true;
                    return parser->headComplete() && bodyDone && bodyDone();
                },
                WaitMs);
    }

private:
    QSslSocket m_socket;
    QByteArray m_buffer;
    bool m_encrypted = false;
};

class tst_ReverseProxy : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void everyTransportThroughTls();
    void foreignOriginRefused();
    void reboundHostRefused();
    void clientAddressIsTheProxysLastHop();

private:
    bool startNginx(QString *why);
    QByteArray request(const QByteArray &method, const QByteArray &target, const QList<QByteArray> &headers,
                       const QByteArray &body, int *status);
    QByteArray publicOrigin() const { return "https://localhost:" + QByteArray::number(m_port); }
    QByteArray hostHeader() const { return "Host: localhost:" + QByteArray::number(m_port); }

    QTemporaryDir m_dir;
    QString m_nginx;
    QSslCertificate m_certificate;
    std::unique_ptr<Server> m_server;
    QProcess m_proxy;
    quint16 m_port = 0;
};

void tst_ReverseProxy::initTestCase()
{
    m_nginx = findProgram(QStringLiteral("nginx"));
    const QString openssl = findProgram(QStringLiteral("openssl"));
    if (m_nginx.isEmpty() || openssl.isEmpty())
        QSKIP("nginx or openssl is not installed (dev.sh installs both): the reverse-proxy test needs them");
    QVERIFY(m_dir.isValid());

    // A self-signed certificate for "localhost", valid one day.
    QProcess req;
    req.start(openssl,
              { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"),
                QStringLiteral("-addext"), QStringLiteral("subjectAltName=DNS:localhost"), QStringLiteral("-keyout"),
                m_dir.filePath(QStringLiteral("key.pem")), QStringLiteral("-out"),
                m_dir.filePath(QStringLiteral("cert.pem")) });
    QVERIFY(req.waitForFinished(WaitMs));
    QVERIFY2(req.exitCode() == 0, req.readAllStandardError().constData());
    const QList<QSslCertificate> certs = QSslCertificate::fromPath(m_dir.filePath(QStringLiteral("cert.pem")));
    QCOMPARE(certs.size(), 1);
    m_certificate = certs.constFirst();

    // A free port, taken by the time nginx binds it now and then: try again with another.
    QString why;
    bool started = false;
    for (int attempt = 0; attempt < 5 && !started; ++attempt)
        started = startNginx(&why);
    QVERIFY2(started, qPrintable(why));
}

void tst_ReverseProxy::cleanupTestCase()
{
    if (m_proxy.state() != QProcess::NotRunning) {
        m_proxy.terminate(); // SIGTERM to its PID: nginx's fast shutdown
        if (!m_proxy.waitForFinished(WaitMs))
            m_proxy.kill();
    }
}

bool tst_ReverseProxy::startNginx(QString *why)
{
    m_port = freePort();
    const quint16 redirectPort = freePort();
    ServerConfig config = quietConfig();
    config.trustProxy = true;
    config.publicOrigins = { QString::fromLatin1(publicOrigin()) };
    m_server = startServer(config);

    // The shipped file, with only ports and certificate paths replaced; every replacement must
    // find its line, so the test follows the file.
    QFile shipped(QStringLiteral(RTLAB_NGINX_CONF));
    if (!shipped.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("cannot read %1").arg(shipped.fileName());
        return false;
    }
    QByteArray site = shipped.readAll();
    const std::pair<QByteArray, QByteArray> replacements[] = {
        { "listen 443 ssl;", "listen 127.0.0.1:" + QByteArray::number(m_port) + " ssl;" },
        { "listen [::]:443 ssl;", "" },
        { "listen 80;", "listen 127.0.0.1:" + QByteArray::number(redirectPort) + ";" },
        { "listen [::]:80;", "" },
        { "server 127.0.0.1:8080;", "server 127.0.0.1:" + QByteArray::number(m_server->port()) + ";" },
        { "/etc/ssl/certs/rtlab.pem", m_dir.filePath(QStringLiteral("cert.pem")).toUtf8() },
        { "/etc/ssl/private/rtlab.key", m_dir.filePath(QStringLiteral("key.pem")).toUtf8() },
    };
    for (const auto &[from, to] : replacements) {
        if (!site.contains(from)) {
            *why = QStringLiteral("docs/deploy/nginx.conf no longer has \"%1\"").arg(QString::fromLatin1(from));
            return false;
        }
        site.replace(from, to);
    }
    const QString dir = m_dir.path();
    QFile siteFile(m_dir.filePath(QStringLiteral("rtlab.conf")));
    QFile mainFile(m_dir.filePath(QStringLiteral("nginx.conf")));
    // What /etc/nginx/nginx.conf gives the site, with every path in the test's directory (nginx
    // runs as this user: root needs `user` to keep its workers as root, who own the directory).
    QByteArray main;
    if (::geteuid() == 0)
        main += QByteArray("user ") + ::getpwuid(::geteuid())->pw_name + ";\n";
    main += "worker_processes 1;\nevents { worker_connections 256; }\nhttp {\n    access_log " + dir.toUtf8()
            + "/access.log;\n";
    for (const char *temp : { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        main += QByteArray("    ") + temp + "_temp_path " + dir.toUtf8() + '/' + temp + ";\n";
    main += "    include " + siteFile.fileName().toUtf8() + ";\n}\n";
    if (!siteFile.open(QIODevice::WriteOnly) || siteFile.write(site) != site.size() || !siteFile.flush()
        || !mainFile.open(QIODevice::WriteOnly) || mainFile.write(main) != main.size() || !mainFile.flush()) {
        *why = QStringLiteral("cannot write nginx's configuration in %1").arg(dir);
        return false;
    }
    siteFile.close();
    mainFile.close();

    const QString errorLog = m_dir.filePath(QStringLiteral("error.log"));
    m_proxy.setProcessChannelMode(QProcess::MergedChannels);
    m_proxy.start(m_nginx,
                  { QStringLiteral("-e"), errorLog, QStringLiteral("-p"), dir + QLatin1Char('/'), QStringLiteral("-c"),
                    mainFile.fileName(), QStringLiteral("-g"),
                    QStringLiteral("daemon off; pid %1/nginx.pid;").arg(dir) });
    if (!m_proxy.waitForStarted(WaitMs)) {
        *why = m_proxy.errorString();
        return false;
    }
    // Ready once it accepts a connection; gone if it could not start (a port taken: try again).
    const bool ready = QTest::qWaitFor(
            [&] {
                if (m_proxy.state() == QProcess::NotRunning)
                    return true;
                QTcpSocket probe;
                probe.connectToHost(QHostAddress::LocalHost, m_port);
                return probe.waitForConnected(100);
            },
            WaitMs);
    if (!ready || m_proxy.state() == QProcess::NotRunning) {
        QFile log(errorLog);
        static_cast<void>(log.open(QIODevice::ReadOnly));
        *why = QStringLiteral("nginx did not start: %1 %2")
                       .arg(QString::fromUtf8(m_proxy.readAll()), QString::fromUtf8(log.readAll()));
        if (m_proxy.state() != QProcess::NotRunning) {
            m_proxy.kill();
            m_proxy.waitForFinished(WaitMs);
        }
        return false;
    }
    return true;
}

// One request through nginx over TLS; the body of its answer.
QByteArray tst_ReverseProxy::request(const QByteArray &method, const QByteArray &target,
                                     const QList<QByteArray> &headers, const QByteArray &body, int *status)
{
    TlsClient client(m_port, m_certificate);
    if (!client.encrypted()) {
        qWarning() << "TLS:" << client.errorString();
        return {};
    }
    QByteArray raw = method + ' ' + target + " HTTP/1.1\r\n";
    for (const QByteArray &h : headers)
        raw += h + "\r\n";
    if (!body.isNull())
        raw += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    client.send(raw + "\r\n" + body);
    HttpResponseParser parser;
    QByteArray answer;
    *status = client.read(&parser, &answer) ? parser.status() : 0;
    return answer;
}

static QByteArray chat(const QString &text)
{
    PublishRequest p;
    p.from = QStringLiteral("proxied");
    p.text = text;
    return MessageCodec::encodePublish(p);
}

void tst_ReverseProxy::everyTransportThroughTls()
{
    const QByteArray origin = "Origin: " + publicOrigin();
    const quint64 before = m_server->hub()->log().lastId();
    const QByteArray after =
            "after=" + QByteArray::number(before) + "&epoch=" + m_server->hub()->log().epoch().toUtf8();

    // Long poll: held through the proxy until the message comes.
    TlsClient poll(m_port, m_certificate);
    QVERIFY2(poll.encrypted(), qPrintable(poll.errorString()));
    poll.send("GET /poll?" + after + "&timeout=20 HTTP/1.1\r\n" + hostHeader() + "\r\n" + origin + "\r\n\r\n");

    // SSE: the head comes at once, events unbuffered (proxy_buffering off).
    TlsClient sse(m_port, m_certificate);
    QVERIFY2(sse.encrypted(), qPrintable(sse.errorString()));
    sse.send("GET /events?lastEventId=" + MessageCodec::eventId(m_server->hub()->log().epoch(), before).toUtf8()
             + " HTTP/1.1\r\n" + hostHeader() + "\r\n" + origin + "\r\nAccept: text/event-stream\r\n\r\n");
    HttpResponseParser sseHead;
    QByteArray sseBody;
    QVERIFY(sse.read(&sseHead, &sseBody, [] { return true; }));
    QCOMPARE(sseHead.status(), 200);
    QCOMPARE(sseHead.header("content-type"), QByteArray("text/event-stream"));

    // WebSocket: upgraded through the proxy with the browser's Origin, the public origin.
    TlsClient ws(m_port, m_certificate);
    QVERIFY2(ws.encrypted(), qPrintable(ws.errorString()));
    WsHandshake handshake(QUrl(QStringLiteral("wss://localhost:%1/ws?%2").arg(m_port).arg(QString::fromUtf8(after))),
                          WsHandshake::generateKey(), QString::fromUtf8(publicOrigin()));
    ws.send(handshake.request());
    QByteArray wsBytes;
    QVERIFY(ws.waitBytes(&wsBytes, [&] {
        wsBytes.remove(0, handshake.feed(wsBytes));
        return handshake.state() != WsHandshake::State::Reading;
    }));
    QVERIFY2(handshake.state() == WsHandshake::State::Upgraded,
             qPrintable(QStringLiteral("%1 %2").arg(handshake.status()).arg(handshake.errorString())));

    // A same-origin publish from the page (an https Origin, Host without the port: nginx's $host).
    int status = 0;
    const QByteArray accepted =
            request("POST", "/send", { hostHeader(), origin }, chat(QStringLiteral("via nginx")), &status);
    QCOMPARE(status, 202);
    const quint64 id = quint64(QJsonDocument::fromJson(accepted).object().value(QLatin1String("id")).toInteger());
    QCOMPARE(id, before + 1);

    HttpResponseParser pollAnswer;
    QByteArray pollBody;
    QVERIFY(poll.read(&pollAnswer, &pollBody));
    QCOMPARE(pollAnswer.status(), 200);
    const auto polled = PollAnswer::fromJson(QJsonDocument::fromJson(pollBody).object());
    QVERIFY(polled);
    QCOMPARE(polled->messages.size(), 1);
    QCOMPARE(polled->messages.first().toObject().value(QLatin1String("text")).toString(), QStringLiteral("via nginx"));

    SseParser events;
    events.feed(sseBody);
    QList<SseEvent> got = events.takeEvents();
    QVERIFY(sse.read(&sseHead, &sseBody, [&] {
        events.feed(std::exchange(sseBody, {}));
        got += events.takeEvents();
        return !got.isEmpty();
    }));
    const auto streamed = MessageCodec::decode(got.constFirst().data.toUtf8());
    QVERIFY(streamed);
    QCOMPARE(streamed->text, QStringLiteral("via nginx"));

    WsFrameParser frames(WsFrameParser::Role::Client);
    std::optional<WsMessage> message;
    QVERIFY(ws.waitBytes(&wsBytes, [&] {
        frames.feed(std::exchange(wsBytes, {}));
        while (!message && frames.next())
            message = frames.takeMessage();
        return message.has_value();
    }));
    const auto received = MessageCodec::decode(message->data);
    QVERIFY(received);
    QCOMPARE(received->id, before + 1);
    QCOMPARE(received->text, QStringLiteral("via nginx"));
}

void tst_ReverseProxy::foreignOriginRefused()
{
    const quint64 before = m_server->hub()->log().lastId();
    int status = 0;
    const QByteArray answer = request("POST", "/send", { hostHeader(), "Origin: https://evil.example" },
                                      chat(QStringLiteral("forged")), &status);
    QCOMPARE(status, 403);
    QVERIFY(!QJsonDocument::fromJson(answer).object().value(QLatin1String("error")).toString().isEmpty());
    // The page's origin over plain http is another origin too.
    request("POST", "/send", { hostHeader(), "Origin: http://localhost:" + QByteArray::number(m_port) },
            chat(QStringLiteral("forged")), &status);
    QCOMPARE(status, 403);

    TlsClient ws(m_port, m_certificate);
    QVERIFY(ws.encrypted());
    WsHandshake handshake(QUrl(QStringLiteral("wss://localhost:%1/ws").arg(m_port)), WsHandshake::generateKey(),
                          QStringLiteral("https://evil.example"));
    ws.send(handshake.request());
    QByteArray bytes;
    QVERIFY(ws.waitBytes(&bytes, [&] {
        bytes.remove(0, handshake.feed(bytes));
        return handshake.state() != WsHandshake::State::Reading;
    }));
    QCOMPARE(handshake.status(), 403);
    QCOMPARE(m_server->hub()->log().lastId(), before);
}

// A name rebound to this machine reaches nginx too: the Host it passes on is refused.
void tst_ReverseProxy::reboundHostRefused()
{
    int status = 0;
    const QByteArray attacker = "attacker.example:" + QByteArray::number(m_port);
    request("POST", "/send", { "Host: " + attacker, "Origin: https://" + attacker }, chat(QStringLiteral("rebound")),
            &status);
    QCOMPARE(status, 421);
}

// The client list shows the address nginx saw (its X-Forwarded-For hop), not nginx's own
// connection, and not what the client wrote in its own X-Forwarded-For.
void tst_ReverseProxy::clientAddressIsTheProxysLastHop()
{
    TlsClient sse(m_port, m_certificate);
    QVERIFY(sse.encrypted());
    sse.send("GET /events HTTP/1.1\r\n" + hostHeader() + "\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
    HttpResponseParser head;
    QByteArray body;
    QVERIFY(sse.read(&head, &body, [] { return true; }));
    QCOMPARE(head.status(), 200);
    int status = 0;
    const QByteArray stats = request("GET", "/stats?clients=1", { hostHeader() }, {}, &status);
    QCOMPARE(status, 200);
    const auto snapshot = StatsSnapshot::fromJson(QJsonDocument::fromJson(stats).object());
    QVERIFY(snapshot && snapshot->clients);
    QStringList peers;
    for (const StatsSnapshot::Client &c : *snapshot->clients)
        peers.append(c.peer);
    QVERIFY2(peers.contains(u"127.0.0.1"), qPrintable(peers.join(u' ')));
    QVERIFY(!peers.join(u' ').contains(u"6.6.6.6"));
}

QTEST_GUILESS_MAIN(tst_ReverseProxy)
#include "tst_reverseproxy.moc"
