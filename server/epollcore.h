// SPDX-License-Identifier: MIT
#pragma once

#include "httprequestparser.h"
#include "httpstream.h"
#include "serverstats.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSocketNotifier>

#include <deque>
#include <memory>
#include <vector>

namespace rtlab {

class Hub;
class EpollCore;

// One TCP connection of the epoll core. It owns its bytes: requests are parsed from its input
// buffer, a WebSocket upgrade for /ws is answered here (RFC 6455 handshake and framing), and
// everything written goes into an output buffer flushed with writev() when the socket is
// writable. It is the HttpStream of the current exchange, and after an upgrade the WsChannel.
class EpollConnection final : public HttpStream, public WsChannel
{
public:
    EpollConnection(EpollCore *core, int fd);
    ~EpollConnection() override;
    EpollConnection(const EpollConnection &) = delete;
    EpollConnection &operator=(const EpollConnection &) = delete;

    int fd() const { return m_fd; }
    bool isClosed() const { return m_fd < 0; }
    bool isWebSocket() const { return m_mode == Mode::WebSocket; }
    bool isClosing() const { return m_mode == Mode::Http && m_state == State::Closing; }
    qint64 lastActivityMs() const { return m_lastActivityMs; }

    // Called by the core.
    void onEvents(quint32 events);
    void flush();
    void closeIdle();
    // Cuts the connection as a network fault would: the session hears of it like any close.
    void drop();
    // A server close handshake that the peer never finished.
    bool closeHandshakeExpired(qint64 nowMs) const;

    // HttpStream
    void setObserver(HttpStream::Observer *observer) override { m_httpObserver = observer; }
    void respond(const HttpResponse &response) override;
    void beginStream(const HttpResponse &head) override;
    void write(const QByteArray &bytes) override;
    void end() override;
    // HttpStream and WsChannel: cut at once, nothing more is written.
    void abort() override;
    qint64 pendingBytes() const override { return m_pending; }
    // HttpStream and WsChannel: looked up with getpeername() when asked (not on every accept).
    QByteArray peerAddress() const override;

    // WsChannel
    void setObserver(WsChannel::Observer *observer) override { m_wsObserver = observer; }
    void sendText(const QByteArray &utf8) override;
    void sendTextFrame(const QByteArray &utf8, const QByteArray &frame) override;
    void ping() override;
    void close(quint16 code, const QString &reason) override;
    QByteArray requestTarget() const override { return m_requestTarget; }

private:
    enum class Mode { Http, WebSocket };
    enum class State { Reading, Dispatched, Streaming, Closing };

    void readInput();
    void process();
    void processHttp();
    void processFrames();
    void dispatch();
    void upgrade(const HttpRequest &request);
    void fail(int status, const QString &why);
    void append(const QByteArray &bytes);
    void appendFrame(quint8 opcode, const QByteArray &payload);
    void failWs(quint16 code, const QString &reason);
    void closeAfterFlush();
    void updateInterest();
    // Closes the socket, tells the observer (if any), and hands the object to the core's graveyard.
    void teardown();

    EpollCore *m_core;
    Hub *m_hub;
    int m_fd;
    Mode m_mode = Mode::Http;
    State m_state = State::Reading;
    HttpRequestParser m_parser;
    QByteArray m_in;
    std::deque<QByteArray> m_out;
    qsizetype m_outOffset = 0; // bytes of m_out.front() already written
    qint64 m_pending = 0;
    quint32 m_interest = 0;
    HttpStream::Observer *m_httpObserver = nullptr;
    WsChannel::Observer *m_wsObserver = nullptr;
    CountedTransport m_exchangeTransport;
    CountedTransport m_countedAs; // a polling connection: long or short (Hub)
    bool m_keepAlive = true;
    bool m_processing = false;
    bool m_processQueued = false;
    bool m_readPaused = false;
    bool m_blocked = false; // the last write stopped short (EAGAIN): wait for EPOLLOUT
    bool m_closeAfterFlush = false;
    bool m_dirty = false;
    qint64 m_lastActivityMs = 0;
    // WebSocket
    QByteArray m_requestTarget;
    QByteArray m_message;       // the fragments of the message being received
    quint8 m_messageOpcode = 0; // 0: no fragmented message in progress
    bool m_closeSent = false;
    qint64 m_closeSentMs = 0;

    friend class EpollCore;
};

// rtlab-server's Linux connection core: one listening socket (non-blocking accept4, large
// backlog) and every client socket in ONE epoll set, which the Qt event loop watches through a
// single QSocketNotifier on the epoll fd. Writes are coalesced: connections written to are
// flushed once per event-loop pass.
class EpollCore : public QObject
{
    Q_OBJECT
public:
    explicit EpollCore(Hub *hub, QObject *parent = nullptr);
    ~EpollCore() override;

    bool listen(const QHostAddress &address, quint16 port, QString *errorString);
    void stopListening();
    quint16 port() const { return m_port; }
    QHostAddress address() const { return m_address; }
    int connectionCount() const { return int(m_connections.size()); }
    Hub *hub() const { return m_hub; }

    // Closes connections that sit between requests longer than idleMs (all of them with 0),
    // and WebSockets whose close handshake the peer left unanswered.
    void sweep(qint64 nowMs, qint64 idleMs);
    void closeIdle();
    void dropConnections();
    void abortAll();

    // Called by connections.
    void setInterest(EpollConnection *c, quint32 events);
    void markDirty(EpollConnection *c);
    void scheduleProcess(EpollConnection *c);
    void release(EpollConnection *c);

signals:
    // A connection is gone (Server checks whether shutdown is complete).
    void connectionClosed();

private:
    // Runs f on every connection (a copy of the set), then flushes what it wrote.
    template<typename F>
    void forEachConnection(F f);
    void onReadable();
    void acceptAll();
    void flushDirty();
    void scheduleFlush();
    void collectGarbage();

    Hub *m_hub;
    int m_epfd = -1;
    int m_listenFd = -1;
    quint16 m_port = 0;
    QHostAddress m_address;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QHash<EpollConnection *, bool> m_connections;
    std::vector<EpollConnection *> m_dirty;
    std::vector<EpollConnection *> m_graveyard;
    bool m_flushScheduled = false;
    int m_depth = 0; // passes in progress: the graveyard waits until none is
};

} // namespace rtlab
