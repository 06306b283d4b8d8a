// SPDX-License-Identifier: MIT
#include "connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace rtlab::bench {

Connection::Connection(EpollLoop *loop, Endpoint endpoint) : m_loop(loop), m_endpoint(std::move(endpoint)) { }

Connection::~Connection()
{
    close();
}

bool Connection::start()
{
    close();
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0)
        return false;
    const int one = 1;
    setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (m_receiveBuffer > 0)
        setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &m_receiveBuffer, sizeof m_receiveBuffer);
    m_paused = false;
    // Sources spread over 127.0.0.2-17: each source address has its own ephemeral ports, so
    // the kernel's free-port search stays short with 19,000 connections to one server port
    // (from one source it grows with every port in use and caps the connect rate near 5,000/s).
    static uint32_t nextSource = 0;
    sockaddr_in source {};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (nextSource++ % 16));
    setsockopt(m_fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    ::bind(m_fd, reinterpret_cast<sockaddr *>(&source), sizeof source);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(m_endpoint.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int r = ::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    if (r < 0 && errno != EINPROGRESS) {
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    // Over loopback the handshake has usually completed inside connect() (the SYN and SYN-ACK are
    // processed before it returns): then the request goes out at once and EPOLLOUT, its wake-up,
    // SO_ERROR and the epoll_ctl that drops it again are never needed. Connects are what the bench
    // spends its core on in S3; this is a third of it.
    tcp_info info {};
    socklen_t infoSize = sizeof info;
    if (r == 0
        || (getsockopt(m_fd, IPPROTO_TCP, TCP_INFO, &info, &infoSize) == 0 && info.tcpi_state == TCP_ESTABLISHED)) {
        m_connecting = false;
        m_wantWrite = false;
        m_loop->add(m_fd, EPOLLIN, this);
        onConnected(); // queues the request
        if (m_fd >= 0)
            flush();
        return true;
    }
    m_connecting = true;
    m_wantWrite = true;
    m_loop->add(m_fd, EPOLLIN | EPOLLOUT, this);
    return true;
}

void Connection::close()
{
    if (m_fd < 0)
        return;
    m_loop->remove(m_fd);
    const linger reset { 1, 0 };
    setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(m_fd);
    m_fd = -1;
    m_connecting = false;
    m_wantWrite = false;
    m_out.clear();
    m_outPos = 0;
}

void Connection::send(std::string_view bytes)
{
    if (m_fd < 0)
        return;
    m_out.append(bytes);
    if (!m_connecting)
        flush();
}

void Connection::flush()
{
    while (m_outPos < m_out.size()) {
        const ssize_t n = ::send(m_fd, m_out.data() + m_outPos, m_out.size() - m_outPos, MSG_NOSIGNAL);
        if (n < 0) {
            const IoNext next = afterIoError();
            if (next == IoNext::Closed)
                return;
            if (next == IoNext::Stop)
                break;
            continue;
        }
        m_outPos += size_t(n);
    }
    if (m_outPos == m_out.size()) {
        m_out.clear();
        m_outPos = 0;
    }
    updateInterest();
}

void Connection::pauseReading(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (m_fd >= 0 && !m_connecting)
        m_loop->modify(m_fd, (m_paused ? 0u : uint32_t(EPOLLIN)) | (m_wantWrite ? EPOLLOUT : 0u), this);
}

void Connection::updateInterest()
{
    const bool want = !m_out.empty();
    if (want == m_wantWrite || m_fd < 0)
        return;
    m_wantWrite = want;
    m_loop->modify(m_fd, (m_paused ? 0u : uint32_t(EPOLLIN)) | (want ? EPOLLOUT : 0u), this);
}

void Connection::fail(bool error)
{
    close();
    onClosed(error);
}

Connection::IoNext Connection::afterIoError()
{
    if (errno == EINTR)
        return IoNext::Retry;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return IoNext::Stop;
    fail(true);
    return IoNext::Closed;
}

void Connection::onEvents(uint32_t events)
{
    if (m_fd < 0)
        return;
    if (m_connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            fail(true);
            return;
        }
        m_connecting = false;
        onConnected(); // queues the request
        if (m_fd < 0)
            return;
        flush();
        return;
    }
    if (m_paused) {
        if (events & (EPOLLERR | EPOLLHUP))
            fail(true); // cut off by the peer while not reading
        else if (events & EPOLLOUT)
            flush();
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        static char buffer[256 * 1024];
        // Bounded: a few reads per wake-up, so one busy socket cannot starve the rest.
        for (int i = 0; i < 4 && m_fd >= 0; ++i) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                m_bytesIn += uint64_t(n);
                onData(buffer, size_t(n), monotonicUs());
                if (size_t(n) < sizeof buffer)
                    break;
                continue;
            }
            if (n == 0) {
                fail(false);
                return;
            }
            const IoNext next = afterIoError();
            if (next == IoNext::Closed)
                return;
            if (next == IoNext::Stop)
                break;
        }
    }
    if (m_fd >= 0 && (events & EPOLLOUT))
        flush();
}

} // namespace rtlab::bench
