// SPDX-License-Identifier: MIT
#include "scaleoutlab.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace rtlab {

// The publisher: a message every 50 ms (20/s) to the nodes in turn, at most this many in a run.
static constexpr int PublishEveryMs = 50;
static constexpr qint64 MaxPublishes = 4000;
static constexpr int PublishTimeoutMs = 3000;
// The script's steps: how long each runs, and how long it waits at most for what it waits for
// before going on with what it has (the figures then say what did not happen).
static constexpr qint64 SteadyMs = 3000;
static constexpr qint64 RedisDownMs = 3000;
static constexpr qint64 AfterRedisMs = 2000;
static constexpr qint64 StepBoundMs = 15000;
static constexpr qint64 NodeRestartBoundMs = 30000;
static constexpr qint64 DrainBoundMs = 5000;
// A killed node's name stays live in Redis until its lease expires: its restart is refused until
// then, so it is tried again every second for a while.
static constexpr int NodeRetryMs = 1000;
static constexpr int NodeRetries = 30;
static const QString Sender = QStringLiteral("scale-out");

namespace {

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'f', 2);
}

// A failover on loopback takes milliseconds: "0.00 s" would read as none at all.
QString duration(qint64 ms)
{
    return ms < 1000 ? QStringLiteral("%1 ms").arg(ms) : seconds(ms) + QStringLiteral(" s");
}

} // namespace

ScaleOutLab::ScaleOutLab(QString serverProgram, QObject *parent)
    : QObject(parent), m_serverProgram(std::move(serverProgram))
{
    const std::array<std::pair<TransportKind, QList<int>>, LaneCount> lanes { {
            { TransportKind::LongPoll, { 0, 1 } },
            { TransportKind::Sse, { 1, 0 } },
            { TransportKind::WebSocket, { 0, 1 } },
    } };
    for (int i = 0; i < LaneCount; ++i) {
        m_lanes[size_t(i)].kind = lanes[size_t(i)].first;
        m_lanes[size_t(i)].order = lanes[size_t(i)].second;
    }
    for (int n = 0; n < NodeCount; ++n) {
        auto node = std::make_unique<ServerProcess>();
        node->setProgram(m_serverProgram);
        connect(node.get(), &ServerProcess::errorOccurred, this,
                [this, n](const QString &why) { onNodeError(n, why); });
        connect(node.get(), &ServerProcess::stateChanged, this, &ScaleOutLab::changed);
        connect(node.get(), &ServerProcess::started, this,
                [this, n](const QUrl &url) { note(tr("node %1 up on :%2").arg(nodeName(n)).arg(url.port())); });
        m_nodes[size_t(n)] = std::move(node);
    }
    connect(&m_redis, &RedisProcess::stateChanged, this, &ScaleOutLab::changed);
    connect(&m_redis, &RedisProcess::started, this, [this] {
        note(tr("Redis up on :%1").arg(m_redis.port()));
        if (m_redisDownSinceMs >= 0) {
            m_redisOutageMs = nowMs() - m_redisDownSinceMs;
            m_redisUpAtMs = nowMs();
            m_redisDownSinceMs = -1;
        }
    });
    connect(&m_redis, &RedisProcess::errorOccurred, this, [this](const QString &why) {
        if (m_step == Step::StartingRedis)
            fail(why);
    });
    m_tickTimer.setInterval(100);
    connect(&m_tickTimer, &QTimer::timeout, this, &ScaleOutLab::tick);
    m_publishTimer.setInterval(PublishEveryMs);
    m_publishTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_publishTimer, &QTimer::timeout, this, &ScaleOutLab::publishOne);
}

ScaleOutLab::~ScaleOutLab()
{
    stopAll();
}

void ScaleOutLab::start()
{
    m_clock.start();
    m_stepAtMs = 0;
    if (RedisProcess::program().isEmpty()) {
        m_redisMissing = true;
        fail(RedisProcess::installHint());
        return;
    }
    m_step = Step::StartingRedis;
    m_tickTimer.start();
    m_redis.start();
}

void ScaleOutLab::goTo(Step step)
{
    m_step = step;
    m_stepAtMs = nowMs();
    emit changed();
}

void ScaleOutLab::note(const QString &event)
{
    if (m_events.size() < 100)
        m_events.append(tr("%1 s: %2").arg(seconds(nowMs()), event));
}

void ScaleOutLab::fail(const QString &why)
{
    m_error = why;
    m_publishTimer.stop();
    goTo(Step::Failed);
}

void ScaleOutLab::onNodeError(int node, const QString &why)
{
    note(tr("node %1: %2").arg(nodeName(node), why));
    if (m_step == Step::StartingNodes) {
        fail(tr("node %1 did not start: %2").arg(nodeName(node), why));
        return;
    }
    // A restart refused while the dead node's lease is still live in Redis: try again shortly.
    if (m_startPending[size_t(node)] && m_nodeRetries[size_t(node)]++ < NodeRetries) {
        QTimer::singleShot(NodeRetryMs, this, [this, node] {
            if (m_startPending[size_t(node)] && m_nodes[size_t(node)]->state() != ServerProcess::State::Running)
                m_nodes[size_t(node)]->start();
        });
    } else {
        if (!m_startPending[size_t(node)])
            ++m_nodeCrashes;
        m_startPending[size_t(node)] = false;
        m_error = tr("node %1: %2").arg(nodeName(node), why);
    }
    emit changed();
}

void ScaleOutLab::openLanes()
{
    QList<QUrl> urls;
    for (const auto &node : m_nodes)
        urls.append(node->url());
    for (int i = 0; i < LaneCount; ++i) {
        Lane &lane = m_lanes[size_t(i)];
        auto *client = new RealtimeClient(this);
        lane.client = client;
        // Quick to try again: a dead node's connection is refused at once, and the next try goes
        // to the other node.
        client->setReconnectPolicy(ReconnectPolicy::exponential(250, 2000, 0.2));
        QList<QUrl> mine;
        for (int n : lane.order)
            mine.append(urls[n]);
        client->setServerUrls(mine); // a failed or dropped connection moves on to the next
        connect(client, &RealtimeClient::messageReceived, this,
                [this, i](const Message &m, TransportKind) { onLaneMessage(i, m); });
        client->start(RealtimeClient::modeFor(lane.kind));
    }
}

int ScaleOutLab::laneNode(const Lane &lane) const
{
    if (!lane.client)
        return -1;
    const int port = lane.client->serverUrl().port();
    for (int n = 0; n < NodeCount; ++n)
        if (m_nodes[size_t(n)]->url().port() == port)
            return n;
    return -1;
}

void ScaleOutLab::onLaneMessage(int i, const Message &m)
{
    if (m.type != MessageType::Chat || m.from != Sender)
        return;
    Lane &lane = m_lanes[size_t(i)];
    if (lane.received.contains(m.id))
        ++lane.duplicated;
    else
        lane.received.insert(m.id);
    const qint64 now = nowMs();
    lane.lastMessageMs = now;
    const int at = laneNode(lane);
    if (lane.pendingFrom >= 0 && at >= 0 && at != lane.pendingFrom) {
        lane.failoverMs = now - lane.pendingSinceMs;
        lane.moves.append(
                tr("%1 → %2 in %3").arg(nodeName(lane.pendingFrom), nodeName(at), duration(*lane.failoverMs)));
        lane.pendingFrom = -1;
    }
    if (lane.waitsForRedis && m_redisUpAtMs >= 0 && m_redis.state() == RedisProcess::State::Running) {
        lane.redisResumeMs = now - m_redisUpAtMs;
        lane.waitsForRedis = false;
    }
}

void ScaleOutLab::publishOne()
{
    if (m_published >= MaxPublishes) {
        m_publishTimer.stop();
        return;
    }
    int target = -1;
    for (int k = 0; k < NodeCount && target < 0; ++k) {
        const int n = (m_nextNode + k) % NodeCount;
        if (m_nodes[size_t(n)]->state() == ServerProcess::State::Running)
            target = n;
    }
    if (target < 0) {
        ++m_noNodeUp;
        return;
    }
    m_nextNode = (target + 1) % NodeCount;
    const qint64 seq = ++m_published;
    QUrl url = m_nodes[size_t(target)]->url();
    url.setPath(QStringLiteral("/send"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(PublishTimeoutMs);
    const QJsonObject body { { QStringLiteral("type"), QStringLiteral("chat") },
                             { QStringLiteral("from"), Sender },
                             { QStringLiteral("text"), tr("message %1 via node %2").arg(seq).arg(nodeName(target)) },
                             { QStringLiteral("clientMsgId"), QStringLiteral("scale-out-%1").arg(seq) } };
    const bool redisDownAtSend = m_redis.state() != RedisProcess::State::Running;
    QNetworkReply *reply = m_net.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    ++m_inFlight;
    connect(reply, &QNetworkReply::finished, this, [this, reply, redisDownAtSend, target] {
        reply->deleteLater();
        --m_inFlight;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 202) {
            const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
            m_acked.insert(quint64(answer.value(QStringLiteral("id")).toInteger()));
            if (m_redis.state() == RedisProcess::State::Running)
                m_nodeBackAfterRedis[size_t(target)] = true;
        } else if (status == 503) {
            const bool outage = redisDownAtSend || m_redis.state() != RedisProcess::State::Running
                    || !m_nodeBackAfterRedis[size_t(target)];
            ++(outage ? m_answered503 : m_answered503Up);
            if (!outage) // a fault: the node's own words, for whoever reads the export
                note(tr("node %1 answered 503 with Redis up and after a 202: %2")
                             .arg(nodeName(target), QString::fromUtf8(reply->readAll().left(200))));
        } else if (status == 0) {
            ++m_notAnswered;
        } else {
            ++m_otherStatus;
        }
    });
}

// A user's action ends the script: from then on the lesson does only what the user asks.
void ScaleOutLab::takeOver(bool byUser)
{
    if (!byUser || isDone() || m_step == Step::Draining)
        return;
    m_scripted = false;
    if (m_step > Step::OpeningLanes && m_step != Step::Manual)
        goTo(Step::Manual);
}

void ScaleOutLab::killNode(int node, bool byUser)
{
    takeOver(byUser);
    ServerProcess *p = m_nodes[size_t(node)].get();
    if (p->state() != ServerProcess::State::Running)
        return;
    m_startPending[size_t(node)] = false;
    ++m_nodeKills;
    note(tr("kill -9 node %1 (PID %2)").arg(nodeName(node)).arg(p->pid()));
    const qint64 now = nowMs();
    for (Lane &lane : m_lanes)
        if (laneNode(lane) == node) {
            lane.pendingSinceMs = now;
            lane.pendingFrom = node;
        }
    p->kill();
    emit changed();
}

void ScaleOutLab::restartNode(int node, bool byUser)
{
    takeOver(byUser);
    ServerProcess *p = m_nodes[size_t(node)].get();
    if (p->state() == ServerProcess::State::Running || p->state() == ServerProcess::State::Starting)
        return;
    m_startPending[size_t(node)] = true;
    m_nodeRetries[size_t(node)] = 0;
    note(tr("restart node %1").arg(nodeName(node)));
    p->start(); // the same port: lanes that list it find it there again
    emit changed();
}

void ScaleOutLab::killRedis(bool byUser)
{
    takeOver(byUser);
    if (m_redis.state() != RedisProcess::State::Running)
        return;
    ++m_redisKills;
    note(tr("kill -9 Redis (PID %1)").arg(m_redis.pid()));
    m_redisDownSinceMs = nowMs();
    m_redisUpAtMs = -1;
    m_nodeBackAfterRedis.fill(false);
    for (Lane &lane : m_lanes) {
        lane.waitsForRedis = true;
        lane.redisResumeMs.reset();
    }
    m_redis.kill9();
    emit changed();
}

void ScaleOutLab::restartRedis(bool byUser)
{
    takeOver(byUser);
    if (m_redis.state() == RedisProcess::State::Running || m_redis.state() == RedisProcess::State::Starting)
        return;
    note(tr("restart Redis"));
    m_redis.restart();
    emit changed();
}

void ScaleOutLab::finish()
{
    if (isDone() || m_step == Step::Draining)
        return;
    m_publishTimer.stop();
    goTo(Step::Draining);
}

void ScaleOutLab::stopAll()
{
    m_tickTimer.stop();
    m_publishTimer.stop();
    for (QNetworkReply *r : m_net.findChildren<QNetworkReply *>())
        r->abort();
    for (Lane &lane : m_lanes)
        if (lane.client) {
            lane.client->stop();
            delete std::exchange(lane.client, nullptr);
        }
    for (auto &node : m_nodes)
        node->stopAndWait();
    m_redis.stopAndWait();
}

bool ScaleOutLab::everyLaneMoved() const
{
    for (const Lane &lane : m_lanes)
        if (lane.pendingFrom >= 0)
            return false;
    return true;
}

bool ScaleOutLab::everyLaneResumedAfterRedis() const
{
    for (const Lane &lane : m_lanes)
        if (lane.waitsForRedis)
            return false;
    return true;
}

// Once done, every acknowledged id the lane lacks. Before, only those below its newest: an id
// above it may still be on its way (or wait for the lane's move), and is not lost yet.
qint64 ScaleOutLab::lost(const Lane &lane) const
{
    quint64 newest = 0;
    if (m_step != Step::Done)
        for (quint64 id : lane.received)
            newest = qMax(newest, id);
    qint64 n = 0;
    for (quint64 id : m_acked)
        if (!lane.received.contains(id) && (m_step == Step::Done || id < newest))
            ++n;
    return n;
}

bool ScaleOutLab::everyLaneHasEverything() const
{
    for (const Lane &lane : m_lanes)
        for (quint64 id : m_acked)
            if (!lane.received.contains(id))
                return false;
    return true;
}

// The script, a step at a time; each wait is bounded and goes on with what it has.
void ScaleOutLab::tick()
{
    const qint64 inStep = nowMs() - m_stepAtMs;
    switch (m_step) {
    case Step::StartingRedis:
        if (m_redis.state() == RedisProcess::State::Running) {
            for (int n = 0; n < NodeCount; ++n) {
                m_nodes[size_t(n)]->setExtraArguments({ QStringLiteral("--store"), m_redis.url(),
                                                        QStringLiteral("--node"), nodeName(n),
                                                        QStringLiteral("--tick-rate"), QStringLiteral("0") });
                m_startPending[size_t(n)] = true;
                m_nodes[size_t(n)]->start();
            }
            goTo(Step::StartingNodes);
        }
        break;
    case Step::StartingNodes: {
        bool up = true;
        for (const auto &node : m_nodes)
            up = up && node->state() == ServerProcess::State::Running;
        if (up) {
            openLanes();
            goTo(Step::OpeningLanes);
        } else if (inStep > StepBoundMs) {
            fail(tr("the nodes did not start within %1 s").arg(StepBoundMs / 1000));
        }
        break;
    }
    case Step::OpeningLanes: {
        bool open = true;
        for (const Lane &lane : m_lanes)
            open = open && lane.client->state() == ClientTransport::State::Open;
        if (open || inStep > StepBoundMs) {
            m_publishTimer.start();
            goTo(m_scripted ? Step::Steady : Step::Manual);
        }
        break;
    }
    case Step::Steady: {
        bool flowing = true; // every lane has had a message: there is a last id to resume from
        for (const Lane &lane : m_lanes)
            flowing = flowing && !lane.received.isEmpty();
        if (inStep < SteadyMs || (!flowing && inStep <= StepBoundMs))
            break;
        if (m_nodes[0]->state() == ServerProcess::State::Running) {
            killNode(0, false);
            goTo(Step::NodeKilled);
        } else {
            note(tr("node A is not up: nothing to kill"));
            finish();
        }
        break;
    }
    case Step::NodeKilled:
        if (everyLaneMoved() || inStep > StepBoundMs) {
            restartNode(0, false);
            goTo(Step::NodeRestarting);
        }
        break;
    case Step::NodeRestarting:
        if (m_nodes[0]->state() == ServerProcess::State::Running || inStep > NodeRestartBoundMs)
            goTo(Step::SteadyAgain);
        break;
    case Step::SteadyAgain:
        if (inStep >= SteadyMs / 2) {
            killRedis(false);
            goTo(Step::RedisKilled);
        }
        break;
    case Step::RedisKilled:
        if (inStep >= RedisDownMs) {
            restartRedis(false);
            goTo(Step::RedisRestarting);
        }
        break;
    case Step::RedisRestarting:
        if ((m_redisUpAtMs >= 0 && everyLaneResumedAfterRedis() && nowMs() - m_redisUpAtMs >= AfterRedisMs)
            || inStep > StepBoundMs)
            finish();
        break;
    case Step::Manual: break; // the lesson's end calls finish()
    case Step::Draining:
        if ((m_inFlight == 0 && everyLaneHasEverything()) || inStep > DrainBoundMs) {
            m_tickTimer.stop();
            goTo(Step::Done);
        }
        break;
    case Step::Done:
    case Step::Failed: m_tickTimer.stop(); break;
    }
    emit changed();
}

std::optional<AppController::LaneSnapshot> ScaleOutLab::laneSnapshot(TransportKind kind) const
{
    for (const Lane &lane : m_lanes) {
        if (lane.kind != kind || !lane.client)
            continue;
        AppController::LaneSnapshot s;
        s.state = lane.client->state();
        s.stats = lane.client->stats(kind);
        s.continuity = lane.client->continuity();
        s.position = lane.client->position();
        return s;
    }
    return std::nullopt;
}

QString ScaleOutLab::processesLine() const
{
    const auto describe = [](const QString &name, const QString &state, quint16 port, qint64 pid) {
        return pid > 0 ? tr("%1 :%2 (PID %3) %4").arg(name).arg(port).arg(pid).arg(state)
                       : tr("%1 :%2 %3").arg(name).arg(port).arg(state);
    };
    QStringList parts;
    const QString redisState = m_redis.state() == RedisProcess::State::Running ? tr("up")
            : m_redis.state() == RedisProcess::State::Starting                 ? tr("starting")
            : m_redis.state() == RedisProcess::State::Failed                   ? tr("failed")
                                                                               : tr("DEAD");
    parts += describe(tr("Redis"), redisState, m_redis.port(), m_redis.pid());
    for (int n = 0; n < NodeCount; ++n) {
        const ServerProcess *p = m_nodes[size_t(n)].get();
        // A restart refused (the dead node's lease is live a while) is tried again: not a failure yet.
        const QString state = p->state() == ServerProcess::State::Running ? tr("up")
                : p->state() == ServerProcess::State::Starting            ? tr("starting")
                : m_startPending[size_t(n)]                               ? tr("restart refused, trying again")
                : p->state() == ServerProcess::State::Failed              ? tr("failed")
                                                                          : tr("DEAD");
        parts += describe(tr("node %1").arg(nodeName(n)), state, quint16(p->url().port()), p->pid());
    }
    return parts.join(QStringLiteral(" · "));
}

QStringList ScaleOutLab::laneLines() const
{
    QStringList lines;
    for (const Lane &lane : m_lanes) {
        if (!lane.client) {
            lines += tr("%1: not open yet").arg(transportKindLabel(lane.kind));
            continue;
        }
        const int at = laneNode(lane);
        const QString where = lane.client->state() == ClientTransport::State::Open
                ? tr("on node %1").arg(at >= 0 ? nodeName(at) : QStringLiteral("?"))
                : tr("looking for a node (last %1)").arg(at >= 0 ? nodeName(at) : QStringLiteral("?"));
        const QString moves = lane.moves.isEmpty() ? QString() : tr(" (%1)").arg(lane.moves.join(QStringLiteral(", ")));
        lines += tr("%1: %2%3 · %4 received · lost %5 · duplicated %6 · resets %7")
                         .arg(transportKindLabel(lane.kind), where, moves)
                         .arg(lane.received.size())
                         .arg(lost(lane))
                         .arg(lane.duplicated)
                         .arg(lane.client->continuity().resets);
    }
    return lines;
}

QJsonObject ScaleOutLab::measured() const
{
    QJsonObject m;
    if (m_redisMissing)
        m.insert(QStringLiteral("redisMissing"), true);
    if (!m_error.isEmpty())
        m.insert(QStringLiteral("clusterError"), m_error);
    m.insert(QStringLiteral("events"), QJsonArray::fromStringList(m_events));
    m.insert(QStringLiteral("nodes"), NodeCount);
    m.insert(QStringLiteral("published"), m_published);
    m.insert(QStringLiteral("acknowledged"), qint64(m_acked.size()));
    m.insert(QStringLiteral("answered503WhileRedisDown"), m_answered503);
    m.insert(QStringLiteral("answered503WithRedisUp"), m_answered503Up);
    m.insert(QStringLiteral("notAnsweredNodeDied"), m_notAnswered);
    m.insert(QStringLiteral("otherStatus"), m_otherStatus);
    m.insert(QStringLiteral("nodeKills"), m_nodeKills);
    m.insert(QStringLiteral("nodeCrashes"), m_nodeCrashes);
    m.insert(QStringLiteral("redisKills"), m_redisKills);
    if (m_redisKills > 0 && m_redisOutageMs > 0)
        m.insert(QStringLiteral("redisOutageMs"), m_redisOutageMs);
    qint64 lostAll = 0, duplicatedAll = 0, resetsAll = 0, gapsAll = 0;
    for (const Lane &lane : m_lanes) {
        const QString key = transportKindKey(lane.kind);
        const qint64 l = lost(lane);
        const qint64 resets = lane.client ? lane.client->continuity().resets : 0;
        const qint64 gaps = lane.client ? lane.client->continuity().gaps : 0;
        m.insert(QStringLiteral("received_") + key, qint64(lane.received.size()));
        m.insert(QStringLiteral("lost_") + key, l);
        m.insert(QStringLiteral("duplicated_") + key, lane.duplicated);
        m.insert(QStringLiteral("resets_") + key, resets);
        m.insert(QStringLiteral("gaps_") + key, gaps);
        m.insert(QStringLiteral("startedOn_") + key, nodeName(lane.order.first()));
        const int at = laneNode(lane);
        if (at >= 0)
            m.insert(QStringLiteral("node_") + key, nodeName(at));
        m.insert(QStringLiteral("moves_") + key, qint64(lane.moves.size()));
        if (lane.failoverMs)
            m.insert(QStringLiteral("failoverMs_") + key, *lane.failoverMs);
        if (lane.pendingFrom >= 0)
            m.insert(QStringLiteral("stuckOnDeadNode_") + key, true);
        if (lane.redisResumeMs)
            m.insert(QStringLiteral("redisResumeMs_") + key, *lane.redisResumeMs);
        lostAll += l;
        duplicatedAll += lane.duplicated;
        resetsAll += resets;
        gapsAll += gaps;
    }
    m.insert(QStringLiteral("lost"), lostAll);
    m.insert(QStringLiteral("duplicated"), duplicatedAll);
    m.insert(QStringLiteral("resets"), resetsAll);
    m.insert(QStringLiteral("gaps"), gapsAll);
    return m;
}

std::optional<bool> ScaleOutLab::holds() const
{
    if (m_step == Step::Failed)
        return std::nullopt; // a cluster that did not start measured nothing: the summary says why
    if (m_step != Step::Done || m_nodeKills == 0 || m_redisKills == 0 || m_acked.isEmpty())
        return std::nullopt; // not both deaths yet, or nothing acknowledged to count
    for (const Lane &lane : m_lanes) {
        const RealtimeClient::Continuity &c = lane.client->continuity();
        if (lost(lane) > 0 || lane.duplicated > 0 || c.resets > 0 || c.gaps > 0 || lane.pendingFrom >= 0
            || lane.waitsForRedis)
            return false;
    }
    return m_answered503Up == 0 && m_otherStatus == 0 && m_nodeCrashes == 0;
}

QString ScaleOutLab::summary() const
{
    if (m_step == Step::Failed)
        return m_error;
    if (m_step < Step::Steady)
        return tr("starting Redis and two nodes on one log…");
    QStringList moved, stayed, stuck;
    qint64 lostAll = 0, duplicatedAll = 0, resetsAll = 0;
    for (const Lane &lane : m_lanes) {
        const QString name = transportKindLabel(lane.kind);
        if (lane.failoverMs)
            moved += tr("%1 in %2").arg(name, duration(*lane.failoverMs));
        else if (lane.pendingFrom >= 0)
            stuck += name;
        else
            stayed += name;
        lostAll += lost(lane);
        duplicatedAll += lane.duplicated;
        resetsAll += lane.client ? lane.client->continuity().resets : 0;
    }
    QStringList parts;
    parts += tr("%1 of %2 publishes acknowledged").arg(m_acked.size()).arg(m_published);
    if (m_nodeKills > 0) {
        QString node = tr("node killed: moved %1").arg(moved.isEmpty() ? tr("none") : moved.join(QStringLiteral(", ")));
        if (!stuck.isEmpty())
            node += tr("; NOT moved: %1").arg(stuck.join(QStringLiteral(", ")));
        parts += node;
    }
    if (m_redisKills > 0) {
        QString redis = tr("Redis killed: %1 publishes answered 503").arg(m_answered503);
        if (m_redisOutageMs > 0)
            redis += tr(" in its %1 s outage").arg(seconds(m_redisOutageMs));
        redis += everyLaneResumedAfterRedis() ? tr(", every lane resumed") : tr(", NOT every lane resumed yet");
        parts += redis;
    }
    parts += tr("lost %1 · duplicated %2 · resets %3").arg(lostAll).arg(duplicatedAll).arg(resetsAll);
    if (m_otherStatus > 0 || m_answered503Up > 0)
        parts += tr("%1 publishes answered 503 with Redis up, %2 with another error")
                         .arg(m_answered503Up)
                         .arg(m_otherStatus);
    if (!m_error.isEmpty())
        parts += m_error;
    return parts.join(QStringLiteral("; "));
}

} // namespace rtlab
