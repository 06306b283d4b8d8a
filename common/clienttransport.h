// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"
#include "latencystats.h"
#include "message.h"
#include "messagecodec.h"
#include "reconnectpolicy.h"
#include "streamposition.h"
#include "transportstats.h"
#include "wirecapture.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace rtlab {

class HttpClientConnection;
class HttpPublisher;

// One client transport behind one interface: long polling, SSE, WebSocket or short polling. It connects,
// resumes from its position, reconnects by its policy, drops duplicates by id, watches for a
// dead peer, and reports every connection event. Messages come out in log order.
class ClientTransport : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Open, Reconnecting, Closed };
    Q_ENUM(State)

    struct Options
    {
        QUrl server; // http(s)://host:port of an rtlab server
        QUrl rawUrl; // --raw: any SSE or WebSocket endpoint; messages are not decoded
        ReconnectPolicy policy;
        qint64 heartbeatMs = 15000;   // the server's; no bytes for two of them = a dead peer (0: off)
        qint64 pollHoldMs = 25000;    // long poll: asked hold; the client gives up 5 s later
        qint64 pollIntervalMs = 1000; // short poll: from one poll's start to the next's (at least 1)
        std::shared_ptr<ClockOffset> clock;
        std::shared_ptr<TransportStats> stats; // shared so figures survive a new instance
        // When set, every exchange, event and frame this transport sends or receives is recorded
        // there (the protocol X-ray, the HAR export). Shared: several transports may write to one.
        std::shared_ptr<WireCapture> capture;
        // A signed token (docs/protocol.md, "Authentication"): sent as `Authorization: Bearer` on
        // every request and WebSocket handshake of this transport. Empty: none.
        QByteArray token;
    };

    ClientTransport(TransportKind kind, Options options, QObject *parent = nullptr);
    ~ClientTransport() override;

    static ClientTransport *create(TransportKind kind, const Options &options, QObject *parent = nullptr);

    TransportKind kind() const { return m_kind; }
    State state() const { return m_state; }
    StreamPosition position() const { return m_position; }
    TransportStats &stats() { return *m_stats; }
    const Options &options() const { return m_options; }
    bool hasEverOpened() const { return m_everOpened; }
    // While Reconnecting: when the next attempt starts (ms since the Unix epoch) and how long
    // until then (ms, at least 0); otherwise 0 and -1.
    qint64 nextAttemptAtMs() const;
    qint64 msUntilNextAttempt() const;

    void start(const StreamPosition &from = {});
    void stop(const QString &reason = QStringLiteral("closed by the client"));
    // While Reconnecting: the next attempt now instead of when the policy said (the owner has
    // learnt the server answers again). Otherwise nothing.
    void retryNow();
    // Publishes a chat message over this transport's upstream path.
    virtual void publish(const PublishRequest &request) = 0;
    // True when the upstream shares the receiving connection (WebSocket).
    virtual bool upstreamOnSameConnection() const { return false; }

signals:
    void stateChanged(rtlab::ClientTransport::State state);
    void messageReceived(const rtlab::Message &message);
    // --raw mode: {"event","id","data"} for SSE, {"data"} for WebSocket.
    void rawReceived(const QJsonObject &object);
    void eventOccurred(const rtlab::ConnectionEvent &event);
    // One live message's one-way latency (µs): receive time − server ts, clock-offset corrected.
    // Not emitted for messages replayed on resume (TransportStats::replayed counts those).
    void latencyMeasured(qint64 micros);
    // The upstream's answers about one published message (by its clientMsgId; empty if it had
    // none). Acknowledged: the server has it as `id`. Failed: not published, or not known to be;
    // `retryable` when sending it again may work (no answer, a lost connection, a 5xx), false when
    // the server refused it.
    void publishAcknowledged(const QString &clientMsgId, quint64 id);
    void publishFailed(const QString &clientMsgId, const QString &reason, bool retryable);

protected:
    // Start one attempt from m_position.
    virtual void connectNow() = 0;
    // Drop the connection at once; no signals.
    virtual void disconnectNow() = 0;
    // The delay before the attempt-th reconnect (SSE honours the server's retry:).
    virtual std::optional<int> retryDelay(int attempt);

    void attemptOpened();
    // The connection is gone (or an attempt failed): reconnect by the policy unless told not to.
    void connectionLost(const QString &reason, int closeCode = 0, bool retry = true);
    // An HTTP answer refused this attempt (httpStatus instead of a 101 upgrade or a 200 event
    // stream; 200 for a stream of the wrong type). A 4xx (or a 2xx/3xx that is not the transport)
    // means the path blocks the transport and the Closed event says so; a 5xx is a server or a
    // gateway that is down, an outage like any other.
    void attemptRefused(const QString &reason, int httpStatus, bool retry);
    static bool statusBlocks(int httpStatus) { return httpStatus > 0 && httpStatus < 500; }
    // The server refused our token (an HTTP 401/403, see AuthRefusal; or closeCode 1008 on an open
    // WebSocket): Closed and GaveUp with `unauthorized` and `reason`, and no retry.
    void tokenRefused(const QString &reason, int httpStatus, int closeCode = 0);
    // Whether an HTTP answer with this status refuses our token (AuthRefusal::refusesToken).
    bool refusesToken(int httpStatus) const;
    // Decodes one message of JSON and delivers it; returns false if it was not a message.
    bool deliverJson(QByteArrayView json);
    void deliver(const Message &message);
    // Any bytes from the peer: the dead-peer watchdog starts over.
    void noteAlive();
    void emitEvent(ConnectionEvent::Type type, const QString &detail = {}, qint64 delayMs = 0, qint64 lost = 0,
                   int closeCode = 0);
    void setWatchdogEnabled(bool enabled) { m_watchdogEnabled = enabled; }
    // The HTTP transports' parts, wired the same way: a failed connection is a lost one, and the
    // publisher's answers are this transport's (a refused publish an Error event too).
    void connectHttpParts(HttpClientConnection *connection, HttpPublisher *publisher);

    Options m_options;
    StreamPosition m_position;

private:
    void setState(State state);
    void reconnect();
    void lose(const QString &reason, int closeCode, bool retry, int httpStatus, bool unauthorized = false);
    void armAttemptTimeout();

    TransportKind m_kind;
    State m_state = State::Idle;
    std::shared_ptr<TransportStats> m_stats;
    QTimer m_retryTimer;
    QTimer m_watchdog;
    int m_attempt = 0;
    qint64 m_nextAttemptAtMs = 0;
    bool m_everOpened = false;
    bool m_watchdogEnabled = true;
    bool m_stopped = true;
    // Server time (µs) at which the current connection attempt began: a message the server sent
    // before it was waiting in the history while we were away (a replay), not on the wire.
    qint64 m_liveFromServerUs = 0;
    bool m_reportingLoss = false; // inside the Closed event of a lost connection
};

} // namespace rtlab

Q_DECLARE_METATYPE(rtlab::Message)
