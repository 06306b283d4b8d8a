// SPDX-License-Identifier: MIT
// The lab without its widgets: the claims' measurements against the server's own figures, the
// faults through the relay, the idle-cost meter with a small N, and the byte ledger.
#include "appcontroller.h"
#include "impairmentrelay.h"
#include "jwt.h"
#include "labcontroller.h"
#include "testsupport.h"

#include <QSettings>
#include <QStandardPaths>

using namespace rtlab;
using namespace rtlab::test;

class tst_Lab : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void foreignOriginLessonCountsRefusals();
    void holdTimeoutLessonFromDefaultsAndTicksComeBack();
    void clearFaultsBringsTicksBack();
    void droppedConnectionsResumeAndAreCounted();
    void replayedMessagesStayOutOfLatency();
    void blockedUpgradesFallBack();
    void idleCostMeterWithASmallN();
    void idleCostSeriesPointsTheWayTheClaimsSay();
    void idleCostMeterSaysWhenItsServerCannotStart();
    void byteLedgerHasEachTransportsBytes();
    void dashboardAsksForFiguresWithTheToken();

private:
    bool lanesOpen();
    // Every compare lane has delivered at least this many messages (bounded wait).
    bool lanesHave(qint64 messages, int timeoutMs = WaitMs);

    std::unique_ptr<AppController> m_app;
    std::unique_ptr<LabController> m_lab;
};

void tst_Lab::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_Lab::init()
{
    QSettings().clear();
    m_app = std::make_unique<AppController>();
    m_app->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_app->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("0") });
    m_app->setReconnectPreset(ReconnectPolicy::Preset::SignalR); // 0 s first: quick reconnects
    m_app->start();
    m_lab = std::make_unique<LabController>(m_app.get());
    m_lab->serverStats()->setInterval(100);
    m_lab->idleMeter()->setProgram(QStringLiteral(RTLAB_BENCH_BINARY));
    m_lab->idleMeter()->setServerProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    QVERIFY(QTest::qWaitFor([&] { return m_app->client()->state() == ClientTransport::State::Open; }, WaitMs));
}

void tst_Lab::cleanup()
{
    m_lab.reset();
    m_app.reset();
}

bool tst_Lab::lanesOpen()
{
    return QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (!m_app->hasLane(TransportKind(i))
                        || m_app->laneSnapshot(TransportKind(i))->state != ClientTransport::State::Open)
                        return false;
                return true;
            },
            WaitMs);
}

bool tst_Lab::lanesHave(qint64 messages, int timeoutMs)
{
    return QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const auto lane = m_app->laneSnapshot(TransportKind(i));
                    if (!lane || lane->stats.messages < messages)
                        return false;
                }
                return true;
            },
            timeoutMs);
}

void tst_Lab::foreignOriginLessonCountsRefusals()
{
    // Every client of the window goes through the relay.
    QCOMPARE(m_app->clientUrl().port(), int(m_app->relay()->port()));
    QSignalSpy noticed(m_lab.get(), &LabController::noticed);
    QVERIFY(m_lab->startLesson(QStringLiteral("ws-security")));
    QVERIFY(QTest::qWaitFor(
            [&] {
                const std::optional<ClaimResult> r = m_lab->lessons()->result(QStringLiteral("ws-security"));
                return r && r->holds.has_value();
            },
            WaitMs));
    const ClaimResult r = *m_lab->lessons()->result(QStringLiteral("ws-security"));
    QVERIFY(*r.holds);
    QCOMPARE(r.measured.value(QLatin1String("tried")).toInteger(), 3);
    QCOMPARE(r.measured.value(QLatin1String("refused")).toInteger(), 3);
    QCOMPARE(r.measured.value(QLatin1String("accepted")).toInteger(), 0);
    // The server's own count agrees.
    QVERIFY(QTest::qWaitFor(
            [&] { return m_lab->serverStats()->latest() && m_lab->serverStats()->latest()->rejectedOrigin == 3; },
            WaitMs));
    m_lab->refresh();
    const ClaimsModel::Claim *claim = m_lab->claims()->claim(QStringLiteral("ws-security"));
    QVERIFY(claim);
    QVERIFY(claim->holds.value_or(false));
    // The lesson ran its three lanes and leaves them in Compare: its end says that Short Polling's
    // lane is not running, instead of "everything is back as it was".
    QString ended;
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const QList<QVariant> &args : noticed)
                    if (args.at(0).toString().contains(QLatin1String("ended")))
                        ended = args.at(0).toString();
                return !ended.isEmpty();
            },
            WaitMs));
    QVERIFY(m_app->compareEnabled());
    QVERIFY(!m_app->laneRuns(TransportKind::Poll));
    QVERIFY2(ended.contains(QLatin1String("no Short Polling lane")), qPrintable(ended));
}

// Long polling's hold timeouts from the default state (ticks on, 25 s hold): the lesson must
// silence the server and shorten the hold itself, and give both back when it ends.
void tst_Lab::holdTimeoutLessonFromDefaultsAndTicksComeBack()
{
    m_app->server()->setExtraArguments({});
    m_app->restartServer(); // the default: ticks on
    QVERIFY(QTest::qWaitFor([&] { return m_app->server()->state() == ServerProcess::State::Running; }, WaitMs));
    QVERIFY(m_lab->startLesson(QStringLiteral("lp-hold-timeouts")));
    QVERIFY(QTest::qWaitFor([&] { return m_lab->lessons()->state() == LessonRunner::State::Running; }, 2 * WaitMs));
    QCOMPARE(m_app->pollHoldMs(), qint64(3000));
    QVERIFY(m_app->server()->runningArguments().join(u' ').endsWith(QStringLiteral("--tick-rate 0")));
    QVERIFY(QTest::qWaitFor(
            [&] {
                const auto lp = m_app->laneSnapshot(TransportKind::LongPoll);
                return lp && lp->stats.holdTimeouts >= 2;
            },
            3 * WaitMs));
    const ClaimResult r = *m_lab->lessons()->result(QStringLiteral("lp-hold-timeouts"));
    QVERIFY2(r.holds.value_or(false), qPrintable(r.summary));
    QVERIFY(r.measured.value(QLatin1String("httpRequests")).toInteger()
            > r.measured.value(QLatin1String("messages")).toInteger());

    // The lesson ends: the hold, the relay and the server's ticks are back.
    QSignalSpy ended(m_lab->lessons(), &LessonRunner::finished);
    m_lab->lessons()->stop();
    QCOMPARE(ended.count(), 1);
    QCOMPARE(m_app->pollHoldMs(), qint64(25000));
    QCOMPARE(m_app->relay()->settings(), ImpairmentRelay::Settings {});
    QVERIFY(QTest::qWaitFor(
            [&] {
                return m_app->server()->state() == ServerProcess::State::Running
                        && !m_app->server()->runningArguments().contains(QStringLiteral("--tick-rate"));
            },
            WaitMs));
    const qint64 before = m_app->client()->continuity().delivered;
    QVERIFY2(QTest::qWaitFor([&] { return m_app->client()->continuity().delivered >= before + 3; }, WaitMs),
             "no ticks after the lesson ended");
    // The kept result is what the lesson measured, not what came after.
    const ClaimResult kept = *m_lab->lessons()->result(QStringLiteral("lp-hold-timeouts"));
    QVERIFY(kept.holds.value_or(false));
    QCOMPARE(kept.measured.value(QLatin1String("pollHoldMs")).toInteger(), 3000);
    QVERIFY(kept.measured.value(QLatin1String("holdTimeouts")).toInteger() >= 2);
}

// Clear faults also gives the server its ticks back, after any lesson that took them.
void tst_Lab::clearFaultsBringsTicksBack()
{
    m_app->server()->setExtraArguments({});
    QVERIFY(m_lab->startLesson(QStringLiteral("sse-efficient")));
    QVERIFY(QTest::qWaitFor([&] { return m_lab->lessons()->state() == LessonRunner::State::Running; }, 2 * WaitMs));
    QVERIFY(m_app->server()->runningArguments().contains(QStringLiteral("--heartbeat")));
    m_lab->resetFaults();
    QCOMPARE(m_lab->lessons()->state(), LessonRunner::State::Idle);
    QVERIFY(QTest::qWaitFor(
            [&] {
                return m_app->server()->state() == ServerProcess::State::Running
                        && m_app->server()->runningArguments().isEmpty();
            },
            WaitMs));
}

void tst_Lab::droppedConnectionsResumeAndAreCounted()
{
    m_lab->trigger(LabAction::Compare);
    QVERIFY(lanesOpen());
    const quint16 port = quint16(m_app->serverUrl().port());
    publish(port, QStringLiteral("before"));
    // Each lane has an id to resume from (a client that names none gets new messages only).
    QVERIFY(lanesHave(1));
    m_lab->trigger(LabAction::DropConnections);
    QVERIFY(m_app->relay()->counters().dropped >= 4); // the chat client and three lanes, at least
    // The cut is a fault mark on every lane's lifeline (the relay cannot tell which it hit).
    QVERIFY(QTest::qWaitFor(
            [&] {
                QSet<int> marked;
                for (const WireRecord &r : m_app->wireCapture()->snapshot().records)
                    if (r.kind == WireRecord::Kind::Fault && r.label == u"relay: dropped")
                        marked.insert(int(r.transport));
                return marked.size() == TransportKindCount;
            },
            WaitMs));
    publish(port, QStringLiteral("while reconnecting"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const TransportKind k = TransportKind(i);
                    // Short polling holds no connection between polls: a cut then costs it
                    // nothing to reconnect (its next poll connects anew); it must still resume.
                    const qint64 mustReconnect = k == TransportKind::Poll ? 0 : 1;
                    if (m_app->laneSnapshot(k)->stats.messages < 2
                        || m_app->laneSnapshot(k)->stats.reconnects < mustReconnect) {
                        return false;
                    }
                }
                return true;
            },
            WaitMs));
    for (int i = 0; i < TransportKindCount; ++i)
        QCOMPARE(m_app->laneSnapshot(TransportKind(i))->continuity.gaps, 0);
}

// Messages that waited in the server's history during an outage measure the outage, not the
// transport: counted apart, never in the latency window or chart.
void tst_Lab::replayedMessagesStayOutOfLatency()
{
    m_lab->trigger(LabAction::Compare);
    QVERIFY(lanesOpen());
    const quint16 port = quint16(m_app->serverUrl().port());
    publish(port, QStringLiteral("live"));
    QVERIFY(lanesHave(1));
    m_app->relay()->setDown(true);
    for (int i = 0; i < 5; ++i)
        publish(port, QStringLiteral("while down %1").arg(i));
    m_app->relay()->setDown(false);
    QVERIFY(lanesHave(6, 3 * WaitMs));
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind k = TransportKind(i);
        const TransportStats s = m_app->laneSnapshot(k)->stats;
        // Short polling holds no connection between polls: an outage it did not run into is, to
        // it, messages waiting for its next poll — its latency, not a replay.
        if (k == TransportKind::Poll && s.reconnects == 0)
            QCOMPARE(s.replayed, 0);
        else
            QVERIFY2(s.replayed >= 5, qPrintable(transportKindLabel(k)));
        QCOMPARE(s.latency.total(), s.messages - s.replayed);
        QTRY_COMPARE_WITH_TIMEOUT(qsizetype(m_app->laneLatency(k).points().size()), qsizetype(s.messages - s.replayed),
                                  WaitMs);
    }
    // Reset measurements: every figure starts over.
    m_app->resetMeasurements();
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind k = TransportKind(i);
        QCOMPARE(m_app->laneSnapshot(k)->stats.messages, 0);
        QCOMPARE(m_app->laneSnapshot(k)->stats.latency.count(), 0);
        QVERIFY(m_app->laneLatency(k).isEmpty());
    }
}

void tst_Lab::blockedUpgradesFallBack()
{
    m_app->client()->setProbeIntervalMs(200);
    QVERIFY(m_lab->startLesson(QStringLiteral("ws-blocked")));
    QVERIFY(QTest::qWaitFor([&] { return m_lab->lessons()->state() == LessonRunner::State::Running; }, 2 * WaitMs));
    QCOMPARE(m_app->mode(), RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor(
            [&] {
                return m_app->client()->activeTransport() == TransportKind::Sse
                        && m_app->client()->state() == ClientTransport::State::Open;
            },
            WaitMs));
    QVERIFY(m_app->relay()->counters().refusedUpgrades >= 1);
    // On the WebSocket lifeline only: the relay knows an upgrade is a WebSocket's.
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const WireRecord &r : m_app->wireCapture()->snapshot().records)
                    if (r.kind == WireRecord::Kind::Fault && r.label == u"relay: upgrade refused")
                        return r.transport == TransportKind::WebSocket;
                return false;
            },
            WaitMs));
    QVERIFY(QTest::qWaitFor(
            [&] {
                const std::optional<ClaimResult> r = m_lab->lessons()->result(QStringLiteral("ws-blocked"));
                return r && r->holds.value_or(false);
            },
            WaitMs));
    // A fallback forced by the refused upgrade, counted as such.
    const ClaimResult blocked = *m_lab->lessons()->result(QStringLiteral("ws-blocked"));
    QVERIFY(blocked.measured.value(QLatin1String("blockedFallbacks")).toInteger() >= 1);
    // The lesson ends: upgrades pass again, the chat client's transport is back, and it climbs back.
    m_lab->lessons()->stop();
    QCOMPARE(m_app->mode(), RealtimeClient::Mode::WebSocket);
    QVERIFY(QTest::qWaitFor([&] { return m_app->client()->activeTransport() == TransportKind::WebSocket; }, WaitMs));
}

void tst_Lab::idleCostMeterWithASmallN()
{
    RTLAB_REQUIRE_BENCH();
    // A given server (the bundled one, default 15 s heartbeat): the window waits one heartbeat
    // after set-up, and a 1 s window is flagged as too short to be steady state.
    QSignalSpy done(m_lab->idleMeter(), &IdleCostMeter::finished);
    QSignalSpy failed(m_lab->idleMeter(), &IdleCostMeter::failed);
    QVERIFY(m_lab->idleMeter()->start(m_app->serverUrl(), m_app->server()->pid(), QStringLiteral("sse"), 20, 1));
    QVERIFY(QTest::qWaitFor([&] { return done.count() + failed.count() > 0; }, 60000));
    QCOMPARE(failed.count(), 0);
    const QJsonObject r = done.first().first().toJsonObject();
    QCOMPARE(r.value(QLatin1String("clients")).toInteger(), 20);
    QCOMPARE(r.value(QLatin1String("failed")).toInteger(), 0);
    QCOMPARE(r.value(QLatin1String("transport")).toString(), QStringLiteral("sse"));
    QCOMPARE(r.value(QLatin1String("server")).toString(), QStringLiteral("given"));
    QCOMPARE(r.value(QLatin1String("heartbeatMs")).toInteger(), 15000);
    QVERIFY(r.value(QLatin1String("warmupSeconds")).toDouble() >= 15);
    QVERIFY(r.contains(QLatin1String("rssBytesPerClient")));
    QVERIFY(r.value(QLatin1String("wakeupsPerSecPerClient")).toDouble() >= 0);
    const QString notes = r.value(QLatin1String("notes")).toVariant().toStringList().join(u'\n');
    QVERIFY2(notes.contains(QStringLiteral("fewer than two")), qPrintable(notes));
}

// Issue 11: the meter's own server, hold and heartbeat shortened, no ticks; long polling then
// and WebSocket in turn. Directions and counts, never timings.
void tst_Lab::idleCostSeriesPointsTheWayTheClaimsSay()
{
    RTLAB_REQUIRE_BENCH();
    IdleCostMeter *meter = m_lab->idleMeter();
    QSignalSpy each(meter, &IdleCostMeter::finished);
    QSignalSpy series(meter, &IdleCostMeter::seriesFinished);
    QSignalSpy failed(meter, &IdleCostMeter::failed);
    IdleCostMeter::Options o;
    o.clients = 50;
    o.windowSeconds = 3;
    o.pollHoldSeconds = 1;
    o.heartbeatSeconds = 1;
    QVERIFY(!meter->startSeries({ QStringLiteral("lp"), QStringLiteral("carrier pigeon") }, o));
    QVERIFY(meter->startSeries({ QStringLiteral("lp"), QStringLiteral("ws") }, o));
    QVERIFY(meter->isRunning());
    QVERIFY(!meter->startSeries({ QStringLiteral("sse") }, o)); // one at a time
    QVERIFY(QTest::qWaitFor([&] { return series.count() + failed.count() > 0; }, 60000));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
    QCOMPARE(each.count(), 2);
    QVERIFY(!meter->isRunning());
    const QJsonArray all = series.first().first().toJsonArray();
    QCOMPARE(all.size(), 2);
    const QJsonObject lp = all.at(0).toObject(), ws = all.at(1).toObject();
    QCOMPARE(lp.value(QLatin1String("transport")).toString(), QStringLiteral("lp"));
    QCOMPARE(ws.value(QLatin1String("transport")).toString(), QStringLiteral("ws"));
    for (const QJsonObject &r : { lp, ws }) {
        QCOMPARE(r.value(QLatin1String("clients")).toInteger(), 50);
        QCOMPARE(r.value(QLatin1String("server")).toString(), QStringLiteral("own"));
        QCOMPARE(r.value(QLatin1String("heartbeatMs")).toInteger(), 1000);
        QCOMPARE(r.value(QLatin1String("tickRate")).toDouble(), 0.0);
        QCOMPARE(r.value(QLatin1String("messagesInWindow")).toInteger(), 0);
        const double fds = r.value(QLatin1String("fdsPerClient")).toDouble(-1);
        QVERIFY2(fds >= 0.9 && fds <= 1.2, qPrintable(QString::number(fds)));
        QVERIFY(r.value(QLatin1String("conditions")).toString().contains(QStringLiteral("shortened")));
    }
    QCOMPARE(lp.value(QLatin1String("holdMs")).toInteger(), 1000);
    QVERIFY(lp.value(QLatin1String("conditions")).toString().contains(QStringLiteral("hold 1 s")));
    QVERIFY(lp.value(QLatin1String("requestsPerSecPerClient")).toDouble() > 0);
    QVERIFY(lp.value(QLatin1String("notes"))
                    .toVariant()
                    .toStringList()
                    .join(u' ')
                    .contains(QStringLiteral("As the claim says")));
    QCOMPARE(ws.value(QLatin1String("requestsPerSecPerClient")).toDouble(-1), 0.0);
    QVERIFY(ws.value(QLatin1String("heartbeats")).toInteger() > 0);
    QVERIFY(ws.value(QLatin1String("bytesPerSecPerClient")).toDouble()
            < lp.value(QLatin1String("bytesPerSecPerClient")).toDouble());
    // The comparison names the requests long polling makes and WebSocket does not.
    const QStringList verdicts = IdleCostMeter::compare(all);
    QVERIFY2(verdicts.filter(QStringLiteral("requests per client per second, WebSocket none")).size() == 1,
             qPrintable(verdicts.join(u'\n')));
}

void tst_Lab::idleCostMeterSaysWhenItsServerCannotStart()
{
    RTLAB_REQUIRE_BENCH();
    IdleCostMeter meter;
    meter.setProgram(QStringLiteral(RTLAB_BENCH_BINARY));
    meter.setServerProgram(QStringLiteral("/nonexistent/rtlab-server"));
    QSignalSpy failed(&meter, &IdleCostMeter::failed);
    QSignalSpy series(&meter, &IdleCostMeter::seriesFinished);
    QVERIFY(meter.startSeries({ QStringLiteral("lp"), QStringLiteral("ws") }, {}));
    QVERIFY(failed.wait(WaitMs));
    QVERIFY2(failed.first().first().toString().contains(QStringLiteral("rtlab-server")),
             qPrintable(failed.first().first().toString()));
    QVERIFY(!meter.isRunning());
    QCOMPARE(series.count(), 0);
    // It can be started again.
    meter.setServerProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    IdleCostMeter::Options o;
    o.clients = 5;
    o.windowSeconds = 1;
    o.pollHoldSeconds = 0.5;
    o.heartbeatSeconds = 0.5;
    QVERIFY(meter.startSeries({ QStringLiteral("sse") }, o));
    QVERIFY(QTest::qWaitFor([&] { return series.count() > 0 || failed.count() > 1; }, 60000));
    QCOMPARE(series.count(), 1);
}

void tst_Lab::byteLedgerHasEachTransportsBytes()
{
    m_lab->trigger(LabAction::Compare);
    QVERIFY(lanesOpen());
    publish(quint16(m_app->serverUrl().port()), QStringLiteral("ledger"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_app->laneSnapshot(TransportKind(i))->stats.lastWire.isEmpty())
                        return false;
                return true;
            },
            WaitMs));
    auto joined = [&](TransportKind k) {
        QByteArray all;
        const auto parts = m_app->laneSnapshot(k)->stats.lastWire;
        for (const auto &part : parts)
            all += part.second;
        return all;
    };
    QVERIFY(joined(TransportKind::LongPoll).startsWith("GET /poll?after="));
    QVERIFY(joined(TransportKind::LongPoll).contains("HTTP/1.1 200 OK\r\n"));
    QVERIFY(joined(TransportKind::Sse).contains("\nevent: chat\ndata: {"));
    // Short polling: the same poll exchange as long polling, never asking to be held.
    QVERIFY(joined(TransportKind::Poll).startsWith("GET /poll?after="));
    QVERIFY(joined(TransportKind::Poll).contains("&timeout=0 HTTP/1.1\r\n"));
    const auto ws = m_app->laneSnapshot(TransportKind::WebSocket)->stats.lastWire;
    QCOMPARE(ws.size(), 2);
    QCOMPARE(uchar(ws[0].second.at(0)), uchar(0x81)); // FIN + text
    QCOMPARE(qsizetype(uchar(ws[0].second.at(1))), ws[1].second.size() < 126 ? ws[1].second.size() : 126);
    QVERIFY(ws[1].second.contains("\"text\":\"ledger\""));
}

QTEST_GUILESS_MAIN(tst_Lab)
// Connected with a token to a server with --auth-key, the Dashboard's client list and the Lab's
// server figures ask /stats with that token: with "stats" they get the figures; without it the
// model says the server refused (403, naming the permission) and holds no figures.
void tst_Lab::dashboardAsksForFiguresWithTheToken()
{
    const QByteArray key = "tst_lab: a key of thirty-two bytes or more";
    ServerConfig config = quietConfig();
    config.authKey = key;
    auto server = startServer(config);
    const QUrl url(QStringLiteral("http://127.0.0.1:%1").arg(server->port()));
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const Permissions chat = permissionBit(Permission::Subscribe) | permissionBit(Permission::Publish);
    ConnectedClientsModel *clients = m_app->connectedClients();
    clients->setActive(true);

    m_app->connectTo(url, Jwt::sign({ QStringLiteral("ann"), now + 3600, std::nullopt, chat }, key));
    QVERIFY(QTest::qWaitFor([&] { return clients->refusedStatus() == 403; }, WaitMs));
    QVERIFY2(clients->refusal().contains(QLatin1String("stats")), qPrintable(clients->refusal()));
    QCOMPARE(clients->rowCount(), 0);
    QVERIFY(QTest::qWaitFor([&] { return m_lab->serverStats()->refusedStatus() == 403; }, WaitMs));
    QVERIFY(!m_lab->serverStats()->latest());

    m_app->connectTo(
            url,
            Jwt::sign({ QStringLiteral("ann"), now + 3600, std::nullopt, chat | permissionBit(Permission::Stats) },
                      key));
    QVERIFY(QTest::qWaitFor([&] { return clients->refusedStatus() == 0 && clients->rowCount() > 0; }, WaitMs));
    QCOMPARE(clients->refusal(), QString());
    QVERIFY(QTest::qWaitFor([&] { return m_lab->serverStats()->latest().has_value(); }, WaitMs));
    QCOMPARE(m_lab->serverStats()->refusedStatus(), 0);
    clients->setActive(false);
}

#include "tst_lab.moc"
