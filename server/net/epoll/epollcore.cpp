// SPDX-License-Identifier: MIT
#include "epollcore.h"

#include "epollconnection.h"
#include "hub.h"

#include <QLoggingCategory>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcEpoll, "rtlab.server.epoll")

namespace rtlab {

namespace {

constexpr int ListenBacklog = 4096; // the kernel caps it at net.core.somaxconn
constexpr int MaxEvents = 256;
constexpr int SendBufferBytes = 128 * 1024; // SO_SNDBUF of every accepted socket

} // namespace

EpollCore::EpollCore(Hub *hub, QObject *parent) : ConnectionCore(parent), m_hub(hub)
{
    m_epfd = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epfd < 0)
        qFatal("epoll_create1: %s", std::strerror(errno));
    m_notifier = std::make_unique<QSocketNotifier>(m_epfd, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &EpollCore::onReadable);
}

EpollCore::~EpollCore()
{
    m_notifier.reset();
    const auto connections = m_connections.keys();
    for (EpollConnection *c : connections)
        c->drop(); // sessions hear of it and let go
    collectGarbage();
    stopListening();
    ::close(m_epfd);
}

bool EpollCore::listen(const QHostAddress &address, quint16 port, QString *errorString)
{
    auto failed = [&](const char *what) {
        if (errorString)
            *errorString =
                    QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(errno)));
        if (m_listenFd >= 0) {
            ::close(m_listenFd);
            m_listenFd = -1;
        }
        return false;
    };
    sockaddr_storage storage {};
    socklen_t length = 0;
    int family = AF_INET;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        family = AF_INET6;
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &ip, sizeof ip);
        length = sizeof *a;
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof *a;
    }
    m_listenFd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0)
        return failed("socket");
    const int one = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted sockets inherit these from the listener (Linux copies the socket): two fewer
    // syscalls per connection. No Nagle, since we coalesce writes ourselves; and a fixed kernel
    // send buffer instead of autotuning (up to tcp_wmem's 4 MiB): what a reader has not taken
    // waits in our queue as shared bytes, counted against --max-pending, so a reader that
    // stops reading costs at most this (the kernel doubles it) plus references.
    ::setsockopt(m_listenFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_SNDBUF, &SendBufferBytes, sizeof SendBufferBytes);
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&storage), length) < 0)
        return failed("bind");
    if (::listen(m_listenFd, ListenBacklog) < 0)
        return failed("listen");
    sockaddr_storage bound {};
    socklen_t boundLength = sizeof bound;
    ::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&bound), &boundLength);
    m_port = family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port)
                                : ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
    m_address = address;
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the listening socket
    if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev) < 0)
        return failed("epoll_ctl");
    return true;
}

void EpollCore::stopListening()
{
    if (m_listenFd < 0)
        return;
    ::epoll_ctl(m_epfd, EPOLL_CTL_DEL, m_listenFd, nullptr);
    ::close(m_listenFd);
    m_listenFd = -1;
}

void EpollCore::acceptAll()
{
    while (m_listenFd >= 0) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: the listener would stay readable and spin the loop. Stop
                // watching it for a moment; the backlog holds the queue meanwhile.
                qCWarning(lcEpoll) << "accept4:" << std::strerror(errno) << "- pausing accept for 100 ms";
                ::epoll_ctl(m_epfd, EPOLL_CTL_DEL, m_listenFd, nullptr);
                QTimer::singleShot(100, this, [this] {
                    if (m_listenFd < 0)
                        return;
                    epoll_event ev {};
                    ev.events = EPOLLIN;
                    ev.data.ptr = nullptr;
                    ::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev);
                });
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                qCWarning(lcEpoll) << "accept4:" << std::strerror(errno);
            }
            return;
        }
        if (m_hub->isShuttingDown()) {
            ::close(fd);
            continue;
        }
        auto *c = new EpollConnection(this, fd);
        m_connections.insert(c, true);
        epoll_event ev {};
        ev.events = EpollConnection::InitialInterest;
        ev.data.ptr = c;
        if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            qCWarning(lcEpoll) << "epoll_ctl add:" << std::strerror(errno);
            c->drop();
        }
    }
}

void EpollCore::setInterest(EpollConnection *c, quint32 events)
{
    epoll_event ev {};
    ev.events = events;
    ev.data.ptr = c;
    ::epoll_ctl(m_epfd, EPOLL_CTL_MOD, c->fd(), &ev);
}

void EpollCore::markDirty(EpollConnection *c)
{
    if (!c->markDirty())
        return;
    m_dirty.push_back(c);
    scheduleFlush();
}

void EpollCore::scheduleProcess(EpollConnection *c)
{
    if (!c->queueProcess())
        return;
    // Reuse the dirty list: the pass processes leftover input before writing.
    if (c->markDirty())
        m_dirty.push_back(c);
    scheduleFlush();
}

void EpollCore::scheduleFlush()
{
    // Inside a pass (onReadable, flushDirty) the pass itself flushes when it ends: posting an
    // event would only cost another wake-up of the event loop per message.
    if (m_flushScheduled || m_depth > 0)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &EpollCore::flushDirty, Qt::QueuedConnection);
}

void EpollCore::flushDirty()
{
    if (m_depth > 0)
        return; // the outer pass goes on until the list is empty
    m_flushScheduled = false;
    ++m_depth;
    // Everything written since the last pass leaves in one writev per connection.
    while (!m_dirty.empty()) {
        std::vector<EpollConnection *> batch;
        batch.swap(m_dirty);
        for (EpollConnection *c : batch)
            c->runPass();
    }
    --m_depth;
    collectGarbage();
}

void EpollCore::release(EpollConnection *c)
{
    if (m_connections.remove(c)) {
        // close() already took the fd out of the epoll set.
        m_graveyard.push_back(c);
        scheduleFlush();
    }
}

void EpollCore::collectGarbage()
{
    if (m_graveyard.empty() || m_depth > 0)
        return;
    // Not while a pass might still hold one of these: only from the end of flushDirty().
    std::vector<EpollConnection *> dead;
    dead.swap(m_graveyard);
    for (EpollConnection *c : dead)
        delete c;
    emit connectionClosed();
}

void EpollCore::onReadable()
{
    epoll_event events[MaxEvents];
    ++m_depth;
    for (int round = 0; round < 4; ++round) {
        const int n = ::epoll_wait(m_epfd, events, MaxEvents, 0);
        if (n <= 0)
            break;
        for (int i = 0; i < n; ++i) {
            auto *c = static_cast<EpollConnection *>(events[i].data.ptr);
            if (!c)
                acceptAll();
            else
                c->onEvents(events[i].events);
        }
        if (n < MaxEvents)
            break;
    }
    --m_depth;
    flushDirty();
}

template<typename F>
void EpollCore::forEachConnection(F f)
{
    // A copy: what f does may close connections (they leave m_connections).
    const auto connections = m_connections.keys();
    for (EpollConnection *c : connections)
        f(c);
    flushDirty();
}

void EpollCore::sweep(qint64 nowMs, qint64 idleMs)
{
    forEachConnection([&](EpollConnection *c) { c->sweep(nowMs, idleMs); });
}

void EpollCore::closeIdle()
{
    forEachConnection([](EpollConnection *c) { c->closeIdle(); });
}

void EpollCore::dropConnections()
{
    forEachConnection([](EpollConnection *c) { c->drop(); });
}

void EpollCore::abortAll()
{
    forEachConnection([](EpollConnection *c) { c->drop(); });
}

} // namespace rtlab

#include "moc_epollcore.cpp"
