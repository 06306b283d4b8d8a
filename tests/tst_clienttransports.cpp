// SPDX-License-Identifier: MIT
// The client transports and RealtimeClient against the real server, in-process on 127.0.0.1.
#include "clientsupport.h"

#include "harwriter.h"
#include "impairmentrelay.h"
#include "jwt.h"
#include "realtimeclient.h"
#include "websockettransport.h"
#include "wsframeparser.h"
#include "wshandshake.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTcpServer>

using namespace rtlab;
using namespace rtlab::test;

class tst_ClientTransports : public QObject
{
    Q_OBJECT
private slots:
    void receiveAndPublish_data();
    void receiveAndPublish();
    void reconnectAndResume_data();
    void reconnectAndResume();
    void resetIsSurfaced_data();
    void resetIsSurfaced();
    void liveSwitchDeliversEveryIdOnce_data();
    void liveSwitchDeliversEveryIdOnce();
    void shortPollingFetchesABurstInOnePoll();
    void shortPollingIdlesWithoutHoldTimeouts();
    void autoNeverPicksShortPolling();
    void autoFallsBackAndGoesBackUp();
    void dropBeforeTheFirstMessageLosesNothing_data();
    void dropBeforeTheFirstMessageLosesNothing();
    void sseStopsOnNon200();
    void giveUpWithPolicyNone();
    void ledgerFollowsThePublishedMessage_data();
    void ledgerFollowsThePublishedMessage();
    void ledgerHasEachTransportsParts_data();
    void ledgerHasEachTransportsParts();
    void bytesPerMessageOrdersTheTransports();
    void webSocketHandshakeIsTheRealOne();
    void webSocketIsRecordedFrameByFrame();
    void sseLedgerAnySplitAndIdleApart();
    void outageIsNeverReportedOpen_data();
    void outageIsNeverReportedOpen();
    void autoRidesOutAnOutageOnWebSocket();
    void autoFallsBackForASilentBlock();
    void refusedConnectionHasNoCloseCode();
    void publishWhileServerDownIsDeliveredOnce_data();
    void publishWhileServerDownIsDeliveredOnce();
    void resendAfterALostAnswerIsPublishedOnce_data();
    void resendAfterALostAnswerIsPublishedOnce();
    void outboxRefusesWhenFull();
    void publishOnOpenIsSentOnce_data();
    void publishOnOpenIsSentOnce();
    void captureRecordsPollsAndPublishes();
    void captureRecordsTheEventStreamAndItsResume();
    void captureMarksASwitch();
    // Issue 14: tokens.
    void tokenOnEveryTransport_data();
    void tokenOnEveryTransport();
};

static QUrl urlOf(quint16 port)
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

static ReconnectPolicy fastPolicy()
{
    return ReconnectPolicy::exponential(20, 200, 0.5);
}

// The three real-time transports and traditional (short) polling, which must follow the same
// resume, duplicate, reset and continuity rules.
static void addModesWithPoll()
{
    addModes();
    QTest::newRow("short polling") << RealtimeClient::Mode::Poll;
}

void tst_ClientTransports::receiveAndPublish_data()
{
    addModesWithPoll();
}

void tst_ClientTransports::receiveAndPublish()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    const TransportKind kind = *client.activeTransport();

    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("from the client")));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(publish(server->port(), QStringLiteral("from outside")), 2u);
    QVERIFY(rec.waitChats(2));
    QCOMPARE(rec.chatIds(), (QList<quint64> { 1, 2 }));
    QCOMPARE(rec.messages[0].text, QStringLiteral("from the client"));
    QVERIFY(rec.messages[0].clientTs.isDouble());
    QCOMPARE(rec.messages[1].from, QStringLiteral("test"));

    const TransportStats &s = client.stats(kind);
    QCOMPARE(s.messages, 2);
    QCOMPARE(s.roundTrip.count(), 1); // our own message came back
    QCOMPARE(s.latency.count(), 2);
    QVERIFY(s.payloadBytes >= rec.messages[0].text.size() * 2);
    QVERIFY(s.headerBytes > 0);
    QVERIFY(s.httpRequests >= 1);
    QCOMPARE(s.publishes, 1);
    QVERIFY(s.upstreamBytes > 0);
    QCOMPARE(client.continuity().gaps, 0);
    // Each transport's own cost shape: long polling pays a request per answer.
    if (kind == TransportKind::LongPoll)
        QVERIFY(s.httpRequests >= 3);
    if (kind == TransportKind::Poll) { // a poll per interval, never held: nothing counts as a hold timeout
        QVERIFY(s.httpRequests >= 3);
        QCOMPARE(s.holdTimeouts, 0);
    }
    if (kind == TransportKind::WebSocket)
        QCOMPARE(s.httpRequests, 1); // the handshake; the publish went over the same socket
}

void tst_ClientTransports::reconnectAndResume_data()
{
    addModesWithPoll();
}

void tst_ClientTransports::reconnectAndResume()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(fastPolicy());
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    for (int i = 0; i < 3; ++i)
        publish(server->port(), QStringLiteral("before %1").arg(i));
    QVERIFY(rec.waitChats(3));

    // The server cuts every connection; messages published meanwhile must not be lost.
    server->dropConnections();
    for (int i = 0; i < 3; ++i)
        server->hub()->publish({ QStringLiteral("server"), QStringLiteral("while away %1").arg(i), {} });
    QVERIFY(rec.waitChats(6));
    // Short polling holds no connection between polls: a cut then is no loss (the next poll
    // connects anew) and needs no reconnect; a cut during a poll is one. Either way it resumes.
    const bool holdsAConnection = mode != RealtimeClient::Mode::Poll;
    if (holdsAConnection)
        QVERIFY(QTest::qWaitFor([&] { return rec.count(ConnectionEvent::Type::Opened) >= 2; }, WaitMs));
    publish(server->port(), QStringLiteral("after"));
    QVERIFY(rec.waitChats(7));
    QCOMPARE(rec.chatIds(), range(1, 7));
    QCOMPARE(client.continuity().gaps, 0);
    QCOMPARE(client.continuity().resets, 0);
    if (holdsAConnection) {
        QVERIFY(client.stats(*RealtimeClient::transportOf(mode)).reconnects >= 1);
        QVERIFY(rec.count(ConnectionEvent::Type::RetryScheduled) >= 1);
    }
}

void tst_ClientTransports::resetIsSurfaced_data()
{
    addModesWithPoll();
}

void tst_ClientTransports::resetIsSurfaced()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    RealtimeClient client;
    client.setServerUrl(urlOf(port));
    client.setReconnectPolicy(fastPolicy());
    auto capture = std::make_shared<WireCapture>();
    client.setWireCapture(capture);
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    publish(port, QStringLiteral("first life"));
    QVERIFY(rec.waitChats(1));
    const QString oldEpoch = server->hub()->log().epoch();

    // A restart: a new log, a new epoch, on the same port.
    server.reset();
    ServerConfig config = quietConfig();
    config.core = testCore();
    config.host = QStringLiteral("127.0.0.1");
    config.port = port;
    server = std::make_unique<Server>(config);
    QVERIFY(QTest::qWaitFor([&] { return server->listen(); }, WaitMs));
    server->hub()->publish({ QStringLiteral("server"), QStringLiteral("second life"), {} });

    QVERIFY(QTest::qWaitFor([&] { return client.continuity().resets == 1 && rec.chatIds().size() == 2; }, WaitMs));
    const auto reset = std::find_if(rec.messages.begin(), rec.messages.end(),
                                    [](const Message &m) { return m.type == MessageType::Reset; });
    QVERIFY(reset != rec.messages.end());
    QCOMPARE(reset->lost, -1);
    QCOMPARE(reset->epoch, server->hub()->log().epoch());
    QVERIFY(reset->epoch != oldEpoch);
    QCOMPARE(rec.messages.last().text, QStringLiteral("second life"));
    QCOMPARE(rec.count(ConnectionEvent::Type::Reset), 1);
    QCOMPARE(client.continuity().gaps, 0);
    // A mark on the lifeline of the transport that carried it.
    const WireCapture::Snapshot s = capture->snapshot();
    QCOMPARE(std::count_if(s.records.begin(), s.records.end(),
                           [&](const WireRecord &r) {
                               return r.kind == WireRecord::Kind::Note
                                       && r.transport == *RealtimeClient::transportOf(mode)
                                       && r.label == u"reset: an unknown number lost";
                           }),
             1);
}

void tst_ClientTransports::liveSwitchDeliversEveryIdOnce_data()
{
    using M = RealtimeClient::Mode;
    QTest::addColumn<QList<RealtimeClient::Mode>>("cycle");
    QTest::newRow("lp sse ws") << QList<M> { M::Sse, M::WebSocket, M::LongPoll };
    // lp → poll → lp → poll → ws → poll …: short polling both ways with long polling and WebSocket.
    QTest::newRow("lp poll ws") << QList<M> { M::Poll, M::LongPoll, M::Poll, M::WebSocket };
}

void tst_ClientTransports::liveSwitchDeliversEveryIdOnce()
{
    QFETCH(QList<RealtimeClient::Mode>, cycle);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(fastPolicy());
    client.setPollIntervalMs(40); // several short polls in each 150 ms turn
    Recorder rec(client);
    client.start(RealtimeClient::Mode::LongPoll);
    QVERIFY(waitOpen(client));

    // A steady stream, and a switch every 150 ms through the cycle's transports.
    const int total = 600;
    int published = 0;
    QTimer publisher;
    publisher.setInterval(2);
    QObject::connect(&publisher, &QTimer::timeout, &client, [&] {
        for (int i = 0; i < 2 && published < total; ++i, ++published)
            server->hub()->publish({ QStringLiteral("stream"), QString::number(published), {} });
    });
    int switches = 0;
    QTimer switcher;
    switcher.setInterval(150);
    QObject::connect(&switcher, &QTimer::timeout, &client,
                     [&] { client.switchTo(cycle.at(switches++ % cycle.size())); });
    publisher.start();
    switcher.start();
    QVERIFY(QTest::qWaitFor([&] { return published == total && switches >= 6; }, 60000));
    switcher.stop();
    QVERIFY(rec.waitChats(total));
    QCOMPARE(rec.chatIds(), range(1, total));
    QCOMPARE(client.continuity().gaps, 0);
    QCOMPARE(client.continuity().duplicates, 0);
    QVERIFY(rec.count(ConnectionEvent::Type::Switched) >= 5);
    // Every transport of the cycle carried part of the stream.
    for (RealtimeClient::Mode m : cycle) {
        const TransportKind k = *RealtimeClient::transportOf(m);
        QVERIFY2(rec.vias.contains(k), qPrintable(transportKindKey(k)));
    }
}

// The interval bounds how often short polling asks, not how much one answer brings: a burst
// published at once comes in one answer.
void tst_ClientTransports::shortPollingFetchesABurstInOnePoll()
{
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setPollIntervalMs(300);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::Poll);
    QVERIFY(waitOpen(client));
    QCOMPARE(*client.activeTransport(), TransportKind::Poll);
    const TransportStats &s = client.stats(TransportKind::Poll);
    const qint64 before = s.httpRequests;
    const int burst = 20;
    for (int i = 0; i < burst; ++i) // in one turn of the event loop: no poll can come in between
        server->hub()->publish({ QStringLiteral("burst"), QString::number(i), {} });
    QVERIFY(rec.waitChats(burst));
    QCOMPARE(rec.chatIds(), range(1, burst));
    // At most one poll: the one in flight, or the next one after the interval.
    QVERIFY2(s.httpRequests - before <= 1, qPrintable(QString::number(s.httpRequests - before)));
    QCOMPARE(s.recentWire.back().sharedBy, burst);
    QCOMPARE(s.messages, burst);
    QCOMPARE(client.continuity().gaps, 0);
}

// Idle, short polling keeps asking once per interval and gets empty answers: idle polls, not
// hold timeouts (nothing was held). The count of polls is bounded by the time that passed.
void tst_ClientTransports::shortPollingIdlesWithoutHoldTimeouts()
{
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    const qint64 interval = 100;
    client.setPollIntervalMs(interval);
    Recorder rec(client);
    QElapsedTimer clock;
    clock.start();
    client.start(RealtimeClient::Mode::Poll);
    QVERIFY(waitOpen(client));
    const TransportStats &s = client.stats(TransportKind::Poll);
    QVERIFY(QTest::qWaitFor([&] { return s.idlePolls >= 5; }, WaitMs));
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(s.holdTimeouts, 0);
    QCOMPARE(rec.count(ConnectionEvent::Type::HoldTimeout), 0);
    QCOMPARE(s.messages, 0);
    // Requests: the start-up probe of the live end is not the transport's; every poll is. Never
    // more than one per interval (plus the first, at once).
    QVERIFY2(s.httpRequests <= elapsed / interval + 1,
             qPrintable(QStringLiteral("%1 polls in %2 ms").arg(s.httpRequests).arg(elapsed)));
    QVERIFY(s.httpRequests >= s.idlePolls);
    // Something published now arrives with the next poll.
    publish(server->port(), QStringLiteral("after a quiet spell"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::Poll);
}

// Auto climbs and falls among WebSocket, SSE and long polling; short polling is a baseline to
// compare against, never a transport Auto chooses — not even below long polling.
void tst_ClientTransports::autoNeverPicksShortPolling()
{
    RealtimeClient::Mode mode;
    QVERIFY(RealtimeClient::modeFromKey(u"poll", &mode));
    QCOMPARE(mode, RealtimeClient::Mode::Poll);
    QVERIFY(RealtimeClient::modeFromKey(u"lp", &mode));
    QCOMPARE(mode, RealtimeClient::Mode::LongPoll);
    QCOMPARE(RealtimeClient::modeKey(RealtimeClient::Mode::Poll), QStringLiteral("poll"));

    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings refusing;
    refusing.refuseUpgrades = true;
    refusing.refuseEventStreams = true;
    relay.setSettings(refusing);
    RealtimeClient client;
    client.setServerUrl(urlOf(relay.port()));
    client.setReconnectPolicy(fastPolicy());
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    QList<TransportKind> chosen;
    QObject::connect(&client, &RealtimeClient::activeTransportChanged, &client,
                     [&](TransportKind k) { chosen.append(k); });
    // Started on short polling, then Auto: Auto goes to WebSocket and falls back to the bottom.
    client.start(RealtimeClient::Mode::Poll);
    QVERIFY(waitOpen(client));
    chosen.clear();
    client.switchTo(RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor(
            [&] {
                return client.activeTransport() == TransportKind::LongPoll
                        && client.state() == ClientTransport::State::Open;
            },
            WaitMs));
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack, TransportKind::WebSocket), 1);
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack, TransportKind::Sse), 1);
    // Probing up keeps failing at the proxy: it stays on long polling, never steps to polling.
    publish(server->port(), QStringLiteral("over long polling"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::LongPoll);
    QVERIFY2(!chosen.contains(TransportKind::Poll), "Auto chose short polling");
    for (const ConnectionEvent &e : rec.events)
        if (e.type == ConnectionEvent::Type::FellBack)
            QVERIFY2(!e.detail.contains(transportKindLabel(TransportKind::Poll)), qPrintable(e.detail));
}

void tst_ClientTransports::autoFallsBackAndGoesBackUp()
{
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    ImpairmentRelay::Settings refusing;
    refusing.refuseUpgrades = true;
    relay.setSettings(refusing);
    RealtimeClient client;
    client.setServerUrl(urlOf(relay.port()));
    client.setReconnectPolicy(fastPolicy());
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::Sse && waitOpen(client); },
                            WaitMs));
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack, TransportKind::WebSocket), 1);
    QVERIFY(relay.counters().refusedUpgrades >= 1);
    publish(server->port(), QStringLiteral("over sse"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::Sse);

    // The proxy lets WebSockets through again: Auto goes back up by itself.
    relay.setSettings({});
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::WebSocket; }, WaitMs));
    publish(server->port(), QStringLiteral("over ws"));
    QVERIFY(rec.waitChats(2));
    QCOMPARE(rec.vias.last(), TransportKind::WebSocket);
    QCOMPARE(rec.chatIds(), (QList<quint64> { 1, 2 }));
    QVERIFY(rec.count(ConnectionEvent::Type::Switched, TransportKind::WebSocket) >= 1);
}

void tst_ClientTransports::dropBeforeTheFirstMessageLosesNothing_data()
{
    addModesWithPoll();
}

// A new client has no id to resume from. It learns the live end before it connects, so a drop
// before its first message costs it nothing.
void tst_ClientTransports::dropBeforeTheFirstMessageLosesNothing()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    publish(server->port(), QStringLiteral("old: not for us"));
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(fastPolicy());
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    server->dropConnections();
    server->hub()->publish({ QStringLiteral("server"), QStringLiteral("while away"), {} });
    QVERIFY(rec.waitChats(1));
    publish(server->port(), QStringLiteral("after"));
    QVERIFY(rec.waitChats(2));
    QCOMPARE(rec.chatIds(), (QList<quint64> { 2, 3 }));
    QCOMPARE(client.continuity().gaps, 0);
}

void tst_ClientTransports::sseStopsOnNon200()
{
    auto server = startServer(quietConfig());
    ClientTransport::Options o;
    // Not an event stream: 200 but JSON. EventSource fails the connection and does not retry.
    o.rawUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/healthz").arg(server->port()));
    o.policy = fastPolicy();
    std::unique_ptr<ClientTransport> t(ClientTransport::create(TransportKind::Sse, o));
    QList<ConnectionEvent> events;
    connect(t.get(), &ClientTransport::eventOccurred, this, [&](const ConnectionEvent &e) { events.append(e); });
    t->start();
    QVERIFY(QTest::qWaitFor([&] { return t->state() == ClientTransport::State::Closed; }, WaitMs));
    QVERIFY(std::any_of(events.begin(), events.end(), [](const ConnectionEvent &e) {
        return e.type == ConnectionEvent::Type::GaveUp && e.detail.contains(QLatin1String("text/event-stream"));
    }));
    QCOMPARE(t->stats().reconnects, 0);
    // A 404 stops it too.
    o.rawUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/nothing-here").arg(server->port()));
    t.reset(ClientTransport::create(TransportKind::Sse, o));
    t->start();
    QVERIFY(QTest::qWaitFor([&] { return t->state() == ClientTransport::State::Closed; }, WaitMs));
    QCOMPARE(t->stats().reconnects, 0);
}

void tst_ClientTransports::giveUpWithPolicyNone()
{
    // A port with nothing behind it.
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    RealtimeClient client;
    client.setServerUrl(urlOf(port));
    client.setReconnectPolicy(ReconnectPolicy::none());
    Recorder rec(client);
    client.start(RealtimeClient::Mode::WebSocket);
    QVERIFY(QTest::qWaitFor([&] { return rec.count(ConnectionEvent::Type::GaveUp) == 1; }, WaitMs));
    QCOMPARE(client.state(), ClientTransport::State::Closed);
    QCOMPARE(rec.count(ConnectionEvent::Type::RetryScheduled), 0);
}

// The chat messages in what the client passed on with this text.
static QList<Message> chatsWithText(const Recorder &rec, const QString &text)
{
    QList<Message> out;
    for (const Message &m : rec.messages)
        if (m.type == MessageType::Chat && m.text == text)
            out.append(m);
    return out;
}

void tst_ClientTransports::publishWhileServerDownIsDeliveredOnce_data()
{
    addModes();
}

void tst_ClientTransports::ledgerFollowsThePublishedMessage_data()
{
    addModes();
}

static QByteArray joined(const WireLedger &l)
{
    QByteArray all;
    for (const WirePart &p : l.parts)
        all += p.bytes;
    return all;
}

static QByteArray partOf(const WireLedger &l, WirePart::Role role, qsizetype nth = 0)
{
    for (const WirePart &p : l.parts) {
        if (p.role == role && nth-- == 0)
            return p.bytes;
    }
    return {};
}

// "Publish one message and show its bytes": the ledger of our own message, found by its
// clientTs, stays there while later messages (ticks at 5/s in the app) arrive.
void tst_ClientTransports::ledgerFollowsThePublishedMessage()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    const TransportKind kind = *client.activeTransport();
    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("the probe")));
    QVERIFY(rec.waitChats(1));
    const qint64 stamp = rec.messages.first().clientTs.toInteger();
    for (int i = 0; i < 5; ++i)
        publish(server->port(), QStringLiteral("later %1").arg(i));
    QVERIFY(rec.waitChats(6));

    const TransportStats &s = client.stats(kind);
    const auto own = std::find_if(s.recentWire.begin(), s.recentWire.end(),
                                  [&](const WireLedger &l) { return l.clientTs == stamp; });
    QVERIFY(own != s.recentWire.end());
    // The id, not the iterator, is kept for the check below: the flood pops that ledger, and
    // reading it through the iterator then was a heap-use-after-free (found by ASan).
    const quint64 ownId = own->id;
    QCOMPARE(ownId, rec.messages.first().id);
    const WireLedger *followed = s.ledgerFor(ownId);
    QVERIFY(followed);
    QVERIFY2(partOf(*followed, WirePart::Role::Payload).contains("\"text\":\"the probe\""),
             joined(*followed).constData());
    QCOMPARE(s.lastWireId, rec.messages.last().id); // the latest moved on; the followed one did not

    // Bounded: the oldest ledgers go.
    for (int i = 0; i < TransportStats::MaxLedgers; ++i)
        server->hub()->publish({ QStringLiteral("server"), QStringLiteral("flood %1").arg(i), {} });
    QVERIFY(rec.waitChats(6 + TransportStats::MaxLedgers));
    QCOMPARE(qsizetype(s.recentWire.size()), TransportStats::MaxLedgers);
    QVERIFY(!s.ledgerFor(ownId));
}

void tst_ClientTransports::ledgerHasEachTransportsParts_data()
{
    addModesWithPoll();
}

// Each transport's ledger of one message: the bytes that carried that message and nothing of
// the connection's set-up, which is apart for every transport alike.
void tst_ClientTransports::ledgerHasEachTransportsParts()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    const TransportKind kind = *client.activeTransport();
    const quint64 id = publish(server->port(), QStringLiteral("counted"));
    QVERIFY(rec.waitChats(1));
    const TransportStats &s = client.stats(kind);
    const WireLedger *l = s.ledgerFor(id, rec.messages.first().epoch);
    QVERIFY(l);
    QCOMPARE(l->sharedBy, 1);
    QCOMPARE(l->cost(), double(l->wireBytes()));
    // The payload is the message's JSON, as the server sent it.
    const QByteArray payload = partOf(*l, WirePart::Role::Payload);
    QCOMPARE(MessageCodec::decode(payload), std::optional<Message>(rec.messages.first()));
    QCOMPARE(s.payloadBytes, payload.size());
    qint64 framing = 0;
    qint64 headers = 0;
    for (const WirePart &p : l->parts) {
        framing += p.role == WirePart::Role::Framing ? p.bytes.size() : 0;
        headers += p.role == WirePart::Role::Header ? p.bytes.size() : 0;
    }
    // One message so far: the per-message counts are exactly its ledger.
    QCOMPARE(s.messages, 1);
    QCOMPARE(s.messageFramingBytes, framing);
    QCOMPARE(s.messageHeaderBytes, headers);
    QCOMPARE(bytesPerMessage(s), double(l->wireBytes()));
    qint64 setup = 0;
    for (const WirePart &p : s.setupWire)
        setup += p.bytes.size();
    QCOMPARE(s.setupBytes, setup);
    QCOMPARE(s.setupBytes + s.messageHeaderBytes + s.messageFramingBytes + s.payloadBytes + s.idleBytes(),
             s.wireBytes());
    // Never a connection's set-up in a message's bytes.
    QVERIFY2(!joined(*l).contains("HTTP/1.1 101") && !joined(*l).contains("text/event-stream"), joined(*l).constData());

    switch (kind) {
    case TransportKind::LongPoll:
    case TransportKind::Poll:
        // A poll's request and response head are this message's own: every message pays them.
        QCOMPARE(l->parts.size(), 5);
        // Short polling never asks to be held; long polling's polls after the first are held.
        QCOMPARE(partOf(*l, WirePart::Role::Header, 0).contains("&timeout=0 "), kind == TransportKind::Poll);
        // Short polling says so (the server counts it under "poll"); long polling does not.
        QCOMPARE(partOf(*l, WirePart::Role::Header, 0).contains("&mode=short&"), kind == TransportKind::Poll);
        QVERIFY(partOf(*l, WirePart::Role::Header, 0).startsWith("GET /poll?after="));
        QVERIFY(partOf(*l, WirePart::Role::Header, 1).startsWith("HTTP/1.1 200 OK\r\n"));
        QVERIFY(partOf(*l, WirePart::Role::Header, 1).endsWith("\r\n\r\n"));
        QVERIFY(partOf(*l, WirePart::Role::Framing, 0).startsWith("{\"epoch\":"));
        QVERIFY(partOf(*l, WirePart::Role::Framing, 1).contains("\"cursor\":"));
        QCOMPARE(s.setupBytes, 0);
        QVERIFY(s.idleBytes() > 0); // the first poll, answered at once and empty
        break;
    case TransportKind::Sse: {
        const QByteArray fields = "id: " + MessageCodec::eventId(l->epoch, id).toUtf8() + "\nevent: chat\ndata: ";
        QCOMPARE(l->parts.size(), 3);
        QCOMPARE(partOf(*l, WirePart::Role::Framing, 0), fields);
        QCOMPARE(partOf(*l, WirePart::Role::Framing, 1), QByteArray("\n\n"));
        QCOMPARE(headers, 0);
        QCOMPARE(s.setupWire.size(), 2);
        QVERIFY(s.setupWire[0].bytes.startsWith("GET /events HTTP/1.1\r\n"));
        QVERIFY(s.setupWire[1].bytes.startsWith("HTTP/1.1 200 OK\r\n"));
        QVERIFY(s.idleBytes() >= qsizetype(strlen("retry: 1000\n\n"))); // retry: and the live end's id
        break;
    }
    case TransportKind::WebSocket: {
        QCOMPARE(l->parts.size(), 2);
        const QByteArray header = partOf(*l, WirePart::Role::Framing);
        QVERIFY(header.size() >= 2 && header.size() <= 4);
        QCOMPARE(uchar(header.at(0)), uchar(0x81)); // FIN + text
        QCOMPARE(qsizetype(uchar(header.at(1))), payload.size() < 126 ? payload.size() : 126);
        QCOMPARE(headers, 0);
        // The handshake as it crossed: our request, and the server's 101 with the accept for its key.
        QCOMPARE(s.setupWire.size(), 2);
        QVERIFY(s.setupWire[0].bytes.startsWith("GET /ws?after="));
        QVERIFY(s.setupWire[0].bytes.endsWith("\r\n\r\n"));
        const qsizetype keyAt = s.setupWire[0].bytes.indexOf("Sec-WebSocket-Key: ") + 19;
        const QByteArray accept = WsHandshake::acceptFor(s.setupWire[0].bytes.mid(keyAt, 24));
        QVERIFY(s.setupWire[1].bytes.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
        QVERIFY2(s.setupWire[1].bytes.contains("Sec-WebSocket-Accept: " + accept + "\r\n"),
                 s.setupWire[1].bytes.constData());
        QVERIFY(s.setupWire[1].bytes.endsWith("\r\n\r\n"));
        if (testCore() == ServerConfig::Core::Epoll) // the minimal answer, exactly
            QCOMPARE(s.setupWire[1].bytes,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                     "Upgrade\r\nSec-WebSocket-Accept: "
                             + accept + "\r\n\r\n");
        break;
    }
    }
}

// The claim "WebSocket: no headers per message", in counts: for the same small messages, a
// WebSocket frame costs less than an SSE event, which costs less than a long poll.
void tst_ClientTransports::bytesPerMessageOrdersTheTransports()
{
    auto server = startServer(quietConfig());
    std::array<std::unique_ptr<RealtimeClient>, TransportKindCount> clients;
    std::array<std::unique_ptr<Recorder>, TransportKindCount> recs;
    for (int i = 0; i < TransportKindCount; ++i) {
        clients[size_t(i)] = std::make_unique<RealtimeClient>();
        clients[size_t(i)]->setServerUrl(urlOf(server->port()));
        recs[size_t(i)] = std::make_unique<Recorder>(*clients[size_t(i)]);
        clients[size_t(i)]->start(RealtimeClient::Mode(i));
        QVERIFY(waitOpen(*clients[size_t(i)]));
    }
    // One at a time, so that long polling gets one message per answer as a live stream does.
    const int total = 20;
    for (int n = 1; n <= total; ++n) {
        server->hub()->publish({ QStringLiteral("s"), QStringLiteral("m%1").arg(n), {} });
        for (const auto &rec : recs)
            QVERIFY(rec->waitChats(n));
    }
    const auto stats = [&](TransportKind k) -> const TransportStats & { return clients[size_t(k)]->stats(k); };
    const double lp = bytesPerMessage(stats(TransportKind::LongPoll));
    const double sse = bytesPerMessage(stats(TransportKind::Sse));
    const double ws = bytesPerMessage(stats(TransportKind::WebSocket));
    qInfo("bytes per message: ws %.1f, sse %.1f, lp %.1f", ws, sse, lp);
    QVERIFY(ws > 0);
    QVERIFY(ws < sse);
    QVERIFY(sse < lp);
    // The same payload on every lane; the difference is framing and per-message headers.
    const MessageCost l = messageCost(stats(TransportKind::LongPoll));
    const MessageCost e = messageCost(stats(TransportKind::Sse));
    const MessageCost w = messageCost(stats(TransportKind::WebSocket));
    QCOMPARE(l.payload, w.payload);
    QCOMPARE(e.payload, w.payload);
    QCOMPARE(w.headers, 0.0);
    QCOMPARE(e.headers, 0.0);
    QVERIFY(l.headers > 0);
    QCOMPARE(w.framing, 2.0);
    // Set-up apart, for both streaming transports alike; long polling has none.
    QVERIFY(w.setupBytes > 0);
    QVERIFY(e.setupBytes > 0);
    QCOMPARE(l.setupBytes, 0);
}

// The handshake in the ledger is the one that crossed: a listener reads the transport's request
// and answers it (split in two writes, with the first frame in the second); setupWire holds
// exactly both heads, and the frame that came with the 101 is delivered.
void tst_ClientTransports::webSocketHandshakeIsTheRealOne()
{
    QTcpServer listener;
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    QByteArray received;
    QByteArray answer;
    const Message m = chatFromAnn(6, QStringLiteral("e1"), QStringLiteral("came with the 101"));
    const QByteArray frame = WsFrameParser::encodeFrame(WsFrameParser::Text, MessageCodec::encode(m));
    connect(&listener, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *socket = listener.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, this, [&, socket] {
            received += socket->readAll();
            if (!answer.isEmpty() || !received.endsWith("\r\n\r\n"))
                return;
            const qsizetype keyAt = received.indexOf("Sec-WebSocket-Key: ") + 19;
            answer = "HTTP/1.1 101 Switching Protocols\r\nServer: test\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n"
                     "Sec-WebSocket-Accept: "
                    + WsHandshake::acceptFor(received.mid(keyAt, 24)) + "\r\n\r\n";
            socket->write(answer.left(20));
            socket->flush();
            socket->write(answer.mid(20) + frame);
        });
    });
    ClientTransport::Options o;
    o.server = urlOf(listener.serverPort());
    o.policy = ReconnectPolicy::none();
    std::unique_ptr<ClientTransport> t(ClientTransport::create(TransportKind::WebSocket, o));
    QList<Message> got;
    connect(t.get(), &ClientTransport::messageReceived, this, [&](const Message &msg) { got.append(msg); });
    t->start({ QStringLiteral("e1"), 5 });
    QVERIFY(QTest::qWaitFor([&] { return got.size() == 1; }, WaitMs));
    QCOMPARE(got[0].text, m.text);
    const QByteArray request =
            "GET /ws?after=5&epoch=e1 HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(listener.serverPort())
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: "
            + received.mid(received.indexOf("Sec-WebSocket-Key: ") + 19, 24) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    QCOMPARE(received, request);
    const TransportStats &s = t->stats();
    QCOMPARE(s.setupWire.size(), 2);
    QCOMPARE(s.setupWire[0].bytes, request);
    QCOMPARE(s.setupWire[1].bytes, answer);
    QCOMPARE(s.setupBytes, request.size() + answer.size());
    QCOMPARE(s.framingBytes, 2);
    t->stop();
}

// With a capture, the WebSocket lane records what crossed: the upgrade (status 101 and the accept
// for its key), our masked publish, the server's text frame with the message's id, pings and their
// pongs both ways, and the close handshake with its codes. The ledger's set-up is the same bytes.
void tst_ClientTransports::webSocketIsRecordedFrameByFrame()
{
    ServerConfig config = quietConfig();
    config.heartbeatMs = 200; // the server pings us too
    auto server = startServer(config);
    ClientTransport::Options o;
    o.server = urlOf(server->port());
    o.policy = ReconnectPolicy::none();
    o.heartbeatMs = 200;
    o.capture = std::make_shared<WireCapture>();
    std::unique_ptr<ClientTransport> t(ClientTransport::create(TransportKind::WebSocket, o));
    QList<Message> got;
    connect(t.get(), &ClientTransport::messageReceived, this, [&](const Message &m) { got.append(m); });
    t->start();
    QVERIFY(QTest::qWaitFor([&] { return t->state() == ClientTransport::State::Open; }, WaitMs));
    const PublishRequest publishRequest { QStringLiteral("me"), QStringLiteral("recorded"), 12345,
                                          QStringLiteral("c-1") };
    t->publish(publishRequest);
    QVERIFY(QTest::qWaitFor([&] { return got.size() == 1; }, WaitMs));
    // Our ping answered, and one of the server's answered by us.
    const auto has = [&](WireDirection d, int opcode) {
        const WireCapture::Snapshot snap = o.capture->snapshot();
        return std::any_of(snap.records.begin(), snap.records.end(), [&](const WireRecord &r) {
            return r.kind == WireRecord::Kind::Frame && r.direction == d && r.opcode == opcode;
        });
    };
    QVERIFY(QTest::qWaitFor(
            [&] { return t->stats().pingRttUs >= 0 && has(WireDirection::ToServer, WsFrameParser::Pong); }, WaitMs));
    const TransportStats stats = t->stats();
    t->stop();
    QVERIFY(QTest::qWaitFor([&] { return o.capture->snapshot().exchanges.front().endUs >= 0; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return has(WireDirection::ToClient, WsFrameParser::Close); }, WaitMs));

    const WireCapture::Snapshot snap = o.capture->snapshot();
    QCOMPARE(snap.exchanges.size(), size_t(1));
    const WireExchange &e = snap.exchanges.front();
    QCOMPARE(e.kind, WireExchange::Kind::WebSocket);
    QCOMPARE(e.transport, TransportKind::WebSocket);
    QCOMPARE(e.status, 101);
    QVERIFY(e.url.startsWith(QStringLiteral("ws://127.0.0.1:")));
    QVERIFY(e.requestHead.startsWith("GET /ws HTTP/1.1\r\n"));
    const qsizetype keyAt = e.requestHead.indexOf("Sec-WebSocket-Key: ") + 19;
    const QByteArray key = e.requestHead.mid(keyAt, 24);
    QVERIFY(e.responseHead.contains("\r\nSec-WebSocket-Accept: " + WsHandshake::acceptFor(key) + "\r\n"));
    QVERIFY(e.sentUs >= e.startUs && e.headUs >= e.sentUs && e.endUs >= e.headUs);
    QCOMPARE(stats.setupWire.size(), 2);
    QCOMPARE(stats.setupWire[0].bytes + stats.setupWire[1].bytes, e.requestHead + e.responseHead);

    QList<WireRecord> frames;
    for (const WireRecord &r : snap.records) {
        QCOMPARE(r.exchange, e.id);
        if (r.kind == WireRecord::Kind::Frame)
            frames.append(r);
    }
    QCOMPARE(snap.records.front().kind, WireRecord::Kind::Request);
    QCOMPARE(snap.records[1].kind, WireRecord::Kind::ResponseHead);
    QCOMPARE(snap.records.back().kind, WireRecord::Kind::Ended);
    // Every frame's bytes are its header and its payload as sent: ours masked, each with its key.
    QSet<QByteArray> keys;
    qsizetype ours = 0;
    for (const WireRecord &f : frames) {
        QCOMPARE(f.masked, f.direction == WireDirection::ToServer);
        QCOMPARE(f.headerLength, WsFrameParser::headerLengthFor(quint64(f.data.size()), f.masked));
        QCOMPARE(f.bytes.left(f.headerLength).right(f.masked ? 4 : 0), f.maskKey);
        QCOMPARE(f.bytes.sliced(f.headerLength), WsFrameParser::applyMask(f.data, f.maskKey));
        QCOMPARE(f.size, f.bytes.size());
        if (f.masked) {
            ++ours;
            keys.insert(f.maskKey);
        }
    }
    QVERIFY(ours >= 4);               // publish, ping, pong, close
    QVERIFY(keys.size() >= ours - 1); // fresh keys (two equal random ones: 1 in 2^32)
    const auto find = [&](WireDirection d, int opcode) {
        return std::find_if(frames.begin(), frames.end(),
                            [&](const WireRecord &r) { return r.direction == d && r.opcode == opcode; });
    };
    const auto publishFrame = find(WireDirection::ToServer, WsFrameParser::Text);
    QVERIFY(publishFrame != frames.end());
    QCOMPARE(publishFrame->data, MessageCodec::encodePublish(publishRequest));
    QCOMPARE(publishFrame->label, QStringLiteral("text %1 B").arg(publishFrame->data.size()));
    const auto delivered = find(WireDirection::ToClient, WsFrameParser::Text);
    QVERIFY(delivered != frames.end());
    QCOMPARE(delivered->messageIds, QList<quint64> { got[0].id });
    QCOMPARE(delivered->data, server->hub()->log().entry(got[0].id)->json);
    // Our ping and the server's pong carry the same data; so do the server's ping and our pong.
    const auto ourPing = find(WireDirection::ToServer, WsFrameParser::Ping);
    QVERIFY(ourPing != frames.end());
    QVERIFY(std::any_of(frames.begin(), frames.end(), [&](const WireRecord &r) {
        return r.direction == WireDirection::ToClient && r.opcode == WsFrameParser::Pong && r.data == ourPing->data;
    }));
    const auto theirPing = find(WireDirection::ToClient, WsFrameParser::Ping);
    QVERIFY(theirPing != frames.end());
    QVERIFY(std::any_of(theirPing, frames.end(), [&](const WireRecord &r) {
        return r.direction == WireDirection::ToServer && r.opcode == WsFrameParser::Pong && r.data == theirPing->data;
    }));
    QCOMPARE(ourPing->label, QStringLiteral("ping"));
    // The close handshake: ours, then the server's answer.
    const auto ourClose = find(WireDirection::ToServer, WsFrameParser::Close);
    const auto theirClose = find(WireDirection::ToClient, WsFrameParser::Close);
    QVERIFY(ourClose != frames.end() && theirClose != frames.end());
    QVERIFY(ourClose < theirClose);
    QCOMPARE(ourClose->closeCode, 1000);
    QCOMPARE(ourClose->label, QStringLiteral("close 1000 client closing"));
    QCOMPARE(theirClose->closeCode, 1000);
    QVERIFY(e.endReason.contains(QLatin1String("1000")));
}

// An SSE stream written a byte at a time, with CRLF and LF lines, comments, retry: and a bare
// id: each event's ledger is its exact bytes, and what carried no message is idle.
void tst_ClientTransports::sseLedgerAnySplitAndIdleApart()
{
    QTcpServer listener;
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    Message tick;
    tick.id = 7;
    tick.epoch = QStringLiteral("e0");
    tick.type = MessageType::Tick;
    tick.ts = 1;
    tick.data = QJsonObject { { QStringLiteral("n"), 1 } };
    Message chat = tick;
    chat.id = 6;
    chat.type = MessageType::Chat;
    chat.from = QStringLiteral("ann");
    chat.text = QStringLiteral("hi");
    chat.data = {};
    const QByteArray idle = "retry: 1000\n\nid: e0:5\n\n: heartbeat\n\n";
    const QByteArray chatFields = "id: e0:6\r\nevent: chat\r\ndata: ";
    const QByteArray tickFields = ": a comment inside the event\nid: e0:7\nevent: tick\ndata: ";
    const QByteArray stream = idle + chatFields + MessageCodec::encode(chat) + "\r\n\r\n" + tickFields
            + MessageCodec::encode(tick) + "\n\n: hb\n\n";
    // One byte per pass of the event loop, each written out before the next.
    QPointer<QTcpSocket> peer;
    qsizetype sent = -1;
    QTimer pump;
    pump.setInterval(0);
    connect(&pump, &QTimer::timeout, this, [&] {
        if (!peer || sent < 0 || peer->bytesToWrite() > 0)
            return;
        if (sent == stream.size()) {
            pump.stop();
            return;
        }
        peer->write(stream.constData() + sent++, 1);
    });
    connect(&listener, &QTcpServer::newConnection, this, [&] {
        peer = listener.nextPendingConnection();
        connect(peer, &QTcpSocket::readyRead, this, [&] {
            if (sent < 0 && peer->readAll().contains("\r\n\r\n")) {
                peer->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
                sent = 0;
                pump.start();
            }
        });
    });
    ClientTransport::Options o;
    o.server = urlOf(listener.serverPort());
    o.policy = ReconnectPolicy::none();
    std::unique_ptr<ClientTransport> t(ClientTransport::create(TransportKind::Sse, o));
    QList<Message> got;
    connect(t.get(), &ClientTransport::messageReceived, this, [&](const Message &m) { got.append(m); });
    t->start({ QStringLiteral("e0"), 5 });
    QVERIFY(QTest::qWaitFor([&] { return t->stats().framingBytes + t->stats().payloadBytes == stream.size(); },
                            WaitMs));
    QCOMPARE(got.size(), 2);
    QCOMPARE(t->stats().heartbeats, 3);
    const TransportStats &s = t->stats();
    const WireLedger *c = s.ledgerFor(6);
    const WireLedger *k = s.ledgerFor(7);
    QVERIFY(c && k);
    QCOMPARE(c->parts.size(), 3);
    QCOMPARE(c->parts[0].bytes, chatFields);
    QCOMPARE(c->parts[1].bytes, MessageCodec::encode(chat));
    QCOMPARE(c->parts[2].bytes, QByteArray("\r\n\r\n"));
    QCOMPARE(c->clientTs, -1);
    QCOMPARE(k->parts[0].bytes, tickFields);
    QCOMPARE(k->parts[2].bytes, QByteArray("\n\n"));
    QCOMPARE(s.messageFramingBytes, chatFields.size() + 4 + tickFields.size() + 2);
    QCOMPARE(s.idleBytes(), idle.size() + qsizetype(strlen(": hb\n\n")));
    QCOMPARE(s.setupBytes, s.headerBytes);
    QCOMPARE(s.setupWire.size(), 2);
    t->stop();
}

void tst_ClientTransports::outageIsNeverReportedOpen_data()
{
    addModes();
    QTest::newRow("auto") << RealtimeClient::Mode::Auto;
}

// Server unreachable from the start: the client says it is connecting or reconnecting (with the
// time of its next attempt), never open; and Auto, seeing an outage and not a block, stays on
// WebSocket instead of falling down to long polling.
void tst_ClientTransports::outageIsNeverReportedOpen()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    relay.setDown(true);
    RealtimeClient client;
    client.setServerUrl(urlOf(relay.port()));
    client.setReconnectPolicy(fastPolicy());
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    QList<ClientTransport::State> states;
    connect(&client, &RealtimeClient::stateChanged, &rec, [&](ClientTransport::State s) { states.append(s); });
    bool sawNextAttempt = false;
    connect(&client, &RealtimeClient::stateChanged, &rec, [&](ClientTransport::State s) {
        if (s == ClientTransport::State::Reconnecting && client.msUntilNextAttempt() >= 0)
            sawNextAttempt = true;
    });
    client.start(mode);
    QCOMPARE(client.state(), ClientTransport::State::Connecting);
    // Several attempts, all refused.
    QVERIFY(QTest::qWaitFor([&] { return relay.counters().refusedWhileDown >= 6; }, WaitMs));
    QVERIFY(!states.contains(ClientTransport::State::Open));
    QVERIFY(client.state() == ClientTransport::State::Connecting
            || client.state() == ClientTransport::State::Reconnecting);
    QVERIFY(sawNextAttempt);
    QCOMPARE(rec.count(ConnectionEvent::Type::Opened), 0);
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 0);
    const TransportKind expected =
            mode == RealtimeClient::Mode::Auto ? TransportKind::WebSocket : *RealtimeClient::transportOf(mode);
    QCOMPARE(client.activeTransport(), expected);
    // Every failed attempt is a plain failure: not a refusal by HTTP, so not a block.
    for (const ConnectionEvent &e : rec.events)
        if (e.type == ConnectionEvent::Type::Closed)
            QVERIFY2(!e.blocked && e.closeCode == 0, qPrintable(e.detail));

    relay.setDown(false);
    QVERIFY(waitOpen(client));
    QCOMPARE(client.activeTransport(), expected);
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 0);
}

// A network-down of a few seconds in Auto: no fallback (nothing is blocked), and once the
// network is back Auto is open on WebSocket again, without passing through SSE or long polling.
void tst_ClientTransports::autoRidesOutAnOutageOnWebSocket()
{
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    RealtimeClient client;
    client.setServerUrl(urlOf(relay.port()));
    // The default backoff (0.5 s doubling): Auto must not have to sit it all out.
    client.setProbeIntervalMs(200);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::Auto);
    QVERIFY(waitOpen(client));
    QCOMPARE(client.activeTransport(), TransportKind::WebSocket);
    const qsizetype before = rec.events.size();

    relay.takeDownFor(3000);
    QVERIFY(QTest::qWaitFor([&] { return client.state() != ClientTransport::State::Open; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return !relay.isDown(); }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return client.state() == ClientTransport::State::Open; }, 20000));
    QCOMPARE(client.activeTransport(), TransportKind::WebSocket);
    publish(server->port(), QStringLiteral("after the outage"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::WebSocket);

    // In order: WebSocket lost, WebSocket retried, WebSocket open again; nothing else tried.
    const QList<ConnectionEvent> during = rec.events.mid(before);
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 0);
    for (const ConnectionEvent &e : during)
        QVERIFY2(
                e.transport == TransportKind::WebSocket,
                qPrintable(ConnectionEvent::typeName(e.type) + u' ' + transportKindKey(e.transport) + u' ' + e.detail));
    const auto closed = std::find_if(during.begin(), during.end(),
                                     [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::Closed; });
    const auto reopened = std::find_if(during.begin(), during.end(), [](const ConnectionEvent &e) {
        return e.type == ConnectionEvent::Type::Opened;
    });
    QVERIFY(closed != during.end());
    QVERIFY(reopened != during.end());
    QVERIFY(closed < reopened);
    QCOMPARE(client.continuity().gaps, 0);
}

// A path that silently drops WebSocket upgrades (closes the connection, no HTTP answer) while
// plain HTTP goes through: a block, told apart from an outage by asking plain HTTP.
void tst_ClientTransports::autoFallsBackForASilentBlock()
{
    auto server = startServer(quietConfig());
    // A forwarder that cuts any connection whose request asks for an upgrade.
    QTcpServer proxy;
    QVERIFY(proxy.listen(QHostAddress::LocalHost, 0));
    const quint16 upstreamPort = server->port();
    qint64 cutUpgrades = 0;
    connect(&proxy, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *c = proxy.nextPendingConnection()) {
            auto *up = new QTcpSocket(c);
            auto *head = new QByteArray;
            connect(c, &QObject::destroyed, c, [head] { delete head; });
            connect(up, &QTcpSocket::readyRead, c, [c, up] { c->write(up->readAll()); });
            connect(up, &QTcpSocket::disconnected, c, [c] { c->disconnectFromHost(); });
            connect(c, &QTcpSocket::disconnected, c, [c, up] {
                up->abort();
                c->deleteLater();
            });
            connect(c, &QTcpSocket::readyRead, c, [&cutUpgrades, c, up, head, upstreamPort] {
                const QByteArray bytes = c->readAll();
                if (up->state() == QAbstractSocket::UnconnectedState && head->size() < 65536) {
                    *head += bytes;
                    if (!head->contains("\r\n\r\n"))
                        return;
                    if (head->toLower().contains("upgrade: websocket")) {
                        ++cutUpgrades;
                        c->abort();
                        return;
                    }
                    up->connectToHost(QHostAddress::LocalHost, upstreamPort);
                    up->write(*head);
                    return;
                }
                up->write(bytes);
            });
        }
    });
    RealtimeClient client;
    client.setServerUrl(urlOf(proxy.serverPort()));
    client.setReconnectPolicy(fastPolicy());
    client.setProbeIntervalMs(60000);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::Sse && waitOpen(client); },
                            WaitMs));
    QVERIFY(cutUpgrades >= 2);
    QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 1);
    const auto fell = std::find_if(rec.events.begin(), rec.events.end(),
                                   [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::FellBack; });
    QVERIFY(fell->blocked);
    QVERIFY2(fell->detail.contains(QLatin1String("plain HTTP")), qPrintable(fell->detail));
    publish(server->port(), QStringLiteral("over sse"));
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.vias.last(), TransportKind::Sse);
}

// A connection that never opened has no close code: it could not connect, and says why.
void tst_ClientTransports::refusedConnectionHasNoCloseCode()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    ClientTransport::Options o;
    o.server = urlOf(port);
    o.policy = ReconnectPolicy::none();
    std::unique_ptr<ClientTransport> t(ClientTransport::create(TransportKind::WebSocket, o));
    QList<ConnectionEvent> events;
    connect(t.get(), &ClientTransport::eventOccurred, this, [&](const ConnectionEvent &e) { events.append(e); });
    t->start();
    QVERIFY(QTest::qWaitFor([&] { return t->state() == ClientTransport::State::Closed; }, WaitMs));
    const auto closed = std::find_if(events.begin(), events.end(),
                                     [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::Closed; });
    QVERIFY(closed != events.end());
    QCOMPARE(closed->closeCode, 0);
    QCOMPARE(closed->detail, QStringLiteral("could not connect: connection refused"));
}

// Nothing the user sends is dropped: published while the server is down, it waits in the outbox,
// and is delivered once when the server is back (a new server: a new epoch, after a reset).
void tst_ClientTransports::publishWhileServerDownIsDeliveredOnce()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    RealtimeClient client;
    client.setServerUrl(urlOf(port));
    client.setReconnectPolicy(fastPolicy());
    Recorder rec(client);
    QList<Outbox::State> states;
    connect(&client, &RealtimeClient::publishStateChanged, this,
            [&](const QString &, Outbox::State s) { states.append(s); });
    client.start(mode);
    QVERIFY(waitOpen(client));

    server.reset();
    QVERIFY(QTest::qWaitFor([&] { return client.state() != ClientTransport::State::Open; }, WaitMs));
    const QString text = QStringLiteral("typed while the server was down");
    QString clientMsgId;
    QVERIFY(client.publish(QStringLiteral("me"), text, &clientMsgId));
    QVERIFY(!clientMsgId.isEmpty());
    QCOMPARE(client.outbox().size(), 1);
    QCOMPARE(client.outbox().find(clientMsgId)->state, Outbox::State::Queued);

    ServerConfig config = quietConfig();
    config.core = testCore();
    config.host = QStringLiteral("127.0.0.1");
    config.port = port;
    server = std::make_unique<Server>(config);
    QVERIFY(QTest::qWaitFor([&] { return server->listen(); }, WaitMs));

    QVERIFY(QTest::qWaitFor([&] { return !chatsWithText(rec, text).isEmpty(); }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return client.outbox().size() == 0; }, WaitMs));
    // Once in the server's log, once in the stream, with its clientMsgId.
    QCOMPARE(ids(pollMessages(request(port, "GET", "/poll?after=0"))), QList<quint64> { 1 });
    publish(port, QStringLiteral("after"));
    QVERIFY(rec.waitChats(2));
    QCOMPARE(chatsWithText(rec, text).size(), 1);
    QCOMPARE(chatsWithText(rec, text)[0].clientMsgId, clientMsgId);
    QCOMPARE(chatsWithText(rec, text)[0].id, 1u);
    QCOMPARE(rec.chatIds(), (QList<quint64> { 1, 2 }));
    QCOMPARE(states.first(), Outbox::State::Queued);
    QVERIFY(states.contains(Outbox::State::Sent));
    QCOMPARE(states.last(), Outbox::State::Delivered);
    QVERIFY(!states.contains(Outbox::State::Failed));
    QCOMPARE(client.continuity().gaps, 0);
}

void tst_ClientTransports::resendAfterALostAnswerIsPublishedOnce_data()
{
    addModes();
}

// The message reached the server, but the connection broke before the client heard of it: the
// client sends it again (it cannot know), and the server publishes it once.
void tst_ClientTransports::resendAfterALostAnswerIsPublishedOnce()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    ImpairmentRelay relay;
    QVERIFY(relay.listen(QHostAddress::LocalHost, server->port()));
    RealtimeClient client;
    client.setServerUrl(urlOf(relay.port()));
    client.setReconnectPolicy(fastPolicy());
    Recorder rec(client);
    client.start(mode);
    QVERIFY(waitOpen(client));
    // Slow enough that the server's answer is still in the relay when the connections are cut.
    ImpairmentRelay::Settings slow;
    slow.latencyMs = 500;
    relay.setSettings(slow);

    const QString text = QStringLiteral("answer lost on the way");
    QString clientMsgId;
    QVERIFY(client.publish(QStringLiteral("me"), text, &clientMsgId));
    QVERIFY(QTest::qWaitFor([&] { return server->hub()->log().lastId() == 1; }, WaitMs));
    relay.dropAll();
    QVERIFY(chatsWithText(rec, text).isEmpty());
    relay.setSettings({});

    QVERIFY(QTest::qWaitFor([&] { return server->hub()->stats().duplicatePublishes >= 1; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return client.outbox().size() == 0 && !chatsWithText(rec, text).isEmpty(); },
                            WaitMs));
    publish(server->port(), QStringLiteral("after"));
    QVERIFY(rec.waitChats(2));
    QCOMPARE(rec.chatIds(), (QList<quint64> { 1, 2 }));
    QCOMPARE(chatsWithText(rec, text).size(), 1);
    QCOMPARE(chatsWithText(rec, text)[0].clientMsgId, clientMsgId);
    QCOMPARE(server->hub()->stats().published, 2);
    QCOMPARE(client.continuity().gaps, 0);
}

// Over the limit the client refuses, says why, and loses nothing it already holds.
void tst_ClientTransports::outboxRefusesWhenFull()
{
    quint16 port = 0;
    {
        QTcpServer probe; // nothing behind it: the outbox only fills
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    RealtimeClient client;
    client.setServerUrl(urlOf(port));
    client.setReconnectPolicy(fastPolicy());
    client.start(RealtimeClient::Mode::WebSocket);
    const qsizetype limit = client.outbox().limits().maxItems;
    for (qsizetype i = 0; i < limit; ++i)
        QVERIFY(client.publish(QStringLiteral("me"), QString::number(i)));
    QString why;
    QVERIFY(!client.publish(QStringLiteral("me"), QStringLiteral("one too many"), nullptr, &why));
    QVERIFY2(why.contains(QLatin1String("not yet delivered")), qPrintable(why));
    QCOMPARE(client.outbox().size(), limit);
    QVERIFY(!client.publish(QStringLiteral("me"), QString()));
}

void tst_ClientTransports::publishOnOpenIsSentOnce_data()
{
    addModes();
}

// A message published in answer to the opening (as rtlab-cli --send does) goes once: it was sent
// and then sent again when the outbox replayed what "an older connection" had carried.
void tst_ClientTransports::publishOnOpenIsSentOnce()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    Recorder rec(client);
    bool sent = false;
    connect(&client, &RealtimeClient::eventOccurred, this, [&](const ConnectionEvent &e) {
        if (e.type == ConnectionEvent::Type::Opened && !std::exchange(sent, true))
            QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("on open")));
    });
    client.start(mode);
    QVERIFY(QTest::qWaitFor([&] { return chatsWithText(rec, QStringLiteral("on open")).size() == 1; }, WaitMs));
    QTRY_COMPARE_WITH_TIMEOUT(client.outbox().size(), 0, WaitMs);
    const TransportKind kind = *client.activeTransport();
    QCOMPARE(client.stats(kind).publishes, 1);
    QCOMPARE(server->hub()->stats().duplicatePublishes, 0);
}

// The records of one exchange, in order.
static QList<WireRecord> recordsOf(const WireCapture::Snapshot &s, quint64 exchange)
{
    QList<WireRecord> out;
    for (const WireRecord &r : s.records)
        if (r.exchange == exchange)
            out.append(r);
    return out;
}

void tst_ClientTransports::captureRecordsPollsAndPublishes()
{
    auto server = startServer(quietConfig());
    auto capture = std::make_shared<WireCapture>();
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setPollHoldMs(200); // a short hold, so that one runs out while we wait
    client.setWireCapture(capture);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::LongPoll);
    QVERIFY(waitOpen(client));

    // A held poll (timeout=0.2) that ran out: answered empty.
    const auto heldAndEmpty = [&](const WireCapture::Snapshot &s) -> const WireExchange * {
        for (const WireExchange &e : s.exchanges) {
            if (e.kind != WireExchange::Kind::Poll || !e.url.contains(QLatin1String("timeout=0.2")) || e.endUs < 0)
                continue;
            const QList<WireRecord> records = recordsOf(s, e.id);
            if (!records.isEmpty() && records.constLast().kind == WireRecord::Kind::Response
                && records.constLast().empty)
                return &e;
        }
        return nullptr;
    };
    QVERIFY(QTest::qWaitFor([&] { return heldAndEmpty(capture->snapshot()) != nullptr; }, WaitMs));
    WireCapture::Snapshot s = capture->snapshot();
    const WireExchange held = *heldAndEmpty(s);
    QCOMPARE(held.transport, TransportKind::LongPoll);
    QCOMPARE(held.status, 200);
    QCOMPARE(held.method, QByteArray("GET"));
    QVERIFY(held.url.startsWith(urlOf(server->port()).toString() + QStringLiteral("/poll?after=")));
    QVERIFY(held.requestHead.startsWith("GET /poll?after="));
    QVERIFY(held.requestHead.endsWith("\r\n\r\n"));
    QVERIFY(held.responseHead.startsWith("HTTP/1.1 200"));
    QVERIFY(held.responseHead.endsWith("\r\n\r\n"));
    QVERIFY(held.responseBodySize > 0);
    QVERIFY(held.sentUs >= held.startUs);
    QVERIFY(held.headUs >= held.sentUs); // the hold
    QVERIFY(held.endUs >= held.headUs);
    QList<WireRecord> records = recordsOf(s, held.id);
    QCOMPARE(records.size(), 2); // the request, then the answer: no separate head arrow for a poll
    QCOMPARE(records.at(0).kind, WireRecord::Kind::Request);
    QCOMPARE(records.at(0).direction, WireDirection::ToServer);
    QCOMPARE(records.at(0).bytes, held.requestHead);
    QCOMPARE(records.at(1).kind, WireRecord::Kind::Response);
    QCOMPARE(records.at(1).direction, WireDirection::ToClient);
    QVERIFY(records.at(1).empty);
    QVERIFY(records.at(1).messageIds.isEmpty());
    QCOMPARE(records.at(1).timeUs, held.headUs); // the answer's arrow is drawn when its head came
    QVERIFY2(records.at(1).label.contains(QLatin1String("empty")), qPrintable(records.at(1).label));
    // In the HAR, the hold is the entry's wait.
    const QJsonArray entries = harFromCapture(s)[QLatin1String("log")][QLatin1String("entries")].toArray();
    const auto at = std::find_if(s.exchanges.begin(), s.exchanges.end(),
                                 [&](const WireExchange &e) { return e.id == held.id; });
    const QJsonObject entry = entries.at(at - s.exchanges.begin()).toObject(); // one entry per exchange, in order
    QCOMPARE(entry[QLatin1String("request")][QLatin1String("url")].toString(), held.url);
    QCOMPARE(entry[QLatin1String("timings")][QLatin1String("wait")].toDouble(),
             double(held.headUs - held.sentUs) / 1000.0);
    QVERIFY(entry[QLatin1String("response")][QLatin1String("content")][QLatin1String("text")].toString().contains(
            QLatin1String("\"messages\":[]")));

    // A poll that carries messages names their ids; a publish is an exchange of its own with its 202.
    QVERIFY(client.publish(QStringLiteral("me"), QStringLiteral("one")));
    QVERIFY(rec.waitChats(1));
    const quint64 first = rec.chatIds().constFirst();
    const auto answerWith = [&](quint64 id) {
        const WireCapture::Snapshot now = capture->snapshot();
        for (const WireRecord &r : now.records)
            if (r.kind == WireRecord::Kind::Response && r.messageIds.contains(id) && now.exchange(r.exchange)
                && now.exchange(r.exchange)->kind == WireExchange::Kind::Poll)
                return r;
        return WireRecord {};
    };
    QVERIFY(QTest::qWaitFor([&] { return answerWith(first).exchange != 0; }, WaitMs));
    const WireRecord answer = answerWith(first);
    QVERIFY(!answer.empty);
    QCOMPARE(answer.messageIds, QList<quint64> { first });
    QVERIFY2(answer.label.startsWith(QStringLiteral("200 · 1 message")), qPrintable(answer.label));
    QVERIFY(answer.data.contains("\"one\""));

    s = capture->snapshot();
    const auto publishes = std::count_if(s.exchanges.begin(), s.exchanges.end(),
                                         [](const WireExchange &e) { return e.kind == WireExchange::Kind::Publish; });
    QCOMPARE(publishes, 1);
    const WireExchange post = *std::find_if(s.exchanges.begin(), s.exchanges.end(), [](const WireExchange &e) {
        return e.kind == WireExchange::Kind::Publish;
    });
    QCOMPARE(post.method, QByteArray("POST"));
    QCOMPARE(post.status, 202);
    QVERIFY(post.requestBody.contains("\"one\""));
    records = recordsOf(s, post.id);
    QCOMPARE(records.size(), 2);
    QCOMPARE(records.at(0).kind, WireRecord::Kind::Request);
    QCOMPARE(records.at(1).kind, WireRecord::Kind::Response);
    QCOMPARE(records.at(1).messageIds, QList<quint64> { first });
    QCOMPARE(records.at(1).label, QStringLiteral("202 · id %1").arg(first));

    // Several messages in one answer: all their ids.
    client.stop();
    auto capture2 = std::make_shared<WireCapture>();
    RealtimeClient late;
    late.setServerUrl(urlOf(server->port()));
    late.setWireCapture(capture2);
    Recorder lateRec(late);
    publish(server->port(), QStringLiteral("two"));
    publish(server->port(), QStringLiteral("three"));
    late.start(RealtimeClient::Mode::LongPoll, StreamPosition { server->hub()->log().epoch(), first });
    QVERIFY(lateRec.waitChats(2));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const WireRecord &r : capture2->snapshot().records)
                    if (r.kind == WireRecord::Kind::Response && r.messageIds == QList<quint64> { first + 1, first + 2 })
                        return r.label == QStringLiteral("200 · 2 messages (ids %1–%2)").arg(first + 1).arg(first + 2);
                return false;
            },
            WaitMs));
}

void tst_ClientTransports::captureRecordsTheEventStreamAndItsResume()
{
    auto server = startServer(quietConfig());
    auto capture = std::make_shared<WireCapture>();
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(fastPolicy());
    client.setWireCapture(capture);
    Recorder rec(client);
    client.start(RealtimeClient::Mode::Sse);
    QVERIFY(waitOpen(client));
    publish(server->port(), QStringLiteral("a"));
    publish(server->port(), QStringLiteral("b"));
    QVERIFY(rec.waitChats(2));
    const auto streams = [&] {
        QList<WireExchange> out;
        for (const WireExchange &e : capture->snapshot().exchanges)
            if (e.kind == WireExchange::Kind::EventStream)
                out.append(e);
        return out;
    };
    // Both events recorded before the cut (an event's record comes with its block's blank line).
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QList<WireRecord> r = recordsOf(capture->snapshot(), streams().value(0).id);
                return std::count_if(r.begin(), r.end(),
                                     [](const WireRecord &x) { return x.kind == WireRecord::Kind::Event; })
                        == 2;
            },
            WaitMs));

    server->dropConnections();
    QVERIFY(QTest::qWaitFor([&] { return rec.count(ConnectionEvent::Type::Opened) >= 2; }, WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return streams().size() >= 2 && streams().at(1).status == 200; }, WaitMs));

    const WireCapture::Snapshot s = capture->snapshot();
    const QList<WireExchange> both = streams();
    const WireExchange first = both.at(0);
    const WireExchange second = both.at(1);
    QCOMPARE(first.status, 200);
    QCOMPARE(first.mimeType, QStringLiteral("text/event-stream"));
    QVERIFY(first.endUs >= first.headUs);
    QVERIFY(!first.endReason.isEmpty());
    QVERIFY(first.responseBodySize > 0);
    const QList<WireRecord> records = recordsOf(s, first.id);
    QCOMPARE(records.constFirst().kind, WireRecord::Kind::Request);
    QCOMPARE(records.at(1).kind, WireRecord::Kind::ResponseHead);
    QCOMPARE(records.at(1).bytes, first.responseHead);
    QCOMPARE(records.constLast().kind, WireRecord::Kind::Ended);
    QList<WireRecord> events;
    bool retry = false;
    for (const WireRecord &r : records) {
        if (r.kind == WireRecord::Kind::Event)
            events.append(r);
        retry = retry || (r.kind == WireRecord::Kind::Retry && r.label.startsWith(QLatin1String("retry: ")));
        QVERIFY(r.timeUs >= first.startUs);
    }
    QVERIFY(retry); // the server's retry: opens every stream
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(0).messageIds, QList<quint64> { 1 });
    QCOMPARE(events.at(1).messageIds, QList<quint64> { 2 });
    QCOMPARE(events.at(1).eventId, MessageCodec::eventId(server->hub()->log().epoch(), 2));
    QVERIFY(events.at(1).data.contains("\"b\""));
    QVERIFY(events.at(1).bytes.startsWith("id: ") || events.at(1).bytes.contains("\nid: "));
    QVERIFY(events.at(1).bytes.endsWith("\n\n"));
    QVERIFY(!first.requestHead.contains("Last-Event-ID: " + events.at(1).eventId.toUtf8()));

    // The reconnect is a new exchange that resumes from the last event of the first.
    const QList<WireRecord> resumed = recordsOf(s, second.id);
    QCOMPARE(resumed.constFirst().kind, WireRecord::Kind::Request);
    QVERIFY2(resumed.constFirst().label.contains(QStringLiteral("Last-Event-ID: %1").arg(events.at(1).eventId)),
             qPrintable(resumed.constFirst().label));
    QVERIFY(second.requestHead.contains("\r\nLast-Event-ID: " + events.at(1).eventId.toUtf8() + "\r\n"));
    QVERIFY(second.startUs >= first.endUs);

    // The HAR: both streams, the first with its two events.
    const QJsonArray entries = harFromCapture(s)[QLatin1String("log")][QLatin1String("entries")].toArray();
    QJsonArray firstEvents;
    for (const QJsonValue &e : entries)
        if (e[QLatin1String("response")][QLatin1String("content")][QLatin1String("mimeType")]
            == QLatin1String("text/event-stream")) {
            firstEvents = e[QLatin1String("_eventStreamMessages")].toArray();
            break;
        }
    QCOMPARE(firstEvents.size(), 2);
    QCOMPARE(firstEvents.at(1)[QLatin1String("id")].toString(), events.at(1).eventId);
}

void tst_ClientTransports::captureMarksASwitch()
{
    auto server = startServer(quietConfig());
    auto capture = std::make_shared<WireCapture>();
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setWireCapture(capture);
    client.start(RealtimeClient::Mode::LongPoll);
    QVERIFY(waitOpen(client));
    client.switchTo(RealtimeClient::Mode::Sse);
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const WireRecord &r : capture->snapshot().records)
                    if (r.kind == WireRecord::Kind::Note && r.transport == TransportKind::Sse && r.exchange == 0
                        && r.label
                                == QStringLiteral("switched from %1").arg(transportKindLabel(TransportKind::LongPoll)))
                        return true;
                return false;
            },
            WaitMs));
}

void tst_ClientTransports::tokenOnEveryTransport_data()
{
    QTest::addColumn<RealtimeClient::Mode>("mode");
    QTest::addColumn<QString>("token"); // valid, expired, wrong key, none, no publish
    QTest::addColumn<QString>("authError");
    const struct
    {
        const char *name;
        RealtimeClient::Mode mode;
    } modes[] = { { "long polling", RealtimeClient::Mode::LongPoll },
                  { "sse", RealtimeClient::Mode::Sse },
                  { "websocket", RealtimeClient::Mode::WebSocket },
                  { "short polling", RealtimeClient::Mode::Poll },
                  { "auto", RealtimeClient::Mode::Auto } };
    for (const auto &m : modes) {
        QTest::addRow("%s, valid", m.name) << m.mode << QStringLiteral("valid") << QString();
        QTest::addRow("%s, expired", m.name)
                << m.mode << QStringLiteral("expired") << QStringLiteral("token expired — get a new one");
        QTest::addRow("%s, wrongly signed", m.name)
                << m.mode << QStringLiteral("wrong key") << QStringLiteral("token refused (");
        QTest::addRow("%s, none", m.name)
                << m.mode << QStringLiteral("none") << QStringLiteral("this server needs a token: connect with one");
        QTest::addRow("%s, no publish", m.name) << m.mode << QStringLiteral("no publish") << QString();
    }
}

// Against a server with --auth-key, on every transport: a valid token subscribes and publishes, and
// what it publishes arrives under its sub whatever `from` said; a refused one (expired, wrongly
// signed, none) stops the client at once with the reason — Closed, no retry, no fall-back; a token
// without "publish" subscribes, and its publish fails visibly in the outbox.
void tst_ClientTransports::tokenOnEveryTransport()
{
    QFETCH(RealtimeClient::Mode, mode);
    QFETCH(QString, token);
    QFETCH(QString, authError);
    const QByteArray key = "tst_clienttransports: a key of 32 bytes or more";
    ServerConfig config = quietConfig();
    config.authKey = key;
    auto server = startServer(config);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const Permissions both = permissionBit(Permission::Subscribe) | permissionBit(Permission::Publish);
    QByteArray jwt;
    if (token == u"valid")
        jwt = Jwt::sign({ QStringLiteral("ann"), now + 3600, std::nullopt, both }, key);
    else if (token == u"expired")
        jwt = Jwt::sign({ QStringLiteral("ann"), now - 3600, std::nullopt, both }, key);
    else if (token == u"wrong key")
        jwt = Jwt::sign({ QStringLiteral("ann"), now + 3600, std::nullopt, both },
                        "another key, also 32 bytes long...");
    else if (token == u"no publish")
        jwt = Jwt::sign({ QStringLiteral("ann"), now + 3600, std::nullopt, permissionBit(Permission::Subscribe) }, key);

    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(ReconnectPolicy::preset(ReconnectPolicy::Preset::Exponential));
    client.setToken(jwt);
    Recorder rec(client);
    QSignalSpy refused(&client, &RealtimeClient::authRefused);
    client.start(mode);

    if (!authError.isEmpty()) {
        QVERIFY(refused.wait(WaitMs));
        QVERIFY2(client.authError().startsWith(authError), qPrintable(client.authError()));
        QCOMPARE(client.state(), ClientTransport::State::Closed);
        QCOMPARE(rec.count(ConnectionEvent::Type::RetryScheduled), 0);
        QCOMPARE(rec.count(ConnectionEvent::Type::FellBack), 0);
        QCOMPARE(rec.count(ConnectionEvent::Type::Opened), 0);
        // A message written meanwhile fails at once, with the reason, rather than waiting.
        QString id;
        QVERIFY(client.publish(QStringLiteral("ann"), QStringLiteral("too late"), &id));
        QCOMPARE(client.outbox().find(id)->state, Outbox::State::Failed);
        QCOMPARE(client.outbox().find(id)->errorString, client.authError());
        QCOMPARE(refused.size(), 1);
        return;
    }
    QVERIFY(waitOpen(client));
    QString id;
    QVERIFY(client.publish(QStringLiteral("mallory"), QStringLiteral("signed"), &id));
    if (token == u"no publish") {
        QTRY_COMPARE_WITH_TIMEOUT(client.outbox().find(id) ? client.outbox().find(id)->state : Outbox::State::Queued,
                                  Outbox::State::Failed, WaitMs);
        const QString why = client.outbox().find(id)->errorString;
        QVERIFY2(why.contains(QStringLiteral("publish")), qPrintable(why));
        QCOMPARE(client.state(), ClientTransport::State::Open); // subscribing goes on
        return;
    }
    QVERIFY(rec.waitChats(1));
    QCOMPARE(rec.messages[0].text, QStringLiteral("signed"));
    QCOMPARE(rec.messages[0].from, QStringLiteral("ann")); // the token's sub, not the body's "mallory"
    QCOMPARE(client.authError(), QString());
}

QTEST_GUILESS_MAIN(tst_ClientTransports)
#include "tst_clienttransports.moc"
