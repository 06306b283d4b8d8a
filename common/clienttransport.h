#pragma once

#include "connectionevent.h"
#include "latencystats.h"
#include "message.h"
#include "messagecodec.h"
#include "reconnectpolicy.h"
#include "transportstats.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace rtlab {

// Where a client is in the server's log: the last id it has and that id's epoch.
struct StreamPosition
{
    QString epoch;
    std::optional<quint64> lastId;
    bool operator==(const StreamPosition &) const = default;
};

// One client transport behind one interface: long polling, SSE or WebSocket. It connects,
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
        QUrl server;               // http(s)://host:port of an rtlab server
        QUrl rawUrl;               // --raw: any SSE or WebSocket endpoint; messages are not decoded
        ReconnectPolicy policy;
        qint64 heartbeatMs = 15000; // the server's; no bytes for two of them = a dead peer (0: off)
        qint64 pollHoldMs = 25000;  // long poll: asked hold; the client gives up 5 s later
        std::shared_ptr<ClockOffset> clock;
        std::shared_ptr<TransportStats> stats; // shared so figures survive a new instance
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

    void start(const StreamPosition &from = {});
    void stop(const QString &reason = QStringLiteral("closed by the client"));
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
    // Decodes one message of JSON and delivers it; returns false if it was not a message.
    bool deliverJson(QByteArrayView json);
    void deliver(const Message &message);
    // Any bytes from the peer: the dead-peer watchdog starts over.
    void noteAlive();
    void emitEvent(ConnectionEvent::Type type, const QString &detail = {}, qint64 delayMs = 0, qint64 lost = 0,
                   int closeCode = 0);
    void setWatchdogEnabled(bool enabled) { m_watchdogEnabled = enabled; }

    Options m_options;
    StreamPosition m_position;

private:
    void setState(State state);
    void reconnect();

    TransportKind m_kind;
    State m_state = State::Idle;
    std::shared_ptr<TransportStats> m_stats;
    QTimer m_retryTimer;
    QTimer m_watchdog;
    int m_attempt = 0;
    bool m_everOpened = false;
    bool m_watchdogEnabled = true;
    bool m_stopped = true;
};

} // namespace rtlab

Q_DECLARE_METATYPE(rtlab::Message)
