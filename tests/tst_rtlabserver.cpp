// SPDX-License-Identifier: MIT
// The rtlab-server executable as a user runs it: arguments, the "listening" line, signals.
#include "testsupport.h"

#include <QProcess>
#include <QRegularExpression>

#include <csignal>

using namespace rtlab;
using namespace rtlab::test;

class tst_RtlabServer : public QObject
{
    Q_OBJECT
private slots:
    void helpDocumentsEveryOption();
    void badArgumentsAreRefused_data();
    void badArgumentsAreRefused();
    void servesAndShutsDownOnSignal_data();
    void servesAndShutsDownOnSignal();
    void warnsWhenOpenToTheNetwork_data();
    void warnsWhenOpenToTheNetwork();
};

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
                                "--tick-rate", "--allow-origin", "--allowed-host", "--public-origin", "--trust-proxy" })
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

QTEST_GUILESS_MAIN(tst_RtlabServer)
#include "tst_rtlabserver.moc"
