// SPDX-License-Identifier: MIT
#include "realtimeclient.h"

#include "wirecontract.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace rtlab {

static constexpr qsizetype MaxPendingSends = 1024;
// Auto's reachability check: how long plain HTTP gets to answer, and how often it is asked again
// while an outage lasts (one small request at a time, only while the transport is down).
static constexpr int ReachTimeoutMs = 3000;
static constexpr int ReachRecheckMs = 2000;
// Failures with no HTTP refusal, while plain HTTP answered, that make a transport "blocked".
static constexpr int SilentBlockThreshold = 2;

RealtimeClient::RealtimeClient(QObject *parent) : QObject(parent), m_clock(std::make_shared<ClockOffset>())
{
    for (auto &s : m_stats)
        s = std::make_shared<TransportStats>();
    m_probeTimer.setSingleShot(true);
    connect(&m_probeTimer, &QTimer::timeout, this, &RealtimeClient::probeUp);
    m_reachTimeout.setSingleShot(true);
    connect(&m_reachTimeout, &QTimer::timeout, this, [this] { onReachability(false); });
    m_reachRetry.setSingleShot(true);
    connect(&m_reachRetry, &QTimer::timeout, this, [this] {
        if (m_mode == Mode::Auto && m_active && m_active->state() == ClientTransport::State::Reconnecting)
            checkReachability(m_active, {});
    });
    m_roundTimer.setSingleShot(true);
    connect(&m_roundTimer, &QTimer::timeout, this, [this] {
        if (m_active && m_active->state() == ClientTransport::State::Idle)
            m_active->start(m_position);
    });
    setUpOutbox();
}

RealtimeClient::~RealtimeClient()
{
    stop();
}

RealtimeClient::Mode RealtimeClient::modeFor(TransportKind kind)
{
    switch (kind) {
    case TransportKind::LongPoll: return Mode::LongPoll;
    case TransportKind::Sse: return Mode::Sse;
    case TransportKind::WebSocket: return Mode::WebSocket;
    case TransportKind::Poll: return Mode::Poll;
    }
    return Mode::Auto;
}

std::optional<TransportKind> RealtimeClient::transportOf(Mode mode)
{
    switch (mode) {
    case Mode::LongPoll: return TransportKind::LongPoll;
    case Mode::Sse: return TransportKind::Sse;
    case Mode::WebSocket: return TransportKind::WebSocket;
    case Mode::Poll: return TransportKind::Poll;
    case Mode::Auto: break;
    }
    return std::nullopt;
}

QString RealtimeClient::modeKey(Mode mode)
{
    const std::optional<TransportKind> kind = transportOf(mode);
    return kind ? transportKindKey(*kind) : QStringLiteral("auto");
}

bool RealtimeClient::modeFromKey(QStringView key, Mode *mode)
{
    if (key == u"auto") {
        *mode = Mode::Auto;
        return true;
    }
    TransportKind kind;
    if (!transportKindFromKey(key, &kind))
        return false;
    *mode = modeFor(kind);
    return true;
}

// Auto starts on WebSocket (and falls back to SSE, then long polling): never on short polling.
static TransportKind kindFor(RealtimeClient::Mode mode)
{
    return RealtimeClient::transportOf(mode).value_or(TransportKind::WebSocket);
}

void RealtimeClient::resetStats()
{
    for (auto &s : m_stats)
        *s = TransportStats(); // in place: the transports hold the same object
}

void RealtimeClient::setServerUrls(const QList<QUrl> &urls)
{
    m_urls = urls;
    m_urlIndex = qMax<qsizetype>(0, urls.indexOf(m_server));
    m_server = urls.isEmpty() ? QUrl() : urls.at(m_urlIndex);
    m_failedInRound = 0;
}

std::optional<TransportKind> RealtimeClient::activeTransport() const
{
    if (!m_active)
        return std::nullopt;
    return m_active->kind();
}

ClientTransport::State RealtimeClient::state() const
{
    if (m_roundTimer.isActive())
        return ClientTransport::State::Reconnecting; // (m_active waits for the next round)
    if (!m_active)
        return m_bootstrap ? ClientTransport::State::Connecting : ClientTransport::State::Closed;
    return m_active->state();
}

qint64 RealtimeClient::msUntilNextAttempt() const
{
    if (m_roundTimer.isActive())
        return qMax(0, m_roundTimer.remainingTime());
    return m_active ? m_active->msUntilNextAttempt() : -1;
}

ClientTransport *RealtimeClient::makeTransport(TransportKind kind)
{
    ClientTransport::Options o;
    o.server = m_server;
    o.policy = m_policy;
    o.heartbeatMs = m_heartbeatMs;
    o.pollHoldMs = m_pollHoldMs;
    o.pollIntervalMs = m_pollIntervalMs;
    o.clock = m_clock;
    o.stats = m_stats[size_t(kind)];
    o.capture = m_capture;
    o.token = m_token;
    ClientTransport *t = m_makeTransport(kind, o, this);
    connect(t, &ClientTransport::messageReceived, this, [this, t](const Message &m) { onMessage(t, m); });
    connect(t, &ClientTransport::eventOccurred, this, [this, t](const ConnectionEvent &e) { onEvent(t, e); });
    connect(t, &ClientTransport::latencyMeasured, this, [this, kind](qint64 us) { emit latencyMeasured(kind, us); });
    connect(t, &ClientTransport::stateChanged, this, [this, t](ClientTransport::State s) {
        if (t == m_active)
            emit stateChanged(s);
    });
    connectOutbox(t);
    return t;
}

void RealtimeClient::start(Mode mode, const StreamPosition &from)
{
    stop();
    m_mode = mode;
    m_position = from;
    m_authError.clear();
    m_failedInRound = 0;
    m_rounds = 0;
    m_bootstrapMisses = 0;
    if (from.lastId || !m_server.isValid())
        begin(kindFor(mode));
    else
        bootstrap(kindFor(mode));
}

// A client that names no id gets new messages only — but if its first connection drops before
// the first message, it would not know where it was. So it first asks where the live end is
// (GET /poll with no "after" answers at once with the epoch and cursor) and starts from there.
void RealtimeClient::bootstrap(TransportKind kind)
{
    m_bootstrap = std::make_unique<HttpClientConnection>();
    m_bootstrap->setServer(m_server);
    m_bootstrap->setBearerToken(m_token);
    m_bootstrapBody.clear();
    auto go = [this, kind] {
        if (!m_bootstrap)
            return;
        m_bootstrapTimeout.stop();
        m_bootstrap.release()->deleteLater();
        begin(kind);
    };
    connect(m_bootstrap.get(), &HttpClientConnection::bodyReceived, this, [this](const QByteArray &b) {
        if (m_bootstrapBody.size() < 65536)
            m_bootstrapBody += b;
    });
    connect(m_bootstrap.get(), &HttpClientConnection::responseFinished, this, [this, go] {
        const std::optional<PollAnswer> answer = PollAnswer::decode(m_bootstrapBody);
        if (m_bootstrap && m_bootstrap->response().status() == 200 && answer)
            m_position = { answer->epoch, answer->cursor };
        go();
    });
    // Not an rtlab server, or not there yet: start anyway; the transport reconnects by its policy.
    // With several servers, ask the next ones first (once each): a live one knows the live end.
    connect(m_bootstrap.get(), &HttpClientConnection::failed, this, [this, kind, go](const QString &why) {
        if (!m_bootstrap || m_urls.size() < 2 || ++m_bootstrapMisses >= m_urls.size()) {
            go();
            return;
        }
        m_bootstrapTimeout.stop();
        m_bootstrap->disconnect(this);
        m_bootstrap.release()->deleteLater(); // we are inside its signal
        moveToNextServer(kind, why);
        bootstrap(kind);
    });
    m_bootstrapTimeout.setSingleShot(true);
    m_bootstrapTimeout.disconnect(this);
    connect(&m_bootstrapTimeout, &QTimer::timeout, this, go);
    m_bootstrapTimeout.start(3000);
    HttpClientConnection::Request r;
    r.target = "/poll";
    m_bootstrap->send(r);
}

void RealtimeClient::begin(TransportKind kind)
{
    m_active = makeTransport(kind);
    emit activeTransportChanged(kind);
    m_active->start(m_position);
}

void RealtimeClient::stop()
{
    m_probeTimer.stop();
    m_roundTimer.stop();
    m_bootstrapTimeout.stop();
    m_bootstrap.reset();
    m_reachTimeout.stop();
    m_reachRetry.stop();
    m_reaching = false;
    ++m_reachAsk;
    m_reach.reset();
    m_reachFor = nullptr;
    if (m_pending)
        retire(std::exchange(m_pending, nullptr), QStringLiteral("client stopped"));
    if (m_active)
        retire(std::exchange(m_active, nullptr), QStringLiteral("client stopped"));
    emit stateChanged(ClientTransport::State::Closed);
}

void RealtimeClient::switchTo(Mode mode)
{
    if (!m_active) {
        if (m_bootstrap) {
            m_mode = mode; // still finding the live end: start with the new mode
            m_bootstrap->disconnect(this);
            m_bootstrap.reset();
            m_bootstrapTimeout.stop();
        }
        start(mode, m_position);
        return;
    }
    m_mode = mode;
    m_probeTimer.stop();
    const TransportKind target = kindFor(mode);
    if (m_pending && m_pending->kind() != target)
        retire(std::exchange(m_pending, nullptr), QStringLiteral("switch cancelled"));
    if (m_active->kind() == target || m_pending)
        return;
    // Make before break: the new transport opens from our last id; the old one keeps
    // delivering until then, and duplicates from the overlap are dropped by id.
    m_pending = makeTransport(target);
    m_pending->start(m_position);
}

void RealtimeClient::retire(ClientTransport *t, const QString &reason, bool announce)
{
    m_failures.remove(t);
    t->disconnect(this);
    const bool wasConnected =
            t->state() == ClientTransport::State::Open || t->state() == ClientTransport::State::Connecting;
    t->stop(reason);
    if (wasConnected && announce)
        emitClientEvent(t->kind(), ConnectionEvent::Type::Closed, reason);
    t->deleteLater();
}

void RealtimeClient::promote(ClientTransport *t)
{
    ClientTransport *old = std::exchange(m_active, t);
    m_pending = nullptr;
    m_roundTimer.stop(); // (a switch that opened while the client waited for the next round)
    if (old) {
        retire(old, QStringLiteral("switched to %1").arg(transportKindLabel(t->kind())));
        emitClientEvent(t->kind(), ConnectionEvent::Type::Switched,
                        QStringLiteral("from %1").arg(transportKindLabel(old->kind())));
        if (m_capture)
            m_capture->mark(t->kind(), WireRecord::Kind::Note,
                            tr("switched from %1").arg(transportKindLabel(old->kind())));
    }
    emit activeTransportChanged(t->kind());
    emit stateChanged(t->state());
    if (m_mode == Mode::Auto && t->kind() != TransportKind::WebSocket)
        m_probeTimer.start(m_probeIntervalMs);
}

void RealtimeClient::emitClientEvent(TransportKind kind, ConnectionEvent::Type type, const QString &detail,
                                     qint64 delayMs)
{
    ConnectionEvent e;
    e.timeMs = QDateTime::currentMSecsSinceEpoch();
    e.transport = kind;
    e.type = type;
    e.detail = detail;
    e.delayMs = delayMs;
    emit eventOccurred(e);
}

void RealtimeClient::moveToNextServer(TransportKind kind, const QString &why)
{
    const QUrl previous = m_server;
    m_urlIndex = (m_urlIndex + 1) % m_urls.size();
    m_server = m_urls.at(m_urlIndex);
    const QString detail = why.isEmpty() ? QStringLiteral("moved to %1").arg(m_server.toString())
                                         : QStringLiteral("moved to %1 after %2").arg(m_server.toString(), why);
    emitClientEvent(kind, ConnectionEvent::Type::Moved, detail);
    if (m_capture)
        m_capture->mark(kind, WireRecord::Kind::Note, detail);
    emit serverChanged(m_server, previous);
}

// The nodes of a cluster share one log and its ids, so any of them resumes us from our (epoch,
// id) exactly — no sticky sessions. A move is a new transport of the same kind on the next
// server, from the client's position (what the old one delivered, no more); its Opened requeues
// what the outbox had sent without an answer. Each server is tried once per round, at once; the
// policy's delay is waited between rounds, and when the policy gives up, the client does.
void RealtimeClient::failOver(ClientTransport *failed)
{
    const TransportKind kind = m_mode == Mode::Auto ? failed->kind() : kindFor(m_mode);
    std::optional<int> wait = 0;
    if (++m_failedInRound >= m_urls.size()) {
        m_failedInRound = 0;
        wait = m_policy.nextDelay(++m_rounds);
    }
    if (!wait) {
        failed->stop(QStringLiteral("the reconnect policy gave up")); // Closed: the client is done
        emitClientEvent(kind, ConnectionEvent::Type::GaveUp,
                        QStringLiteral("the reconnect policy gave up after %1 rounds of %2 servers")
                                .arg(m_rounds)
                                .arg(m_urls.size()));
        return;
    }
    const QString why = std::exchange(m_lastLoss, QString());
    retire(std::exchange(m_active, nullptr), QStringLiteral("moving to another server"), false);
    if (m_pending)
        retire(std::exchange(m_pending, nullptr), QStringLiteral("moving to another server"));
    moveToNextServer(kind, why);
    m_active = makeTransport(kind);
    if (kind != failed->kind())
        emit activeTransportChanged(kind);
    if (m_mode == Mode::Auto && kind != TransportKind::WebSocket && !m_probeTimer.isActive())
        m_probeTimer.start(m_probeIntervalMs); // (a probe up in flight went with the old server)
    if (*wait == 0 && m_failedInRound > 0) {
        m_active->start(m_position);
        return;
    }
    m_roundTimer.start(*wait); // every server failed this round: the policy's back-off
    emitClientEvent(kind, ConnectionEvent::Type::RetryScheduled, {}, *wait);
}

void RealtimeClient::fallBack(const QString &why, bool closedAlready)
{
    if (!m_active || m_active->kind() == TransportKind::LongPoll)
        return; // nothing below long polling: it keeps trying by its policy
    const TransportKind from = m_active->kind();
    // (Short polling is never a step down: from it, as from SSE, Auto goes to long polling.)
    const TransportKind to = from == TransportKind::WebSocket ? TransportKind::Sse : TransportKind::LongPoll;
    ConnectionEvent e;
    e.timeMs = QDateTime::currentMSecsSinceEpoch();
    e.transport = from;
    e.type = ConnectionEvent::Type::FellBack;
    e.detail = QStringLiteral("%1 → %2: %1 is blocked: %3").arg(transportKindLabel(from), transportKindLabel(to), why);
    e.blocked = true; // Auto falls back only for a block (see onActiveFailed)
    emit eventOccurred(e);
    if (m_capture)
        m_capture->mark(from, WireRecord::Kind::Note, tr("fell back to %1: %2").arg(transportKindLabel(to), why));
    // The failing transport is down already: break, then make.
    retire(std::exchange(m_active, nullptr), QStringLiteral("auto mode falls back"), !closedAlready);
    if (m_pending)
        retire(std::exchange(m_pending, nullptr), QStringLiteral("auto mode falls back"));
    begin(to);
    m_probeTimer.start(m_probeIntervalMs);
}

void RealtimeClient::probeUp()
{
    if (m_mode != Mode::Auto || !m_active || m_pending || m_active->kind() == TransportKind::WebSocket)
        return;
    const TransportKind up =
            m_active->kind() == TransportKind::LongPoll ? TransportKind::Sse : TransportKind::WebSocket;
    m_pending = makeTransport(up);
    m_pending->start(m_position);
}

void RealtimeClient::onEvent(ClientTransport *from, const ConnectionEvent &e)
{
    // What an older connection carried without an answer goes again over the one that opened;
    // requeued before anyone hears of the opening, so that a message published in answer to it
    // (rtlab-cli --send) is sent once, not sent and then sent again.
    const bool opened = e.type == ConnectionEvent::Type::Opened && (from == m_active || from == m_pending);
    if (opened) {
        m_outbox.requeueSent(QStringLiteral("%1 opened").arg(transportKindLabel(from->kind())));
        m_failedInRound = 0;
        m_rounds = 0;
    }
    if (from == m_active && m_urls.size() > 1) {
        if (e.type == ConnectionEvent::Type::Closed)
            m_lastLoss = e.detail;
        if (e.type == ConnectionEvent::Type::RetryScheduled) {
            failOver(from); // (instead of the retry on the same server it announces)
            return;
        }
    }
    emit eventOccurred(e);
    if (e.type == ConnectionEvent::Type::Opened) {
        m_failures[from] = 0;
        if (from == m_pending)
            promote(from);
        if (from == m_active)
            serviceOutbox();
        return;
    }
    if (e.type == ConnectionEvent::Type::GaveUp && from == m_pending && m_mode != Mode::Auto) {
        // The transport we were switching to will not open: stay on the one that works.
        retire(std::exchange(m_pending, nullptr), QStringLiteral("switch failed: %1").arg(e.detail));
        return;
    }
    if (e.type != ConnectionEvent::Type::Closed && e.type != ConnectionEvent::Type::GaveUp)
        return;
    if (e.unauthorized) {
        onTokenRefused(from, e);
        return;
    }
    if (m_mode != Mode::Auto)
        return;
    if (from == m_pending) {
        const TransportKind failed = from->kind();
        // A probe up did not get through (blocked still, or the network went): stay, try later.
        retire(std::exchange(m_pending, nullptr), QStringLiteral("probe failed: %1").arg(e.detail));
        if (m_active && m_active->kind() == TransportKind::Poll && failed != TransportKind::LongPoll) {
            // Switched to Auto from short polling: Auto never stays there. It steps down as it
            // falls back, make before break, until a transport of its own opens.
            const TransportKind next =
                    failed == TransportKind::WebSocket ? TransportKind::Sse : TransportKind::LongPoll;
            ConnectionEvent fell;
            fell.timeMs = QDateTime::currentMSecsSinceEpoch();
            fell.transport = failed;
            fell.type = ConnectionEvent::Type::FellBack;
            fell.detail = QStringLiteral("%1 → %2: %1 failed: %3")
                                  .arg(transportKindLabel(failed), transportKindLabel(next), e.detail);
            fell.blocked = e.blocked;
            emit eventOccurred(fell);
            m_pending = makeTransport(next);
            m_pending->start(m_position);
            return;
        }
        m_probeTimer.start(m_probeIntervalMs);
    } else if (from == m_active) {
        onActiveFailed(from, e);
    }
}

// Auto falls back only when the transport is blocked on the way to the server, never for an
// outage. Blocked: an HTTP answer refused it (a WebSocket upgrade answered 403/400/426 or 200
// instead of 101, an event stream answered 4xx or text/html) — or it keeps failing with no
// answer (reset, held back by a buffering proxy until the attempt times out) while plain HTTP to
// the same server answers. An outage (connection refused or reset, no answer, a gateway's 5xx)
// hits every transport alike: falling back would gain nothing, would count as "blocked" in the
// Lab, and would leave Auto on a worse transport after the network returns. So during an outage
// Auto keeps its transport, which retries by its policy; and as soon as plain HTTP answers again
// it retries at once instead of waiting out the backoff.
void RealtimeClient::onActiveFailed(ClientTransport *from, const ConnectionEvent &e)
{
    if (e.type == ConnectionEvent::Type::Closed && e.blocked) {
        fallBack(e.detail, true); // (inside the transport's own Closed event)
        return;
    }
    // (With several servers an outage moves the client to the next one instead: see failOver.)
    if (m_urls.size() > 1 && from->state() != ClientTransport::State::Closed)
        return;
    if (e.type == ConnectionEvent::Type::Closed || from->state() == ClientTransport::State::Closed)
        checkReachability(from, e.detail);
}

// A refused token is the same on every transport: Auto does not fall back (it is not a blocked
// path), nothing retries, and what waits in the outbox fails now, visibly, with the reason,
// instead of waiting out its two minutes.
void RealtimeClient::onTokenRefused(ClientTransport *from, const ConnectionEvent &e)
{
    if (e.type != ConnectionEvent::Type::GaveUp)
        return; // (its Closed came first; the transport is done once it gave up)
    if (from == m_pending && m_active && m_active->state() == ClientTransport::State::Open) {
        // A switch or a probe refused while the open transport still delivers (its token is
        // checked when a stream opens): stay on it; it will hear the same when it reconnects.
        retire(std::exchange(m_pending, nullptr), e.detail, false);
        return;
    }
    if (from != m_active && from != m_pending)
        return;
    m_probeTimer.stop();
    m_reachRetry.stop();
    if (m_pending && m_pending != from)
        retire(std::exchange(m_pending, nullptr), e.detail);
    if (from == m_pending) {
        m_pending = nullptr;
        if (m_active)
            retire(std::exchange(m_active, nullptr), e.detail);
        m_active = from; // the transport that said why, Closed
    }
    m_authError = e.detail;
    m_outbox.failAll(e.detail);
    armOutboxTimer();
    emit stateChanged(ClientTransport::State::Closed);
    emit authRefused(m_authError);
}

void RealtimeClient::checkReachability(ClientTransport *failed, const QString &why)
{
    m_reachRetry.stop();
    if (m_reaching) {
        // One check at a time; a failure while one is in flight is judged by its answer.
        if (!why.isEmpty() && m_reachWhy.isEmpty()) {
            m_reachFor = failed;
            m_reachWhy = why;
        }
        return;
    }
    m_reachFor = failed;
    m_reachWhy = why;
    m_reaching = true;
    m_reachTimeout.start(ReachTimeoutMs);
    auto answer = [this, alive = QPointer<RealtimeClient>(this), ask = ++m_reachAsk](bool reachable) {
        if (alive && m_reaching && ask == m_reachAsk)
            onReachability(reachable);
    };
    if (m_healthCheck)
        m_healthCheck(m_server, answer);
    else
        askHealthz(answer);
}

void RealtimeClient::askHealthz(std::function<void(bool reachable)> answer)
{
    m_reach = std::make_unique<HttpClientConnection>();
    m_reach->setServer(m_server);
    connect(m_reach.get(), &HttpClientConnection::responseHeadReceived, this, [this, answer] {
        // Any answer but a gateway's 5xx: the server is there and speaks HTTP.
        answer(m_reach && m_reach->response().status() < 500);
    });
    connect(m_reach.get(), &HttpClientConnection::failed, this, [answer] { answer(false); });
    HttpClientConnection::Request r;
    r.target = "/healthz";
    m_reach->send(r);
}

void RealtimeClient::onReachability(bool reachable)
{
    m_reachTimeout.stop();
    m_reaching = false;
    ++m_reachAsk;
    if (m_reach) {
        m_reach->disconnect(this);
        m_reach->abort();
        m_reach.release()->deleteLater(); // we may be inside its signal
    }
    ClientTransport *t = m_reachFor.data();
    const QString why = std::exchange(m_reachWhy, QString());
    m_reachFor = nullptr;
    if (m_mode != Mode::Auto || !t || t != m_active || t->state() == ClientTransport::State::Open)
        return;
    if (!reachable) {
        // An outage: not the transport's fault. Keep it; ask again soon so it reconnects promptly.
        m_failures[t] = 0;
        if (t->state() == ClientTransport::State::Reconnecting)
            m_reachRetry.start(ReachRecheckMs);
        return;
    }
    if (!why.isEmpty()) {
        const int failures = ++m_failures[t];
        if (failures >= SilentBlockThreshold || t->state() == ClientTransport::State::Closed) {
            // (Nothing below long polling: it keeps trying by its policy.)
            fallBack(QStringLiteral("it fails (%1) while plain HTTP to the server works").arg(why));
            return;
        }
        if (failures > 1)
            return; // one early retry per streak of failures, then the policy's backoff
    }
    // The server answers (again): no reason to sit out the backoff.
    t->retryNow();
}

void RealtimeClient::onMessage(ClientTransport *from, const Message &m)
{
    switch (m_position.advance(m)) {
    case StreamPosition::Arrival::Duplicate: m_continuity.dropped++; return;
    case StreamPosition::Arrival::Reset:
        m_continuity.resets++;
        if (m.lost < 0)
            m_continuity.lostUnknown++;
        if (m_capture)
            m_capture->mark(from->kind(), WireRecord::Kind::Note,
                            m.lost < 0            ? tr("reset: an unknown number lost")
                                    : m.lost == 1 ? tr("reset: 1 lost")
                                                  : tr("reset: %1 lost").arg(m.lost));
        emit messageReceived(m, from->kind());
        return;
    case StreamPosition::Arrival::Gap: m_continuity.gaps++; break;
    case StreamPosition::Arrival::Next: break;
    }
    m_continuity.delivered++;
    if (m.type == MessageType::Chat && m_outbox.isOwn(m.clientMsgId))
        m_outbox.markDelivered(m.clientMsgId);
    if (m.type == MessageType::Chat && m.clientTs.isDouble()) {
        const qint64 sent = m.clientTs.toInteger();
        auto it = m_pendingSends.find(sent);
        if (it != m_pendingSends.end()) {
            const qint64 now = nowMicros();
            stats(from->kind()).roundTrip.add(now - sent);
            m_clock->addRoundTrip(sent, m.ts, now);
            m_pendingSends.erase(it);
        }
    }
    emit messageReceived(m, from->kind());
}

// --- The outbox -------------------------------------------------------------------------------
// Nothing a user sends is dropped without a word: it waits in the outbox until a transport is
// open, is sent in order, and is sent again after a failure (safe: the server publishes one
// clientMsgId once) until its own message comes back or the server acknowledged it; or it fails,
// visibly, and can be retried.

void RealtimeClient::setUpOutbox()
{
    connect(&m_outbox, &Outbox::changed, this, &RealtimeClient::outboxChanged);
    connect(&m_outbox, &Outbox::stateChanged, this, &RealtimeClient::publishStateChanged);
    m_outboxTimer.setSingleShot(true);
    connect(&m_outboxTimer, &QTimer::timeout, this, &RealtimeClient::serviceOutbox);
    // The active transport went down: what it carried may or may not have arrived. Queued again
    // (sent again when a transport opens; a copy that did arrive is answered with the original).
    connect(this, &RealtimeClient::stateChanged, this, [this](ClientTransport::State s) {
        if (s != ClientTransport::State::Open)
            m_outbox.requeueSent(QStringLiteral("the connection was lost"));
        armOutboxTimer();
    });
}

void RealtimeClient::connectOutbox(ClientTransport *t)
{
    connect(t, &ClientTransport::publishAcknowledged, this, [this](const QString &clientMsgId, quint64) {
        m_outbox.markDelivered(clientMsgId);
        armOutboxTimer();
    });
    connect(t, &ClientTransport::publishFailed, this,
            [this](const QString &clientMsgId, const QString &why, bool retryable) {
                if (retryable)
                    m_outbox.requeue(clientMsgId, why);
                else
                    m_outbox.fail(clientMsgId, why);
                armOutboxTimer();
            });
}

void RealtimeClient::serviceOutbox()
{
    m_outbox.expire();
    sendOutbox();
    armOutboxTimer();
}

void RealtimeClient::sendOutbox()
{
    if (!m_active || m_active->state() != ClientTransport::State::Open)
        return;
    ClientTransport *transport = m_active;
    for (const Outbox::Item &item : m_outbox.takeDue()) {
        if (transport != m_active)
            break; // a send failed and changed the transport: the rest stays Sent and is requeued
        PublishRequest r = item.request;
        qint64 stamp = nowMicros();
        while (m_pendingSends.contains(stamp))
            ++stamp; // unique: it is how the round trip is matched
        r.clientTs = QJsonValue(stamp);
        m_pendingSends.insert(stamp, transport->kind());
        m_pendingOrder.emplace_back(stamp, transport->kind());
        while (qsizetype(m_pendingOrder.size()) > MaxPendingSends) {
            m_pendingSends.remove(m_pendingOrder.front().first);
            m_pendingOrder.pop_front();
        }
        transport->publish(r);
    }
}

void RealtimeClient::armOutboxTimer()
{
    if (m_outbox.count(Outbox::State::Queued) + m_outbox.count(Outbox::State::Sent) == 0) {
        m_outboxTimer.stop();
        return;
    }
    // At least once a second while something waits: the age limit fails what waited too long.
    qint64 wait = 1000;
    const qint64 due = m_outbox.nextDueMs();
    if (due >= 0 && state() == ClientTransport::State::Open)
        wait = qBound<qint64>(0, due - QDateTime::currentMSecsSinceEpoch(), wait);
    if (!m_outboxTimer.isActive() || m_outboxTimer.remainingTime() > wait)
        m_outboxTimer.start(int(wait));
}

bool RealtimeClient::publish(const QString &from, const QString &text, QString *clientMsgId, QString *why)
{
    const QString id = m_outbox.add(from, text);
    if (clientMsgId)
        *clientMsgId = id;
    if (id.isEmpty()) {
        if (why)
            *why = m_outbox.errorString();
        return false;
    }
    if (!m_authError.isEmpty()) {
        m_outbox.fail(id, m_authError); // shown, with what to do; retry() once a new token is in
        return true;
    }
    serviceOutbox();
    return true;
}

void RealtimeClient::setOutboxLimits(const Outbox::Limits &limits)
{
    m_outbox.setLimits(limits);
    armOutboxTimer();
}

bool RealtimeClient::retry(const QString &clientMsgId)
{
    if (!m_outbox.retry(clientMsgId))
        return false;
    serviceOutbox();
    return true;
}

} // namespace rtlab
