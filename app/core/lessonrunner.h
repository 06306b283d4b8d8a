// SPDX-License-Identifier: MIT
#pragma once

#include "appcontroller.h"
#include "impairmentrelay.h"
#include "latencystats.h"
#include "lessoncatalog.h"
#include "realtimeclient.h"
#include "wirecontract.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QTemporaryDir;

#include <array>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace rtlab {

class AppController;
class IdleCostMeter;
class ScaleOutLab;
class SecurityProbe;
class StatsPoller;

// What a lesson measured for its claim: the figures as JSON numbers (units in the keys), whether
// they point the way the claim says (unset while the lesson's conditions are not in force or
// there is too little to tell), and one line for people.
struct ClaimResult
{
    QString lesson;
    QJsonObject measured;
    std::optional<bool> holds;
    QString summary;
    qint64 atMs = 0;        // when it was measured (ms since the Unix epoch)
    QJsonObject conditions; // what was in force: server options, relay faults, poll hold
    QJsonObject lanes;      // the lanes' figures at that moment (LessonRunner::lanesJson)
};

// Runs one lesson at a time: sets up every condition its claim needs from whatever state the
// window is in (server options such as ticks or heartbeat, relay faults, the long polls' hold,
// the chat client's transport, fresh compare lanes), drives what the lesson does (publishing,
// cutting connections, foreign handshakes, idle clients), measures, and puts everything back when
// it ends. The same code serves the Lab's buttons and `rtlab --lesson ID --export FILE`.
class LessonRunner : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, SettingUp, Running };
    Q_ENUM(State)

    LessonRunner(AppController *app, StatsPoller *serverStats, IdleCostMeter *idleMeter, QObject *parent = nullptr);
    ~LessonRunner() override;

    // Starts a lesson (ending the one running). durationS 0: the lesson's own duration.
    // Returns false, with errorString(), for an unknown or unavailable lesson.
    bool start(const QString &id, int durationS = 0);
    // Ends the running lesson now: its result is kept, everything it changed is put back.
    void stop();
    // How long a lesson runs with its own duration: longer than the catalog's when it also
    // weighs idle clients with the meter, which needs its set-up, warm-up and window.
    static int plannedSeconds(const LessonInfo &lesson);

    State state() const { return m_state; }
    QString currentLesson() const { return m_lesson ? m_lesson->id : QString(); }
    QString errorString() const { return m_error; }
    qint64 elapsedMs() const;
    qint64 durationMs() const { return qint64(m_durationS) * 1000; }

    // The claim's figures now, for the running lesson; the kept result for one that ran; none
    // for one that has not run in this session.
    std::optional<ClaimResult> result(const QString &id) const;

    // The export of a run (docs/lessons.md): {"format":1,"lesson",...,"claims":[...],"lanes":{...}}.
    // With an empty id: every claim measured in this session.
    QJsonObject exportJson(const QString &id = {}) const;
    // The lanes' figures now, as the export writes them (lanes that are not running are absent).
    QJsonObject lanesJson() const;
    // What is in force now: the bundled server's options, the relay's faults, the poll hold.
    QJsonObject conditionsJson() const;
    // scale-out's cluster (Redis, two nodes, its lanes) while that lesson runs; null otherwise.
    ScaleOutLab *scaleOut() const { return m_scaleOut.get(); }

signals:
    void stateChanged(rtlab::LessonRunner::State state);
    // The lesson's time is up (it then puts everything back), or it was stopped.
    void finished(const QString &id);
    void failed(const QString &why);
    // scale-out's cluster came or went (scaleOut()).
    void scaleOutChanged();

private:
    struct Saved
    {
        RealtimeClient::Mode mode;
        qint64 pollHoldMs;
    };
    // What a lesson needs, applied once its server is up.
    struct Plan
    {
        ImpairmentRelay::Settings relay;
        qint64 pollHoldMs = 25000;
        std::optional<RealtimeClient::Mode> mode;
        // The compare lanes the claim is measured on: the three real-time transports, unless
        // the lesson compares with short polling.
        QList<TransportKind> lanes { TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket };
    };
    void setUp();
    void begin();
    void act();
    void end(bool keepResult);
    std::optional<IdleCostResult> idleResult(const QString &transport) const; // nullopt: not measured (yet)
    void putBack();
    ClaimResult evaluate() const;
    void openForeignHandshakes(int count);
    void actWsComplex();
    void measureWsComplex(ClaimResult &r, const TransportStats &lp, const TransportStats &sse) const;
    void openStreamsLikeABrowser(int count);
    // ws-security's token row, from what the SecurityProbe observed.
    void measureTokens(ClaimResult &r, QJsonObject &m) const;
    void setState(State state);
    // durable-restart: a crash on the memory store, then one on a SQLite file of the lesson's own.
    void actDurableRestart();
    void crashServer();
    bool lanesResumed() const;
    void keepRestartFigures();
    void measureDurableRestart(ClaimResult &r) const;
    // A lane's figures now: scale-out's own lanes (on its nodes) while it runs, else the window's.
    std::optional<AppController::LaneSnapshot> laneSnapshot(TransportKind kind) const;

    AppController *m_app;
    StatsPoller *m_stats;
    IdleCostMeter *m_idle;
    const LessonInfo *m_lesson = nullptr;
    State m_state = State::Idle;
    QString m_error;
    int m_durationS = 0;
    std::optional<Saved> m_saved;
    Plan m_plan;
    QElapsedTimer m_clock;
    QTimer m_endTimer;
    QTimer m_actionTimer;
    QTimer m_setupTimeout;
    int m_actions = 0;
    qint64 m_startedMs = 0;
    ImpairmentRelay::Counters m_relayAtStart;
    qint64 m_rejectedOriginAtStart = -1;
    // ws-complex: what the lanes recorded from this time (µs) on counts; the lanes have closed.
    qint64 m_xrayFromUs = 0;
    bool m_wsComplexClosed = false;
    // What the lesson did and saw on the way, for its claim.
    std::array<qint64, TransportKindCount> m_publishes {};
    qint64 m_foreignTried = 0;
    qint64 m_foreignRefused = 0;
    qint64 m_foreignAccepted = 0;
    std::unique_ptr<QNetworkAccessManager> m_browserLike;
    std::unique_ptr<SecurityProbe> m_securityProbe; // ws-security: the server with a key, and what it said
    qint64 m_streamsTried = 0;
    qint64 m_streamsOpened = 0;
    LatencyStats m_phaseA; // sse-plain-http: the SSE lane before buffering
    LatencyStats m_phaseB; // and with it
    bool m_buffering = false;
    QMap<QString, IdleCostResult> m_idleResults; // transport → the idle-cost meter's summary
    QString m_idleError;
    bool m_waitingForMeter = false;
    bool m_stoppedByHand = false;
    QMap<QString, ClaimResult> m_results; // the last result of each lesson run in this session

    enum class DurablePhase { Memory, MemoryCrashed, Switching, Sqlite, SqliteCrashed, Done };
    // What a lane showed across one crash: the figures since the moment before it.
    struct LaneRestart
    {
        bool measured = false;
        qint64 resets = 0;
        qint64 lostUnknown = 0; // resets that said "lost: -1": the server could not know
        qint64 gaps = 0;
        qint64 reconnects = 0;
        qint64 delivered = 0; // messages after the crash (replayed or new)
        QString epochBefore, epochAfter;
        std::optional<quint64> lastIdBefore;
    };
    struct LaneBefore
    {
        qint64 resets = 0, lostUnknown = 0, gaps = 0, reconnects = 0, delivered = 0;
        QString epoch;
        std::optional<quint64> lastId;
    };
    DurablePhase m_durablePhase = DurablePhase::Memory;
    qint64 m_phaseAtMs = 0;
    QStringList m_durableServer; // the lesson's server options apart from the store
    std::array<LaneBefore, TransportKindCount> m_beforeCrash {};
    std::array<LaneRestart, TransportKindCount> m_memoryRestart {};
    std::array<LaneRestart, TransportKindCount> m_sqliteRestart {};
    std::unique_ptr<QTemporaryDir> m_lessonStore; // the SQLite file's directory, not the user's history
    QString m_storeError;                         // the server's words when the SQLite store did not open
    QString m_storeReported;                      // /stats "store" on the SQLite server
    std::unique_ptr<ScaleOutLab> m_scaleOut;      // scale-out: its Redis, nodes and lanes
};

} // namespace rtlab
