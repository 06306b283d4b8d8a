// SPDX-License-Identifier: MIT
#include "epollcore.h"

#include "epollconnection.h"
#include "hub.h"
#include "listensocket.h"

#include <QLoggingCategory>
#include <QTimer>

#include <algorithm>

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
// Clients taken through the reserve in one pass: the rest wait in the backlog for the next pass,
// so that a flood of connects cannot keep the loop from serving the connections it has.
constexpr int MaxRescuesPerPass = 64;
constexpr int AcceptPauseMs = 100;

} // namespace

EpollCore::EpollCore(Hub *hub, QObject *parent) : ConnectionCore(parent), m_hub(hub), m_guard(hub->config())
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
    // Accepted sockets inherit these from the listener (Linux copies the socket): two fewer
    // syscalls per connection. No Nagle, since we coalesce writes ourselves; and a fixed kernel
    // send buffer instead of autotuning (up to tcp_wmem's 4 MiB): what a reader has not taken
    // waits in our queue as shared bytes, counted against --max-pending, so a reader that
    // stops reading costs at most this (the kernel doubles it) plus references.
    m_listenFd = openListeningSocket(address, port, m_hub->config().reusePort, ListenBacklog, errorString, [](int fd) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &SendBufferBytes, sizeof SendBufferBytes);
    });
    if (m_listenFd < 0)
        return false;
    m_port = boundPort(m_listenFd);
    m_address = address;
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the listening socket
    if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev) < 0) {
        if (errorString)
            *errorString = QStringLiteral("epoll_ctl: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        ::close(m_listenFd);
        m_listenFd = -1;
        return false;
    }
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
    int rescued = 0;
    while (m_listenFd >= 0 && !m_acceptPaused) {
        // The peer's address comes with the accept: the per-address cap costs no syscall.
        sockaddr_storage peer {};
        socklen_t peerLength = sizeof peer;
        const int fd =
                ::accept4(m_listenFd, reinterpret_cast<sockaddr *>(&peer), &peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(fd, peer);
            continue;
        }
        const int error = errno; // before anything else can overwrite it
        if (error == EINTR || error == ECONNABORTED)
            continue;
        if (error == EAGAIN || error == EWOULDBLOCK)
            return;
        if (error == EMFILE || error == ENFILE) {
            // The kernel takes a descriptor before it looks at the queue: at the limit this is
            // the answer whether a client waits or not. The reserve tells which.
            if (rescued >= MaxRescuesPerPass)
                return; // level-triggered: the rest come in the next pass
            const Rescue r = rescueOne(error);
            if (r == Rescue::Done) {
                ++rescued;
                continue;
            }
            if (r == Rescue::NobodyWaiting)
                return;
        }
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            // No reserve (or no memory): the listener would stay readable and spin the loop.
            // Stop watching it for a moment; the backlog holds the queue meanwhile.
            m_guard.warn("accept4", error, QStringLiteral("pausing accept for %1 ms").arg(AcceptPauseMs),
                         m_hub->nowMs());
            pauseAccepting();
        } else {
            m_guard.warn("accept4", error, QStringLiteral("accept failed"), m_hub->nowMs());
        }
        return;
    }
}

void EpollCore::admit(int fd, const sockaddr_storage &peer)
{
    if (m_hub->isShuttingDown()) {
        ::close(fd);
        return;
    }
    QHostAddress address;
    if (m_guard.peers().enabled()) {
        address = QHostAddress(reinterpret_cast<const sockaddr *>(&peer));
        if (!m_guard.peers().tryAdd(address)) {
            m_hub->stats().refuse(Refusal::PerIpLimit);
            refuse(fd, AcceptGuard::addressFull());
            return;
        }
    }
    auto *c = new EpollConnection(this, fd);
    m_connections.insert(c, true);
    if (m_guard.peers().enabled())
        m_peers.insert(c, address);
    epoll_event ev {};
    ev.events = EpollConnection::InitialInterest;
    ev.data.ptr = c;
    if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        const int error = errno;
        m_guard.warn("epoll_ctl add", error, QStringLiteral("connection dropped"), m_hub->nowMs());
        c->drop();
    }
}

EpollCore::Rescue EpollCore::rescueOne(int error)
{
    if (!m_guard.freeReserve())
        return Rescue::Failed;
    sockaddr_storage peer {};
    socklen_t peerLength = sizeof peer;
    const int fd =
            ::accept4(m_listenFd, reinterpret_cast<sockaddr *>(&peer), &peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        const bool nobody = errno == EAGAIN || errno == EWOULDBLOCK;
        return m_guard.takeReserve() && nobody ? Rescue::NobodyWaiting : Rescue::Failed;
    }
    // Idle keep-alive connections make room, oldest first, as nginx reuses them: the client that
    // asks now is served, and one whose connection sat unused reconnects when it needs to.
    // Streams, held polls and requests in progress are never closed for room.
    if (const int closed = closeOldestIdle(); closed > 0) {
        m_guard.warn("accept4", error, QStringLiteral("closed the %1 oldest idle connections").arg(closed),
                     m_hub->nowMs());
        admit(fd, peer);
    } else {
        // Nothing to close: the client is told so at once instead of waiting for a timeout.
        m_guard.warn("accept4", error, QStringLiteral("no idle connection to close: answered 503"), m_hub->nowMs());
        m_hub->stats().refuse(Refusal::FdLimit);
        refuse(fd, AcceptGuard::serverFull());
    }
    return m_guard.takeReserve() ? Rescue::Done : Rescue::Failed;
}

int EpollCore::closeOldestIdle()
{
    std::vector<EpollConnection *> idle;
    for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
        if (it.key()->isIdle())
            idle.push_back(it.key());
    }
    // ngx_drain_connections(): an eighth of the reusable connections, at least 1, at most 32.
    const auto wanted = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(idle.size()) / 8, 1, 32);
    // Twice as many candidates: one whose next request already waits in the kernel is spared.
    const auto candidates = std::min<std::ptrdiff_t>(2 * wanted, std::ptrdiff_t(idle.size()));
    std::partial_sort(idle.begin(), idle.begin() + candidates, idle.end(),
                      [](const EpollConnection *a, const EpollConnection *b) {
                          return a->lastActivityMs() < b->lastActivityMs();
                      });
    int closed = 0;
    for (std::ptrdiff_t i = 0; i < candidates && closed < wanted; ++i) {
        EpollConnection *c = idle[size_t(i)];
        if (AcceptGuard::hasUnreadInput(c->fd()))
            continue;
        // Idle means nothing left to write either: it closes, and frees its descriptor, here.
        c->closeIdle();
        ++closed;
    }
    return closed;
}

void EpollCore::refuse(int fd, const QByteArray &bytes)
{
    // Read what the client already sent: closing a socket with unread input sends RST, which
    // may destroy the answer before the client reads it (RFC 9112 §9.6).
    char discard[4096];
    static_cast<void>(::recv(fd, discard, sizeof discard, MSG_DONTWAIT));
    static_cast<void>(::send(fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT));
    ::close(fd);
}

void EpollCore::pauseAccepting()
{
    if (m_acceptPaused || m_listenFd < 0)
        return;
    m_acceptPaused = true;
    ::epoll_ctl(m_epfd, EPOLL_CTL_DEL, m_listenFd, nullptr);
    QTimer::singleShot(AcceptPauseMs, this, [this] {
        m_acceptPaused = false;
        m_guard.takeReserve(); // if it was lost to the exhaustion
        if (m_listenFd < 0)
            return;
        epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;
        ::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev);
    });
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
        if (m_guard.peers().enabled())
            m_guard.peers().remove(m_peers.take(c));
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
