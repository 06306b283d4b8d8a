// SPDX-License-Identifier: MIT
// ImpairmentRelay between the real client transports and the in-process server, on 127.0.0.1.
// Every impairment against every transport: nothing is lost that the relay does not report as
// cut, and the clients reconnect and resume with no gap. No timing is asserted.
#include "clientsupport.h"

#include "impairmentrelay.h"
#include "realtimeclient.h"

#include <QRandomGenerator>
#include <QTcpServer>

using namespace rtlab;
using namespace rtlab::test;

class tst_ImpairmentRelay : public QObject
{
    Q_OBJECT
private slots:
    void opaqueBytesPassUnchanged_data();
    void opaqueBytesPassUnchanged();
    void transparentWithDefaults_data();
    void transparentWithDefaults();
    void latencyJitterBandwidthKeepOrder_data();
    void latencyJitterBandwidthKeepOrder();
    void dropAllIsReportedAndResumed_data();
    void dropAllIsReportedAndResumed();
    void networkDownRefusesThenRecovers_data();
    void networkDownRefusesThenRecovers();
    void idleKillCutsAndResumes_data();
    void idleKillCutsAndResumes();
    void sseResponsesAreHeld();
    void bufferingLetsCompleteResponsesThrough_data();
    void bufferingLetsCompleteResponsesThrough();
    void bufferingFollowsHeadAndPipelining();
    void refusedUpgradeMakesAutoFallBack();
    void signalsReportChanges();
    void autoCountsRefusalsNotOutages();
};

// A client on the relay, with fast reconnects.
static void startClient(RealtimeClient &client, const ImpairmentRelay &relay, RealtimeClient::Mode mode)
{
    client.setServerUrl(relay.url());
    client.setReconnectPolicy(ReconnectPolicy::exponential(20, 200, 0.5));
    client.start(mode);
}

static void publishMany(Server &server, int n, const QString &prefix)
{
    for (int i = 0; i < n; ++i)
        server.hub()->publish({ QStringLiteral("server"), QStringLiteral("%1 %2").arg(prefix).arg(i), {} });
}

static void checkContinuity(const RealtimeClient &client)
{
    QCOMPARE(client.continuity().gaps, 0);
    QCOMPARE(client.continuity().duplicates, 0);
    QCOMPARE(client.continuity().resets, 0);
}

// An echo server: whatever arrives goes back.
class EchoServer : public QObject
{
public:
    EchoServer()
    {
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection())
                connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
        });
        server.listen(QHostAddress::LocalHost, 0);
    }
    QTcpServer server;
};

void tst_ImpairmentRelay::opaqueBytesPassUnchanged_data()
{
    QTest::addColumn<int>("latencyMs");
    QTest::addColumn<int>("jitterMs");
    QTest::addColumn<qint64>("bandwidth");
    QTest::addColumn<qint64>("bufferBytes");
    QTest::newRow("defaults") << 0 << 0 << qint64(0) << qint64(0);
    QTest::newRow("latency and jitter") << 20 << 20 << qint64(0) << qint64(0);
    QTest::newRow("bandwidth cap") << 0 << 0 << qint64(4 * 1024 * 1024) << qint64(0);
    QTest::newRow("all, and buffering") << 5 << 5 << qint64(8 * 1024 * 1024) << qint64(64 * 1024);
}

void tst_ImpairmentRelay::opaqueBytesPassUnchanged()
{
    // Not HTTP: the relay passes it opaque, in order, both ways, with bounded buffers.
    QFETCH(int, latencyMs);
    QFETCH(int, jitterMs);
    QFETCH(qint64, bandwidth);
    QFETCH(qint64, bufferBytes);
    EchoServer echo;
    QVERIFY(echo.server.isListening());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, echo.server.serverPort()));
    ImpairmentRelay::Settings s;
    s.latencyMs = latencyMs;
    s.jitterMs = jitterMs;
    s.bandwidthBytesPerSec = bandwidth;
    s.bufferResponseBytes = bufferBytes;
    relay.setSettings(s);

    QByteArray sent(4 * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator rng(42);
    for (char &c : sent)
        c = char(rng.bounded(256));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, relay.port());
    QByteArray received;
    qint64 maxQueued = 0;
    qint64 maxHeld = 0;
    connect(&client, &QTcpSocket::readyRead, this, [&] {
        received += client.readAll();
        maxQueued = std::max(maxQueued, relay.queuedBytes());
        maxHeld = std::max(maxHeld, relay.heldBytes());
    });
    // Written in pieces as the socket drains, so the relay sees a stream, not one buffer.
    qsizetype written = 0;
    auto writeMore = [&] {
        maxQueued = std::max(maxQueued, relay.queuedBytes());
        while (written < sent.size() && client.bytesToWrite() < 256 * 1024) {
            const qsizetype n = std::min<qsizetype>(64 * 1024, sent.size() - written);
            client.write(sent.constData() + written, n);
            written += n;
        }
    };
    connect(&client, &QTcpSocket::bytesWritten, this, writeMore);
    connect(&client, &QTcpSocket::connected, this, writeMore);
    QVERIFY(QTest::qWaitFor([&] { return received.size() >= sent.size(); }, 60000));
    QCOMPARE(received.size(), sent.size());
    QVERIFY(received == sent);
    // Two directions, each at most its queue bound plus one read.
    QVERIFY2(maxQueued <= 2 * (1024 + 64) * 1024, qPrintable(QString::number(maxQueued)));
    QCOMPARE(maxHeld, 0); // not HTTP: never held
    const ImpairmentRelay::Counters c = relay.counters();
    QCOMPARE(c.bytesUp, sent.size());
    QCOMPARE(c.bytesDown, sent.size());
    QCOMPARE(c.connections, 1);
    QCOMPARE(c.active, 1);
    QCOMPARE(c.dropped, 0);

    // A close on one side closes the other once everything went through.
    client.disconnectFromHost();
    QTRY_COMPARE_WITH_TIMEOUT(relay.counters().active, 0, WaitMs);
}

void tst_ImpairmentRelay::transparentWithDefaults_data()
{
    addModes();
}

void tst_ImpairmentRelay::transparentWithDefaults()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    QCOMPARE(relay.url(), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(relay.port())));
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));

    // Upstream through the relay too: a POST /send, or a frame on the WebSocket.
    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("through the relay")));
    QVERIFY(rec.waitChats(1));
    const int n = 50;
    publishMany(*server, n, QStringLiteral("m"));
    QVERIFY(rec.waitChats(1 + n));
    QCOMPARE(rec.chatIds(), range(1, 1 + n));
    QCOMPARE(rec.messages.first().text, QStringLiteral("through the relay"));
    checkContinuity(client);
    const ImpairmentRelay::Counters c = relay.counters();
    QVERIFY(c.connections >= 1);
    QVERIFY(c.active >= 1);
    QVERIFY(c.bytesUp > 0);
    QVERIFY(c.bytesDown > 0);
    QCOMPARE(c.dropped, 0);
    QCOMPARE(c.idleKills, 0);
    QCOMPARE(relay.heldBytes(), 0);
}

void tst_ImpairmentRelay::latencyJitterBandwidthKeepOrder_data()
{
    addModes();
}

void tst_ImpairmentRelay::latencyJitterBandwidthKeepOrder()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings s;
    s.latencyMs = 30;
    s.jitterMs = 25;
    s.bandwidthBytesPerSec = 64 * 1024;
    relay.setSettings(s);
    QCOMPARE(relay.settings(), s);
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));

    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("slowly")));
    QVERIFY(rec.waitChats(1));
    // One by one, so they cross the relay as separate chunks with separate jitter.
    for (int i = 0; i < 30; ++i)
        server->hub()->publish({ QStringLiteral("server"), QString(200 + i, QLatin1Char('x')), {} });
    // A live change while they are on their way.
    s.latencyMs = 5;
    s.jitterMs = 5;
    relay.setSettings(s);
    publishMany(*server, 10, QStringLiteral("after the change"));
    QVERIFY(rec.waitChats(41));
    QCOMPARE(rec.chatIds(), range(1, 41));
    checkContinuity(client);
    QCOMPARE(relay.counters().dropped, 0);
}

void tst_ImpairmentRelay::dropAllIsReportedAndResumed_data()
{
    addModes();
}

void tst_ImpairmentRelay::dropAllIsReportedAndResumed()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    QSignalSpy cuts(&relay, &ImpairmentRelay::connectionCut);
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));
    publishMany(*server, 3, QStringLiteral("before"));
    QVERIFY(rec.waitChats(3));
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().active >= 1; }, WaitMs));

    const qint64 active = relay.counters().active;
    relay.dropAll();
    QCOMPARE(relay.counters().dropped, active);
    QCOMPARE(relay.counters().active, 0);
    publishMany(*server, 3, QStringLiteral("while away"));
    QVERIFY(rec.waitChats(6));
    QVERIFY(QTest::qWaitFor([&] { return rec.count(ConnectionEvent::Type::Opened) >= 2; }, WaitMs));
    publishMany(*server, 1, QStringLiteral("after"));
    QVERIFY(rec.waitChats(7));
    QCOMPARE(rec.chatIds(), range(1, 7));
    checkContinuity(client);
    QVERIFY(client.stats(*RealtimeClient::transportOf(mode)).reconnects >= 1);
    QVERIFY(cuts.size() >= active);
    QCOMPARE(cuts.first().first().toString(), QStringLiteral("dropped"));
}

void tst_ImpairmentRelay::networkDownRefusesThenRecovers_data()
{
    addModes();
}

void tst_ImpairmentRelay::networkDownRefusesThenRecovers()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    QSignalSpy downs(&relay, &ImpairmentRelay::downChanged);
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));
    publishMany(*server, 2, QStringLiteral("before"));
    QVERIFY(rec.waitChats(2));
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().active >= 1; }, WaitMs));

    // Down until told otherwise: every reconnect attempt is refused, and counted.
    relay.setDown(true);
    QVERIFY(relay.isDown());
    QVERIFY(relay.counters().dropped >= 1);
    publishMany(*server, 3, QStringLiteral("while down"));
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().refusedWhileDown >= 2; }, WaitMs));
    QCOMPARE(relay.counters().active, 0);
    QCOMPARE(rec.chatIds(), range(1, 2));
    relay.setDown(false);
    QVERIFY(rec.waitChats(5));
    QCOMPARE(rec.chatIds(), range(1, 5));

    // Down for a while, then up by itself.
    relay.takeDownFor(300);
    QVERIFY(relay.isDown());
    publishMany(*server, 2, QStringLiteral("while down again"));
    QVERIFY(QTest::qWaitFor([&] { return !relay.isDown(); }, WaitMs));
    QVERIFY(rec.waitChats(7));
    publishMany(*server, 1, QStringLiteral("after"));
    QVERIFY(rec.waitChats(8));
    QCOMPARE(rec.chatIds(), range(1, 8));
    checkContinuity(client);
    QCOMPARE(downs.size(), 4); // true, false, true, false
    QCOMPARE(downs.at(0).first().toBool(), true);
    QCOMPARE(downs.at(3).first().toBool(), false);
}

void tst_ImpairmentRelay::idleKillCutsAndResumes_data()
{
    addModes();
}

void tst_ImpairmentRelay::idleKillCutsAndResumes()
{
    QFETCH(RealtimeClient::Mode, mode);
    ServerConfig config = quietConfig();
    config.heartbeatMs = 5000; // the server stays quieter than the relay's idle timeout
    auto server = startServer(config);
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings s;
    s.idleKillMs = 300;
    relay.setSettings(s);
    QSignalSpy cuts(&relay, &ImpairmentRelay::connectionCut);
    RealtimeClient client;
    client.setHeartbeatMs(config.heartbeatMs);
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));
    publishMany(*server, 1, QStringLiteral("first"));
    QVERIFY(rec.waitChats(1));

    QVERIFY(QTest::qWaitFor([&] { return relay.counters().idleKills >= 1; }, WaitMs));
    publishMany(*server, 2, QStringLiteral("after a kill"));
    QVERIFY(rec.waitChats(3));
    // And again: the proxy keeps killing idle connections, the client keeps resuming.
    const qint64 kills = relay.counters().idleKills;
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().idleKills > kills; }, WaitMs));
    publishMany(*server, 2, QStringLiteral("after another"));
    QVERIFY(rec.waitChats(5));
    QCOMPARE(rec.chatIds(), range(1, 5));
    checkContinuity(client);
    QVERIFY(client.stats(*RealtimeClient::transportOf(mode)).reconnects >= 1);
    QVERIFY(QTest::qWaitFor([&] { return !cuts.isEmpty(); }, WaitMs));
    QCOMPARE(cuts.first().first().toString(), QStringLiteral("idle kill"));
    QCOMPARE(relay.counters().dropped, 0);
}

void tst_ImpairmentRelay::sseResponsesAreHeld()
{
    // A buffering proxy in front of a close-delimited SSE stream: nothing reaches the client
    // until the limit is passed.
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings s;
    s.bufferResponseBytes = 64 * 1024;
    relay.setSettings(s);
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, RealtimeClient::Mode::Sse);
    const qint64 &sseBytesOut = server->hub()->stats().at(TransportKind::Sse).bytesOut;
    // The stream's head and "retry:" are held.
    QVERIFY(QTest::qWaitFor([&] { return sseBytesOut > 0 && relay.heldBytes() == sseBytesOut; }, WaitMs));
    publishMany(*server, 3, QStringLiteral("small"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                return relay.heldBytes() == sseBytesOut && server->hub()->stats().at(TransportKind::Sse).messages == 3;
            },
            WaitMs));
    QVERIFY(relay.heldBytes() < s.bufferResponseBytes);
    QVERIFY(rec.messages.isEmpty());
    QVERIFY(client.state() != ClientTransport::State::Open);
    // (What did pass is the client's first GET /poll, which asks where the live end is: a complete
    // response, let through. Every byte of the SSE stream is held: heldBytes() == sseBytesOut.)

    // 4 more of ~14 KB stay under 64 KiB with the rest; the 5th passes it and everything held so far goes.
    for (int i = 0; i < 5; ++i)
        server->hub()->publish({ QStringLiteral("server"), QString(14000, QLatin1Char('a' + i)), {} });
    QVERIFY(rec.waitChats(7));
    QCOMPARE(rec.chatIds().mid(0, 7), range(1, 7));
    QVERIFY(client.state() == ClientTransport::State::Open);
    // Buffering off, live: the rest is let go at once.
    s.bufferResponseBytes = 0;
    relay.setSettings(s);
    QVERIFY(rec.waitChats(8));
    QCOMPARE(relay.heldBytes(), 0);
    publishMany(*server, 2, QStringLiteral("unbuffered"));
    QVERIFY(rec.waitChats(10));
    QCOMPARE(rec.chatIds(), range(1, 10));
    checkContinuity(client);
}

void tst_ImpairmentRelay::bufferingLetsCompleteResponsesThrough_data()
{
    QTest::addColumn<RealtimeClient::Mode>("mode");
    QTest::newRow("long polling: each answer ends") << RealtimeClient::Mode::LongPoll;
    QTest::newRow("websocket: a tunnel after the 101") << RealtimeClient::Mode::WebSocket;
}

void tst_ImpairmentRelay::bufferingLetsCompleteResponsesThrough()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings s;
    s.bufferResponseBytes = 64 * 1024;
    relay.setSettings(s);
    RealtimeClient client;
    Recorder rec(client);
    startClient(client, relay, mode);
    QVERIFY(waitOpen(client));
    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("buffered upstream answer")));
    QVERIFY(rec.waitChats(1));
    for (int i = 0; i < 10; ++i) {
        server->hub()->publish({ QStringLiteral("server"), QStringLiteral("one at a time %1").arg(i), {} });
        QVERIFY(rec.waitChats(2 + i));
    }
    QCOMPARE(rec.chatIds(), range(1, 11));
    QVERIFY(QTest::qWaitFor([&] { return relay.heldBytes() == 0; }, WaitMs));
    checkContinuity(client);
    QCOMPARE(relay.counters().dropped, 0);
}

void tst_ImpairmentRelay::bufferingFollowsHeadAndPipelining()
{
    // Where a response ends depends on its request: the answer to HEAD has no body whatever its
    // Content-Length says. Pipelined, each answer is let through when it ends.
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings s;
    s.bufferResponseBytes = 64 * 1024;
    relay.setSettings(s);
    RawHttp http(relay.port());
    QVERIFY(http.connected());
    const QByteArray host = "Host: 127.0.0.1\r\n\r\n";
    http.send("HEAD /healthz HTTP/1.1\r\n" + host + "GET /healthz HTTP/1.1\r\n" + host);
    QByteArray bytes;
    QVERIFY(QTest::qWaitFor(
            [&] {
                bytes += http.socket().readAll();
                return bytes.count("HTTP/1.1 200") == 2 && bytes.endsWith('}');
            },
            WaitMs));
    QCOMPARE(relay.heldBytes(), 0);
    // Still one connection, still usable.
    http.send("GET /healthz HTTP/1.1\r\n" + host);
    RawResponse r;
    QVERIFY(http.read(&r));
    QCOMPARE(r.status, 200);
    // The relay still follows this connection's framing (a misread HEAD answer would have made
    // it give up and pass the rest opaque): a stream asked for next is held.
    http.send("GET /events HTTP/1.1\r\n" + host);
    const qint64 &sseBytesOut = server->hub()->stats().at(TransportKind::Sse).bytesOut;
    QVERIFY(QTest::qWaitFor([&] { return sseBytesOut > 0 && relay.heldBytes() == sseBytesOut; }, WaitMs));
    QVERIFY(http.socket().readAll().isEmpty());
    QCOMPARE(relay.counters().connections, 1);
}

void tst_ImpairmentRelay::refusedUpgradeMakesAutoFallBack()
{
    auto server = startServer(quietConfig());
    const auto refusing = relayRefusingUpgrades(server->port());
    ImpairmentRelay &relay = *refusing;
    QSignalSpy cuts(&relay, &ImpairmentRelay::connectionCut);

    WsClient ws(relay.port());
    QVERIFY(!ws.waitOpen());
    QCOMPARE(relay.counters().refusedUpgrades, 1);
    QVERIFY(QTest::qWaitFor([&] { return !cuts.isEmpty(); }, WaitMs));
    QCOMPARE(cuts.first().first().toString(), QStringLiteral("upgrade refused"));

    RealtimeClient client;
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    startClient(client, relay, RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::Sse && waitOpen(client); },
                            WaitMs));
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack, TransportKind::WebSocket), 1);
    QVERIFY(relay.counters().refusedUpgrades >= 2);
    publishMany(*server, 1, QStringLiteral("over sse"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::Sse);

    // The proxy lets WebSockets through again: Auto goes back up by itself.
    relay.setSettings({});
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::WebSocket; }, WaitMs));
    publishMany(*server, 1, QStringLiteral("over ws"));
    QVERIFY(rec.waitChats(2));
    QCOMPARE(rec.vias.last(), TransportKind::WebSocket);
    QCOMPARE(rec.chatIds(), range(1, 2));
    checkContinuity(client);
}

void tst_ImpairmentRelay::signalsReportChanges()
{
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    QSignalSpy settingsSpy(&relay, &ImpairmentRelay::settingsChanged);
    QSignalSpy countersSpy(&relay, &ImpairmentRelay::countersChanged);
    ImpairmentRelay::Settings s;
    s.latencyMs = 10;
    relay.setSettings(s);
    relay.setSettings(s); // no change, no signal
    QCOMPARE(settingsSpy.size(), 1);
    QCOMPARE(settingsSpy.first().first().value<ImpairmentRelay::Settings>(), s);

    QCOMPARE(request(relay.port(), "GET", "/healthz").status, 200);
    QVERIFY(countersSpy.wait(WaitMs) || !countersSpy.isEmpty());
    QCOMPARE(relay.counters().connections, 1);

    // A new target takes new connections.
    auto other = startServer(quietConfig());
    relay.setTarget(QHostAddress::LocalHost, other->port());
    const QString otherEpoch = other->hub()->log().epoch();
    QCOMPARE(request(relay.port(), "GET", "/stats").json().value(QLatin1String("epoch")).toString(), otherEpoch);
}

// Auto tells a block from an outage: refused upgrades make one "blocked" fallback to SSE (in
// plain words, without Qt's internals) and a climb back once they pass; a network-down after that
// makes no fallback at all, and Auto is on WebSocket again once the network is back.
void tst_ImpairmentRelay::autoCountsRefusalsNotOutages()
{
    auto server = startServer(quietConfig());
    const auto refusing = relayRefusingUpgrades(server->port());
    ImpairmentRelay &relay = *refusing;
    RealtimeClient client;
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    startClient(client, relay, RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::Sse && waitOpen(client); },
                            WaitMs));
    const auto refused = std::find_if(rec.events.begin(), rec.events.end(), [](const ConnectionEvent &e) {
        return e.type == ConnectionEvent::Type::Closed && e.transport == TransportKind::WebSocket;
    });
    QVERIFY(refused != rec.events.end());
    QCOMPARE(refused->httpStatus, 403);
    QVERIFY(refused->blocked);
    QCOMPARE(refused->closeCode, 0);
    QCOMPARE(refused->detail, QStringLiteral("the server refused the WebSocket upgrade: HTTP 403 Forbidden"));
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 1);
    const auto fell = std::find_if(rec.events.begin(), rec.events.end(),
                                   [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::FellBack; });
    QVERIFY(fell->blocked);
    QCOMPARE(fell->transport, TransportKind::WebSocket);
    QVERIFY2(fell->detail.contains(QLatin1String("HTTP 403")), qPrintable(fell->detail));
    for (const ConnectionEvent &e : rec.events)
        QVERIFY2(!e.detail.contains(QLatin1String("QWebSocket")), qPrintable(e.detail));

    // Upgrades pass again: Auto climbs back.
    relay.setSettings({});
    QVERIFY(QTest::qWaitFor(
            [&] {
                return client.activeTransport() == TransportKind::WebSocket
                        && client.state() == ClientTransport::State::Open;
            },
            WaitMs));

    // Now an outage: the network is down for a while. Nothing is blocked, nothing falls back.
    const qsizetype before = rec.events.size();
    relay.takeDownFor(1500);
    QVERIFY(QTest::qWaitFor([&] { return client.state() != ClientTransport::State::Open; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().refusedWhileDown >= 2 || !relay.isDown(); }, WaitMs));
    QVERIFY(client.state() != ClientTransport::State::Open || !relay.isDown());
    QVERIFY(QTest::qWaitFor([&] { return !relay.isDown(); }, WaitMs));
    QVERIFY(QTest::qWaitFor(
            [&] {
                return client.activeTransport() == TransportKind::WebSocket
                        && client.state() == ClientTransport::State::Open;
            },
            WaitMs));
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 1); // still only the one for the refusals
    for (const ConnectionEvent &e : rec.events.mid(before))
        QVERIFY2(e.transport == TransportKind::WebSocket && !e.blocked, qPrintable(e.detail));
    publishMany(*server, 1, QStringLiteral("after the outage"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::WebSocket);
    checkContinuity(client);
}

QTEST_GUILESS_MAIN(tst_ImpairmentRelay)
#include "tst_impairmentrelay.moc"
