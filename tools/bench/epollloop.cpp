// SPDX-License-Identifier: MIT
#include "epollloop.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

namespace rtlab::bench {

int64_t monotonicUs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

EpollLoop::EpollLoop() : m_fd(epoll_create1(EPOLL_CLOEXEC)) { }

EpollLoop::~EpollLoop()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool EpollLoop::add(int fd, uint32_t events, Handler *handler)
{
    epoll_event ev {};
    ev.events = events;
    ev.data.ptr = handler;
    return epoll_ctl(m_fd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EpollLoop::modify(int fd, uint32_t events, Handler *handler)
{
    epoll_event ev {};
    ev.events = events;
    ev.data.ptr = handler;
    return epoll_ctl(m_fd, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EpollLoop::remove(int fd)
{
    epoll_ctl(m_fd, EPOLL_CTL_DEL, fd, nullptr);
}

int EpollLoop::runOnce(int timeoutMs)
{
    epoll_event events[512];
    const int n = epoll_wait(m_fd, events, 512, timeoutMs);
    for (int i = 0; i < n; ++i)
        static_cast<Handler *>(events[i].data.ptr)->onEvents(events[i].events);
    return n < 0 ? 0 : n;
}

} // namespace rtlab::bench
