// SPDX-License-Identifier: MIT
#pragma once

#include "httpexchange.h"
#include "httprequestparser.h"
#include "wsendpoint.h"

#include <sys/epoll.h>

#include <deque>
#include <memory>

namespace rtlab {

class EpollCore;
class Hub;

// One TCP connection of the epoll core: its socket and its bytes. Requests are parsed from its
// input buffer and their exchange runs in HttpExchange (the HTTP rules both cores share); after a
// WebSocket upgrade its input goes to a WsEndpoint (RFC 6455 on common/'s WsFrameParser).
// Everything written goes into an output queue of shared byte arrays, flushed with one
// sendmsg() (up to 64 pieces) per event-loop pass when the socket takes it.
class EpollConnection final : private HttpExchange::Wire, private WsEndpoint::Wire
{
public:
    EpollConnection(EpollCore *core, int fd);
    ~EpollConnection() override;
    EpollConnection(const EpollConnection &) = delete;
    EpollConnection &operator=(const EpollConnection &) = delete;

    // What the connection wants from the epoll set when it is added to it.
    static constexpr quint32 InitialInterest = EPOLLIN | EPOLLRDHUP;

    int fd() const { return m_fd; }
    bool isClosed() const { return m_fd < 0; }
    bool isWebSocket() const { return m_ws != nullptr; }
    // No request in flight, no stream, no held poll (HttpExchange::isIdle); a WebSocket never is.
    bool isIdle() const { return !m_ws && m_exchange.isIdle(); }
    qint64 lastActivityMs() const { return m_exchange.lastActivityMs(); }

    // The core's side.
    void onEvents(quint32 events);
    // Marks the connection for the core's next pass; false when it already was.
    bool markDirty() { return !std::exchange(m_dirty, true); }
    // Leftover input to read in the core's next pass; false when it already was queued.
    bool queueProcess() { return !std::exchange(m_processQueued, true); }
    // The core's pass: leftover input first, then what was written leaves in one sendmsg().
    void runPass();
    void closeIdle() { m_exchange.closeIdle(); }
    // The sweep: request deadlines, the keep-alive timeout (HttpExchange::sweep), and a WebSocket
    // close handshake the peer left unanswered.
    void sweep(qint64 nowMs, qint64 idleMs);
    // Cuts the connection (a network fault, the end of the grace period, a dead peer): the
    // session hears of it like any close.
    void drop() { teardown(); }

private:
    void readInput();
    void process();
    void processHttp();
    void upgrade(const HttpRequest &request);
    void append(const QByteArray &bytes);
    void flush();
    void updateInterest();
    // Unsent output over the bound (--max-pending): the connection reads nothing more until it drains.
    bool outputFull() const;
    // Closes the socket, tells the observer (if any), and hands the object to the core's graveyard.
    void teardown();

    // HttpExchange::Wire and WsEndpoint::Wire
    bool isOpen() const override { return !isClosed() && !m_ws; }
    void writeBytes(const QByteArray &bytes) override { append(bytes); }
    void writeFrame(const QByteArray &frame) override { append(frame); }
    void closeAfterWrite() override;
    void abortConnection() override { teardown(); }
    void readNext() override { updateInterest(); }
    qint64 pendingBytes() const override { return m_pending; }
    bool hasUnreadInput() const override { return !m_in.isEmpty(); }
    // Looked up with getpeername() when asked (not on every accept).
    QByteArray peerAddress() const override;

    EpollCore *m_core;
    Hub *m_hub;
    int m_fd;
    HttpRequestParser m_parser;
    HttpExchange m_exchange;
    std::unique_ptr<WsEndpoint> m_ws; // after the upgrade
    QByteArray m_in;
    std::deque<QByteArray> m_out;
    qsizetype m_outOffset = 0; // bytes of m_out.front() already written
    qint64 m_pending = 0;
    quint32 m_interest = InitialInterest;
    bool m_processing = false;
    bool m_processQueued = false;
    bool m_readPaused = false;
    bool m_blocked = false; // the last write stopped short (EAGAIN): wait for EPOLLOUT
    bool m_closeAfterFlush = false;
    bool m_dirty = false;
};

} // namespace rtlab
