// rtlab-bench end to end, as a smoke test: the real executable against the in-process server,
// every transport at once. It checks counts only (nothing lost, nothing repeated, every message to
// every subscriber), never timings: figures belong in docs/benchmarks.md.
#include "testsupport.h"

#include <QProcess>

using namespace rtlab;
using namespace rtlab::test;

class tst_RtlabBench : public QObject
{
    Q_OBJECT
private slots:
    void everyTransportGetsEveryMessageOnce();
    void idleModeReportsTheServer();
    void badArguments();
};

struct BenchRun
{
    int exitCode = -1;
    QJsonObject json;
    QByteArray errText;
};

// Starts rtlab-bench and runs the event loop (the server lives in this process) until it exits.
static BenchRun runBench(const QStringList &arguments)
{
    QProcess p;
    p.start(QStringLiteral(RTLAB_BENCH_BINARY), arguments);
    BenchRun r;
    if (!p.waitForStarted(WaitMs))
        return r;
    if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.json = QJsonDocument::fromJson(p.readAllStandardOutput().trimmed()).object();
    r.errText = p.readAllStandardError();
    return r;
}

static QString url(quint16 port)
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port);
}

void tst_RtlabBench::everyTransportGetsEveryMessageOnce()
{
    auto server = startServer(quietConfig());
    const int subscribers = 60; // 20 each, dealt round robin
    const int messages = 50;
    const BenchRun r = runBench({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"),
        QStringLiteral("ws,sse,lp"), QStringLiteral("--subscribers"), QString::number(subscribers),
        QStringLiteral("--messages"), QString::number(messages), QStringLiteral("--rate"),
        QStringLiteral("500"), QStringLiteral("--server-pid"),
        QString::number(QCoreApplication::applicationPid()), QStringLiteral("--settle"),
        QStringLiteral("0.2"), QStringLiteral("--json"), QStringLiteral("--label"),
        QStringLiteral("smoke") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject &j = r.json;
    QCOMPARE(j.value(QLatin1String("label")).toString(), QStringLiteral("smoke"));
    const QJsonObject byTransport
        = j.value(QLatin1String("connections")).toObject().value(QLatin1String("byTransport")).toObject();
    for (const char *t : { "ws", "sse", "lp" })
        QCOMPARE(byTransport.value(QLatin1String(t)).toObject().value(QLatin1String("open")).toInteger(),
            subscribers / 3);
    QCOMPARE(j.value(QLatin1String("acked")).toInteger(), messages);
    QCOMPARE(j.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("duplicates")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("errors")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * subscribers);
    QCOMPARE(j.value(QLatin1String("latencyUs")).toObject().value(QLatin1String("count")).toInteger(),
        qint64(messages) * subscribers);
    // The server as seen from /proc: this test process.
    QVERIFY(j.value(QLatin1String("server"))
                .toObject()
                .value(QLatin1String("after"))
                .toObject()
                .value(QLatin1String("rssKiB"))
                .toInteger()
        > 0);
    // And as the server counted it.
    QCOMPARE(server->hub()->stats().at(Transport::WebSocket).messages, qint64(messages) * (subscribers / 3));
    QCOMPARE(server->hub()->stats().at(Transport::Sse).messages, qint64(messages) * (subscribers / 3));
}

void tst_RtlabBench::idleModeReportsTheServer()
{
    auto server = startServer(quietConfig());
    const BenchRun r = runBench({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"),
        QStringLiteral("sse,ws"), QStringLiteral("--subscribers"), QStringLiteral("10"),
        QStringLiteral("--idle-conns"), QStringLiteral("5"), QStringLiteral("--idle"),
        QStringLiteral("--duration"), QStringLiteral("0.3"), QStringLiteral("--settle"),
        QStringLiteral("0.1"), QStringLiteral("--server-pid"),
        QString::number(QCoreApplication::applicationPid()), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    QCOMPARE(r.json.value(QLatin1String("mode")).toString(), QStringLiteral("idle"));
    QCOMPARE(
        r.json.value(QLatin1String("connections")).toObject().value(QLatin1String("opened")).toInteger(), 15);
    QVERIFY(r.json.value(QLatin1String("idle")).toObject().contains(QLatin1String("bytesPerSec")));
    QVERIFY(r.json.value(QLatin1String("server")).toObject().contains(QLatin1String("wakeupsPerSec")));
}

void tst_RtlabBench::badArguments()
{
    const BenchRun r = runBench({ QStringLiteral("--transport"), QStringLiteral("carrier-pigeon"),
        QStringLiteral("--messages"), QStringLiteral("1") });
    QCOMPARE(r.exitCode, 2);
    const BenchRun remote = runBench({ QStringLiteral("--url"), QStringLiteral("http://example.org"),
        QStringLiteral("--messages"), QStringLiteral("1") });
    QCOMPARE(remote.exitCode, 2);
    QVERIFY2(remote.errText.contains("loopback only"), remote.errText.constData());
}

QTEST_GUILESS_MAIN(tst_RtlabBench)
#include "tst_rtlabbench.moc"
