// SPDX-License-Identifier: MIT
#include "clienttransport.h"

#include "authrefusal.h"
#include "httpclientconnection.h"
#include "httppublisher.h"
#include "longpolltransport.h"
#include "ssetransport.h"
#include "websockettransport.h"

#include <QDateTime>

namespace rtlab {

ClientTransport::ClientTransport(TransportKind kind, Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_kind(kind)
{
    qRegisterMetaType<rtlab::Message>();
    qRegisterMetaType<rtlab::ConnectionEvent>();
    if (!m_options.clock)
        m_options.clock = std::make_shared<ClockOffset>();
    if (!m_options.stats)
        m_options.stats = std::make_shared<TransportStats>();
    m_stats = m_options.stats;
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ClientTransport::reconnect);
    m_watchdog.setSingleShot(true);
    connect(&m_watchdog, &QTimer::timeout, this, [this] {
        if (m_state == State::Connecting) {
            // Connected (or not) but nothing answered: a black hole, or a proxy holding the
            // response back. Counted as a failed attempt; Auto asks plain HTTP which it is.
            connectionLost(QStringLiteral("no answer within %1 s").arg(double(m_watchdog.interval()) / 1000.0));
            return;
        }
        emitEvent(ConnectionEvent::Type::DeadPeer,
                  QStringLiteral("nothing heard for %1 ms").arg(2 * m_options.heartbeatMs));
        connectionLost(QStringLiteral("dead peer: no bytes for two heartbeats"));
    });
}

ClientTransport::~ClientTransport() = default;

ClientTransport *ClientTransport::create(TransportKind kind, const Options &options, QObject *parent)
{
    switch (kind) {
    case TransportKind::LongPoll: return new LongPollTransport(options, parent);
    case TransportKind::Sse: return new SseTransport(options, parent);
    case TransportKind::WebSocket: return new WebSocketTransport(options, parent);
    case TransportKind::Poll: return new LongPollTransport(options, parent, TransportKind::Poll);
    }
    return nullptr;
}

void ClientTransport::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void ClientTransport::emitEvent(ConnectionEvent::Type type, const QString &detail, qint64 delayMs, qint64 lost,
                                int closeCode)
{
    ConnectionEvent e;
    e.timeMs = QDateTime::currentMSecsSinceEpoch();
    e.transport = m_kind;
    e.type = type;
    e.detail = detail;
    e.delayMs = delayMs;
    e.lost = lost;
    e.closeCode = closeCode;
    emit eventOccurred(e);
}

qint64 ClientTransport::nextAttemptAtMs() const
{
    return m_state == State::Reconnecting && m_retryTimer.isActive() ? m_nextAttemptAtMs : 0;
}

qint64 ClientTransport::msUntilNextAttempt() const
{
    if (m_state != State::Reconnecting || !m_retryTimer.isActive())
        return -1;
    return qMax(0, m_retryTimer.remainingTime());
}

void ClientTransport::start(const StreamPosition &from)
{
    m_position = from;
    m_stopped = false;
    m_attempt = 0;
    // Resuming from a position: whatever the server sent before now is a replay.
    m_liveFromServerUs = from.lastId ? nowMicros() + m_options.clock->offsetUs() : 0;
    setState(State::Connecting);
    emitEvent(ConnectionEvent::Type::Connecting);
    armAttemptTimeout();
    connectNow();
}

// An attempt that hears nothing for as long as an open connection may stay silent (two
// heartbeats) has failed too; without this, a response held by a buffering proxy would leave the
// transport connecting forever.
void ClientTransport::armAttemptTimeout()
{
    if (m_watchdogEnabled && m_options.heartbeatMs > 0)
        m_watchdog.start(int(qMin<qint64>(2 * m_options.heartbeatMs + 1000, 24 * 3600 * 1000)));
}

void ClientTransport::stop(const QString &reason)
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_retryTimer.stop();
    m_watchdog.stop();
    // (Stopped while telling of a loss: that Closed event was the last word.)
    const bool wasConnected = !m_reportingLoss && (m_state == State::Open || m_state == State::Connecting);
    disconnectNow();
    if (wasConnected)
        emitEvent(ConnectionEvent::Type::Closed, reason);
    setState(State::Closed);
}

std::optional<int> ClientTransport::retryDelay(int attempt)
{
    return m_options.policy.nextDelay(attempt);
}

void ClientTransport::attemptOpened()
{
    m_attempt = 0;
    m_everOpened = true;
    m_stats->opens++;
    setState(State::Open);
    emitEvent(ConnectionEvent::Type::Opened);
    noteAlive();
}

void ClientTransport::noteAlive()
{
    if (m_watchdogEnabled && m_options.heartbeatMs > 0 && m_state == State::Open)
        m_watchdog.start(int(qMin<qint64>(2 * m_options.heartbeatMs + 1000, 24 * 3600 * 1000)));
}

void ClientTransport::connectHttpParts(HttpClientConnection *connection, HttpPublisher *publisher)
{
    connection->setBearerToken(m_options.token);
    publisher->setBearerToken(m_options.token);
    connect(connection, &HttpClientConnection::failed, this, [this](const QString &why) { connectionLost(why); });
    connect(publisher, &HttpPublisher::published, this, &ClientTransport::publishAcknowledged);
    connect(publisher, &HttpPublisher::failed, this,
            [this](const QString &clientMsgId, const QString &why, bool retryable) {
                emitEvent(ConnectionEvent::Type::Error, why);
                emit publishFailed(clientMsgId, why, retryable);
            });
}

void ClientTransport::connectionLost(const QString &reason, int closeCode, bool retry)
{
    lose(reason, closeCode, retry, 0);
}

void ClientTransport::attemptRefused(const QString &reason, int httpStatus, bool retry)
{
    // (The transports say why in the token's words themselves; this holds for any that does not.)
    if (refusesToken(httpStatus)) {
        tokenRefused(reason, httpStatus);
        return;
    }
    lose(reason, 0, retry, httpStatus);
}

bool ClientTransport::refusesToken(int httpStatus) const
{
    return AuthRefusal::refusesToken(httpStatus, !m_options.token.isEmpty());
}

void ClientTransport::tokenRefused(const QString &reason, int httpStatus, int closeCode)
{
    lose(reason, closeCode, false, httpStatus, true);
}

void ClientTransport::lose(const QString &reason, int closeCode, bool retry, int httpStatus, bool unauthorized)
{
    if (m_stopped)
        return;
    m_watchdog.stop();
    disconnectNow();
    ConnectionEvent e;
    e.timeMs = QDateTime::currentMSecsSinceEpoch();
    e.transport = m_kind;
    e.type = ConnectionEvent::Type::Closed;
    e.detail = reason;
    e.closeCode = closeCode;
    e.httpStatus = httpStatus;
    e.blocked = !unauthorized && statusBlocks(httpStatus);
    e.unauthorized = unauthorized;
    m_reportingLoss = true;
    emit eventOccurred(e);
    m_reportingLoss = false;
    if (m_stopped)
        return; // whoever heard the event stopped us (Auto falling back): no retry, no GaveUp
    const std::optional<int> delay = retry ? retryDelay(++m_attempt) : std::nullopt;
    if (!delay) {
        m_stopped = true;
        // Closed first: whoever hears GaveUp sees a transport that is done (rtlab-cli exits on it).
        setState(State::Closed);
        ConnectionEvent gaveUp = e;
        gaveUp.timeMs = QDateTime::currentMSecsSinceEpoch();
        gaveUp.type = ConnectionEvent::Type::GaveUp;
        gaveUp.detail = unauthorized ? reason
                : retry              ? QStringLiteral("the reconnect policy gave up")
                                     : QStringLiteral("not retrying: %1").arg(reason);
        gaveUp.closeCode = 0;
        gaveUp.httpStatus = 0;
        gaveUp.blocked = false;
        emit eventOccurred(gaveUp);
        return;
    }
    m_nextAttemptAtMs = QDateTime::currentMSecsSinceEpoch() + *delay;
    m_retryTimer.start(*delay);
    setState(State::Reconnecting);
    emitEvent(ConnectionEvent::Type::RetryScheduled, {}, *delay);
}

void ClientTransport::retryNow()
{
    if (m_stopped || m_state != State::Reconnecting || !m_retryTimer.isActive())
        return;
    m_retryTimer.stop();
    reconnect();
}

void ClientTransport::reconnect()
{
    if (m_stopped)
        return;
    m_stats->reconnects++;
    m_liveFromServerUs = nowMicros() + m_options.clock->offsetUs();
    setState(State::Connecting);
    emitEvent(ConnectionEvent::Type::Connecting);
    armAttemptTimeout();
    connectNow();
}

bool ClientTransport::deliverJson(QByteArrayView json)
{
    QString why;
    const std::optional<Message> m = MessageCodec::decode(json, &why);
    if (!m)
        return false;
    deliver(*m);
    return true;
}

void ClientTransport::deliver(const Message &m)
{
    // A gap is the RealtimeClient's to count (its continuity check): a transport delivers it.
    const StreamPosition::Arrival arrival = m_position.advance(m);
    if (arrival == StreamPosition::Arrival::Duplicate) {
        if (m.type != MessageType::Reset)
            m_stats->duplicates++;
        return;
    }
    if (arrival == StreamPosition::Arrival::Reset) {
        m_stats->resets++;
        emitEvent(ConnectionEvent::Type::Reset,
                  m.lost < 0 ? QStringLiteral("unknown loss (new epoch %1)").arg(m.epoch)
                             : QStringLiteral("%1 messages older than the history").arg(m.lost),
                  0, m.lost);
        emit messageReceived(m);
        return;
    }
    m_stats->messages++;
    if (m.ts > 0 && m.ts < m_liveFromServerUs) {
        m_stats->replayed++;
    } else if (m.ts > 0) {
        const qint64 latency = oneWayLatencyUs(m.ts, *m_options.clock);
        m_stats->latency.add(latency);
        emit latencyMeasured(latency);
    }
    emit messageReceived(m);
}

} // namespace rtlab
