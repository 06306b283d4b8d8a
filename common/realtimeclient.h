// SPDX-License-Identifier: MIT
#pragma once

#include "clienttransport.h"
#include "httpclientconnection.h"
#include "outbox.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <array>
#include <deque>
#include <functional>

namespace rtlab {

// The client side of rtlab as one object: a chosen transport (or Auto), a live switch that
// opens the new transport from the last id before closing the old one, duplicate-free in-order
// delivery across switches and reconnects, a continuity check that proves it, and the figures
// of each transport. The desktop client and rtlab-cli both use it.
class RealtimeClient : public QObject
{
    Q_OBJECT
public:
    // One mode per transport (modeFor(), transportOf()), and Auto, which picks among WebSocket,
    // SSE and long polling — never short polling, the baseline that is there to be compared against.
    enum class Mode { LongPoll, Sse, WebSocket, Poll, Auto };
    Q_ENUM(Mode)
    static Mode modeFor(TransportKind kind);
    static std::optional<TransportKind> transportOf(Mode mode); // nullopt: Auto

    struct Continuity
    {
        qint64 delivered = 0;   // messages passed on
        qint64 gaps = 0;        // an id skipped without a reset: must stay 0
        qint64 duplicates = 0;  // an id passed on twice: 0 by construction, checked anyway
        qint64 dropped = 0;     // duplicates dropped (normal while two transports overlap)
        qint64 resets = 0;      // resets passed on (loss the server admitted)
        qint64 lostUnknown = 0; // of them, those that could not say how much (lost -1: a new epoch)
    };

    explicit RealtimeClient(QObject *parent = nullptr);
    ~RealtimeClient() override;

    // Several servers that share one log (nodes of a cluster, docs/architecture.md "Client
    // failover"): the client is on one at a time. When a connection fails or drops — the cases in
    // which a transport would reconnect — the next attempt goes to the next URL in this order,
    // round again after the last, resuming from the same (epoch, id); the outbox sends what was not
    // acknowledged again, with its clientMsgId, to the new one. A move to the next server is
    // immediate; the reconnect policy's delay applies between rounds (so a live node is reached at
    // most one attempt after a dead one). Transports made from now on use it. Keeps the server in
    // use if it is in the list, else takes the first.
    void setServerUrls(const QList<QUrl> &urls);
    QList<QUrl> serverUrls() const { return m_urls; }
    void setServerUrl(const QUrl &url) { setServerUrls({ url }); }
    // The server in use now.
    QUrl serverUrl() const { return m_server; }
    // A signed token for a server with `--auth-key` (docs/protocol.md, "Authentication"): every
    // request and WebSocket handshake of the transports made from now on carries it as
    // `Authorization: Bearer`. Empty: none. Kept in memory only.
    void setToken(const QByteArray &token) { m_token = token.trimmed(); }
    QByteArray token() const { return m_token; }
    // Why the server refused the token ("token expired — get a new one", "not allowed to
    // subscribe …"), empty while it has not. Once refused the client stops (state() Closed): the
    // same token would be refused again. start() with a new token clears it.
    QString authError() const { return m_authError; }
    void setReconnectPolicy(const ReconnectPolicy &policy) { m_policy = policy; }
    void setHeartbeatMs(qint64 ms) { m_heartbeatMs = ms; }
    void setPollHoldMs(qint64 ms) { m_pollHoldMs = ms; }
    // Short polling: from one poll's start to the next's (transports made from now on).
    void setPollIntervalMs(qint64 ms) { m_pollIntervalMs = qMax<qint64>(1, ms); }
    qint64 pollIntervalMs() const { return m_pollIntervalMs; }
    // Where the transports made from now on record what crosses the wire (null: nowhere).
    void setWireCapture(std::shared_ptr<WireCapture> capture) { m_capture = std::move(capture); }
    std::shared_ptr<WireCapture> wireCapture() const { return m_capture; }
    // Auto mode: how often to try a better transport again after falling back.
    void setProbeIntervalMs(int ms) { m_probeIntervalMs = ms; }

    // Makes the transports (transports made from now on): ClientTransport::create by default;
    // tests give fakes that they open, fail and feed themselves.
    using TransportFactory =
            std::function<ClientTransport *(TransportKind kind, const ClientTransport::Options &, QObject *parent)>;
    void setTransportFactory(TransportFactory factory) { m_makeTransport = std::move(factory); }
    // Auto's question to plain HTTP before it blames a transport (see onActiveFailed): does the
    // server answer? The check calls `answer` once; an answer to a check the client has given up
    // since (stopped, timed out) is ignored. By default a GET /healthz; tests answer themselves.
    using HealthCheck = std::function<void(const QUrl &server, std::function<void(bool reachable)> answer)>;
    void setHealthCheck(HealthCheck check) { m_healthCheck = std::move(check); }

    Mode mode() const { return m_mode; }
    // The transport delivering now (in Auto, the one Auto chose): it may be connecting or
    // reconnecting; only state() == Open means it delivers.
    std::optional<TransportKind> activeTransport() const;
    // The real state of that transport: Connecting (also while finding the live end before the
    // first transport starts), Open, Reconnecting (see msUntilNextAttempt()), or Closed.
    ClientTransport::State state() const;
    // While Reconnecting: ms until the active transport's next attempt; otherwise -1.
    qint64 msUntilNextAttempt() const;
    StreamPosition position() const { return m_position; }
    const Continuity &continuity() const { return m_continuity; }
    TransportStats &stats(TransportKind kind) { return *m_stats[size_t(kind)]; }
    ClockOffset &clock() { return *m_clock; }
    // Starts every transport's figures over (the continuity check goes on: it covers the session).
    void resetStats();

    void start(Mode mode, const StreamPosition &from = {});
    // Live switch: make before break.
    void switchTo(Mode mode);
    void stop();
    // Publishes a chat message through the outbox: it gets a clientMsgId (*clientMsgId), is sent
    // over the active transport when one is open, in order, and is sent again after a failure until
    // it comes back in the stream (or the server acknowledged it), or it fails (publishStateChanged).
    // Each send is stamped with clientTs for the round trip. Returns false, with the reason in *why,
    // only when the outbox refuses it (full, or the message breaks the wire limits): then nothing
    // was queued.
    bool publish(const QString &from, const QString &text, QString *clientMsgId = nullptr, QString *why = nullptr);
    // Queues a Failed message again. False if it is not a failed message of ours.
    bool retry(const QString &clientMsgId);
    const Outbox &outbox() const { return m_outbox; }
    void setOutboxLimits(const Outbox::Limits &limits);

    static QString modeKey(Mode mode); // "lp", "sse", "ws", "poll", "auto"
    static bool modeFromKey(QStringView key, Mode *mode);

signals:
    void messageReceived(const rtlab::Message &message, rtlab::TransportKind via);
    void eventOccurred(const rtlab::ConnectionEvent &event);
    void stateChanged(rtlab::ClientTransport::State state);
    void activeTransportChanged(rtlab::TransportKind kind);
    // A live message's one-way latency on a transport (replays on resume are left out).
    void latencyMeasured(rtlab::TransportKind kind, qint64 micros);
    void outboxChanged();
    void publishStateChanged(const QString &clientMsgId, rtlab::Outbox::State state);
    // The server refused the token (see authError()): the client has stopped retrying.
    void authRefused(const QString &why);
    // The client moved to another server of its list (serverUrls()).
    void serverChanged(const QUrl &now, const QUrl &previous);

private:
    ClientTransport *makeTransport(TransportKind kind);
    void bootstrap(TransportKind kind);
    void begin(TransportKind kind);
    void onMessage(ClientTransport *from, const Message &message);
    void onEvent(ClientTransport *from, const ConnectionEvent &event);
    void promote(ClientTransport *transport);
    // announce: emit Closed if it was open or connecting (not when it has just said so itself).
    void retire(ClientTransport *transport, const QString &reason, bool announce = true);
    void fallBack(const QString &why, bool closedAlready = false);
    void probeUp();
    void onActiveFailed(ClientTransport *from, const ConnectionEvent &event);
    void onTokenRefused(ClientTransport *from, const ConnectionEvent &event);
    void checkReachability(ClientTransport *failed, const QString &why);
    void askHealthz(std::function<void(bool reachable)> answer);
    void onReachability(bool reachable);
    void emitClientEvent(TransportKind kind, ConnectionEvent::Type type, const QString &detail, qint64 delayMs = 0);
    // Several servers: the active transport would reconnect; its next attempt goes to the next one.
    void failOver(ClientTransport *failed);
    // The next server of the list becomes the one in use, and everyone hears why.
    void moveToNextServer(TransportKind kind, const QString &why);
    // The outbox: what goes out over the active transport, and what happened to it.
    void setUpOutbox();
    void connectOutbox(ClientTransport *transport);
    void serviceOutbox();
    void sendOutbox();
    void armOutboxTimer();

    QUrl m_server; // the one in use: m_urls[m_urlIndex] (or none)
    QList<QUrl> m_urls;
    qsizetype m_urlIndex = 0;
    // Since the last open: servers failed in this round, and rounds every server failed in (the
    // reconnect policy's attempt number). While m_roundTimer runs, m_active waits, not started.
    qsizetype m_failedInRound = 0;
    int m_rounds = 0;
    QTimer m_roundTimer;
    QString m_lastLoss; // why the active transport's connection last closed
    int m_bootstrapMisses = 0;
    QByteArray m_token;
    QString m_authError;
    ReconnectPolicy m_policy;
    qint64 m_heartbeatMs = 15000;
    qint64 m_pollHoldMs = 25000;
    qint64 m_pollIntervalMs = 1000;
    std::shared_ptr<WireCapture> m_capture;
    int m_probeIntervalMs = 30000;
    TransportFactory m_makeTransport = &ClientTransport::create;
    HealthCheck m_healthCheck;
    Mode m_mode = Mode::Auto;
    ClientTransport *m_active = nullptr;
    ClientTransport *m_pending = nullptr; // being opened: replaces m_active once open
    StreamPosition m_position;
    Continuity m_continuity;
    std::shared_ptr<ClockOffset> m_clock;
    std::array<std::shared_ptr<TransportStats>, TransportKindCount> m_stats;
    // Auto: consecutive failures of a transport with no HTTP refusal while plain HTTP to the
    // server answered (a path that silently drops it, not an outage).
    QHash<ClientTransport *, int> m_failures;
    QTimer m_probeTimer;
    // Auto: one GET /healthz at a time tells a blocked transport from an outage (see onActiveFailed).
    bool m_reaching = false;
    quint64 m_reachAsk = 0;                        // which check an answer belongs to: a late one is ignored
    std::unique_ptr<HttpClientConnection> m_reach; // the default check's request
    QTimer m_reachTimeout;
    QTimer m_reachRetry; // during an outage: ask again, to reconnect as soon as it ends
    QPointer<ClientTransport> m_reachFor;
    QString m_reachWhy; // the failure being checked ("" for a recheck during an outage)
    // Before the first transport of a client with no position: where the live end is.
    std::unique_ptr<HttpClientConnection> m_bootstrap;
    QTimer m_bootstrapTimeout;
    QByteArray m_bootstrapBody;
    // clientTs of our own messages still on their way back → local send time (µs). Bounded.
    std::deque<std::pair<qint64, TransportKind>> m_pendingOrder;
    QHash<qint64, TransportKind> m_pendingSends;
    Outbox m_outbox;
    QTimer m_outboxTimer; // a re-send's back-off, and the outbox's age limit
};

} // namespace rtlab
