// SPDX-License-Identifier: MIT
#include "epollconnection.h"

#include "epollcore.h"
#include "hub.h"
#include "wshandshake.h"

#include <QHostAddress>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace rtlab {

namespace {

constexpr int MaxIov = 64;

} // namespace

EpollConnection::EpollConnection(EpollCore *core, int fd)
    : m_core(core), m_hub(core->hub()), m_fd(fd),
      m_parser({ core->hub()->config().maxHeadBytes, core->hub()->config().maxBodyBytes }),
      m_exchange(core->hub(), this)
{
}

EpollConnection::~EpollConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void EpollConnection::onEvents(quint32 events)
{
    if (isClosed())
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        if (m_readPaused && (events & (EPOLLHUP | EPOLLERR))) {
            teardown();
            return;
        }
        readInput();
    }
    if (!isClosed() && (events & EPOLLOUT))
        flush();
}

void EpollConnection::readInput()
{
    const qsizetype cap = m_hub->config().maxHeadBytes + m_hub->config().maxBodyBytes + 4096;
    bool eof = false;
    char buffer[65536];
    while (m_in.size() < cap) {
        const size_t want = size_t(qMin<qsizetype>(sizeof buffer, cap - m_in.size()));
        const ssize_t n = ::read(m_fd, buffer, want);
        if (n > 0) {
            m_in.append(buffer, qsizetype(n));
            // A short read drained the socket: the level-triggered set says when there is more
            // (or the end), so no read that would only answer EAGAIN.
            if (size_t(n) < want)
                break;
            continue;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        teardown(); // ECONNRESET and friends
        return;
    }
    if (!m_in.isEmpty())
        process();
    if (isClosed())
        return;
    if (eof) {
        teardown();
        return;
    }
    updateInterest();
}

void EpollConnection::process()
{
    if (m_processing || isClosed())
        return;
    m_processing = true;
    if (!m_ws)
        processHttp();
    // Bytes after the handshake (or all of them, once upgraded) are frames.
    if (!isClosed() && m_ws && !m_in.isEmpty())
        m_ws->feed(std::exchange(m_in, {}));
    m_processing = false;
    if (!isClosed())
        updateInterest();
}

void EpollConnection::processHttp()
{
    while (!isClosed() && !m_ws && m_exchange.state() == HttpExchange::State::Reading && !m_in.isEmpty()) {
        m_exchange.touch();
        const qsizetype consumed = m_parser.feed(m_in);
        m_in.remove(0, consumed);
        if (m_exchange.failIfBad(m_parser))
            return;
        if (m_parser.state() == HttpRequestParser::State::Complete) {
            const HttpRequest request = m_parser.takeRequest();
            if (request.path == "/ws" && request.isWebSocketUpgrade() && !m_hub->isShuttingDown())
                upgrade(request);
            else
                m_exchange.dispatch(request);
        } else if (consumed == 0) {
            return; // cannot happen with http_parser, but never spin
        }
    }
}

void EpollConnection::upgrade(const HttpRequest &request)
{
    // The handshake is checked once, by the Hub, for both cores.
    if (const auto refusal = m_hub->refuseWebSocket(request)) {
        m_exchange.refuse(*refusal);
        return;
    }
    const QByteArray head = WsHandshake::acceptResponse(request.header("sec-websocket-key").trimmed());
    m_ws = std::make_unique<WsEndpoint>(m_hub, static_cast<WsEndpoint::Wire *>(this), request.target);
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += head.size();
    append(head);
    m_hub->openWebSocket(m_ws.get(), request);
    // Frames that came with the handshake are read by process() on its way out.
}

void EpollConnection::append(const QByteArray &bytes)
{
    if (isClosed() || bytes.isEmpty())
        return;
    m_out.push_back(bytes); // implicitly shared: one encoding, many subscribers
    m_pending += bytes.size();
    m_core->markDirty(this);
}

void EpollConnection::runPass()
{
    m_dirty = false;
    if (isClosed())
        return;
    if (std::exchange(m_processQueued, false))
        process();
    // A socket already waiting for EPOLLOUT is full: trying it again would be a wasted syscall
    // per message for every reader that has stopped reading.
    if (!isClosed() && !m_blocked)
        flush();
}

void EpollConnection::flush()
{
    if (isClosed())
        return;
    bool progressed = false;
    while (!m_out.empty()) {
        iovec iov[MaxIov];
        int count = 0;
        for (auto it = m_out.begin(); it != m_out.end() && count < MaxIov; ++it, ++count) {
            const qsizetype skip = count == 0 ? m_outOffset : 0;
            iov[count].iov_base = const_cast<char *>(it->constData() + skip);
            iov[count].iov_len = size_t(it->size() - skip);
        }
        msghdr msg {};
        msg.msg_iov = iov;
        msg.msg_iovlen = size_t(count);
        const ssize_t n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                m_blocked = true;
                break;
            }
            teardown(); // EPIPE, ECONNRESET: the peer is gone
            return;
        }
        progressed = progressed || n > 0;
        if (n > 0 && isClosing())
            m_exchange.touch(); // a last response still on its way
        m_pending -= n;
        qsizetype left = qsizetype(n);
        while (left > 0) {
            const qsizetype rest = m_out.front().size() - m_outOffset;
            if (left >= rest) {
                left -= rest;
                m_out.pop_front();
                m_outOffset = 0;
            } else {
                m_outOffset += left;
                left = 0;
            }
        }
    }
    if (m_out.empty()) {
        m_blocked = false;
        if (m_closeAfterFlush) {
            teardown();
            return;
        }
    }
    updateInterest();
    if (progressed) {
        if (m_ws)
            m_ws->drained();
        else
            m_exchange.drained();
    }
}

void EpollConnection::updateInterest()
{
    if (isClosed())
        return;
    const qsizetype cap = m_hub->config().maxHeadBytes + m_hub->config().maxBodyBytes + 4096;
    m_readPaused = m_in.size() >= cap;
    quint32 events = m_readPaused ? 0 : quint32(EPOLLIN | EPOLLRDHUP);
    // Output about to be flushed by this pass needs no EPOLLOUT: only a socket that refused
    // bytes (EAGAIN) waits for it. Two epoll_ctl calls and a wake-up per message saved.
    if (m_blocked && !m_out.empty())
        events |= EPOLLOUT;
    if (events != m_interest) {
        m_interest = events;
        m_core->setInterest(this, events);
    }
    // Bytes left over (a pipelined request whose turn has come) are read without a wake-up.
    // (A WebSocket's leftover is a partial frame: only more input completes it.)
    if (!m_processing && !m_in.isEmpty() && !m_ws && m_exchange.state() == HttpExchange::State::Reading)
        m_core->scheduleProcess(this);
}

void EpollConnection::closeAfterWrite()
{
    m_closeAfterFlush = true;
    if (m_out.empty())
        teardown();
    else
        m_core->markDirty(this);
}

QByteArray EpollConnection::peerAddress() const
{
    if (isClosed())
        return {};
    sockaddr_storage peer {};
    socklen_t length = sizeof(peer);
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&peer), &length) < 0)
        return {};
    QHostAddress address(reinterpret_cast<const sockaddr *>(&peer));
    const quint16 port = ntohs(peer.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_port
                                                          : reinterpret_cast<const sockaddr_in *>(&peer)->sin_port);
    return formatPeer(address, port);
}

void EpollConnection::teardown()
{
    if (isClosed())
        return;
    ::close(m_fd);
    m_fd = -1;
    m_out.clear();
    m_pending = 0;
    m_in.clear();
    HttpStream::Observer *http = m_exchange.closed();
    WsChannel::Observer *ws = m_ws ? m_ws->takeObserver() : nullptr;
    m_core->release(this);
    if (http)
        http->streamClosed();
    if (ws)
        ws->channelClosed();
}

} // namespace rtlab
