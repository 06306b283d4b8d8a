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
    // A last response on its way, the connection to close once it is out.
    bool isClosing() const { return !m_ws && m_exchange.state() == HttpExchange::State::Closing; }
    qint64 lastActivityMs() const { return m_exchange.lastActivityMs(); }
    // Closable to make room: no request in flight (none waiting unread, none begun in the parser
    // past its method), no stream or held poll, not a WebSocket, nothing left to write.
    // HttpExchange::isIdle() is to say it once for every core.
    bool isIdle() const
    {
        return !isClosed() && !m_ws && m_exchange.state() == HttpExchange::State::Reading && m_in.isEmpty()
                && m_out.empty() && m_parser.request().target.isEmpty();
    }
    bool closeHandshakeExpired(qint64 nowMs) const { return !isClosed() && m_ws && m_ws->closeHandshakeExpired(nowMs); }

    // The core's side.
    void onEvents(quint32 events);
    // Marks the connection for the core's next pass; false when it already was.
    bool markDirty() { return !std::exchange(m_dirty, true); }
    // Leftover input to read in the core's next pass; false when it already was queued.
    bool queueProcess() { return !std::exchange(m_processQueued, true); }
    // The core's pass: leftover input first, then what was written leaves in one sendmsg().
    void runPass();
    void closeIdle() { m_exchange.closeIdle(); }
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
