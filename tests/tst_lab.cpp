// The lab without its widgets: the claims' measurements against the server's own figures, the
// faults through the relay, the idle-cost meter with a small N, and the byte ledger.
#include "appcontroller.h"
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
    void claimsShowWhatTheServerReports();
    void droppedConnectionsResumeAndAreCounted();
    void blockedUpgradesFallBack();
    void idleCostMeterWithASmallN();
    void idleCostSeriesPointsTheWayTheClaimsSay();
    void idleCostMeterSaysWhenItsServerCannotStart();
    void byteLedgerHasEachTransportsBytes();

private:
    bool lanesOpen();
    QString measured(int row) const { return m_lab->claims()->claims().at(row).measured; }

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
                    if (!m_app->lane(TransportKind(i))
                        || m_app->lane(TransportKind(i))->state() != ClientTransport::State::Open)
                        return false;
                return true;
            },
            WaitMs);
}

void tst_Lab::claimsShowWhatTheServerReports()
{
    // Every client of the window goes through the relay.
    QCOMPARE(m_app->clientUrl().port(), int(m_app->relay()->port()));
    m_lab->trigger(QStringLiteral("compare"));
    QVERIFY(lanesOpen());
    m_lab->trigger(QStringLiteral("foreignOrigin"));
    m_lab->trigger(QStringLiteral("publishEach"));
    // The server's own count of refused foreign origins, and the claim's text, agree.
    QVERIFY(QTest::qWaitFor(
            [&] {
                m_lab->refresh();
                return m_lab->serverStats()->latest().value(QLatin1String("rejectedOrigin")).toInteger() == 1
                        && measured(7).startsWith(QStringLiteral("server refused 1 foreign-Origin"));
            },
            WaitMs));
    // Three publishes, one per lane: two POSTs (long polling, SSE), one frame (WebSocket).
    QVERIFY(QTest::qWaitFor(
            [&] {
                m_lab->refresh();
                return m_app->lane(TransportKind::WebSocket)->stats(TransportKind::WebSocket).messages >= 3;
            },
            WaitMs));
    m_lab->refresh();
    const TransportStats &lp = m_app->lane(TransportKind::LongPoll)->stats(TransportKind::LongPoll);
    QVERIFY(measured(0).startsWith(QStringLiteral("%1 plain HTTP requests carried %2 messages")
                                           .arg(lp.httpRequests)
                                           .arg(lp.messages)));
    QVERIFY2(measured(5).contains(QStringLiteral("long polling and SSE: 2 extra POSTs")), qPrintable(measured(5)));
    QVERIFY2(measured(5).startsWith(QStringLiteral("WebSocket: 1 publishes")), qPrintable(measured(5)));
    // The server's held polls, as /stats says.
    const qint64 held = m_lab->serverStats()->transportValue(QStringLiteral("lp"), QStringLiteral("held"));
    QVERIFY2(measured(1).startsWith(QStringLiteral("server: %1 polls held").arg(held)), qPrintable(measured(1)));
}

void tst_Lab::droppedConnectionsResumeAndAreCounted()
{
    m_lab->trigger(QStringLiteral("compare"));
    QVERIFY(lanesOpen());
    const quint16 port = quint16(m_app->serverUrl().port());
    publish(port, QStringLiteral("before"));
    // Each lane has an id to resume from (a client that names none gets new messages only).
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_app->lane(TransportKind(i))->stats(TransportKind(i)).messages < 1)
                        return false;
                return true;
            },
            WaitMs));
    m_lab->trigger(QStringLiteral("drop"));
    QVERIFY(m_app->relay()->counters().dropped >= 4); // the chat client and three lanes, at least
    publish(port, QStringLiteral("while reconnecting"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const TransportKind k = TransportKind(i);
                    if (m_app->lane(k)->stats(k).messages < 2 || m_app->lane(k)->stats(k).reconnects < 1) {
                        return false;
                    }
                }
                return true;
            },
            WaitMs));
    for (int i = 0; i < TransportKindCount; ++i)
        QCOMPARE(m_app->lane(TransportKind(i))->continuity().gaps, 0);
    m_lab->refresh();
    QVERIFY2(measured(12).contains(QStringLiteral(", 0 gaps")), qPrintable(measured(12)));
    QVERIFY2(!measured(12).startsWith(QStringLiteral("SSE lane: 0 reconnects")), qPrintable(measured(12)));
}

void tst_Lab::blockedUpgradesFallBack()
{
    m_app->client()->setProbeIntervalMs(200);
    m_lab->trigger(QStringLiteral("blockUpgrades"));
    QCOMPARE(m_app->mode(), RealtimeClient::Mode::Auto);
    QVERIFY(QTest::qWaitFor([&] { return m_app->client()->activeTransport() == TransportKind::Sse; }, WaitMs));
    QVERIFY(m_app->relay()->counters().refusedUpgrades >= 1);
    m_lab->refresh();
    QVERIFY2(measured(6).contains(QStringLiteral("now via SSE")), qPrintable(measured(6)));
    QVERIFY2(!measured(6).startsWith(QStringLiteral("relay refused 0")), qPrintable(measured(6)));
    // Lift the block: Auto goes back up.
    m_lab->resetFaults();
    QVERIFY(QTest::qWaitFor([&] { return m_app->client()->activeTransport() == TransportKind::WebSocket; }, WaitMs));
}

void tst_Lab::idleCostMeterWithASmallN()
{
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
    QVERIFY(lp.value(QLatin1String("notes")).toVariant().toStringList().join(u' ').contains(
            QStringLiteral("As the claim says")));
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
    m_lab->trigger(QStringLiteral("compare"));
    QVERIFY(lanesOpen());
    publish(quint16(m_app->serverUrl().port()), QStringLiteral("ledger"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_app->lane(TransportKind(i))->stats(TransportKind(i)).lastWire.isEmpty())
                        return false;
                return true;
            },
            WaitMs));
    auto joined = [&](TransportKind k) {
        QByteArray all;
        for (const auto &part : m_app->lane(k)->stats(k).lastWire)
            all += part.second;
        return all;
    };
    QVERIFY(joined(TransportKind::LongPoll).startsWith("GET /poll?after="));
    QVERIFY(joined(TransportKind::LongPoll).contains("HTTP/1.1 200 OK\r\n"));
    QVERIFY(joined(TransportKind::Sse).contains("\nevent: chat\ndata: {"));
    const auto &ws = m_app->lane(TransportKind::WebSocket)->stats(TransportKind::WebSocket).lastWire;
    QCOMPARE(ws.size(), 2);
    QCOMPARE(uchar(ws[0].second.at(0)), uchar(0x81)); // FIN + text
    QCOMPARE(qsizetype(uchar(ws[0].second.at(1))), ws[1].second.size() < 126 ? ws[1].second.size() : 126);
    QVERIFY(ws[1].second.contains("\"text\":\"ledger\""));
}

QTEST_GUILESS_MAIN(tst_Lab)
#include "tst_lab.moc"
