// The client transports and RealtimeClient against the real server, in-process on 127.0.0.1.
#include "clientsupport.h"

#include "impairmentrelay.h"
#include "realtimeclient.h"

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
    void liveSwitchDeliversEveryIdOnce();
    void autoFallsBackAndGoesBackUp();
    void dropBeforeTheFirstMessageLosesNothing_data();
    void dropBeforeTheFirstMessageLosesNothing();
    void sseStopsOnNon200();
    void giveUpWithPolicyNone();
    void publishWhileServerDownIsDeliveredOnce_data();
    void publishWhileServerDownIsDeliveredOnce();
    void resendAfterALostAnswerIsPublishedOnce_data();
    void resendAfterALostAnswerIsPublishedOnce();
    void outboxRefusesWhenFull();
};

static QUrl urlOf(quint16 port)
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

static ReconnectPolicy fastPolicy()
{
    return ReconnectPolicy::exponential(20, 200, 0.5);
}

void tst_ClientTransports::receiveAndPublish_data()
{
    addModes();
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
    QCOMPARE(s.roundTrip.count(), 1);      // our own message came back
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
    if (kind == TransportKind::WebSocket)
        QCOMPARE(s.httpRequests, 1); // the handshake; the publish went over the same socket
}

void tst_ClientTransports::reconnectAndResume_data()
{
    addModes();
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
    QVERIFY(QTest::qWaitFor([&] { return rec.count(ConnectionEvent::Type::Opened) >= 2; }, WaitMs));
    publish(server->port(), QStringLiteral("after"));
    QVERIFY(rec.waitChats(7));
    QCOMPARE(rec.chatIds(), range(1, 7));
    QCOMPARE(client.continuity().gaps, 0);
    QCOMPARE(client.continuity().resets, 0);
    QVERIFY(client.stats(TransportKind(int(mode))).reconnects >= 1);
    QVERIFY(rec.count(ConnectionEvent::Type::RetryScheduled) >= 1);
}

void tst_ClientTransports::resetIsSurfaced_data()
{
    addModes();
}

void tst_ClientTransports::resetIsSurfaced()
{
    QFETCH(RealtimeClient::Mode, mode);
    auto server = startServer(quietConfig());
    const quint16 port = server->port();
    RealtimeClient client;
    client.setServerUrl(urlOf(port));
    client.setReconnectPolicy(fastPolicy());
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
}

void tst_ClientTransports::liveSwitchDeliversEveryIdOnce()
{
    auto server = startServer(quietConfig());
    RealtimeClient client;
    client.setServerUrl(urlOf(server->port()));
    client.setReconnectPolicy(fastPolicy());
    Recorder rec(client);
    client.start(RealtimeClient::Mode::LongPoll);
    QVERIFY(waitOpen(client));

    // A steady stream, and a switch every 150 ms through all three transports.
    const int total = 600;
    int published = 0;
    QTimer publisher;
    publisher.setInterval(2);
    QObject::connect(&publisher, &QTimer::timeout, &client, [&] {
        for (int i = 0; i < 2 && published < total; ++i, ++published)
            server->hub()->publish({ QStringLiteral("stream"), QString::number(published), {} });
    });
    const QList<RealtimeClient::Mode> cycle { RealtimeClient::Mode::Sse, RealtimeClient::Mode::WebSocket,
                                              RealtimeClient::Mode::LongPoll };
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
    // Every transport carried part of the stream.
    for (TransportKind k : { TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket })
        QVERIFY2(rec.vias.contains(k), qPrintable(transportKindKey(k)));
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
    QVERIFY(QTest::qWaitFor([&] { return client.activeTransport() == TransportKind::Sse && waitOpen(client); }, WaitMs));
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
    addModes();
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

QTEST_GUILESS_MAIN(tst_ClientTransports)
#include "tst_clienttransports.moc"
