// SPDX-License-Identifier: MIT
#include "lessonrunner.h"

#include "appcontroller.h"
#include "idlecostmeter.h"
#include "scaleoutlab.h"
#include "securityprobe.h"
#include "statspoller.h"
#include "wsframeparser.h"
#include "wshandshake.h"

#include <QDateTime>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSet>
#include <QTemporaryDir>
#include <QTimeZone>
#include <QWebSocket>

#include <cmath>
#include <limits>
#include <tuple>

namespace rtlab {

// How long a lesson may wait for its server (a restart with other options) before it gives up.
static constexpr int SetupTimeoutMs = 20000;
// What the lessons set: short enough to be seen within a lesson, and said in each lesson's text.
static constexpr qint64 ShortHoldMs = 3000;
static constexpr int AddedLatencyMs = 50;
static constexpr int IdleClients = 200;
static constexpr int ForeignHandshakes = 3;
static constexpr int BrowserLikeStreams = 7;
static constexpr int PublishRounds = 5;
static constexpr qint64 BufferingBytes = 2048;
// lp-vs-polling: messages rarer than the default 1 s interval, spaced so that their arrival falls
// at every phase of it (1.7 s = 0.7 of an interval on: ten phases before one repeats).
static constexpr int PollLessonMessages = 8;
static constexpr int PollLessonSpacingMs = 1700;
// durable-restart: the lanes run this long on each store before its crash, and each step waits at
// most this long for the lanes (a reconnect backs off up to a few seconds) before it goes on with
// what it has.
static constexpr qint64 RunBeforeCrashMs = 2000;
static constexpr qint64 DurableStepTimeoutMs = 10000;

namespace {

const QStringList &quietServer()
{
    static const QStringList args { QStringLiteral("--tick-rate"), QStringLiteral("0") };
    return args;
}

const QStringList &tickingServer()
{
    static const QStringList args { QStringLiteral("--tick-rate"), QStringLiteral("5") };
    return args;
}

QJsonValue msOrNull(qint64 us)
{
    return us < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(std::round(double(us) / 10.0) / 100.0);
}

double round1(double v)
{
    return std::round(v * 10.0) / 10.0;
}

// "1 upgrade", "2 upgrades": the app loads no translations, so %n plurals would show as written.
QString count(qint64 n, const char *one, const char *many)
{
    return n == 1 ? LessonRunner::tr(one) : LessonRunner::tr(many).arg(n);
}

QString ms(qint64 us)
{
    return us < 0 ? QStringLiteral("–") : QString::number(double(us) / 1000.0, 'f', 1);
}

} // namespace

LessonRunner::LessonRunner(AppController *app, StatsPoller *serverStats, IdleCostMeter *idleMeter, QObject *parent)
    : QObject(parent), m_app(app), m_stats(serverStats), m_idle(idleMeter)
{
    m_endTimer.setSingleShot(true);
    m_endTimer.setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5 % early
    connect(&m_endTimer, &QTimer::timeout, this, [this] {
        if (m_waitingForMeter || (m_securityProbe && !m_securityProbe->isDone())) {
            m_endTimer.start(1000); // the idle clients or the token server are still being measured
            return;
        }
        // The second crash is still being watched (each step gives up on its own after a bound).
        if (m_lesson && m_lesson->id == u"durable-restart" && m_durablePhase != DurablePhase::Done) {
            m_endTimer.start(1000);
            return;
        }
        // scale-out's script bounds each of its steps; once the user has taken over, the time
        // that is up ends the publishing, and what was acknowledged is given a moment to arrive.
        if (m_scaleOut && !m_scaleOut->isDone()) {
            if (m_scaleOut->step() == ScaleOutLab::Step::Manual)
                m_scaleOut->finish();
            m_endTimer.start(500);
            return;
        }
        end(true);
    });
    connect(&m_actionTimer, &QTimer::timeout, this, &LessonRunner::act);
    m_setupTimeout.setSingleShot(true);
    connect(&m_setupTimeout, &QTimer::timeout, this, [this] {
        const QString why = tr("the bundled server did not come back within %1 s").arg(SetupTimeoutMs / 1000);
        m_error = why;
        emit failed(why);
        end(false);
    });
    connect(m_idle, &IdleCostMeter::finished, this, [this](const QJsonObject &summary) {
        if (!m_waitingForMeter)
            return;
        if (std::optional<IdleCostResult> result = IdleCostResult::fromJson(summary))
            m_idleResults.insert(result->transport, *result);
    });
    connect(m_idle, &IdleCostMeter::seriesFinished, this, [this] { m_waitingForMeter = false; });
    connect(m_idle, &IdleCostMeter::failed, this, [this](const QString &why) {
        if (!m_waitingForMeter)
            return;
        m_idleError = why;
        m_waitingForMeter = false;
    });
}

LessonRunner::~LessonRunner()
{
    if (m_state != State::Idle)
        end(true);
}

void LessonRunner::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    emit stateChanged(state);
}

qint64 LessonRunner::elapsedMs() const
{
    return m_state == State::Running ? m_clock.elapsed() : 0;
}

// Passes some of an idle-cost result's figures on into a lesson's measurement, under the
// contract's keys (with a prefix) and each only when it was measured.
template<typename... Members>
static void passFiguresOn(QJsonObject *measurement, const QString &prefix, const IdleCostResult &idle,
                          Members... members)
{
    const QJsonObject figures = idle.toJson();
    for (const QLatin1String key : { IdleCostResult::keyOf(members)... })
        if (figures.value(key).isDouble())
            measurement->insert(prefix + key, figures.value(key));
}

std::optional<IdleCostResult> LessonRunner::idleResult(const QString &transport) const
{
    const auto it = m_idleResults.constFind(transport);
    return it == m_idleResults.cend() ? std::nullopt : std::optional(*it);
}

// The transports whose idle clients a lesson weighs with the meter beside its lanes, in order.
static QStringList idleTransports(QStringView id)
{
    if (id == u"lp-resource")
        return { QStringLiteral("lp"), QStringLiteral("ws") };
    if (id == u"ws-many-connections")
        return { QStringLiteral("ws") };
    return {};
}

static IdleCostMeter::Options idleOptions()
{
    IdleCostMeter::Options o;
    o.clients = IdleClients;
    o.windowSeconds = 10;
    return o;
}

int LessonRunner::plannedSeconds(const LessonInfo &lesson)
{
    const QStringList transports = idleTransports(lesson.id);
    if (transports.isEmpty())
        return lesson.durationS;
    return qMax(lesson.durationS, IdleCostMeter::estimatedSeconds(idleOptions(), int(transports.size())));
}

bool LessonRunner::start(const QString &id, int durationS)
{
    const LessonInfo *lesson = LessonCatalog::find(id);
    if (!lesson) {
        m_error = tr("no lesson called “%1” (rtlab --list-lessons lists them)").arg(id);
        return false;
    }
    if (!lesson->unavailable.isEmpty()) {
        m_error = tr("the lesson “%1” %2").arg(id, lesson->unavailable);
        return false;
    }
    if (m_state != State::Idle)
        stop(); // another lesson cuts this one short
    m_error.clear();
    m_lesson = lesson;
    m_durationS = durationS > 0 ? qMax(5, durationS) : lesson->durationS;
    m_actions = 0;
    m_publishes = {};
    m_foreignTried = m_foreignRefused = m_foreignAccepted = 0;
    m_securityProbe.reset();
    m_streamsTried = m_streamsOpened = 0;
    m_phaseA.clear();
    m_phaseB.clear();
    m_buffering = false;
    m_idleResults.clear();
    m_idleError.clear();
    m_waitingForMeter = false;
    m_durablePhase = DurablePhase::Memory;
    m_memoryRestart = {};
    m_sqliteRestart = {};
    m_storeError.clear();
    m_storeReported.clear();
    if (std::exchange(m_scaleOut, nullptr))
        emit scaleOutChanged();
    m_saved = Saved { m_app->mode(), m_app->pollHoldMs() };
    setUp();
    return true;
}

// Every lesson states its conditions in full, whatever the window's state: the server's options
// (ticks are on at 5/s unless the lesson needs silence or a faster stream), the relay's faults,
// the poll hold and, where the lesson is about choosing a transport, the chat client in Auto. The
// server comes first: a restart with other options would otherwise count as a fault.
void LessonRunner::setUp()
{
    const QString id = m_lesson->id;
    // Ticks at the server's default rate: an override only if its usual arguments set another, so
    // that a lesson needing nothing else does not restart the server for nothing.
    QStringList server;
    if (m_app->server()->extraArguments().contains(QStringLiteral("--tick-rate")))
        server = tickingServer();
    m_plan = {};
    if (id == u"lp-hold-timeouts") {
        server = quietServer();
        m_plan.pollHoldMs = ShortHoldMs;
    } else if (id == u"lp-latency") {
        // Messages closer together than the round trip: one that comes while the long-polling
        // client's next request is still on its way must wait for it.
        server = { QStringLiteral("--tick-rate"), QStringLiteral("20") };
        m_plan.relay.latencyMs = AddedLatencyMs;
    } else if (id == u"lp-fallback") {
        m_plan.relay.refuseUpgrades = true;
        m_plan.relay.refuseEventStreams = true;
        m_plan.mode = RealtimeClient::Mode::Auto;
    } else if (id == u"ws-blocked") {
        m_plan.relay.refuseUpgrades = true;
        m_plan.mode = RealtimeClient::Mode::Auto;
    } else if (id == u"sse-efficient") {
        server = quietServer() + QStringList { QStringLiteral("--heartbeat"), QStringLiteral("2") };
    } else if (id == u"proxy-idle-kill") {
        server = quietServer();
        m_plan.relay.idleKillMs = 5000;
    } else if (id == u"lp-vs-polling") {
        server = quietServer(); // only the lesson's messages: each one a delivery of its own
        m_plan.lanes = { TransportKind::LongPoll, TransportKind::Poll };
    } else if (id == u"ws-complex") {
        // No ticks, so that the frames left are the lesson's; the server pings every 2 s.
        server = quietServer() + QStringList { QStringLiteral("--heartbeat"), QStringLiteral("2") };
    } else if (id == u"durable-restart") {
        // The first crash is on memory, whatever the user's setting keeps (ticks on: messages
        // flow up to the crash and after it).
        m_durableServer = server;
        if (!m_app->server()->storeArguments().isEmpty())
            server += QStringList { QStringLiteral("--store"), QStringLiteral("memory") };
    }
    if (!m_app->usingBundledServer())
        server.clear(); // another server's options are its own: the lesson says what it found

    setState(State::SettingUp);
    m_app->relay()->setSettings({});
    m_app->relay()->setDown(false);
    if (m_app->setServerOverrides(server)) {
        connect(
                m_app->server(), &ServerProcess::started, this,
                [this] {
                    if (m_state == State::SettingUp)
                        begin();
                },
                Qt::SingleShotConnection);
        m_setupTimeout.start(SetupTimeoutMs);
    } else {
        QTimer::singleShot(0, this, [this] {
            if (m_state == State::SettingUp)
                begin();
        });
    }
}

void LessonRunner::begin()
{
    m_setupTimeout.stop();
    const QString id = m_lesson->id;
    m_app->relay()->setSettings(m_plan.relay);
    m_app->setPollHoldMs(m_plan.pollHoldMs);
    if (m_plan.mode)
        m_app->setMode(*m_plan.mode);
    if (m_plan.relay.refuseUpgrades || m_plan.relay.refuseEventStreams)
        m_app->relay()->dropAll(); // open streams go too, and cannot come back through this proxy
    if (id == u"ws-complex") {
        m_xrayFromUs = WireCapture::nowUs(); // the new lanes' handshakes and frames
        m_wsComplexClosed = false;
    }
    m_app->resetMeasurements(); // the chat client's figures; the new lanes start from nothing
    if (id != u"scale-out")     // its lanes are its own, on its own nodes
        m_app->restartLanes(m_plan.lanes);
    m_relayAtStart = m_app->relay()->counters();
    m_rejectedOriginAtStart = -1;
    if (m_stats->latest())
        m_rejectedOriginAtStart = m_stats->latest()->rejectedOrigin;
    m_clock.start();
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    setState(State::Running);
    m_endTimer.start(m_durationS * 1000);

    if (id == u"lp-hold-timeouts") {
        m_actionTimer.start(10000);
    } else if (id == u"ws-bidirectional" || id == u"sse-one-way") {
        m_actionTimer.start(1000);
    } else if (id == u"sse-reconnect") {
        m_actionTimer.start(3000);
    } else if (id == u"server-restart") {
        m_actionTimer.start(2000);
    } else if (id == u"durable-restart") {
        m_phaseAtMs = m_startedMs;
        if (m_app->usingBundledServer())
            m_actionTimer.start(250);
        else // another server is not ours to kill
            m_durablePhase = DurablePhase::Done;
    } else if (id == u"scale-out") {
        // Its own Redis and nodes, beside the bundled server (which it leaves alone).
        m_scaleOut = std::make_unique<ScaleOutLab>(m_app->server()->program());
        // Done (or failed to start) ends the lesson: its figures in sight a moment first.
        connect(m_scaleOut.get(), &ScaleOutLab::changed, this, [this] {
            if (m_scaleOut && m_scaleOut->isDone() && m_endTimer.remainingTime() > 1500)
                m_endTimer.start(1500);
        });
        m_scaleOut->start();
        emit scaleOutChanged();
    } else if (id == u"lp-vs-polling") {
        m_actionTimer.start(PollLessonSpacingMs);
    } else if (id == u"ws-complex") {
        m_actionTimer.start(1000);
    } else if (id == u"ws-security") {
        openForeignHandshakes(ForeignHandshakes);
        // The token row: a server of the lesson's own with a key (the bundled one has none).
        m_securityProbe = std::make_unique<SecurityProbe>();
        m_securityProbe->start(m_app->server()->program());
    } else if (id == u"sse-connection-limit") {
        openStreamsLikeABrowser(BrowserLikeStreams);
    } else if (id == u"sse-plain-http") {
        connect(m_app, &AppController::laneLatencyMeasured, this, [this](TransportKind kind, qint64 us) {
            if (kind == TransportKind::Sse)
                (m_buffering ? m_phaseB : m_phaseA).add(us);
        });
        m_actionTimer.start(m_durationS * 500);
    }
    const QStringList transports = idleTransports(id);
    if (!transports.isEmpty()) {
        // Steady state on the meter's own fresh server (no ticks, heartbeat and hold 5 s, said in
        // the result): the window's server keeps serving the lanes meanwhile.
        const IdleCostMeter::Options o = idleOptions();
        m_waitingForMeter = m_idle->startSeries(transports, o);
        if (!m_waitingForMeter) {
            m_idleError = tr("the idle-cost meter could not start rtlab-bench");
        } else {
            m_durationS = qMax(m_durationS, IdleCostMeter::estimatedSeconds(o, int(transports.size())));
            m_endTimer.start(m_durationS * 1000);
        }
    }
}

// The lesson's repeated step, on m_actionTimer.
void LessonRunner::act()
{
    const QString id = m_lesson ? m_lesson->id : QString();
    ++m_actions;
    if (id == u"lp-hold-timeouts") {
        m_app->sendChat(tr("a quiet chat message (%1)").arg(m_actions));
    } else if (id == u"ws-bidirectional" || id == u"sse-one-way") {
        if (m_actions > PublishRounds) {
            m_actionTimer.stop();
            return;
        }
        for (int i = 0; i < TransportKindCount; ++i) {
            const TransportKind k = TransportKind(i);
            if (id == u"sse-one-way" && k != TransportKind::Sse)
                continue;
            if (m_app->lanePublish(k, m_app->nickname(), tr("sent from the %1 lane").arg(transportKindLabel(k))))
                ++m_publishes[size_t(i)];
        }
    } else if (id == u"sse-reconnect") {
        m_app->relay()->dropAll();
    } else if (id == u"lp-vs-polling") {
        if (m_actions > PollLessonMessages) {
            m_actionTimer.stop();
            return;
        }
        m_app->sendChat(tr("message %1 of %2, to both lanes").arg(m_actions).arg(PollLessonMessages));
    } else if (id == u"server-restart") {
        m_actionTimer.stop();
        m_app->restartServer();
    } else if (id == u"durable-restart") {
        actDurableRestart();
    } else if (id == u"ws-complex") {
        actWsComplex();
    } else if (id == u"sse-plain-http") {
        m_actionTimer.stop();
        ImpairmentRelay::Settings s = m_app->relay()->settings();
        s.bufferResponseBytes = BufferingBytes;
        m_app->relay()->setSettings(s);
        m_buffering = true;
    }
}

// The lanes' figures the moment before a crash, to count what the crash did from.
void LessonRunner::crashServer()
{
    for (TransportKind k : m_plan.lanes) {
        LaneBefore &b = m_beforeCrash[size_t(k)];
        b = {};
        if (const auto lane = m_app->laneSnapshot(k)) {
            b.resets = lane->continuity.resets;
            b.lostUnknown = lane->continuity.lostUnknown;
            b.gaps = lane->continuity.gaps;
            b.reconnects = lane->stats.reconnects;
            b.delivered = lane->continuity.delivered;
            b.epoch = lane->position.epoch;
            b.lastId = lane->position.lastId;
        }
    }
    m_durablePhase = m_durablePhase == DurablePhase::Memory ? DurablePhase::MemoryCrashed : DurablePhase::SqliteCrashed;
    m_phaseAtMs = QDateTime::currentMSecsSinceEpoch();
    m_app->server()->killAndRestart();
}

// Every lane is open again, reconnected since the crash and has had a message since (a reset
// alone is not yet a lane that goes on).
bool LessonRunner::lanesResumed() const
{
    for (TransportKind k : m_plan.lanes) {
        const auto lane = m_app->laneSnapshot(k);
        const LaneBefore &b = m_beforeCrash[size_t(k)];
        if (!lane || lane->state != ClientTransport::State::Open || lane->stats.reconnects <= b.reconnects
            || lane->continuity.delivered <= b.delivered)
            return false;
    }
    return true;
}

void LessonRunner::keepRestartFigures()
{
    const bool memory = m_durablePhase == DurablePhase::MemoryCrashed;
    auto &kept = memory ? m_memoryRestart : m_sqliteRestart;
    if (!memory && m_stats->latest())
        m_storeReported = m_stats->latest()->store; // the store as the server itself names it
    for (TransportKind k : m_plan.lanes) {
        const auto lane = m_app->laneSnapshot(k);
        const LaneBefore &b = m_beforeCrash[size_t(k)];
        LaneRestart &r = kept[size_t(k)];
        r = {};
        if (!lane)
            continue;
        r.measured = true;
        r.resets = lane->continuity.resets - b.resets;
        r.gaps = lane->continuity.gaps - b.gaps;
        r.reconnects = lane->stats.reconnects - b.reconnects;
        r.delivered = lane->continuity.delivered - b.delivered;
        r.epochBefore = b.epoch;
        r.epochAfter = lane->position.epoch;
        r.lastIdBefore = b.lastId;
        r.lostUnknown = lane->continuity.lostUnknown - b.lostUnknown;
    }
}

// Memory: run, crash, watch every lane come back; then the lesson's SQLite file: run, crash,
// watch again. Each step goes on after a bound with what it has: the figures then say what
// happened instead.
void LessonRunner::actDurableRestart()
{
    const qint64 inPhase = QDateTime::currentMSecsSinceEpoch() - m_phaseAtMs;
    const auto finish = [this] {
        m_durablePhase = DurablePhase::Done;
        m_actionTimer.stop();
        m_endTimer.start(1500); // the last figures in sight a moment, then the lesson ends
    };
    switch (m_durablePhase) {
    case DurablePhase::Memory:
    case DurablePhase::Sqlite: {
        bool everyLaneHasAnId = true;
        for (TransportKind k : m_plan.lanes) {
            const auto lane = m_app->laneSnapshot(k);
            everyLaneHasAnId = everyLaneHasAnId && lane && lane->position.lastId.has_value();
        }
        if (inPhase >= RunBeforeCrashMs && (everyLaneHasAnId || inPhase >= DurableStepTimeoutMs))
            crashServer();
        return;
    }
    case DurablePhase::MemoryCrashed:
    case DurablePhase::SqliteCrashed:
        if (!lanesResumed() && inPhase < DurableStepTimeoutMs)
            return;
        keepRestartFigures();
        if (m_durablePhase == DurablePhase::SqliteCrashed) {
            finish();
            return;
        }
        m_lessonStore = std::make_unique<QTemporaryDir>();
        if (!m_lessonStore->isValid()) {
            m_storeError =
                    tr("no temporary directory for the lesson's SQLite file: %1").arg(m_lessonStore->errorString());
            finish();
            return;
        }
        m_durablePhase = DurablePhase::Switching;
        m_phaseAtMs = QDateTime::currentMSecsSinceEpoch();
        m_app->setServerOverrides(
                m_durableServer
                + QStringList { QStringLiteral("--store"),
                                QStringLiteral("sqlite:") + m_lessonStore->filePath(QStringLiteral("lesson.db")) });
        return;
    case DurablePhase::Switching: {
        ServerProcess *server = m_app->server();
        if (server->state() == ServerProcess::State::Failed) {
            m_storeError = server->errorString(); // the server's own line: the path and SQLite's message
            finish();
        } else if (server->state() == ServerProcess::State::Running && !server->argumentsChanged()) {
            // A new file is a new log: the lanes' reset for it is not the crash's. New lanes start
            // from the new log's live end.
            m_app->restartLanes(m_plan.lanes);
            m_durablePhase = DurablePhase::Sqlite;
            m_phaseAtMs = QDateTime::currentMSecsSinceEpoch();
        } else if (inPhase >= SetupTimeoutMs) {
            m_storeError = tr("the bundled server did not come back on SQLite within %1 s").arg(SetupTimeoutMs / 1000);
            finish();
        }
        return;
    }
    case DurablePhase::Done: m_actionTimer.stop(); return;
    }
}

namespace {

// A header's value in an HTTP head, by name in any case (empty if absent).
QByteArray headerValue(const QByteArray &head, QByteArrayView name)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

// What the lanes' WebSocket connections had to do since `fromUs`, counted from the capture.
struct WsWork
{
    qint64 upgrades = 0;        // 101 answers
    qint64 acceptsVerified = 0; // whose Sec-WebSocket-Accept our WsHandshake checked against the key
    QString key, accept;        // the first of them
    qint64 clientFrames = 0, maskedClientFrames = 0, serverFrames = 0, maskedServerFrames = 0;
    QSet<QByteArray> maskKeys;
    QStringList maskKeysShown; // the first few, in hex
    qint64 pingPongPairs = 0;
    QList<int> closeCodes;           // of every close frame, in order (0: a close frame without a code)
    QMap<int, qint64> headerLengths; // frame header length → frames
    qint64 otherFrames = 0;          // frames recorded on Long Polling or SSE (none can exist)
};

WsWork wsWork(const WireCapture::Snapshot &snap, qint64 fromUs)
{
    WsWork w;
    for (const WireExchange &e : snap.exchanges) {
        if (e.transport != TransportKind::WebSocket || e.kind != WireExchange::Kind::WebSocket || e.startUs < fromUs
            || e.status != 101)
            continue;
        ++w.upgrades;
        const QByteArray key = headerValue(e.requestHead, "sec-websocket-key");
        WsHandshake check(QUrl(e.url), key);
        check.feed(e.responseHead);
        if (!key.isEmpty() && check.state() == WsHandshake::State::Upgraded) {
            ++w.acceptsVerified;
            if (w.key.isEmpty()) {
                w.key = QString::fromLatin1(key);
                w.accept = QString::fromLatin1(check.header("sec-websocket-accept"));
            }
        }
    }
    // Pings not yet answered, by exchange, direction and data.
    QList<std::tuple<quint64, WireDirection, QByteArray>> pings;
    for (const WireRecord &r : snap.records) {
        if (r.kind != WireRecord::Kind::Frame || r.timeUs < fromUs)
            continue;
        if (r.transport != TransportKind::WebSocket) {
            ++w.otherFrames;
            continue;
        }
        const bool ours = r.direction == WireDirection::ToServer;
        (ours ? w.clientFrames : w.serverFrames)++;
        if (r.masked && r.maskKey.size() == 4) {
            (ours ? w.maskedClientFrames : w.maskedServerFrames)++;
            if (ours && !w.maskKeys.contains(r.maskKey) && w.maskKeysShown.size() < 5)
                w.maskKeysShown.append(QString::fromLatin1(r.maskKey.toHex()));
            if (ours)
                w.maskKeys.insert(r.maskKey);
        }
        w.headerLengths[r.headerLength]++;
        if (r.opcode == WsFrameParser::Ping) {
            pings.append({ r.exchange, r.direction, r.data });
        } else if (r.opcode == WsFrameParser::Pong) {
            const WireDirection pinged = ours ? WireDirection::ToClient : WireDirection::ToServer;
            const qsizetype i = pings.indexOf(std::tuple { r.exchange, pinged, r.data });
            if (i >= 0) {
                pings.removeAt(i);
                ++w.pingPongPairs;
            }
        } else if (r.opcode == WsFrameParser::Close) {
            w.closeCodes.append(r.closeCode);
        }
    }
    return w;
}

} // namespace

// Publish once on every lane, then, once a ping has been answered (the server pings every 2 s),
// restart the lanes: each closes (WebSocket with a close handshake) and opens again.
void LessonRunner::actWsComplex()
{
    if (m_actions == 1) {
        for (TransportKind k : { TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket })
            if (m_app->lanePublish(k, m_app->nickname(), tr("sent from the %1 lane").arg(transportKindLabel(k))))
                ++m_publishes[size_t(k)];
        return;
    }
    const WsWork w = wsWork(m_app->wireCapture()->snapshot(), m_xrayFromUs);
    const bool late = m_clock.elapsed() >= qint64(m_durationS) * 1000 - 3000;
    if ((w.pingPongPairs > 0 && w.clientFrames > 0) || late) {
        m_actionTimer.stop();
        m_wsComplexClosed = true;
        m_app->restartLanes(m_plan.lanes);
    }
}

void LessonRunner::measureWsComplex(ClaimResult &r, const TransportStats &lp, const TransportStats &sse) const
{
    QJsonObject &m = r.measured;
    const WsWork w = wsWork(m_app->wireCapture()->snapshot(), m_xrayFromUs);
    m.insert(QLatin1String("upgrades"), w.upgrades);
    m.insert(QLatin1String("acceptsVerified"), w.acceptsVerified);
    if (!w.key.isEmpty()) {
        m.insert(QLatin1String("handshakeKey"), w.key);
        m.insert(QLatin1String("handshakeAccept"), w.accept);
    }
    m.insert(QLatin1String("clientFrames"), w.clientFrames);
    m.insert(QLatin1String("maskedClientFrames"), w.maskedClientFrames);
    m.insert(QLatin1String("distinctMaskKeys"), qint64(w.maskKeys.size()));
    m.insert(QLatin1String("maskKeys"), QJsonArray::fromStringList(w.maskKeysShown));
    m.insert(QLatin1String("serverFrames"), w.serverFrames);
    m.insert(QLatin1String("maskedServerFrames"), w.maskedServerFrames);
    m.insert(QLatin1String("pingPongPairs"), w.pingPongPairs);
    QJsonArray codes;
    for (int c : w.closeCodes)
        codes.append(c);
    m.insert(QLatin1String("closeCodes"), codes);
    QJsonArray lengths;
    QJsonObject perLength;
    for (auto it = w.headerLengths.begin(); it != w.headerLengths.end(); ++it) {
        lengths.append(it.key());
        perLength.insert(QString::number(it.key()), it.value());
    }
    m.insert(QLatin1String("frameHeaderLengths"), lengths);
    m.insert(QLatin1String("framesPerHeaderLength"), perLength);
    // The contrast: plain HTTP requests, and no handshake, mask, ping or close frame to implement.
    m.insert(QLatin1String("plainHttpRequests_lp"), lp.httpRequests);
    m.insert(QLatin1String("plainHttpRequests_sse"), sse.httpRequests);
    m.insert(QLatin1String("frames_lp_sse"), w.otherFrames);
    if (m_wsComplexClosed && !w.closeCodes.isEmpty())
        r.holds = w.upgrades > 0 && w.acceptsVerified == w.upgrades && w.clientFrames > 0
                && w.maskedClientFrames == w.clientFrames && w.maskedServerFrames == 0 && w.pingPongPairs > 0
                && w.closeCodes.size() >= 2 && !w.closeCodes.contains(0) && w.otherFrames == 0;
    QStringList headers;
    for (const QJsonValue &v : lengths)
        headers.append(QString::number(v.toInt()));
    QStringList closes;
    for (int c : w.closeCodes)
        closes.append(QString::number(c));
    r.summary = tr("WebSocket: %1 (key → accept checked for %2), %3 sent, %4 masked with %5, %6, %7, frame headers "
                   "of %8 bytes · Long Polling %9 and SSE %10: none of it")
                        .arg(count(w.upgrades, "1 upgrade", "%1 upgrades"))
                        .arg(w.acceptsVerified)
                        .arg(count(w.clientFrames, "1 frame", "%1 frames"))
                        .arg(w.maskedClientFrames)
                        .arg(count(w.maskKeys.size(), "1 key", "%1 different keys"),
                             count(w.pingPongPairs, "1 ping answered by a pong", "%1 pings answered by pongs"),
                             closes.isEmpty() ? tr("no close frame yet")
                                              : tr("close codes %1").arg(closes.join(QStringLiteral(", "))),
                             headers.isEmpty() ? QStringLiteral("–") : headers.join(QStringLiteral(", ")),
                             count(lp.httpRequests, "1 plain HTTP request", "%1 plain HTTP requests"),
                             count(sse.httpRequests, "1", "%1"));
}

// Per lane and per store, what the crash did: the memory store's resets and whether they said the
// loss was unknown; the SQLite store's resets, gaps, and whether the lane resumed in its epoch.
void LessonRunner::measureDurableRestart(ClaimResult &r) const
{
    QJsonObject &m = r.measured;
    if (!m_app->usingBundledServer()) {
        r.summary = tr("this lesson kills the bundled server: Server → Use the bundled server, then run it again");
        return;
    }
    bool memoryHolds = true, sqliteHolds = true, memoryDone = true, sqliteDone = true;
    QStringList memoryText, sqliteText, contradictions;
    qint64 gaps = 0;
    for (TransportKind k : m_plan.lanes) {
        const QString key = transportKindKey(k);
        const QString name = transportKindLabel(k);
        const LaneRestart &mem = m_memoryRestart[size_t(k)];
        const LaneRestart &sql = m_sqliteRestart[size_t(k)];
        memoryDone = memoryDone && mem.measured;
        sqliteDone = sqliteDone && sql.measured;
        if (mem.measured) {
            m.insert(QLatin1String("memoryResets_") + key, mem.resets);
            m.insert(QLatin1String("memoryLostUnknown_") + key, mem.lostUnknown);
            m.insert(QLatin1String("memoryNewEpoch_") + key,
                     !mem.epochAfter.isEmpty() && mem.epochAfter != mem.epochBefore);
            memoryHolds = memoryHolds && mem.resets > 0 && mem.lostUnknown > 0;
            memoryText += mem.resets == 0 ? tr("%1 no reset").arg(name)
                    : mem.lostUnknown > 0
                    ? tr("%1 %2, lost unknown").arg(name, count(mem.resets, "1 reset", "%1 resets"))
                    : tr("%1 %2").arg(name, count(mem.resets, "1 reset", "%1 resets"));
            gaps += mem.gaps;
        }
        if (sql.measured) {
            const bool sameEpoch = !sql.epochBefore.isEmpty() && sql.epochAfter == sql.epochBefore;
            m.insert(QLatin1String("sqliteResets_") + key, sql.resets);
            m.insert(QLatin1String("sqliteGaps_") + key, sql.gaps);
            m.insert(QLatin1String("sqliteSameEpoch_") + key, sameEpoch);
            m.insert(QLatin1String("sqliteReconnects_") + key, sql.reconnects);
            m.insert(QLatin1String("sqliteMessagesAfter_") + key, sql.delivered);
            if (sql.lastIdBefore)
                m.insert(QLatin1String("sqliteResumedAfterId_") + key, qint64(*sql.lastIdBefore));
            const bool resumed =
                    sql.resets == 0 && sql.gaps == 0 && sameEpoch && sql.reconnects > 0 && sql.delivered > 0;
            sqliteHolds = sqliteHolds && resumed;
            gaps += sql.gaps;
            if (resumed)
                sqliteText += tr("%1 resumed after #%2 in the same epoch").arg(name).arg(sql.lastIdBefore.value_or(0));
            else
                sqliteText += tr("%1 %2, %3%4")
                                      .arg(name, count(sql.resets, "1 reset", "%1 resets"),
                                           count(sql.gaps, "1 gap", "%1 gaps"),
                                           sameEpoch ? QString() : tr(", another epoch"));
            if (sql.resets > 0)
                contradictions += tr("%1 got a reset on SQLite: its history did not survive the crash").arg(name);
            else if (sql.reconnects == 0 || sql.delivered == 0)
                contradictions += tr("%1 did not come back within %2 s").arg(name).arg(DurableStepTimeoutMs / 1000);
        }
    }
    m.insert(QLatin1String("gaps"), gaps);
    if (!m_storeError.isEmpty())
        m.insert(QLatin1String("storeError"), m_storeError);
    if (!m_storeReported.isEmpty())
        m.insert(QLatin1String("sqliteStoreReported"), m_storeReported);
    const QString memory = memoryText.isEmpty() ? tr("memory: the crash is coming")
                                                : tr("memory crash: %1").arg(memoryText.join(QStringLiteral(" · ")));
    QString sqlite;
    if (!m_storeError.isEmpty())
        sqlite = tr("SQLite: the store did not open (%1)").arg(m_storeError);
    else if (!sqliteText.isEmpty())
        sqlite = tr("SQLite crash: %1; %2 in all")
                         .arg(sqliteText.join(QStringLiteral(" · ")), count(gaps, "1 gap", "%1 gaps"));
    else if (memoryDone)
        sqlite = tr("SQLite: the crash is coming");
    r.summary = sqlite.isEmpty() ? memory : tr("%1 — %2").arg(memory, sqlite);
    if (!contradictions.isEmpty())
        r.summary += tr(". %1").arg(contradictions.join(QStringLiteral("; ")));
    if (!m_storeError.isEmpty())
        r.holds = false;
    else if (memoryDone && sqliteDone)
        r.holds = memoryHolds && sqliteHolds && gaps == 0;
}

void LessonRunner::openForeignHandshakes(int count)
{
    QUrl url = m_app->serverUrl();
    url.setScheme(url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));
    for (int i = 0; i < count; ++i) {
        ++m_foreignTried;
        auto *ws = new QWebSocket(QStringLiteral("http://evil.example"), QWebSocketProtocol::VersionLatest, this);
        connect(ws, &QWebSocket::connected, this, [this, ws] {
            ++m_foreignAccepted;
            ws->close();
        });
        connect(ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, ws] {
            ++m_foreignRefused;
            ws->disconnect(this);
            ws->deleteLater();
        });
        connect(ws, &QWebSocket::disconnected, ws, &QObject::deleteLater);
        ws->open(url);
    }
}

// ws-security's token row: each verdict from what the lesson's server with a key answered (the
// status codes, the `from` a poll received, the log line, the Set-Cookie header), never assumed;
// where the server contradicts the claim, the row says what it did instead.
void LessonRunner::measureTokens(ClaimResult &r, QJsonObject &m) const
{
    if (!m_securityProbe || !m_securityProbe->isDone()) {
        r.holds.reset(); // the token row is part of the claim: not told until it is measured
        r.summary += tr("; tokens: measuring on a server with a key…");
        return;
    }
    const SecurityProbe::Findings &f = m_securityProbe->findings();
    if (!m_securityProbe->error().isEmpty()) {
        m.insert(QLatin1String("tokenError"), m_securityProbe->error());
        r.summary += tr("; tokens: not measured (%1)").arg(m_securityProbe->error());
        return;
    }
    const QString from = f.forgedFromArrivedAs.value_or(QString());
    const bool redacted = f.queryTokenLogLine.contains(QLatin1String("access_token=REDACTED")) && !f.rawTokenInLog;
    const auto cookieHas = [&f](QLatin1String attribute) {
        return f.setCookie.split(u';').contains(QString(attribute), Qt::CaseInsensitive)
                || f.setCookie.contains(QLatin1String("; ") + attribute, Qt::CaseInsensitive);
    };
    const bool httpOnly = cookieHas(QLatin1String("HttpOnly"));
    const bool strict = cookieHas(QLatin1String("SameSite=Strict"));
    m.insert(QLatin1String("tokenForeignOriginStatus"), f.foreignOriginStatus);
    m.insert(QLatin1String("tokenSameOriginStatus"), f.sameOriginStatus);
    m.insert(QLatin1String("forgedPublishStatus"), f.publishStatus);
    m.insert(QLatin1String("forgedFromArrivedAs"), f.forgedFromArrivedAs ? QJsonValue(from) : QJsonValue());
    m.insert(QLatin1String("queryTokenStatus"), f.queryTokenStatus);
    m.insert(QLatin1String("queryTokenLogLine"), f.queryTokenLogLine);
    m.insert(QLatin1String("rawTokenInLog"), f.rawTokenInLog);
    m.insert(QLatin1String("authCookieStatus"), f.authStatus);
    m.insert(QLatin1String("setCookie"), f.setCookie);
    const bool holds = f.foreignOriginStatus == 403 && f.sameOriginStatus == 101 && from == u"ann" && redacted
            && httpOnly && strict;
    if (r.holds)
        r.holds = *r.holds && holds;
    const QString arrived = !f.forgedFromArrivedAs ? tr("never arrived (POST /send: %1)").arg(f.publishStatus)
            : from == u"ann"                       ? tr("arrived as \"ann\"")
                                                   : tr("arrived as \"%1\": a forged sender got through").arg(from);
    const QString logged = f.rawTokenInLog ? tr("the server logged the token itself")
            : redacted                     ? tr("logged as access_token=REDACTED")
                                           : tr("no log line (HTTP %1)").arg(f.queryTokenStatus);
    QStringList attributes;
    for (const QString &a : f.setCookie.split(u';')) {
        const QString t = a.trimmed();
        if (!t.startsWith(QLatin1String("rtlab_token="), Qt::CaseInsensitive) && !t.isEmpty())
            attributes += t;
    }
    const QString cookie = f.setCookie.isEmpty()
            ? tr("POST /auth set no cookie (%1)").arg(f.authStatus)
            : tr("POST /auth cookie: %1%2")
                      .arg(attributes.join(QStringLiteral("; ")),
                           httpOnly && strict ? QString()
                                              : tr(" — not HttpOnly and SameSite=Strict: scripts or "
                                                   "other sites can reach it"));
    r.summary += tr(". With a token: foreign Origin %1, own origin %2; a publish claiming \"mallory\" %3; a token "
                    "in the URL: %4, but the URL stays in history, proxy logs, Referer; %5")
                         .arg(f.foreignOriginStatus)
                         .arg(f.sameOriginStatus)
                         .arg(arrived, logged, cookie);
}

// Qt's HTTP client, like browsers, opens at most six HTTP/1.1 connections to one host and port
// (QHttpNetworkConnection's channel count): a request beyond them waits for a free one, and an
// event stream never frees its connection.
void LessonRunner::openStreamsLikeABrowser(int count)
{
    m_browserLike = std::make_unique<QNetworkAccessManager>();
    QUrl url = m_app->serverUrl();
    url.setPath(QStringLiteral("/events"));
    for (int i = 0; i < count; ++i) {
        QNetworkRequest r(url);
        r.setRawHeader("Accept", "text/event-stream");
        r.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        QNetworkReply *reply = m_browserLike->get(r);
        ++m_streamsTried;
        connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200)
                ++m_streamsOpened;
        });
    }
}

void LessonRunner::stop()
{
    if (m_state == State::Idle)
        return;
    m_stoppedByHand = true;
    end(true);
    m_stoppedByHand = false;
}

void LessonRunner::end(bool keepResult)
{
    if (!m_lesson)
        return;
    m_endTimer.stop();
    m_actionTimer.stop();
    m_setupTimeout.stop();
    const QString id = m_lesson->id;
    if (keepResult && m_state == State::Running) {
        ClaimResult r = evaluate();
        if (m_stoppedByHand) { // say so beside what it measured
            r.summary += tr(" — stopped after %1 s of %2").arg(m_clock.elapsed() / 1000).arg(m_durationS);
            r.measured.insert(QLatin1String("stoppedEarly"), true);
        }
        m_results.insert(id, r);
    }
    if (m_waitingForMeter)
        m_idle->cancel();
    m_waitingForMeter = false;
    disconnect(m_app, &AppController::laneLatencyMeasured, this, nullptr);
    m_securityProbe.reset(); // stops its server
    if (m_browserLike) {
        for (QNetworkReply *r : m_browserLike->findChildren<QNetworkReply *>())
            r->abort();
        m_browserLike.release()->deleteLater();
    }
    if (m_scaleOut) {
        m_scaleOut->stopAll(); // every process it started, by PID, before the window goes on
        m_scaleOut.reset();
        emit scaleOutChanged();
    }
    putBack();
    m_lesson = nullptr;
    setState(State::Idle);
    emit finished(id);
}

// What the lesson changed goes back to how the window had it: no faults, the hold and the chat
// client's transport as they were, and the bundled server with its usual options (ticks on).
void LessonRunner::putBack()
{
    m_app->relay()->setSettings({});
    m_app->relay()->setDown(false);
    if (m_saved) {
        m_app->setPollHoldMs(m_saved->pollHoldMs);
        m_app->setMode(m_saved->mode);
    }
    m_saved.reset();
    const bool restarted = m_app->setServerOverrides({});
    if (m_lessonStore) {
        // The lesson's SQLite file goes once its server has let go of it.
        std::shared_ptr<QTemporaryDir> dir(m_lessonStore.release());
        if (restarted)
            connect(
                    m_app->server(), &ServerProcess::stopped, this, [dir] {}, Qt::SingleShotConnection);
    }
    // A store that did not open left the server failed: back to the user's own.
    if (!m_storeError.isEmpty() && m_app->usingBundledServer()
        && m_app->server()->state() == ServerProcess::State::Failed)
        m_app->useBundledServer();
}

std::optional<ClaimResult> LessonRunner::result(const QString &id) const
{
    if (m_state == State::Running && m_lesson && m_lesson->id == id)
        return evaluate();
    const auto it = m_results.find(id);
    if (it == m_results.end())
        return std::nullopt;
    return *it;
}

static QJsonObject laneJson(const AppController::LaneSnapshot &lane)
{
    const TransportStats &s = lane.stats;
    QJsonObject latency;
    latency.insert(QLatin1String("p50"), msOrNull(s.latency.percentile(50)));
    latency.insert(QLatin1String("p95"), msOrNull(s.latency.percentile(95)));
    latency.insert(QLatin1String("p99"), msOrNull(s.latency.percentile(99)));
    latency.insert(QLatin1String("samples"), s.latency.count());
    QJsonObject o;
    o.insert(QLatin1String("messages"), s.messages);
    o.insert(QLatin1String("replayed"), s.replayed);
    o.insert(QLatin1String("httpRequests"), s.httpRequests);
    o.insert(QLatin1String("publishes"), s.publishes);
    o.insert(QLatin1String("publishRequests"), s.publishRequests);
    const double bpm = bytesPerMessage(s);
    o.insert(QLatin1String("bytesPerMessage"), bpm < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(round1(bpm)));
    o.insert(QLatin1String("wireBytes"), s.wireBytes());
    o.insert(QLatin1String("latencyMs"), latency);
    o.insert(QLatin1String("holdTimeouts"), s.holdTimeouts);
    o.insert(QLatin1String("heartbeats"), s.heartbeats);
    o.insert(QLatin1String("reconnects"), s.reconnects);
    o.insert(QLatin1String("resets"), s.resets);
    o.insert(QLatin1String("gaps"), lane.continuity.gaps);
    return o;
}

using LaneSnapshots = std::array<std::optional<AppController::LaneSnapshot>, TransportKindCount>;

static QJsonObject lanesJsonOf(const LaneSnapshots &snapshots)
{
    QJsonObject lanes;
    for (int i = 0; i < TransportKindCount; ++i)
        if (const auto &lane = snapshots[size_t(i)])
            lanes.insert(transportKindKey(TransportKind(i)), laneJson(*lane));
    return lanes;
}

std::optional<AppController::LaneSnapshot> LessonRunner::laneSnapshot(TransportKind kind) const
{
    return m_scaleOut ? m_scaleOut->laneSnapshot(kind) : m_app->laneSnapshot(kind);
}

QJsonObject LessonRunner::lanesJson() const
{
    LaneSnapshots lanes;
    for (int i = 0; i < TransportKindCount; ++i)
        lanes[size_t(i)] = laneSnapshot(TransportKind(i));
    return lanesJsonOf(lanes);
}

ClaimResult LessonRunner::evaluate() const
{
    ClaimResult r;
    r.lesson = m_lesson->id;
    r.atMs = QDateTime::currentMSecsSinceEpoch();
    const QString id = m_lesson->id;
    const double seconds = qMax(0.001, double(m_clock.elapsed()) / 1000.0);
    LaneSnapshots lanes;
    for (int i = 0; i < TransportKindCount; ++i)
        lanes[size_t(i)] = laneSnapshot(TransportKind(i));
    auto stats = [&lanes](TransportKind k) -> const TransportStats * {
        const auto &l = lanes[size_t(k)];
        return l ? &l->stats : nullptr;
    };
    auto gaps = [&lanes](TransportKind k) -> qint64 {
        const auto &l = lanes[size_t(k)];
        return l ? l->continuity.gaps : 0;
    };
    const TransportStats *lp = stats(TransportKind::LongPoll);
    const TransportStats *sse = stats(TransportKind::Sse);
    const TransportStats *ws = stats(TransportKind::WebSocket);
    const TransportStats *poll = stats(TransportKind::Poll);
    const ImpairmentRelay::Counters relay = m_app->relay()->counters();
    r.conditions = conditionsJson();
    r.lanes = lanesJsonOf(lanes); // the same copies the claim is measured from
    QJsonObject &m = r.measured;
    m.insert(QLatin1String("seconds"), round1(seconds));
    if (id == u"scale-out") {
        if (m_scaleOut) { // it is measured while it runs; the kept result after
            const QJsonObject cluster = m_scaleOut->measured();
            for (auto it = cluster.begin(); it != cluster.end(); ++it)
                m.insert(it.key(), it.value());
            r.holds = m_scaleOut->holds();
            r.summary = m_scaleOut->summary();
        }
        return r;
    }
    if (id == u"lp-vs-polling" ? !lp || !poll : !lp || !sse || !ws) {
        r.summary = tr("the compare lanes are not running");
        return r;
    }
    RealtimeClient *chat = m_app->client();
    const auto active = chat->activeTransport();
    const bool chatOpen = chat->state() == ClientTransport::State::Open;
    const QString activeKey = active && chatOpen ? transportKindKey(*active) : QString();

    if (id == u"lp-simple") {
        m.insert(QLatin1String("httpRequests"), lp->httpRequests);
        m.insert(QLatin1String("messages"), lp->messages);
        if (lp->messages > 0)
            r.holds = lp->httpRequests > 0;
        r.summary = tr("%1 carried %2")
                            .arg(count(lp->httpRequests, "1 plain HTTP request", "%1 plain HTTP requests"),
                                 count(lp->messages, "1 message", "%1 messages"));
    } else if (id == u"lp-fallback" || id == u"ws-blocked") {
        const qint64 refusedUpgrades = relay.refusedUpgrades - m_relayAtStart.refusedUpgrades;
        const qint64 refusedStreams = relay.refusedStreams - m_relayAtStart.refusedStreams;
        const TransportKind want = id == u"lp-fallback" ? TransportKind::LongPoll : TransportKind::Sse;
        const qint64 delivered = chat->stats(want).messages;
        m.insert(QLatin1String("refusedUpgrades"), refusedUpgrades);
        m.insert(QLatin1String("refusedStreams"), refusedStreams);
        m.insert(QLatin1String("chatTransport"),
                 activeKey.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(activeKey));
        m.insert(QLatin1String("messagesAfterFallback"), delivered);
        // Fallbacks forced by a refusal, not by an outage: what this claim is about.
        qint64 blockedFallbacks = 0;
        for (const EventLogModel::Row &row : m_app->events()->rows())
            if (row.source == u"client" && row.event.type == ConnectionEvent::Type::FellBack && row.event.blocked
                && row.event.timeMs >= m_startedMs)
                ++blockedFallbacks;
        m.insert(QLatin1String("blockedFallbacks"), blockedFallbacks);
        if (refusedUpgrades > 0)
            r.holds = active && chatOpen && *active == want && delivered > 0;
        r.summary =
                tr("the relay refused %1 and %2; Auto fell back %3 because a transport was refused, and is %4 "
                   "(%5 delivered that way)")
                        .arg(count(refusedUpgrades, "1 upgrade", "%1 upgrades"),
                             count(refusedStreams, "1 stream", "%1 streams"),
                             count(blockedFallbacks, "once", "%1 times"),
                             activeKey.isEmpty() ? tr("not connected") : tr("on %1").arg(transportKindLabel(*active)),
                             count(delivered, "1 message", "%1 messages"));
    } else if (id == u"lp-resource") {
        // The requests each lane made to receive, less the one that opened it (and each reopening):
        // the claim is about requests after opening, and an SSE or WebSocket lane's single opening
        // request read as "0.2 requests/s" five seconds in, as if it kept asking.
        auto afterOpen = [](const TransportStats *s) {
            return qMax<qint64>(0, s->httpRequests - s->publishRequests - s->opens);
        };
        auto rps = [&](const TransportStats *s) { return double(afterOpen(s)) / seconds; };
        m.insert(QLatin1String("requestsAfterOpenLp"), afterOpen(lp));
        m.insert(QLatin1String("requestsAfterOpenSse"), afterOpen(sse));
        m.insert(QLatin1String("requestsAfterOpenWs"), afterOpen(ws));
        m.insert(QLatin1String("requestsPerSecLp"), round1(rps(lp)));
        m.insert(QLatin1String("requestsPerSecSse"), round1(rps(sse)));
        m.insert(QLatin1String("requestsPerSecWs"), round1(rps(ws)));
        m.insert(QLatin1String("messagesLp"), lp->messages);
        // Idle clients in steady state, per client (the meter's own server, hold 5 s).
        const std::optional<IdleCostResult> idleLp = idleResult(QStringLiteral("lp"));
        const std::optional<IdleCostResult> idleWs = idleResult(QStringLiteral("ws"));
        for (auto [key, idle] : { std::pair { "Lp", &idleLp }, std::pair { "Ws", &idleWs } })
            if (*idle)
                passFiguresOn(&m, QLatin1String("idle") + QLatin1String(key) + QLatin1Char('_'), **idle,
                              &IdleCostResult::requestsPerSecPerClient, &IdleCostResult::wakeupsPerSecPerClient,
                              &IdleCostResult::fdsPerClient, &IdleCostResult::rssBytesPerClient,
                              &IdleCostResult::bytesPerSecPerClient);
        const bool idleDone = idleLp && idleWs;
        const double idleLpRps = idleDone ? idleLp->requestsPerSecPerClient.value_or(0) : 0;
        const double idleWsRps = idleDone ? idleWs->requestsPerSecPerClient.value_or(0) : 0;
        if (seconds >= 2 && lp->messages > 0 && (idleDone || !m_idleError.isEmpty()))
            r.holds = rps(lp) > rps(sse) && rps(lp) > rps(ws) && (!idleDone || idleLpRps > idleWsRps);
        r.summary = tr("requests/s to receive, after opening: Long Polling %1, SSE %2, WebSocket %3")
                            .arg(rps(lp), 0, 'f', 1)
                            .arg(rps(sse), 0, 'f', 1)
                            .arg(rps(ws), 0, 'f', 1);
        if (idleDone)
            r.summary += tr("; idle, per client: Long Polling %1 requests/s and %2 wake-ups/s, WebSocket %3 and %4")
                                 .arg(idleLpRps, 0, 'f', 2)
                                 .arg(idleLp->wakeupsPerSecPerClient.value_or(0), 0, 'f', 3)
                                 .arg(idleWsRps, 0, 'f', 2)
                                 .arg(idleWs->wakeupsPerSecPerClient.value_or(0), 0, 'f', 3);
        else if (!m_idleError.isEmpty())
            r.summary += QStringLiteral("; ") + m_idleError;
        else
            r.summary += tr("; measuring idle clients in steady state…");
    } else if (id == u"lp-hold-timeouts") {
        m.insert(QLatin1String("holdTimeouts"), lp->holdTimeouts);
        m.insert(QLatin1String("httpRequests"), lp->httpRequests - lp->publishRequests);
        m.insert(QLatin1String("messages"), lp->messages);
        m.insert(QLatin1String("pollHoldMs"), m_app->pollHoldMs());
        if (lp->holdTimeouts > 0 || seconds * 1000 > double(m_app->pollHoldMs()) * 2)
            r.holds = lp->holdTimeouts > 0 && lp->httpRequests - lp->publishRequests > lp->messages;
        r.summary = tr("%1 (hold %2 s); %3 for %4")
                            .arg(count(lp->holdTimeouts, "1 hold timeout", "%1 hold timeouts"))
                            .arg(double(m_app->pollHoldMs()) / 1000.0)
                            .arg(count(lp->httpRequests - lp->publishRequests, "1 request", "%1 requests"),
                                 count(lp->messages, "1 message", "%1 messages"));
    } else if (id == u"lp-vs-polling") {
        // Requests made to receive (a lane that published would have POSTs too: not these).
        const auto asked = [](const TransportStats *s) { return s->httpRequests - s->publishRequests; };
        const auto perMessage = [&](const TransportStats *s) {
            return s->messages > 0 ? double(asked(s)) / double(s->messages) : -1.0;
        };
        const auto rpmJson = [](double v) {
            return v < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(std::round(v * 100.0) / 100.0);
        };
        const auto rpmText = [](double v) { return v < 0 ? QStringLiteral("–") : QString::number(v, 'f', 2); };
        const qint64 lp50 = lp->latency.percentile(50), poll50 = poll->latency.percentile(50);
        const double lpRpm = perMessage(lp), pollRpm = perMessage(poll);
        m.insert(QLatin1String("pollIntervalMs"), m_app->pollIntervalMs());
        m.insert(QLatin1String("published"), qint64(qMin(m_actions, PollLessonMessages)));
        m.insert(QLatin1String("messagesLp"), lp->messages);
        m.insert(QLatin1String("messagesPoll"), poll->messages);
        m.insert(QLatin1String("p50MsLp"), msOrNull(lp50));
        m.insert(QLatin1String("p95MsLp"), msOrNull(lp->latency.percentile(95)));
        m.insert(QLatin1String("p50MsPoll"), msOrNull(poll50));
        m.insert(QLatin1String("p95MsPoll"), msOrNull(poll->latency.percentile(95)));
        m.insert(QLatin1String("httpRequestsLp"), asked(lp));
        m.insert(QLatin1String("httpRequestsPoll"), asked(poll));
        m.insert(QLatin1String("requestsPerMessageLp"), rpmJson(lpRpm));
        m.insert(QLatin1String("requestsPerMessagePoll"), rpmJson(pollRpm));
        m.insert(QLatin1String("idlePolls"), poll->idlePolls);
        if (lp->latency.count() >= 3 && poll->latency.count() >= 3)
            r.holds = lp50 < poll50 && lpRpm < pollRpm;
        r.summary =
                tr("p50 %1 ms Long Polling vs %2 ms Short Polling (p95 %3 vs %4), polling every %5 ms; HTTP "
                   "requests per message %6 vs %7 (%8)")
                        .arg(ms(lp50), ms(poll50), ms(lp->latency.percentile(95)), ms(poll->latency.percentile(95)))
                        .arg(m_app->pollIntervalMs())
                        .arg(rpmText(lpRpm), rpmText(pollRpm),
                             count(poll->idlePolls, "1 short poll came back empty", "%1 short polls came back empty"));
    } else if (id == u"lp-latency") {
        const qint64 lp50 = lp->latency.percentile(50), ws50 = ws->latency.percentile(50);
        m.insert(QLatin1String("addedLatencyMsEachWay"), m_app->relay()->settings().latencyMs);
        m.insert(QLatin1String("p50MsLp"), msOrNull(lp50));
        m.insert(QLatin1String("p99MsLp"), msOrNull(lp->latency.percentile(99)));
        m.insert(QLatin1String("p50MsWs"), msOrNull(ws50));
        m.insert(QLatin1String("p99MsWs"), msOrNull(ws->latency.percentile(99)));
        if (lp->latency.count() >= 5 && ws->latency.count() >= 5)
            r.holds = lp50 > ws50;
        r.summary = tr("p50 %1 ms Long Polling vs %2 ms WebSocket (p99 %3 vs %4) with %5 ms added each way")
                            .arg(ms(lp50), ms(ws50), ms(lp->latency.percentile(99)), ms(ws->latency.percentile(99)))
                            .arg(m_app->relay()->settings().latencyMs);
    } else if (id == u"ws-low-overhead") {
        const double w = bytesPerMessage(*ws), s = bytesPerMessage(*sse), l = bytesPerMessage(*lp);
        m.insert(QLatin1String("bytesPerMessageWs"), round1(w));
        m.insert(QLatin1String("bytesPerMessageSse"), round1(s));
        m.insert(QLatin1String("bytesPerMessageLp"), round1(l));
        if (ws->messages >= 3 && sse->messages >= 3 && lp->messages >= 3)
            r.holds = w < s && s < l;
        r.summary = tr("bytes per message: WebSocket %1 · SSE %2 · Long Polling %3")
                            .arg(w, 0, 'f', 1)
                            .arg(s, 0, 'f', 1)
                            .arg(l, 0, 'f', 1);
    } else if (id == u"ws-bidirectional" || id == u"sse-one-way") {
        const bool all = id == u"ws-bidirectional";
        for (auto [k, s] : { std::pair { TransportKind::LongPoll, lp }, std::pair { TransportKind::Sse, sse },
                             std::pair { TransportKind::WebSocket, ws } }) {
            if (!all && k != TransportKind::Sse)
                continue;
            const QString key = transportKindKey(k);
            m.insert(QLatin1String("publishes_") + key, s->publishes);
            m.insert(QLatin1String("postRequests_") + key, s->publishRequests);
        }
        if (all) {
            if (ws->publishes > 0 && sse->publishes > 0 && lp->publishes > 0)
                r.holds = ws->publishRequests == 0 && sse->publishRequests == sse->publishes
                        && lp->publishRequests == lp->publishes;
            const auto publishes = [](qint64 n) { return count(n, "1 publish", "%1 publishes"); };
            const auto posts = [](qint64 n) { return count(n, "1 POST", "%1 POSTs"); };
            r.summary = tr("WebSocket: %1, %2 · SSE: %3, %4 · Long Polling: %5, %6")
                                .arg(publishes(ws->publishes),
                                     count(ws->publishRequests, "1 extra HTTP request", "%1 extra HTTP requests"),
                                     publishes(sse->publishes), posts(sse->publishRequests), publishes(lp->publishes),
                                     posts(lp->publishRequests));
        } else {
            if (sse->publishes > 0)
                r.holds = sse->publishRequests == sse->publishes;
            r.summary = tr("the SSE client published %1 with %2")
                                .arg(count(sse->publishes, "once", "%1 times"),
                                     count(sse->publishRequests, "1 POST /send request", "%1 POST /send requests"));
        }
    } else if (id == u"ws-many-connections") {
        const std::optional<IdleCostResult> idle = idleResult(QStringLiteral("ws"));
        if (idle)
            passFiguresOn(&m, QString(), *idle, &IdleCostResult::clients, &IdleCostResult::fdsPerClient,
                          &IdleCostResult::rssBytesPerClient, &IdleCostResult::wakeupsPerSecPerClient,
                          &IdleCostResult::bytesPerSecPerClient, &IdleCostResult::windowSeconds,
                          &IdleCostResult::heartbeatMs);
        if (!m_idleError.isEmpty()) {
            r.summary = m_idleError;
        } else if (!idle) {
            r.summary = tr("measuring %1 idle WebSocket clients in steady state…").arg(IdleClients);
        } else {
            const double fds = idle->fdsPerClient.value_or(-1);
            const double rss = idle->rssBytesPerClient.value_or(-1);
            if (fds >= 0)
                r.holds = fds >= 0.9;
            r.summary = tr("%1 idle WebSocket clients: %2 open sockets and %3 KiB of server memory per client, "
                           "%4 wake-ups/s per client (%5)")
                                .arg(idle->clients)
                                .arg(fds < 0 ? QStringLiteral("–") : QString::number(fds, 'f', 2))
                                .arg(rss < 0 ? QStringLiteral("–") : QString::number(rss / 1024.0, 'f', 1))
                                .arg(idle->wakeupsPerSecPerClient.value_or(0), 0, 'f', 3)
                                .arg(idle->conditions);
        }
    } else if (id == u"ws-security") {
        qint64 serverRefused = -1;
        if (m_rejectedOriginAtStart >= 0 && m_stats->latest())
            serverRefused = m_stats->latest()->rejectedOrigin - m_rejectedOriginAtStart;
        m.insert(QLatin1String("tried"), m_foreignTried);
        m.insert(QLatin1String("refused"), m_foreignRefused);
        m.insert(QLatin1String("accepted"), m_foreignAccepted);
        if (serverRefused >= 0)
            m.insert(QLatin1String("refusedByServerStats"), serverRefused);
        if (m_foreignRefused + m_foreignAccepted >= m_foreignTried && m_foreignTried > 0)
            r.holds = m_foreignAccepted == 0;
        r.summary = tr("%1 from http://evil.example: %2 refused, %3 accepted")
                            .arg(count(m_foreignTried, "1 handshake", "%1 handshakes"))
                            .arg(m_foreignRefused)
                            .arg(m_foreignAccepted);
        measureTokens(r, m);
    } else if (id == u"sse-efficient") {
        const qint64 idleBytes = sse->framingBytes + sse->payloadBytes;
        m.insert(QLatin1String("bytesPerSecond"), round1(double(idleBytes) / seconds));
        m.insert(QLatin1String("payloadBytes"), sse->payloadBytes);
        m.insert(QLatin1String("heartbeats"), sse->heartbeats);
        m.insert(QLatin1String("messages"), sse->messages);
        if (sse->heartbeats > 0)
            r.holds = sse->payloadBytes == 0 && double(idleBytes) / seconds < 20.0;
        r.summary = tr("idle SSE stream: %1 B/s after it opened, %2, %3")
                            .arg(double(idleBytes) / seconds, 0, 'f', 1)
                            .arg(count(sse->heartbeats, "1 heartbeat", "%1 heartbeats"),
                                 count(sse->payloadBytes, "1 payload byte", "%1 payload bytes"));
    } else if (id == u"sse-plain-http") {
        m.insert(QLatin1String("messages"), sse->messages);
        m.insert(QLatin1String("gaps"), gaps(TransportKind::Sse));
        m.insert(QLatin1String("relayBytesDown"), relay.bytesDown - m_relayAtStart.bytesDown);
        m.insert(QLatin1String("p50MsPlainRelay"), msOrNull(m_phaseA.percentile(50)));
        m.insert(QLatin1String("p50MsBufferingRelay"), msOrNull(m_phaseB.percentile(50)));
        if (sse->messages > 0)
            r.holds = gaps(TransportKind::Sse) == 0;
        r.summary = tr("%1 through the relay, %2; p50 %3 ms plain, %4 ms buffering")
                            .arg(count(sse->messages, "1 SSE message", "%1 SSE messages"),
                                 count(gaps(TransportKind::Sse), "1 gap", "%1 gaps"), ms(m_phaseA.percentile(50)),
                                 ms(m_phaseB.percentile(50)));
    } else if (id == u"sse-server-loop") {
        const qint64 asked = sse->httpRequests - sse->publishRequests;
        m.insert(QLatin1String("messages"), sse->messages);
        m.insert(QLatin1String("streamRequests"), asked);
        m.insert(QLatin1String("reconnects"), sse->reconnects);
        if (sse->messages > 0)
            r.holds = asked == 1 + sse->reconnects;
        r.summary = tr("%1 pushed to the SSE lane, which sent %2")
                            .arg(count(sse->messages, "1 message", "%1 messages"),
                                 count(asked, "1 request", "%1 requests"));
    } else if (id == u"sse-connection-limit") {
        m.insert(QLatin1String("streamsTried"), m_streamsTried);
        m.insert(QLatin1String("streamsOpened"), m_streamsOpened);
        if (m_streamsOpened >= 6 || seconds >= 3)
            r.holds = m_streamsTried == 7 && m_streamsOpened == 6;
        r.summary = tr("%1 asked for with Qt's HTTP client: %2 open, %3 waiting")
                            .arg(count(m_streamsTried, "1 stream", "%1 streams"))
                            .arg(m_streamsOpened)
                            .arg(m_streamsTried - m_streamsOpened);
    } else if (id == u"sse-reconnect") {
        m.insert(QLatin1String("reconnects"), sse->reconnects);
        m.insert(QLatin1String("gaps"), gaps(TransportKind::Sse));
        m.insert(QLatin1String("resets"), sse->resets);
        m.insert(QLatin1String("replayed"), sse->replayed);
        m.insert(QLatin1String("cuts"), relay.dropped - m_relayAtStart.dropped);
        if (sse->reconnects > 0)
            r.holds = gaps(TransportKind::Sse) == 0 && sse->resets == 0;
        r.summary = tr("SSE: %1 with Last-Event-ID, %2 replayed, %3, %4")
                            .arg(count(sse->reconnects, "1 reconnect", "%1 reconnects"),
                                 count(sse->replayed, "1 message", "%1 messages"),
                                 count(gaps(TransportKind::Sse), "1 gap", "%1 gaps"),
                                 count(sse->resets, "1 reset", "%1 resets"));
    } else if (id == u"ws-complex") {
        measureWsComplex(r, *lp, *sse);
    } else if (id == u"durable-restart") {
        measureDurableRestart(r);
    } else if (id == u"proxy-idle-kill" || id == u"server-restart") {
        const bool kill = id == u"proxy-idle-kill";
        qint64 worst = std::numeric_limits<qint64>::max(), totalGaps = 0;
        for (auto [k, s] : { std::pair { TransportKind::LongPoll, lp }, std::pair { TransportKind::Sse, sse },
                             std::pair { TransportKind::WebSocket, ws } }) {
            const qint64 v = kill ? s->reconnects : s->resets;
            m.insert((kill ? QLatin1String("reconnects_") : QLatin1String("resets_")) + transportKindKey(k), v);
            worst = qMin(worst, v);
            totalGaps += gaps(k);
        }
        m.insert(QLatin1String("gaps"), totalGaps);
        if (kill)
            m.insert(QLatin1String("idleKills"), relay.idleKills - m_relayAtStart.idleKills);
        if (worst > 0)
            r.holds = totalGaps == 0;
        r.summary = kill
                ? tr("%1; every lane reconnected at least %2; %3")
                          .arg(count(relay.idleKills - m_relayAtStart.idleKills, "1 idle kill", "%1 idle kills"),
                               count(worst, "once", "%1 times"), count(totalGaps, "1 gap", "%1 gaps"))
                : tr("every lane got at least %1; %2")
                          .arg(count(worst, "1 reset", "%1 resets"), count(totalGaps, "1 gap", "%1 gaps"));
    }
    return r;
}

static QJsonObject claimJson(const LessonInfo &l, const ClaimResult &r)
{
    QJsonObject o;
    o.insert(QLatin1String("lesson"), l.id);
    o.insert(QLatin1String("transport"), l.transport);
    o.insert(QLatin1String("claim"), l.claim);
    o.insert(QLatin1String("expected"), l.expected);
    o.insert(QLatin1String("holds"), r.holds ? QJsonValue(*r.holds) : QJsonValue(QJsonValue::Null));
    o.insert(QLatin1String("measured"), r.measured);
    o.insert(QLatin1String("summary"), r.summary);
    o.insert(QLatin1String("measuredAt"), QDateTime::fromMSecsSinceEpoch(r.atMs, Qt::UTC).toString(Qt::ISODateWithMs));
    return o;
}

QJsonObject LessonRunner::conditionsJson() const
{
    const ImpairmentRelay::Settings f = m_app->relay()->settings();
    QJsonObject relay;
    relay.insert(QLatin1String("latencyMs"), f.latencyMs);
    relay.insert(QLatin1String("jitterMs"), f.jitterMs);
    relay.insert(QLatin1String("bandwidthBytesPerSec"), f.bandwidthBytesPerSec);
    relay.insert(QLatin1String("idleKillMs"), f.idleKillMs);
    relay.insert(QLatin1String("bufferResponseBytes"), f.bufferResponseBytes);
    relay.insert(QLatin1String("refuseUpgrades"), f.refuseUpgrades);
    relay.insert(QLatin1String("refuseEventStreams"), f.refuseEventStreams);
    QJsonObject o;
    o.insert(QLatin1String("serverArguments"), QJsonArray::fromStringList(m_app->server()->runningArguments()));
    o.insert(QLatin1String("bundledServer"), m_app->usingBundledServer());
    o.insert(QLatin1String("pollHoldMs"), m_app->pollHoldMs());
    o.insert(QLatin1String("relay"), relay);
    o.insert(QLatin1String("chatMode"), RealtimeClient::modeKey(m_app->mode()));
    return o;
}

QJsonObject LessonRunner::exportJson(const QString &id) const
{
    QJsonArray claims;
    for (const LessonInfo &l : LessonCatalog::all()) {
        if (!id.isEmpty() && l.id != id)
            continue;
        if (const std::optional<ClaimResult> r = result(l.id))
            claims.append(claimJson(l, *r));
    }
    QJsonObject o;
    o.insert(QLatin1String("format"), 1);
    o.insert(QLatin1String("exportedAt"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    // One lesson: its lanes and conditions as they were when it was measured. Everything: now.
    const std::optional<ClaimResult> one = id.isEmpty() ? std::nullopt : result(id);
    if (!id.isEmpty()) {
        o.insert(QLatin1String("lesson"), id);
        if (const LessonInfo *l = LessonCatalog::find(id))
            o.insert(QLatin1String("title"), l->title);
    }
    o.insert(QLatin1String("claims"), claims);
    o.insert(QLatin1String("lanes"), one ? one->lanes : lanesJson());
    o.insert(QLatin1String("conditions"), one ? one->conditions : conditionsJson());
    return o;
}

} // namespace rtlab
