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
                                "--tick-rate", "--allow-origin" })
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

QTEST_GUILESS_MAIN(tst_RtlabServer)
#include "tst_rtlabserver.moc"
