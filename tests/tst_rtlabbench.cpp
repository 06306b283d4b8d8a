// SPDX-License-Identifier: MIT
// rtlab-bench end to end, as a smoke test: the real executable against the in-process server,
// every transport at once. It checks counts only (nothing lost, nothing repeated, every message to
// every subscriber), never timings: figures belong in docs/benchmarks.md.
#include "redistestsupport.h"
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
    void idleSteadyStateShowsWhatEachTransportCosts();
    void stormResumesEverySubscriber();
    void subscribersAndPublishersSpreadOverNodes();
    void stormMovesEveryTransportToTheNextNode();
    void redisCommandsAreCountedOverTheRun();
    void crossNodeDeliveriesOnARedisLog();
    void slowReadersAreCountedApart();
    void slowReadersAreCutAtTheBound();
    void saturateOverWebSocketCountsAcknowledgements();
    void saturateOverHttpCountsAcknowledgements();
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
                                  QStringLiteral("ws,sse,lp"), QStringLiteral("--subscribers"),
                                  QString::number(subscribers), QStringLiteral("--messages"), QString::number(messages),
                                  QStringLiteral("--rate"), QStringLiteral("500"), QStringLiteral("--server-pid"),
                                  QString::number(QCoreApplication::applicationPid()), QStringLiteral("--settle"),
                                  QStringLiteral("0.2"), QStringLiteral("--json"), QStringLiteral("--label"),
                                  QStringLiteral("smoke") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject &j = r.json;
    QCOMPARE(j.value(QLatin1String("label")).toString(), QStringLiteral("smoke"));
    const QJsonObject byTransport =
            j.value(QLatin1String("connections")).toObject().value(QLatin1String("byTransport")).toObject();
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
    QCOMPARE(server->hub()->stats().at(TransportKind::WebSocket).messages, qint64(messages) * (subscribers / 3));
    QCOMPARE(server->hub()->stats().at(TransportKind::Sse).messages, qint64(messages) * (subscribers / 3));
}

void tst_RtlabBench::idleModeReportsTheServer()
{
    auto server = startServer(quietConfig());
    const BenchRun r = runBench({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"),
                                  QStringLiteral("sse,ws"), QStringLiteral("--subscribers"), QStringLiteral("10"),
                                  QStringLiteral("--idle-conns"), QStringLiteral("5"), QStringLiteral("--idle"),
                                  QStringLiteral("--duration"), QStringLiteral("0.3"), QStringLiteral("--warmup"),
                                  QStringLiteral("0"), QStringLiteral("--settle"), QStringLiteral("0.1"),
                                  QStringLiteral("--server-pid"), QString::number(QCoreApplication::applicationPid()),
                                  QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    QCOMPARE(r.json.value(QLatin1String("mode")).toString(), QStringLiteral("idle"));
    QCOMPARE(r.json.value(QLatin1String("connections")).toObject().value(QLatin1String("opened")).toInteger(), 15);
    QVERIFY(r.json.value(QLatin1String("idle")).toObject().contains(QLatin1String("bytesPerSec")));
    QVERIFY(r.json.value(QLatin1String("server")).toObject().contains(QLatin1String("wakeupsPerSec")));
}

// Issue 11: the idle window opens after set-up and a full cycle, with a short hold and heartbeat,
// and reports the cost per client. Long polls re-poll (requests > 0); WebSockets send nothing but
// pings (no request after the handshake); each costs the server one descriptor. Counts and
// directions only, never timings.
void tst_RtlabBench::idleSteadyStateShowsWhatEachTransportCosts()
{
    ServerConfig config = quietConfig(); // no ticks: nothing is published
    config.heartbeatMs = 1000;
    auto server = startServer(config);
    const int clients = 50;
    const auto idle = [&](const QString &transport) {
        const BenchRun r = runBench(
                { QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), transport,
                  QStringLiteral("--subscribers"), QString::number(clients), QStringLiteral("--idle"),
                  QStringLiteral("--duration"), QStringLiteral("3"), QStringLiteral("--poll-hold"), QStringLiteral("1"),
                  QStringLiteral("--connect-spread"), QStringLiteral("1"), QStringLiteral("--server-pid"),
                  QString::number(QCoreApplication::applicationPid()), QStringLiteral("--json") });
        if (r.exitCode != 0)
            qWarning("%s", r.errText.constData());
        return r.json.value(QLatin1String("idle")).toObject();
    };
    const auto per = [](const QJsonObject &i, const char *key) {
        return i.value(QLatin1String("perClient")).toObject().value(QLatin1String(key)).toDouble(-1);
    };

    const QJsonObject lp = idle(QStringLiteral("lp"));
    QCOMPARE(lp.value(QLatin1String("clients")).toInteger(), clients);
    // The conditions in force, read from the server: the asked-for hold, its heartbeat, no ticks.
    QCOMPARE(lp.value(QLatin1String("holdMs")).toInteger(), 1000);
    QCOMPARE(lp.value(QLatin1String("heartbeatMs")).toInteger(), 1000);
    QCOMPARE(lp.value(QLatin1String("tickRate")).toDouble(), 0.0);
    QCOMPARE(lp.value(QLatin1String("messagesInWindow")).toInteger(), 0);
    QVERIFY(lp.value(QLatin1String("warmupSeconds")).toDouble() >= 1.0); // a full cycle after set-up
    // Every client re-polled at least once in a window of three holds, as the server counted.
    const QJsonObject lpCounts =
            lp.value(QLatin1String("byTransport")).toObject().value(QLatin1String("lp")).toObject();
    QVERIFY2(lpCounts.value(QLatin1String("requests")).toInteger() >= clients, QJsonDocument(lp).toJson().constData());
    QVERIFY(per(lp, "requestsPerSec") > 0);
    QVERIFY(per(lp, "bytesPerSec") > 0);
    QVERIFY2(per(lp, "fds") >= 0.9 && per(lp, "fds") <= 1.2, QJsonDocument(lp).toJson().constData());

    const QJsonObject ws = idle(QStringLiteral("ws"));
    QCOMPARE(ws.value(QLatin1String("clients")).toInteger(), clients);
    QCOMPARE(ws.value(QLatin1String("holdMs")).toInteger(), -1); // no long polls
    QCOMPARE(ws.value(QLatin1String("messagesInWindow")).toInteger(), 0);
    // No request after the handshakes, only pings (answered, so nobody is closed).
    QCOMPARE(ws.value(QLatin1String("byTransport"))
                     .toObject()
                     .value(QLatin1String("ws"))
                     .toObject()
                     .value(QLatin1String("requests"))
                     .toInteger(),
             0);
    QCOMPARE(per(ws, "requestsPerSec"), 0.0);
    QVERIFY(ws.value(QLatin1String("heartbeats")).toInteger() > 0);
    QCOMPARE(ws.value(QLatin1String("closedInWindow")).toInteger(), 0);
    QVERIFY2(per(ws, "fds") >= 0.9 && per(ws, "fds") <= 1.2, QJsonDocument(ws).toJson().constData());
    // A heartbeat costs fewer bytes than a re-poll's answer.
    QVERIFY(per(ws, "bytesPerSec") < per(lp, "bytesPerSec"));
}

// Every subscriber drops and reconnects at once while messages keep coming; resuming (SSE by
// Last-Event-ID, long poll by its cursor) must leave every subscriber with every message once.
void tst_RtlabBench::stormResumesEverySubscriber()
{
    auto server = startServer(quietConfig());
    const int subscribers = 40;
    const int messages = 60;
    const BenchRun r = runBench(
            { QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("sse,lp"),
              QStringLiteral("--subscribers"), QString::number(subscribers), QStringLiteral("--messages"),
              QString::number(messages), QStringLiteral("--rate"), QStringLiteral("60"), QStringLiteral("--storm-at"),
              QStringLiteral("0.4"), QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject storm = r.json.value(QLatin1String("storm")).toObject();
    QCOMPARE(storm.value(QLatin1String("dropped")).toInteger(), subscribers);
    QCOMPARE(storm.value(QLatin1String("reopened")).toInteger(), subscribers);
    QCOMPARE(storm.value(QLatin1String("failed")).toInteger(), 0);
    QVERIFY(r.json.value(QLatin1String("reconnects")).toInteger() >= subscribers);
    QCOMPARE(r.json.value(QLatin1String("acked")).toInteger(), messages);
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("duplicates")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * subscribers);
}

// Several nodes: subscribers dealt over the --sub-node URLs (every transport on each), publishers
// on the --pub-node ones, and each node's deliveries counted apart. Two spellings of one server's
// address stand for two nodes of one log (tst_cluster runs real ones on Redis).
void tst_RtlabBench::subscribersAndPublishersSpreadOverNodes()
{
    auto server = startServer(quietConfig());
    const QString a = url(server->port());
    const QString b = QStringLiteral("http://localhost:%1").arg(server->port());
    const int subscribers = 48;
    const int messages = 30;
    const BenchRun r =
            runBench({ QStringLiteral("--pub-node"), a, QStringLiteral("--sub-node"), b, QStringLiteral("--sub-node"),
                       a + QStringLiteral("/"), QStringLiteral("--transport"), QStringLiteral("ws,sse,lp"),
                       QStringLiteral("--subscribers"), QString::number(subscribers), QStringLiteral("--messages"),
                       QString::number(messages), QStringLiteral("--rate"), QStringLiteral("300"),
                       QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("duplicates")).toInteger(), 0);
    const QJsonObject nodes = r.json.value(QLatin1String("nodes")).toObject();
    QCOMPARE(nodes.value(QLatin1String("count")).toInteger(), 2); // "a/" is node a
    QCOMPARE(nodes.value(QLatin1String("crossNodeOnly")).toBool(), false);
    const QJsonArray subs = nodes.value(QLatin1String("subscriberNodes")).toArray();
    QCOMPARE(subs.size(), 2);
    for (const QJsonValue v : subs) {
        QCOMPARE(v.toObject().value(QLatin1String("subscribers")).toInteger(), subscribers / 2);
        QCOMPARE(v.toObject().value(QLatin1String("deliveries")).toInteger(), qint64(messages) * subscribers / 2);
    }
    QCOMPARE(subs.at(0).toObject().value(QLatin1String("url")).toString(), b);
    QCOMPARE(nodes.value(QLatin1String("publisherNodes")).toArray(), QJsonArray { a });

    // Publishers on a, subscribers on b only: every delivery crossed nodes.
    const BenchRun cross = runBench(
            { QStringLiteral("--pub-node"), a, QStringLiteral("--sub-node"), b, QStringLiteral("--subscribers"),
              QStringLiteral("4"), QStringLiteral("--messages"), QStringLiteral("5"), QStringLiteral("--rate"),
              QStringLiteral("100"), QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(cross.exitCode == 0, cross.errText.constData());
    QCOMPARE(cross.json.value(QLatin1String("nodes")).toObject().value(QLatin1String("crossNodeOnly")).toBool(), true);
    QCOMPARE(cross.json.value(QLatin1String("deliveries")).toInteger(), 20);
}

// The storm on every transport, WebSockets included (rtlab's /ws?after=&epoch= from the last
// message a subscriber had), each subscriber resuming on the next node: nothing lost or repeated,
// and the report says when every subscriber held all that was published before the storm.
void tst_RtlabBench::stormMovesEveryTransportToTheNextNode()
{
    auto server = startServer(quietConfig());
    const int subscribers = 48;
    const int messages = 60;
    const BenchRun r = runBench(
            { QStringLiteral("--url"), url(server->port()), QStringLiteral("--url"),
              QStringLiteral("http://localhost:%1").arg(server->port()), QStringLiteral("--transport"),
              QStringLiteral("ws,sse,lp"), QStringLiteral("--subscribers"), QString::number(subscribers),
              QStringLiteral("--messages"), QString::number(messages), QStringLiteral("--rate"), QStringLiteral("60"),
              QStringLiteral("--storm-at"), QStringLiteral("0.4"), QStringLiteral("--storm-move"),
              QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject storm = r.json.value(QLatin1String("storm")).toObject();
    QCOMPARE(storm.value(QLatin1String("reopened")).toInteger(), subscribers);
    QCOMPARE(storm.value(QLatin1String("moved")).toBool(), true);
    QVERIFY(storm.value(QLatin1String("messagesBefore")).toInteger() > 0);
    QVERIFY2(storm.value(QLatin1String("allResumedMs")).toDouble() >= 0, r.errText.constData());
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("duplicates")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * subscribers);
}

// --redis: Redis's INFO cpu and commandstats at the run's edges, the bench's own INFO left out. The
// server here keeps its log in memory, so what the report counts is what the test sends.
void tst_RtlabBench::redisCommandsAreCountedOverTheRun()
{
    REDISTEST_REQUIRE_INSTALLED();
    redistest::RedisServer redis;
    QString why;
    QVERIFY2(redis.start(&why), qPrintable(why));
    auto server = startServer(quietConfig());
    QProcess bench;
    bench.start(QStringLiteral(RTLAB_BENCH_BINARY),
                { QStringLiteral("--url"), url(server->port()), QStringLiteral("--subscribers"), QStringLiteral("2"),
                  QStringLiteral("--messages"), QStringLiteral("200"), QStringLiteral("--rate"), QStringLiteral("100"),
                  QStringLiteral("--redis"), redis.url(), QStringLiteral("--settle"), QStringLiteral("0.2"),
                  QStringLiteral("--json") });
    QVERIFY(bench.waitForStarted(WaitMs));
    // While it publishes (2 s), three commands of the test's own.
    QVERIFY2(QTest::qWaitFor([&] { return server->hub()->log().lastId() > 0; }, WaitMs),
             bench.readAllStandardError().constData());
    for (int i = 0; i < 3; ++i)
        redis.cli({ QStringLiteral("SET"), QStringLiteral("k"), QString::number(i) });
    QVERIFY(QTest::qWaitFor([&] { return bench.state() == QProcess::NotRunning; }, 120000));
    const QJsonObject j = QJsonDocument::fromJson(bench.readAllStandardOutput().trimmed()).object();
    QVERIFY2(bench.exitCode() == 0, bench.readAllStandardError().constData());
    const QJsonObject r = j.value(QLatin1String("redis")).toObject();
    QCOMPARE(r.value(QLatin1String("byCommand")).toObject().value(QLatin1String("set")).toInteger(), 3);
    QVERIFY(!r.value(QLatin1String("byCommand")).toObject().contains(QLatin1String("info")));
    QVERIFY(r.value(QLatin1String("commands")).toInteger() >= 3);
    QVERIFY(r.value(QLatin1String("cpuMs")).toDouble() >= 0); // Redis's own CPU over the run
}

// Two real nodes on one log in Redis: publishers on A, subscribers of every transport on B, so every
// delivery crossed nodes (through Redis and B's tail); the report counts Redis's commands.
void tst_RtlabBench::crossNodeDeliveriesOnARedisLog()
{
    REDISTEST_REQUIRE_INSTALLED();
    redistest::RedisServer redis;
    QString why;
    QVERIFY2(redis.start(&why), qPrintable(why));
    const auto node = [&](const char *name) {
        ServerConfig c = quietConfig();
        c.store = StoreSpec::parse(redis.url(), &why).value();
        c.store.logName = QStringLiteral("bench");
        c.store.nodeName = QString::fromLatin1(name);
        return startServer(c);
    };
    auto a = node("A");
    auto b = node("B");
    const int subscribers = 30;
    const int messages = 40;
    const BenchRun r =
            runBench({ QStringLiteral("--pub-node"), url(a->port()), QStringLiteral("--sub-node"), url(b->port()),
                       QStringLiteral("--transport"), QStringLiteral("ws,sse,lp"), QStringLiteral("--subscribers"),
                       QString::number(subscribers), QStringLiteral("--messages"), QString::number(messages),
                       QStringLiteral("--rate"), QStringLiteral("200"), QStringLiteral("--redis"), redis.url(),
                       QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    QCOMPARE(r.json.value(QLatin1String("acked")).toInteger(), messages);
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("duplicates")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * subscribers);
    QCOMPARE(r.json.value(QLatin1String("nodes")).toObject().value(QLatin1String("crossNodeOnly")).toBool(), true);
    const QJsonObject byCommand =
            r.json.value(QLatin1String("redis")).toObject().value(QLatin1String("byCommand")).toObject();
    QVERIFY(byCommand.value(QLatin1String("evalsha")).toInteger() >= 1); // publishes, batched or not
    QVERIFY(byCommand.value(QLatin1String("xread")).toInteger() >= 1);   // the tails
}

// Slow readers are dealt evenly over the transports and kept out of the others' figures; once they
// read again they get what the server kept for them.
void tst_RtlabBench::slowReadersAreCountedApart()
{
    auto server = startServer(quietConfig());
    const int messages = 20;
    const BenchRun r = runBench(
            { QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("ws,sse"),
              QStringLiteral("--subscribers"), QStringLiteral("24"), QStringLiteral("--slow-fraction"),
              QStringLiteral("0.25"), QStringLiteral("--messages"), QString::number(messages), QStringLiteral("--rate"),
              QStringLiteral("200"), QStringLiteral("--settle"), QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject slow = r.json.value(QLatin1String("slow")).toObject();
    QCOMPARE(slow.value(QLatin1String("subscribers")).toInteger(), 6); // 3 of each transport's 12
    QCOMPARE(slow.value(QLatin1String("complete")).toInteger(), 6);
    QCOMPARE(slow.value(QLatin1String("cutByServer")).toInteger(), 0);
    const QJsonObject c = r.json.value(QLatin1String("connections")).toObject();
    QCOMPARE(c.value(QLatin1String("openAtPublish")).toInteger(), 18);
    QCOMPARE(c.value(QLatin1String("slow")).toInteger(), 6);
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * 18);
}

// The bound on what a reader that does not read may cost: with --max-pending at 64 KiB (four of
// these messages; and the epoll core's fixed kernel send buffer), 640 KB sent to a reader that
// takes nothing gets it cut, and nobody else loses anything.
void tst_RtlabBench::slowReadersAreCutAtTheBound()
{
    ServerConfig config = quietConfig();
    config.maxPendingBytes = 64 * 1024;
    auto server = startServer(config);
    const int messages = 40;
    const BenchRun r = runBench({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"),
                                  QStringLiteral("ws"), QStringLiteral("--subscribers"), QStringLiteral("8"),
                                  QStringLiteral("--slow-fraction"), QStringLiteral("0.25"), QStringLiteral("--size"),
                                  QStringLiteral("16000"), QStringLiteral("--messages"), QString::number(messages),
                                  QStringLiteral("--rate"), QStringLiteral("100"), QStringLiteral("--settle"),
                                  QStringLiteral("0.2"), QStringLiteral("--json") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject slow = r.json.value(QLatin1String("slow")).toObject();
    QCOMPARE(slow.value(QLatin1String("subscribers")).toInteger(), 2);
    QCOMPARE(r.json.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(r.json.value(QLatin1String("deliveries")).toInteger(), qint64(messages) * 6);
    // The Qt core leaves the kernel's send buffer to autotuning (up to 4 MiB), which holds all of it.
    if (testCore() == ServerConfig::Core::Epoll) {
        QCOMPARE(slow.value(QLatin1String("cutByServer")).toInteger(), 2);
        QVERIFY(server->hub()->stats().slowReadersCut >= 2);
    }
}

// As fast as acknowledgements allow: WebSocket publishers with a window of unacknowledged
// messages, acknowledged when each comes back on its own socket. Bounded by --messages and
// --duration; checks counts only (every message acknowledged once, delivered to every subscriber).
static void checkSaturated(const BenchRun &r, const char *transport, int window, int subscribers)
{
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    const QJsonObject &j = r.json;
    QCOMPARE(j.value(QLatin1String("mode")).toString(), QStringLiteral("saturate"));
    const qint64 acked = j.value(QLatin1String("acked")).toInteger();
    QVERIFY(acked > 0);
    QCOMPARE(acked, j.value(QLatin1String("published")).toInteger());
    QCOMPARE(j.value(QLatin1String("publishErrors")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("lost")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("duplicates")).toInteger(), 0);
    QCOMPARE(j.value(QLatin1String("deliveries")).toInteger(), acked * subscribers);
    const QJsonObject pub = j.value(QLatin1String("publishers")).toObject();
    QCOMPARE(pub.value(QLatin1String("transport")).toString(), QLatin1String(transport));
    QCOMPARE(pub.value(QLatin1String("window")).toInteger(), window);
    QCOMPARE(pub.value(QLatin1String("saturate")).toBool(), true);
    QCOMPARE(pub.value(QLatin1String("errors")).toInteger(), 0);
    // One acknowledgement wait per acknowledged message, whoever else's messages the socket carried.
    QCOMPARE(pub.value(QLatin1String("ackLatencyUs")).toObject().value(QLatin1String("count")).toInteger(), acked);
    const qint64 inWindow = pub.value(QLatin1String("ackedInWindow")).toInteger();
    QVERIFY(inWindow > 0 && inWindow <= acked);
    QVERIFY(pub.value(QLatin1String("ackedPerSec")).toDouble() > 0);
    // /metrics was read at both edges: its rtlab_store_* change is there (empty without a store's series).
    QVERIFY2(!j.contains(QLatin1String("storeMetricsError")),
             qPrintable(j.value(QLatin1String("storeMetricsError")).toString()));
    QVERIFY(j.value(QLatin1String("storeMetrics")).isObject());
}

void tst_RtlabBench::saturateOverWebSocketCountsAcknowledgements()
{
    auto server = startServer(quietConfig());
    const BenchRun r = runBench({ QStringLiteral("--url"),
                                  url(server->port()),
                                  QStringLiteral("--saturate"),
                                  QStringLiteral("--pub-transport"),
                                  QStringLiteral("ws"),
                                  QStringLiteral("--publishers"),
                                  QStringLiteral("3"),
                                  QStringLiteral("--window"),
                                  QStringLiteral("8"),
                                  QStringLiteral("--subscribers"),
                                  QStringLiteral("4"),
                                  QStringLiteral("--duration"),
                                  QStringLiteral("1"),
                                  QStringLiteral("--messages"),
                                  QStringLiteral("300"),
                                  QStringLiteral("--metrics-url"),
                                  url(server->port()) + QStringLiteral("/metrics"),
                                  QStringLiteral("--settle"),
                                  QStringLiteral("0.1"),
                                  QStringLiteral("--json") });
    checkSaturated(r, "ws", 8, 4);
    // The publishers' sockets are WebSockets too: the server wrote every message to all 7.
    QCOMPARE(server->hub()->stats().at(TransportKind::WebSocket).messages,
             r.json.value(QLatin1String("acked")).toInteger() * 7);
}

void tst_RtlabBench::saturateOverHttpCountsAcknowledgements()
{
    auto server = startServer(quietConfig());
    const BenchRun r = runBench({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--saturate"),
                                  QStringLiteral("--publishers"), QStringLiteral("2"), QStringLiteral("--subscribers"),
                                  QStringLiteral("3"), QStringLiteral("--transport"), QStringLiteral("sse"),
                                  QStringLiteral("--duration"), QStringLiteral("1"), QStringLiteral("--messages"),
                                  QStringLiteral("200"), QStringLiteral("--metrics-url"),
                                  url(server->port()) + QStringLiteral("/metrics"), QStringLiteral("--settle"),
                                  QStringLiteral("0.1"), QStringLiteral("--json") });
    checkSaturated(r, "http", 1, 3);
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
    const BenchRun hold = runBench({ QStringLiteral("--idle"), QStringLiteral("--duration"), QStringLiteral("1"),
                                     QStringLiteral("--poll-hold"), QStringLiteral("-1") });
    QCOMPARE(hold.exitCode, 2);
    QVERIFY2(hold.errText.contains("--poll-hold"), hold.errText.constData());
    const BenchRun stats = runBench({ QStringLiteral("--idle"), QStringLiteral("--duration"), QStringLiteral("1"),
                                      QStringLiteral("--stats-url"), QStringLiteral("http://example.org/stats") });
    QCOMPARE(stats.exitCode, 2);
    QVERIFY2(stats.errText.contains("loopback only"), stats.errText.constData());
    const auto refused = [](const QStringList &arguments, const char *why) {
        const BenchRun r = runBench(arguments);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.errText.contains(why), r.errText.constData());
    };
    refused({ QStringLiteral("--saturate"), QStringLiteral("--window"), QStringLiteral("8"),
              QStringLiteral("--duration"), QStringLiteral("1") },
            "--window goes with --pub-transport ws");
    refused({ QStringLiteral("--saturate"), QStringLiteral("--pub-transport"), QStringLiteral("pigeon"),
              QStringLiteral("--duration"), QStringLiteral("1") },
            "--pub-transport is http or ws");
    refused({ QStringLiteral("--saturate"), QStringLiteral("--messages"), QStringLiteral("10") },
            "--saturate needs --duration");
    refused({ QStringLiteral("--saturate"), QStringLiteral("--ramp"), QStringLiteral("--duration"),
              QStringLiteral("1") },
            "--saturate is a run of its own");
    refused({ QStringLiteral("--pub-transport"), QStringLiteral("ws"), QStringLiteral("--window"), QStringLiteral("0"),
              QStringLiteral("--messages"), QStringLiteral("1") },
            "--window must be");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--metrics-url"),
              QStringLiteral("http://example.org/metrics") },
            "loopback only");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--redis"),
              QStringLiteral("redis://:secret@127.0.0.1:6379") },
            "--redis must be redis://127.0.0.1:PORT");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--redis"),
              QStringLiteral("redis://example.org:6379") },
            "loopback only");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--storm-move") },
            "--storm-move goes with --storm-at");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--url"),
              QStringLiteral("http://127.0.0.1:1"), QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:2"),
              QStringLiteral("--ws-url"), QStringLiteral("ws://127.0.0.1:1/ws") },
            "go with one node");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--nchan-channel"),
              QStringLiteral("c1"), QStringLiteral("--pub-url"), QStringLiteral("http://127.0.0.1:1/send") },
            "no --nchan-channel");
    refused({ QStringLiteral("--messages"), QStringLiteral("1"), QStringLiteral("--sub-node"),
              QStringLiteral("https://127.0.0.1:1") },
            "--url must be http://");
}

QTEST_GUILESS_MAIN(tst_RtlabBench)
#include "tst_rtlabbench.moc"
