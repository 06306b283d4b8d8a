// SPDX-License-Identifier: MIT
// RealtimeClient's live switch and Auto rules over FakeTransports: the test opens, refuses and
// drops each attempt and answers Auto's health check itself, so every branch runs with no socket
// and no timer (the probe interval is 0 where a probe is expected).
#include "faketransport.h"
#include "realtimeclient.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <functional>

using namespace rtlab;

Q_DECLARE_METATYPE(rtlab::RealtimeClient::Mode)
Q_DECLARE_METATYPE(rtlab::TransportKind)
Q_DECLARE_METATYPE(rtlab::Outbox::State)

namespace {

const QString Epoch = QStringLiteral("00000000feedbeef");

Message chat(quint64 id)
{
    Message m;
    m.id = id;
    m.epoch = Epoch;
    m.type = MessageType::Chat;
    m.from = QStringLiteral("ann");
    m.text = QStringLiteral("m%1").arg(id);
    return m;
}

// A client whose transports are fakes and whose health checks wait for the test's answer.
struct Bench
{
    Bench()
    {
        client.setServerUrl(QUrl(QStringLiteral("http://rtlab.test:8080")));
        client.setTransportFactory(fakes.factory());
        client.setHealthCheck([this](const QUrl &, std::function<void(bool)> answer) { checks.append(answer); });
        QObject::connect(&client, &RealtimeClient::messageReceived, &client,
                         [this](const Message &m, TransportKind via) {
                             ids.append(m.id);
                             vias.append(via);
                         });
        QObject::connect(&client, &RealtimeClient::eventOccurred, &client,
                         [this](const ConnectionEvent &e) { events.append(e); });
    }

    // Starts from a position, so that no bootstrap request looks for the live end first.
    FakeTransport *start(RealtimeClient::Mode mode, quint64 lastId = 5)
    {
        client.start(mode, { Epoch, lastId });
        return fakes.last();
    }
    // Auto on a WebSocket that worked and then dropped with no HTTP answer: the case the second
    // try is for. `retryDelay` is its policy's next delay (nullopt: the policy gives up).
    FakeTransport *startAutoOpenedThenDropped(std::optional<int> retryDelay = 3600 * 1000)
    {
        FakeTransport *ws = start(RealtimeClient::Mode::Auto);
        ws->setRetryDelay(retryDelay);
        ws->open();
        ws->drop();
        return ws;
    }
    // Auto fallen back to SSE (a proxy refused the WebSocket upgrade), SSE open: where a probe
    // up starts from.
    FakeTransport *startAutoFallenBackToSse()
    {
        start(RealtimeClient::Mode::Auto)->refuse(403);
        FakeTransport *sse = fakes.last();
        sse->open();
        return sse;
    }
    // Answers the oldest health check still waiting.
    void answerHealthCheck(bool reachable) { checks.takeFirst()(reachable); }
    int count(ConnectionEvent::Type type) const
    {
        return int(std::count_if(events.cbegin(), events.cend(),
                                 [type](const ConnectionEvent &e) { return e.type == type; }));
    }
    // Every test here has one: value() would end the test if not.
    TransportKind active() const { return client.activeTransport().value(); }

    FakeTransportFactory fakes;
    QList<std::function<void(bool)>> checks;
    QList<quint64> ids;
    QList<TransportKind> vias;
    QList<ConnectionEvent> events;
    RealtimeClient client;
};

} // namespace

class tst_RealtimeClient : public QObject
{
    Q_OBJECT
private slots:
    void cleanup();
    void switchKeepsThePositionWithoutGapOrDuplicate_data();
    void switchKeepsThePositionWithoutGapOrDuplicate();
    void switchToATransportThatFailsStaysOnTheOld();
    void autoFallsBackOnRefusal();
    void autoTreatsA5xxAsAnOutage();
    void autoProbesUpAfterTheInterval();
    void autoWaitsForTheProbeInterval();
    void failedProbeKeepsTheTransport();
    void workingTransportGetsASecondTry();
    void repeatedFailureFallsBack();
    void opensInBetweenStartTheStreakOver();
    void outageDoesNotFallBack();
    void gaveUpWhileServerAnswersFallsBack();
    void lateHealthAnswerIsIgnored();
    void everyTransportCarriesTheToken();
    void refusedTokenStopsWithoutRetryOrFallBack_data();
    void refusedTokenStopsWithoutRetryOrFallBack();
    void refusedTokenFailsTheOutboxVisibly();
    void forbiddenWithoutATokenStillBlocks();
    void refusedPublishIsKeptOrFailedVisibly_data();
    void refusedPublishIsKeptOrFailedVisibly();
    void failsOverInOrderAndRoundAgain();
    void aLiveServerIsNotDelayedByADeadOnesBackoff();
    void outboxResendsToTheNextServer();
    void autoMovesInsteadOfAskingADeadServer();
};

void tst_RealtimeClient::cleanup()
{
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

void tst_RealtimeClient::switchKeepsThePositionWithoutGapOrDuplicate_data()
{
    using M = RealtimeClient::Mode;
    using K = TransportKind;
    QTest::addColumn<RealtimeClient::Mode>("from");
    QTest::addColumn<RealtimeClient::Mode>("to");
    QTest::addColumn<TransportKind>("fromKind");
    QTest::addColumn<TransportKind>("toKind");
    QTest::newRow("long polling → SSE") << M::LongPoll << M::Sse << K::LongPoll << K::Sse;
    QTest::newRow("SSE → WebSocket") << M::Sse << M::WebSocket << K::Sse << K::WebSocket;
    QTest::newRow("WebSocket → long polling") << M::WebSocket << M::LongPoll << K::WebSocket << K::LongPoll;
    QTest::newRow("short polling → SSE") << M::Poll << M::Sse << K::Poll << K::Sse;
}

// Make before break: the new transport opens from the last id while the old one still delivers;
// what both carry in the overlap is passed on once, in order.
void tst_RealtimeClient::switchKeepsThePositionWithoutGapOrDuplicate()
{
    QFETCH(RealtimeClient::Mode, from);
    QFETCH(RealtimeClient::Mode, to);
    QFETCH(TransportKind, fromKind);
    QFETCH(TransportKind, toKind);

    Bench bench;
    FakeTransport *old = bench.start(from);
    QCOMPARE(old->kind(), fromKind);
    QCOMPARE(old->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 5 } }));
    old->open();
    old->receive(chat(6));
    old->receive(chat(7));

    bench.client.switchTo(to);
    FakeTransport *next = bench.fakes.last();
    QVERIFY(next != old);
    QCOMPARE(next->kind(), toKind);
    QCOMPARE(next->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 7 } }));
    QCOMPARE(bench.active(), fromKind); // still delivering until the new one opens
    old->receive(chat(8));

    next->open();
    QCOMPARE(bench.active(), toKind);
    QCOMPARE(old->state(), ClientTransport::State::Closed);
    QCOMPARE(bench.count(ConnectionEvent::Type::Switched), 1);
    next->receive(chat(8)); // the replay of what the old one carried meanwhile
    next->receive(chat(9));

    QCOMPARE(bench.ids, QList<quint64>({ 6, 7, 8, 9 }));
    QCOMPARE(bench.vias, QList<TransportKind>({ fromKind, fromKind, fromKind, toKind }));
    const RealtimeClient::Continuity &c = bench.client.continuity();
    QCOMPARE(c.delivered, qint64(4));
    QCOMPARE(c.gaps, qint64(0));
    QCOMPARE(c.duplicates, qint64(0));
    QCOMPARE(c.dropped, qint64(1));
    QCOMPARE(bench.client.position(), (StreamPosition { Epoch, 9 }));
}

// A chosen transport that will not open: the switch is dropped and the old one goes on.
void tst_RealtimeClient::switchToATransportThatFailsStaysOnTheOld()
{
    Bench bench;
    FakeTransport *old = bench.start(RealtimeClient::Mode::Sse);
    old->open();
    bench.client.switchTo(RealtimeClient::Mode::WebSocket);
    FakeTransport *ws = bench.fakes.last();
    ws->setRetryDelay(std::nullopt);
    ws->refuse(403);
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(old->state(), ClientTransport::State::Open);
    QCOMPARE(bench.fakes.made().size(), 2);
    old->receive(chat(6));
    QCOMPARE(bench.ids, QList<quint64>({ 6 }));
}

// Auto: WebSocket, then SSE, then long polling, each refused by an HTTP answer (a proxy that
// blocks it). Each step starts from the same position; below long polling there is nothing, so
// it keeps trying by its policy.
void tst_RealtimeClient::autoFallsBackOnRefusal()
{
    Bench bench;
    FakeTransport *ws = bench.start(RealtimeClient::Mode::Auto);
    QCOMPARE(ws->kind(), TransportKind::WebSocket);

    ws->refuse(403, QStringLiteral("upgrade refused"));
    QCOMPARE(bench.active(), TransportKind::Sse);
    FakeTransport *sse = bench.fakes.last();
    QCOMPARE(sse->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 5 } }));
    QCOMPARE(ws->state(), ClientTransport::State::Closed);

    sse->refuse(404, QStringLiteral("text/html instead of an event stream"));
    QCOMPARE(bench.active(), TransportKind::LongPoll);
    FakeTransport *lp = bench.fakes.last();
    QCOMPARE(lp->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 5 } }));

    lp->refuse(403);
    QCOMPARE(bench.active(), TransportKind::LongPoll);
    QCOMPARE(lp->state(), ClientTransport::State::Reconnecting);
    QCOMPARE(bench.fakes.made().size(), 3);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 2);
    QVERIFY2(bench.checks.isEmpty(), "a refusal is a block: no need to ask whether the server answers");

    lp->retryNow(); // its back-off is over
    lp->open();
    lp->receive(chat(6));
    QCOMPARE(bench.ids, QList<quint64>({ 6 }));
}

// A gateway's 5xx is the server (or the path to it) down: every transport would fail alike.
void tst_RealtimeClient::autoTreatsA5xxAsAnOutage()
{
    Bench bench;
    FakeTransport *ws = bench.start(RealtimeClient::Mode::Auto);
    ws->refuse(502, QStringLiteral("bad gateway"));
    QCOMPARE(bench.checks.size(), 1);
    bench.answerHealthCheck(false);
    QCOMPARE(bench.active(), TransportKind::WebSocket);
    QCOMPARE(ws->state(), ClientTransport::State::Reconnecting);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
}

// After falling back, Auto tries one step up again after the probe interval (0 here: at the next
// turn of the event loop), from where the client is then; the probe that opens takes over.
void tst_RealtimeClient::autoProbesUpAfterTheInterval()
{
    Bench bench;
    bench.client.setProbeIntervalMs(0);
    FakeTransport *sse = bench.startAutoFallenBackToSse();
    QCOMPARE(sse->kind(), TransportKind::Sse);
    sse->receive(chat(6));

    QTRY_COMPARE(bench.fakes.made().size(), 3);
    FakeTransport *probe = bench.fakes.last();
    QCOMPARE(probe->kind(), TransportKind::WebSocket);
    QCOMPARE(probe->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 6 } }));
    QCOMPARE(bench.active(), TransportKind::Sse);

    probe->open();
    QCOMPARE(bench.active(), TransportKind::WebSocket);
    QCOMPARE(sse->state(), ClientTransport::State::Closed);
    probe->receive(chat(7));
    QCOMPARE(bench.ids, QList<quint64>({ 6, 7 }));
    // On the best transport: nothing left to probe for.
    QCoreApplication::processEvents();
    QCOMPARE(bench.fakes.made().size(), 3);
}

// The probe waits for its interval: with the default (30 s) none starts while the test runs.
void tst_RealtimeClient::autoWaitsForTheProbeInterval()
{
    Bench bench;
    bench.startAutoFallenBackToSse();
    QCoreApplication::processEvents();
    QCoreApplication::processEvents();
    QCOMPARE(bench.fakes.made().size(), 2);
    QCOMPARE(bench.active(), TransportKind::Sse);
}

// A probe up that fails leaves the working transport alone, and is tried again later.
void tst_RealtimeClient::failedProbeKeepsTheTransport()
{
    Bench bench;
    bench.client.setProbeIntervalMs(0);
    FakeTransport *sse = bench.startAutoFallenBackToSse();
    QTRY_COMPARE(bench.fakes.made().size(), 3);
    FakeTransport *probe = bench.fakes.last();
    probe->refuse(403);
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(sse->state(), ClientTransport::State::Open);
    QCOMPARE(probe->state(), ClientTransport::State::Closed);
    QTRY_COMPARE(bench.fakes.made().size(), 4); // the next probe
    QCOMPARE(bench.fakes.last()->kind(), TransportKind::WebSocket);
}

// The rule of RealtimeClient::onReachability, branch by branch: a transport that fails with no
// HTTP refusal while plain HTTP to the server answers is retried at once the first time ("a
// transport that worked gets a second try"), and given up for the next step down when it fails
// again before opening (SilentBlockThreshold, 2); a streak ends when it opens, or in an outage.
void tst_RealtimeClient::workingTransportGetsASecondTry()
{
    Bench bench;
    FakeTransport *ws = bench.startAutoOpenedThenDropped();
    QCOMPARE(ws->state(), ClientTransport::State::Reconnecting);
    QCOMPARE(bench.checks.size(), 1);
    QCOMPARE(ws->attempts(), 1);

    bench.answerHealthCheck(true);
    QCOMPARE(ws->attempts(), 2); // at once, not after its back-off
    QCOMPARE(ws->state(), ClientTransport::State::Connecting);
    QCOMPARE(bench.active(), TransportKind::WebSocket);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
}

void tst_RealtimeClient::repeatedFailureFallsBack()
{
    Bench bench;
    FakeTransport *ws = bench.startAutoOpenedThenDropped();
    bench.answerHealthCheck(true);
    QCOMPARE(ws->attempts(), 2);

    ws->drop(QStringLiteral("no answer within 31 s")); // the second try fails too
    QCOMPARE(bench.checks.size(), 1);
    bench.answerHealthCheck(true);
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 1);
    QCOMPARE(ws->attempts(), 2);
    QCOMPARE(bench.fakes.last()->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 5 } }));
}

void tst_RealtimeClient::opensInBetweenStartTheStreakOver()
{
    Bench bench;
    FakeTransport *ws = bench.start(RealtimeClient::Mode::Auto);
    for (int round = 1; round <= 3; ++round) {
        ws->open();
        ws->drop();
        bench.answerHealthCheck(true);
        QCOMPARE(ws->attempts(), round + 1);
        QCOMPARE(bench.active(), TransportKind::WebSocket);
    }
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
}

// The server does not answer plain HTTP either: an outage, not the transport's fault. Auto keeps
// it (retrying by its policy), and the outage ends the streak: after it, one failure while the
// server answers is a second try again, not a fall back.
void tst_RealtimeClient::outageDoesNotFallBack()
{
    Bench bench;
    FakeTransport *ws = bench.startAutoOpenedThenDropped();
    bench.answerHealthCheck(true); // first failure: the second try
    QCOMPARE(ws->attempts(), 2);

    ws->drop(QStringLiteral("connection refused"));
    bench.answerHealthCheck(false);
    QCOMPARE(bench.active(), TransportKind::WebSocket);
    QCOMPARE(ws->state(), ClientTransport::State::Reconnecting);
    QCOMPARE(ws->attempts(), 2); // by its policy, not at once
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);

    ws->retryNow(); // its back-off is over
    QCOMPARE(ws->attempts(), 3);
    ws->drop();
    bench.answerHealthCheck(true);
    QCOMPARE(bench.active(), TransportKind::WebSocket);
    QCOMPARE(ws->attempts(), 4);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
}

// A transport whose policy gave up gets no second try: with the server answering, Auto steps down.
void tst_RealtimeClient::gaveUpWhileServerAnswersFallsBack()
{
    Bench bench;
    FakeTransport *ws = bench.startAutoOpenedThenDropped(std::nullopt);
    QCOMPARE(ws->state(), ClientTransport::State::Closed);
    QCOMPARE(bench.checks.size(), 1); // Closed and GaveUp: one check
    bench.answerHealthCheck(true);
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 1);
}

// A health check the client gave up (here: stopped and started again) answers too late: ignored.
void tst_RealtimeClient::lateHealthAnswerIsIgnored()
{
    Bench bench;
    FakeTransport *first = bench.startAutoOpenedThenDropped();
    QCOMPARE(bench.checks.size(), 1);

    FakeTransport *ws = bench.startAutoOpenedThenDropped();
    QVERIFY(ws != first);
    QCOMPARE(bench.checks.size(), 2);

    bench.answerHealthCheck(true); // the first client run's
    QCOMPARE(ws->attempts(), 1);
    bench.answerHealthCheck(true);
    QCOMPARE(ws->attempts(), 2);
}

// The token goes to every transport the client makes: the first, a fall-back, a switch.
void tst_RealtimeClient::everyTransportCarriesTheToken()
{
    Bench bench;
    bench.client.setToken("header.payload.signature\n"); // as read from a file: trimmed
    FakeTransport *ws = bench.start(RealtimeClient::Mode::Auto);
    QCOMPARE(ws->options().token, QByteArray("header.payload.signature"));
    ws->refuse(426); // a proxy that drops the upgrade: Auto falls back
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(bench.fakes.last()->options().token, QByteArray("header.payload.signature"));
    bench.client.switchTo(RealtimeClient::Mode::Poll);
    QCOMPARE(bench.fakes.last()->kind(), TransportKind::Poll);
    QCOMPARE(bench.fakes.last()->options().token, QByteArray("header.payload.signature"));
}

void tst_RealtimeClient::refusedTokenStopsWithoutRetryOrFallBack_data()
{
    using M = RealtimeClient::Mode;
    QTest::addColumn<RealtimeClient::Mode>("mode");
    QTest::addColumn<int>("status"); // 0: a WebSocket closed with 1008
    QTest::addColumn<bool>("wasOpen");
    QTest::newRow("auto, WebSocket upgrade 401") << M::Auto << 401 << false;
    QTest::newRow("auto, WebSocket upgrade 403 (no subscribe)") << M::Auto << 403 << false;
    QTest::newRow("auto, open WebSocket closed 1008") << M::Auto << 0 << true;
    QTest::newRow("WebSocket, upgrade 401") << M::WebSocket << 401 << false;
    QTest::newRow("SSE, stream 401") << M::Sse << 401 << false;
    QTest::newRow("long polling, poll 401 after it was open") << M::LongPoll << 401 << true;
    QTest::newRow("short polling, poll 403") << M::Poll << 403 << false;
}

// A refused token is not a network fault and not a blocked path: the same token would be
// refused on every attempt and every transport. The client stops at once — no retry, no
// fall-back, no health check — and says why (authError(), authRefused, a GaveUp event).
void tst_RealtimeClient::refusedTokenStopsWithoutRetryOrFallBack()
{
    QFETCH(RealtimeClient::Mode, mode);
    QFETCH(int, status);
    QFETCH(bool, wasOpen);

    Bench bench;
    bench.client.setToken("a.b.c");
    QSignalSpy refused(&bench.client, &RealtimeClient::authRefused);
    FakeTransport *t = bench.start(mode);
    t->setRetryDelay(0); // a network fault would retry at once
    if (wasOpen)
        t->open();
    if (status == 0)
        t->closeForPolicy(QStringLiteral("token expired — get a new one"));
    else
        t->refuse(status, QStringLiteral("token expired — get a new one"));

    QCOMPARE(bench.client.state(), ClientTransport::State::Closed);
    QCOMPARE(bench.client.authError(), QStringLiteral("token expired — get a new one"));
    QCOMPARE(refused.size(), 1);
    QCOMPARE(refused.at(0).at(0).toString(), QStringLiteral("token expired — get a new one"));
    QCOMPARE(bench.fakes.made().size(), 1); // nothing fell back
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
    QCOMPARE(bench.count(ConnectionEvent::Type::RetryScheduled), 0);
    QCOMPARE(bench.count(ConnectionEvent::Type::GaveUp), 1);
    QVERIFY(bench.checks.isEmpty()); // no health check: the server answered
    QCOMPARE(t->attempts(), 1);
    const auto gaveUp = std::find_if(bench.events.cbegin(), bench.events.cend(),
                                     [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::GaveUp; });
    QVERIFY(gaveUp->unauthorized);
    QCOMPARE(gaveUp->detail, QStringLiteral("token expired — get a new one"));

    // A new start (a new token) clears it.
    bench.client.setToken("d.e.f");
    bench.start(mode);
    QCOMPARE(bench.client.authError(), QString());
    QCOMPARE(bench.fakes.last()->options().token, QByteArray("d.e.f"));
}

// What waits in the outbox cannot be sent with a refused token: it fails now, with the reason,
// instead of waiting out its age limit; retry() queues it again (after a new token, say).
void tst_RealtimeClient::refusedTokenFailsTheOutboxVisibly()
{
    Bench bench;
    bench.client.setToken("a.b.c");
    FakeTransport *t = bench.start(RealtimeClient::Mode::Sse);
    QString id;
    QVERIFY(bench.client.publish(QStringLiteral("ann"), QStringLiteral("hello"), &id));
    QCOMPARE(bench.client.outbox().find(id)->state, Outbox::State::Queued);
    QSignalSpy states(&bench.client, &RealtimeClient::publishStateChanged);
    t->refuse(401, QStringLiteral("token expired — get a new one"));
    const Outbox::Item *item = bench.client.outbox().find(id);
    QVERIFY(item);
    QCOMPARE(item->state, Outbox::State::Failed);
    QCOMPARE(item->errorString, QStringLiteral("token expired — get a new one"));
    QCOMPARE(states.size(), 1);
    QVERIFY(t->published().isEmpty());
}

// Without a token a 403 is what it was: a path that blocks the transport (the lab's relay, a
// proxy), which Auto falls back from.
void tst_RealtimeClient::forbiddenWithoutATokenStillBlocks()
{
    Bench bench;
    bench.start(RealtimeClient::Mode::Auto)->refuse(403);
    QCOMPARE(bench.active(), TransportKind::Sse);
    QCOMPARE(bench.client.authError(), QString());
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 1);
}

void tst_RealtimeClient::refusedPublishIsKeptOrFailedVisibly_data()
{
    QTest::addColumn<QString>("why");
    QTest::addColumn<bool>("retryable");
    QTest::addColumn<Outbox::State>("state");
    QTest::newRow("429: kept, sent again after the back-off")
            << QStringLiteral("publish rate limited (429): retry after 1 s") << true << Outbox::State::Queued;
    QTest::newRow("403: failed, shown") << QStringLiteral("not published: not allowed to publish (the token lacks "
                                                          "\"publish\")")
                                        << false << Outbox::State::Failed;
    QTest::newRow("401: failed, shown") << QStringLiteral("not published: token expired — get a new one") << false
                                        << Outbox::State::Failed;
}

// A publish the server refused is never dropped: over the rate it waits and goes again; a
// refused token or permission fails it with the server's reason, for the user to see.
void tst_RealtimeClient::refusedPublishIsKeptOrFailedVisibly()
{
    QFETCH(QString, why);
    QFETCH(bool, retryable);
    QFETCH(Outbox::State, state);

    Bench bench;
    bench.client.setToken("a.b.c");
    FakeTransport *t = bench.start(RealtimeClient::Mode::Sse);
    t->open();
    QString id;
    QVERIFY(bench.client.publish(QStringLiteral("ann"), QStringLiteral("hello"), &id));
    QCOMPARE(t->published().size(), 1);
    t->answerPublish(id, why, retryable);
    const Outbox::Item *item = bench.client.outbox().find(id);
    QVERIFY(item);
    QCOMPARE(item->state, state);
    QCOMPARE(item->errorString, why);
    QCOMPARE(bench.client.state(), ClientTransport::State::Open); // the stream goes on
}

// Several servers that share one log (a cluster): a connection that drops or fails moves to the
// next server at once, in the list's order, resuming from the client's position; after a round in
// which every server failed, the reconnect policy's delay; when the policy gives up, the client does.
void tst_RealtimeClient::failsOverInOrderAndRoundAgain()
{
    const QUrl a(QStringLiteral("http://a.test:8080")), b(QStringLiteral("http://b.test:8080")),
            c(QStringLiteral("http://c.test:8080"));
    Bench bench;
    bench.client.setServerUrls({ a, b, c });
    bench.client.setReconnectPolicy(ReconnectPolicy::fixed({ 0 })); // one round's wait, then give up
    QSignalSpy moves(&bench.client, &RealtimeClient::serverChanged);
    FakeTransport *onA = bench.start(RealtimeClient::Mode::WebSocket);
    QCOMPARE(onA->options().server, a);
    onA->open();
    onA->receive(chat(6));
    onA->drop(QStringLiteral("connection reset"));

    FakeTransport *onB = bench.fakes.last();
    QVERIFY(onB != onA);
    QCOMPARE(onB->options().server, b);
    QCOMPARE(onB->kind(), TransportKind::WebSocket);
    QCOMPARE(onB->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 6 } })); // at once, from 6
    QCOMPARE(bench.client.serverUrl(), b);
    QCOMPARE(moves.size(), 1);
    QCOMPARE(moves.at(0).at(0).toUrl(), b);
    QCOMPARE(moves.at(0).at(1).toUrl(), a);
    QCOMPARE(bench.count(ConnectionEvent::Type::Moved), 1);
    const auto moved = std::find_if(bench.events.cbegin(), bench.events.cend(),
                                    [](const ConnectionEvent &e) { return e.type == ConnectionEvent::Type::Moved; });
    QCOMPARE(moved->detail, QStringLiteral("moved to http://b.test:8080 after connection reset"));
    QCOMPARE(bench.count(ConnectionEvent::Type::RetryScheduled), 0); // not a retry on A

    onB->drop(QStringLiteral("connection refused")); // B is down too: C, at once
    FakeTransport *onC = bench.fakes.last();
    QCOMPARE(onC->options().server, c);
    QCOMPARE(onC->attempts(), 1);
    onC->drop(QStringLiteral("connection refused")); // every server failed: the policy's wait, then A
    FakeTransport *again = bench.fakes.last();
    QCOMPARE(again->options().server, a);
    QCOMPARE(bench.count(ConnectionEvent::Type::RetryScheduled), 1);
    QTRY_COMPARE_WITH_TIMEOUT(again->attempts(), 1, 5000);
    QCOMPARE(again->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 6 } }));
    again->open(); // A is back: it replays 6 (dropped) and goes on
    again->receive(chat(6));
    again->receive(chat(7));
    QCOMPARE(bench.ids, (QList<quint64> { 6, 7 }));
    QCOMPARE(bench.client.continuity().gaps, 0);

    // An open starts the rounds over: the policy allows one more round's wait before it gives up.
    again->drop();
    bench.fakes.last()->drop(); // B
    bench.fakes.last()->drop(); // C: end of the round
    QCOMPARE(bench.client.state(), ClientTransport::State::Reconnecting);
    QTRY_COMPARE_WITH_TIMEOUT(bench.fakes.last()->attempts(), 1, 5000);
    bench.fakes.last()->drop(); // A
    bench.fakes.last()->drop(); // B
    QCOMPARE(bench.count(ConnectionEvent::Type::GaveUp), 0);
    bench.fakes.last()->drop(); // C: a second round failed, and fixed({0}) has one wait only
    QCOMPARE(bench.count(ConnectionEvent::Type::GaveUp), 1);
    QCOMPARE(bench.client.state(), ClientTransport::State::Closed);
    QCOMPARE(moves.size(), 8);
}

// A dead node's back-off does not hold a client away from a live one: the move is immediate even
// with an hour's policy; the hour is waited only once every server failed.
void tst_RealtimeClient::aLiveServerIsNotDelayedByADeadOnesBackoff()
{
    const QUrl dead(QStringLiteral("http://127.0.0.1:1")), live(QStringLiteral("http://127.0.0.1:2"));
    Bench bench;
    bench.client.setServerUrls({ dead, live });
    bench.client.setReconnectPolicy(ReconnectPolicy::fixed({ 3600 * 1000 }));
    FakeTransport *first = bench.start(RealtimeClient::Mode::LongPoll);
    first->drop(QStringLiteral("could not connect: connection refused"));
    FakeTransport *second = bench.fakes.last();
    QCOMPARE(second->options().server, live);
    QCOMPARE(second->attemptsFrom(), (QList<StreamPosition> { StreamPosition { Epoch, 5 } }));
    second->open();
    QCOMPARE(bench.client.state(), ClientTransport::State::Open);
    QCOMPARE(bench.client.serverUrl(), live);

    second->drop(); // the live one goes too: back to the first at once, which fails
    FakeTransport *third = bench.fakes.last();
    QCOMPARE(third->options().server, dead);
    third->drop();
    QCOMPARE(bench.client.state(), ClientTransport::State::Reconnecting);
    QVERIFY(bench.client.msUntilNextAttempt() > 60 * 1000);
    QCOMPARE(bench.fakes.last()->options().server, live);
    QCOMPARE(bench.fakes.last()->attempts(), 0); // waits out the round's back-off
    QCOMPARE(bench.client.activeTransport(), TransportKind::LongPoll);
}

// What was sent to a server that went away without an answer goes to the next one, with the same
// clientMsgId (the cluster publishes one clientMsgId once, whichever node it reaches).
void tst_RealtimeClient::outboxResendsToTheNextServer()
{
    Bench bench;
    bench.client.setServerUrls({ QUrl(QStringLiteral("http://a.test:1")), QUrl(QStringLiteral("http://b.test:2")) });
    FakeTransport *a = bench.start(RealtimeClient::Mode::Sse);
    a->open();
    QString id;
    QVERIFY(bench.client.publish(QStringLiteral("ann"), QStringLiteral("hello"), &id));
    QCOMPARE(a->published().size(), 1);
    a->drop();
    FakeTransport *b = bench.fakes.last();
    QVERIFY(b->published().isEmpty());
    b->open();
    QCOMPARE(b->published().size(), 1);
    QCOMPARE(b->published().constFirst().clientMsgId, id);
    QCOMPARE(bench.client.outbox().find(id)->state, Outbox::State::Sent);
}

// Auto with several servers: an outage moves the client on; it does not ask the dead server's
// /healthz first, nor fall back to a lesser transport.
void tst_RealtimeClient::autoMovesInsteadOfAskingADeadServer()
{
    Bench bench;
    bench.client.setServerUrls({ QUrl(QStringLiteral("http://a.test:1")), QUrl(QStringLiteral("http://b.test:2")) });
    FakeTransport *a = bench.startAutoOpenedThenDropped();
    QVERIFY(bench.checks.isEmpty());
    QVERIFY(bench.fakes.last() != a);
    QCOMPARE(bench.fakes.last()->kind(), TransportKind::WebSocket);
    QCOMPARE(bench.fakes.last()->options().server, QUrl(QStringLiteral("http://b.test:2")));
    QCOMPARE(bench.count(ConnectionEvent::Type::FellBack), 0);
}

QTEST_GUILESS_MAIN(tst_RealtimeClient)
#include "tst_realtimeclient.moc"
