// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QTcpServer>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <type_traits>

namespace rtlab {

// A TCP relay between clients and a server, on 127.0.0.1, that misbehaves on purpose the way
// networks and proxies do, adjustable live: latency and jitter, a bandwidth cap, an idle
// timeout, response buffering, refusal of WebSocket upgrades, a drop of every connection now
// and "network down". With every setting at its default it is transparent: bytes pass unchanged
// and in order. It loses nothing it does not report: every cut is counted and signalled.
//
// One relay pair (client socket, upstream socket) per client connection; each direction is a
// pipe (response buffering → delay queue → token bucket → socket) with bounded buffers: when its
// socket has ~256 KiB unwritten or its queue ~1 MiB, the relay stops reading the other side and
// TCP's own flow control slows the sender, as a real proxy does.
//
// HTTP awareness, kept minimal: request heads (client → server) are parsed to refuse upgrades and
// to know which responses answer HEAD; responses (server → client) are parsed with
// HttpResponseParser to know where each ends. After an upgrade request the client → server side
// is a tunnel; after a 101 the server → client side is too. Bytes that are not HTTP pass opaque.
class ImpairmentRelay : public QObject
{
    Q_OBJECT
public:
    struct Settings
    {
        int latencyMs = 0;               // added one-way delay, each direction
        int jitterMs = 0;                // ± uniform, per chunk, never reordering bytes of a connection
        qint64 bandwidthBytesPerSec = 0; // 0 = unlimited; a token bucket per direction per connection
        int idleKillMs = 0;              // 0 = off; a connection with no bytes either way for this long is cut
        // 0 = off; HTTP responses server → client are held until this many bytes (at most
        // MaxHeldBytes) or the response ends, like a buffering proxy; after a 101 upgrade the
        // connection is a tunnel and not buffered.
        qint64 bufferResponseBytes = 0;
        bool refuseUpgrades = false;     // WebSocket upgrade requests answered 403 and closed
        bool refuseEventStreams = false; // requests that accept text/event-stream answered 403 and closed
        bool operator==(const Settings &) const = default;
    };
    struct Counters
    {
        qint64 connections = 0; // relayed, ever (not those refused while down)
        qint64 active = 0;      // open now
        qint64 bytesUp = 0;     // client → server, delivered
        qint64 bytesDown = 0;   // server → client, delivered
        qint64 dropped = 0;     // connections cut by dropAll()/setDown()
        qint64 idleKills = 0;
        qint64 refusedUpgrades = 0;
        qint64 refusedStreams = 0;
        qint64 refusedWhileDown = 0; // connections refused while the network is down
    };
    // Response buffering never holds more than this per connection, whatever the setting.
    static constexpr qint64 MaxHeldBytes = 8 * 1024 * 1024;

    explicit ImpairmentRelay(QObject *parent = nullptr);
    ~ImpairmentRelay() override;

    bool listen(const QHostAddress &target, quint16 targetPort, quint16 port = 0); // listens on 127.0.0.1
    quint16 port() const;
    QUrl url() const;                                               // http://127.0.0.1:PORT
    void setTarget(const QHostAddress &target, quint16 targetPort); // new connections go there
    Settings settings() const;
    void setSettings(const Settings &settings); // live: applies to open connections too
    void dropAll();                             // cut every connection now
    void setDown(bool down);                    // down: drop all, and refuse (close at once) new connections until up
    bool isDown() const;
    void takeDownFor(int ms); // down now, up again after ms
    Counters counters() const;
    // Bytes held right now by response buffering, and waiting in the delay queues / bandwidth
    // buckets (both directions), over all connections.
    qint64 heldBytes() const;
    qint64 queuedBytes() const;

signals:
    void countersChanged(); // at most ~10 times a second
    void settingsChanged(const rtlab::ImpairmentRelay::Settings &settings);
    void downChanged(bool down);
    void connectionCut(const QString &reason); // "dropped", "idle kill", "upgrade refused", "event stream refused",
                                               // "refused: network down"

private:
    // The relay may live on a network thread of its own (the desktop client puts it there, so
    // that painting never delays the bytes it forwards). Its public functions may be called from
    // any thread: called elsewhere, they run on the relay's thread and the caller waits.
    bool onOwnThread() const { return QThread::currentThread() == thread(); }
    template<typename F>
    auto elsewhere(F f) const -> decltype(f())
    {
        auto *self = const_cast<ImpairmentRelay *>(this);
        if constexpr (std::is_void_v<decltype(f())>) {
            QMetaObject::invokeMethod(self, std::move(f), Qt::BlockingQueuedConnection);
        } else {
            decltype(f()) result {};
            QMetaObject::invokeMethod(self, std::move(f), Qt::BlockingQueuedConnection, &result);
            return result;
        }
    }

    class Connection;
    class Pipe;
    friend class Connection;
    friend class Pipe;

    void onNewConnection();
    void cut(Connection *connection, const QString &reason);
    void finish(Connection *connection);
    void sweepIdle();
    void updateIdleTimer();
    void countersTouched();
    void notifyCut(const QString &reason);
    qint64 now() const { return m_clock.elapsed(); }

    QTcpServer m_server;
    QHostAddress m_target;
    quint16 m_targetPort = 0;
    Settings m_settings;
    bool m_down = false;
    Counters m_counters;
    QSet<Connection *> m_connections;
    QElapsedTimer m_clock;
    QTimer m_upTimer;       // takeDownFor
    QTimer m_idleTimer;     // one sweep for all connections
    QTimer m_countersTimer; // throttles countersChanged
    bool m_countersDirty = false;
    qint64 m_lastCountersMs = -1000;
};

} // namespace rtlab

Q_DECLARE_METATYPE(rtlab::ImpairmentRelay::Settings)
