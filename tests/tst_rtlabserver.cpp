// SPDX-License-Identifier: MIT
// The rtlab-server executable as a user runs it: arguments, the "listening" line, signals.
#include "testsupport.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <csignal>
#include <unistd.h>

using namespace rtlab;
using namespace rtlab::test;

class tst_RtlabServer : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void helpDocumentsEveryOption();
    void badArgumentsAreRefused_data();
    void badArgumentsAreRefused();
    void servesAndShutsDownOnSignal_data();
    void servesAndShutsDownOnSignal();
    void warnsWhenOpenToTheNetwork_data();
    void warnsWhenOpenToTheNetwork();
    void tokenIsAcceptedWithTheSameKeyOnly();
    void tokenCommandRefuses_data();
    void tokenCommandRefuses();

private:
    QString writeFile(const QString &name, const QByteArray &bytes);
    QTemporaryDir m_dir;
};

QString tst_RtlabServer::writeFile(const QString &name, const QByteArray &bytes)
{
    QFile file(m_dir.filePath(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(file.fileName()));
    return file.fileName();
}

// Key files for the rows below: one of 32 bytes, one too short, one that cannot be read.
void tst_RtlabServer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    writeFile(QStringLiteral("key"), QByteArray(32, 'k'));
    writeFile(QStringLiteral("other-key"), QByteArray(32, 'o'));
    writeFile(QStringLiteral("short-key"), QByteArray(31, 'k'));
    QFile::setPermissions(writeFile(QStringLiteral("unreadable-key"), QByteArray(32, 'k')), QFileDevice::WriteOwner);
}

static QString binary()
{
    return QStringLiteral(RTLAB_SERVER_BINARY);
}

void tst_RtlabServer::helpDocumentsEveryOption()
{
    QProcess p;
    p.start(binary(), { QStringLiteral("--help") });
    QVERIFY(p.waitForFinished(WaitMs));
    QCOMPARE(p.exitCode(), 0);
    const QString help = QString::fromUtf8(p.readAllStandardOutput());
    for (const char *option : { "--host", "--port", "--history", "--history-age", "--poll-timeout", "--heartbeat",
                                "--tick-rate", "--allow-origin", "--allowed-host", "--public-origin", "--trust-proxy",
                                "--auth-key", "--allow-query-token", "--max-publish-rate" })
        QVERIFY2(help.contains(QLatin1String(option)), option);
}

void tst_RtlabServer::badArgumentsAreRefused_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("port out of range") << QStringList { QStringLiteral("--port"), QStringLiteral("70000") }
                                       << QStringLiteral("--port");
    QTest::newRow("unknown option") << QStringList { QStringLiteral("--frobnicate") } << QStringLiteral("frobnicate");
    QTest::newRow("host not an address") << QStringList { QStringLiteral("--host"), QStringLiteral("not a host") }
                                         << QStringLiteral("--host");
    // The key must be long enough to be a secret, and readable: never a server that runs open by mistake.
    QTest::newRow("auth key of 31 bytes")
            << QStringList { QStringLiteral("--auth-key"), m_dir.filePath(QStringLiteral("short-key")) }
            << QStringLiteral("holds 31 bytes; an HS256 key needs at least 32");
    QTest::newRow("auth key missing") << QStringList { QStringLiteral("--auth-key"),
                                                       m_dir.filePath(QStringLiteral("no-such-key")) }
                                      << QStringLiteral("--auth-key: cannot read");
    if (::geteuid() != 0) { // root reads any file
        QTest::newRow("auth key unreadable")
                << QStringList { QStringLiteral("--auth-key"), m_dir.filePath(QStringLiteral("unreadable-key")) }
                << QStringLiteral("--auth-key: cannot read");
    }
    QTest::newRow("query token without a key")
            << QStringList { QStringLiteral("--allow-query-token") } << QStringLiteral("needs --auth-key");
}

void tst_RtlabServer::badArgumentsAreRefused()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QProcess p;
    p.start(binary(), arguments);
    QVERIFY(p.waitForFinished(WaitMs));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(message));
}

void tst_RtlabServer::servesAndShutsDownOnSignal_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGTERM") << int(SIGTERM);
    QTest::newRow("SIGINT") << int(SIGINT);
}

void tst_RtlabServer::servesAndShutsDownOnSignal()
{
    QFETCH(int, signalNumber);
    QProcess p;
    p.start(binary(),
            { QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--tick-rate"), QStringLiteral("0") });
    QVERIFY(p.waitForStarted(WaitMs));
    // One line, flushed, once listening.
    QVERIFY(QTest::qWaitFor([&] { return p.canReadLine(); }, WaitMs));
    const QString line = QString::fromUtf8(p.readLine()).trimmed();
    const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("^rtlab-server listening on http://127\\.0\\.0\\.1:(\\d+)$")).match(line);
    QVERIFY2(m.hasMatch(), qPrintable(line));
    const quint16 port = quint16(m.captured(1).toUInt());
    QVERIFY(port > 0);

    QCOMPARE(request(port, "GET", "/healthz").status, 200);
    WsClient ws(port);
    SseClient sse(port);
    QVERIFY(ws.waitOpen());
    QVERIFY(sse.waitOpen());
    QCOMPARE(publish(port, QStringLiteral("before the signal")), 1u);
    QVERIFY(ws.waitMessages(1));
    QVERIFY(sse.waitEvents(1));

    ::kill(pid_t(p.processId()), signalNumber);
    QVERIFY(ws.waitClosed());
    QCOMPARE(ws.closeCode, QWebSocketProtocol::CloseCodeGoingAway);
    QVERIFY(QTest::qWaitFor([&] { return sse.socket.state() == QAbstractSocket::UnconnectedState; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, WaitMs));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
}

void tst_RtlabServer::warnsWhenOpenToTheNetwork_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("warns");
    QTest::newRow("0.0.0.0: every address") << QStringLiteral("0.0.0.0") << true;
    QTest::newRow(":: (every address, IPv6)") << QStringLiteral("::") << true;
    QTest::newRow("127.0.0.1: this machine only") << QStringLiteral("127.0.0.1") << false;
    QTest::newRow("localhost") << QStringLiteral("localhost") << false;
}

// Finding 8 of issue 14: bound to a non-loopback address without --auth-key, the server says on
// stderr what is open to whom, and keeps serving.
void tst_RtlabServer::warnsWhenOpenToTheNetwork()
{
    QFETCH(QString, host);
    QFETCH(bool, warns);
    QProcess p;
    p.start(binary(),
            { QStringLiteral("--host"), host, QStringLiteral("--port"), QStringLiteral("0"),
              QStringLiteral("--tick-rate"), QStringLiteral("0") });
    QVERIFY(p.waitForStarted(WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return p.canReadLine(); }, WaitMs));
    const QString line = QString::fromUtf8(p.readLine()).trimmed();
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral(":(\\d+)$")).match(line);
    QVERIFY2(m.hasMatch(), qPrintable(line));
    const quint16 port = quint16(m.captured(1).toUInt());
    // Still serving (the warning is printed before the "listening" line).
    QCOMPARE(request(port, "GET", "/healthz").status, 200);
    QCOMPARE(publish(port, QStringLiteral("still open")), 1u);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    if (warns) {
        for (const QString &says :
             { QStringLiteral("WARNING"), QStringLiteral(":%1").arg(port), QStringLiteral("no authentication"),
               QStringLiteral("read every message"), QStringLiteral("publish under any name"), QStringLiteral("/stats"),
               QStringLiteral("--auth-key"), QStringLiteral("reverse proxy") })
            QVERIFY2(err.contains(says), qPrintable(QStringLiteral("stderr lacks \"%1\": %2").arg(says, err)));
    } else {
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }
    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, WaitMs));
    QCOMPARE(p.exitCode(), 0);
}

static QByteArray mint(const QStringList &arguments, int *exitCode = nullptr, QByteArray *errors = nullptr)
{
    QProcess p;
    p.start(binary(), QStringList { QStringLiteral("token") } + arguments);
    if (!p.waitForFinished(WaitMs))
        return {};
    if (exitCode)
        *exitCode = p.exitCode();
    if (errors)
        *errors = p.readAllStandardError();
    return p.readAllStandardOutput();
}

// The printed token, alone on its line, opens a server with the same key; one with another key
// refuses it (401, bad signature).
void tst_RtlabServer::tokenIsAcceptedWithTheSameKeyOnly()
{
    const QString keyFile = m_dir.filePath(QStringLiteral("key"));
    int exitCode = -1;
    const QByteArray out = mint({ QStringLiteral("--auth-key"), keyFile, QStringLiteral("--sub"), QStringLiteral("ann"),
                                  QStringLiteral("--exp"), QStringLiteral("15m"), QStringLiteral("--perm"),
                                  QStringLiteral("subscribe,publish,stats") },
                                &exitCode);
    QCOMPARE(exitCode, 0);
    QVERIFY2(out.endsWith('\n') && out.count('\n') == 1, out.constData());
    const QByteArray token = out.trimmed();
    QCOMPARE(token.count('.'), 2);

    ServerConfig same = quietConfig();
    same.authKey = QByteArray(32, 'k');
    auto server = startServer(same);
    const QByteArray authorization = "Authorization: Bearer " + token;
    QCOMPARE(request(server->port(), "GET", "/stats", {}, { authorization }).status, 200);
    PublishRequest p { QStringLiteral("mallory"), QStringLiteral("hi") };
    const RawResponse sent =
            request(server->port(), "POST", "/send", MessageCodec::encodePublish(p), { authorization });
    QCOMPARE(sent.status, 202);
    const RawResponse polled = request(server->port(), "GET", "/poll?after=0&timeout=0", {}, { authorization });
    QCOMPARE(pollMessages(polled).value(0).from, QStringLiteral("ann"));

    ServerConfig other = quietConfig();
    other.authKey = QByteArray(32, 'o');
    auto otherServer = startServer(other);
    const RawResponse refused = request(otherServer->port(), "GET", "/stats", {}, { authorization });
    QCOMPARE(refused.status, 401);
    QVERIFY(refused.header("www-authenticate").contains("bad signature"));

    // --exp 0: no exp claim at all; the default permissions leave /stats closed.
    const QByteArray noExp = mint({ QStringLiteral("--auth-key"), keyFile, QStringLiteral("--sub"),
                                    QStringLiteral("bob"), QStringLiteral("--exp"), QStringLiteral("0") })
                                     .trimmed();
    const QByteArray payload = Jwt::decodeBase64Url(noExp.split('.').value(1)).value_or(QByteArray());
    QVERIFY2(!payload.contains("\"exp\""), payload.constData());
    QCOMPARE(request(server->port(), "GET", "/poll", {}, { "Authorization: Bearer " + noExp }).status, 200);
    QCOMPARE(request(server->port(), "GET", "/stats", {}, { "Authorization: Bearer " + noExp }).status, 403);
}

void tst_RtlabServer::tokenCommandRefuses_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    const QString key = m_dir.filePath(QStringLiteral("key"));
    QTest::newRow("no sub") << QStringList { QStringLiteral("--auth-key"), key } << QStringLiteral("--sub");
    QTest::newRow("short key") << QStringList { QStringLiteral("--auth-key"),
                                                m_dir.filePath(QStringLiteral("short-key")), QStringLiteral("--sub"),
                                                QStringLiteral("ann") }
                               << QStringLiteral("needs at least 32");
    QTest::newRow("bad exp") << QStringList { QStringLiteral("--auth-key"), key,
                                              QStringLiteral("--sub"),      QStringLiteral("ann"),
                                              QStringLiteral("--exp"),      QStringLiteral("5y") }
                             << QStringLiteral("--exp");
    QTest::newRow("unknown permission") << QStringList {
        QStringLiteral("--auth-key"),     key, QStringLiteral("--sub"), QStringLiteral("ann"), QStringLiteral("--perm"),
        QStringLiteral("subscribe,admin")
    } << QStringLiteral("unknown permission admin");
}

void tst_RtlabServer::tokenCommandRefuses()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    int exitCode = -1;
    QByteArray errors;
    const QByteArray out = mint(arguments, &exitCode, &errors);
    QCOMPARE(exitCode, 2);
    QVERIFY(out.isEmpty());
    QVERIFY2(QString::fromUtf8(errors).contains(message), errors.constData());
}

QTEST_GUILESS_MAIN(tst_RtlabServer)
#include "tst_rtlabserver.moc"
