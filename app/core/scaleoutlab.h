// SPDX-License-Identifier: MIT
#pragma once

#include "appcontroller.h"
#include "redisprocess.h"
#include "serverprocess.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <array>
#include <memory>
#include <optional>

namespace rtlab {

// The scale-out lesson's cluster: a redis-server of its own, two rtlab-servers (nodes A and B) on
// one log in it, three lanes (one per real-time transport) each given both nodes in its own order,
// and a publisher that posts steadily to whichever nodes are up. It kills a node or Redis (kill -9
// by PID) and starts them again — by itself, step by step (scripted), or when the user asks — and
// counts per lane what arrived against what the nodes acknowledged: lost, duplicated, resets, and
// how long each move to the other node took. Every process it started stops with it.
class ScaleOutLab : public QObject
{
    Q_OBJECT
public:
    static constexpr int NodeCount = 2;
    static constexpr int LaneCount = 3;

    enum class Step {
        StartingRedis,
        StartingNodes,
        OpeningLanes,
        Steady,          // publishing, before the node's death
        NodeKilled,      // node A is dead: its lanes move to B
        NodeRestarting,  // node A starts again (its lease may still be live for a moment)
        SteadyAgain,     // both nodes, before Redis's death
        RedisKilled,     // publishes are answered 503, subscribers wait
        RedisRestarting, // Redis reads its AOF; every node's tail catches up
        Manual,          // the user took over: the lesson runs until its time is up
        Draining,        // no more publishes: what was acknowledged arrives
        Done,
        Failed, // Redis or a node could not start: error() says why
    };
    Q_ENUM(Step)

    // `serverProgram`: rtlab-server (the bundled one's).
    explicit ScaleOutLab(QString serverProgram, QObject *parent = nullptr);
    ~ScaleOutLab() override;

    void start();
    // Stops publishing and waits (bounded) for what was acknowledged; then Done.
    void finish();
    // Stops the lanes and every process started, by PID, and waits for them (bounded).
    void stopAll();

    // What the user (or the script) does. A user's action ends the script: from then on the
    // lesson does only what the user asks.
    void killNode(int node, bool byUser = true);
    void restartNode(int node, bool byUser = true);
    void killRedis(bool byUser = true);
    void restartRedis(bool byUser = true);

    Step step() const { return m_step; }
    bool isDone() const { return m_step == Step::Done || m_step == Step::Failed; }
    QString error() const { return m_error; }
    bool redisMissing() const { return m_redisMissing; }
    static QString nodeName(int node) { return node == 0 ? QStringLiteral("A") : QStringLiteral("B"); }
    const ServerProcess *node(int node) const { return m_nodes[size_t(node)].get(); }
    const RedisProcess *redis() const { return &m_redis; }

    // For the window: the processes (state, port, PID), and a line per lane (its node, its moves,
    // what it received, lost, duplicated, resets).
    QString processesLine() const;
    QStringList laneLines() const;
    // The lanes as the lesson export writes them (keyed by transport).
    std::optional<AppController::LaneSnapshot> laneSnapshot(TransportKind kind) const;

    // The claim's figures (docs/lessons.md), whether they hold (unset until both deaths were
    // watched and the acknowledged publishes were given time to arrive), one line for people.
    QJsonObject measured() const;
    std::optional<bool> holds() const;
    QString summary() const;

signals:
    void changed();

private:
    struct Lane
    {
        TransportKind kind = TransportKind::LongPoll;
        RealtimeClient *client = nullptr;
        QList<int> order;       // its nodes, first the one it starts on
        QSet<quint64> received; // ids of the lesson's messages it was given
        qint64 duplicated = 0;  // ids given twice
        qint64 lastMessageMs = 0;
        // A death of the node it is on: when, and which node; cleared when it moved on.
        qint64 pendingSinceMs = 0;
        int pendingFrom = -1;
        std::optional<qint64> failoverMs;    // the last move: the kill → the first message via the other node
        QStringList moves;                   // "A → B in 0.42 s"
        std::optional<qint64> redisResumeMs; // Redis up again → its first message
        bool waitsForRedis = false;
    };

    void tick();
    void publishOne();
    void openLanes();
    void onNodeError(int node, const QString &why);
    void onLaneMessage(int lane, const Message &m);
    int laneNode(const Lane &lane) const; // index of the node it uses now, -1 if unknown
    void goTo(Step step);
    void takeOver(bool byUser);
    void note(const QString &event);
    void fail(const QString &why);
    bool everyLaneMoved() const;
    bool everyLaneResumedAfterRedis() const;
    bool everyLaneHasEverything() const;
    qint64 lost(const Lane &lane) const;
    qint64 nowMs() const { return m_clock.elapsed(); }

    QString m_serverProgram;
    RedisProcess m_redis;
    std::array<std::unique_ptr<ServerProcess>, NodeCount> m_nodes;
    // A start asked for and not yet up: tried again when refused (a killed node's lease is live
    // in Redis for a while). A node that dies by itself once up is not restarted: it is a fault.
    std::array<bool, NodeCount> m_startPending {};
    std::array<int, NodeCount> m_nodeRetries {};
    // Whether the node has acknowledged a publish since Redis's last death: until then its 503s
    // are the outage as that node sees it (it reconnects to Redis after Redis is up again).
    std::array<bool, NodeCount> m_nodeBackAfterRedis { true, true };
    std::array<Lane, LaneCount> m_lanes;
    QNetworkAccessManager m_net;
    QTimer m_tickTimer;
    QTimer m_publishTimer;
    QElapsedTimer m_clock;
    Step m_step = Step::StartingRedis;
    qint64 m_stepAtMs = 0;
    QString m_error;
    bool m_redisMissing = false;
    bool m_scripted = true;
    int m_nextNode = 0;
    // The publisher's figures.
    qint64 m_published = 0;
    qint64 m_inFlight = 0;
    QSet<quint64> m_acked;      // ids the nodes answered 202 with
    qint64 m_answered503 = 0;   // while Redis was down (sent or answered then)
    qint64 m_answered503Up = 0; // with Redis up: none expected
    qint64 m_notAnswered = 0;   // no answer: its node died under it (not acknowledged, not lost)
    qint64 m_otherStatus = 0;   // any other status: a fault the summary names
    qint64 m_noNodeUp = 0;      // ticks with no node to publish to
    qint64 m_nodeKills = 0;     // what was done, by the script or the user
    qint64 m_nodeCrashes = 0;   // a node that died by itself
    qint64 m_redisKills = 0;
    qint64 m_redisDownSinceMs = -1; // while Redis is dead or starting
    qint64 m_redisUpAtMs = -1;      // its last start after a kill
    qint64 m_redisOutageMs = 0;     // the last outage: kill → ready
    QStringList m_events;           // what happened to the processes, with the lesson's time (bounded)
};

} // namespace rtlab
