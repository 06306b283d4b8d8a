// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace rtlab::bench {

// One epoll set for every socket of the bench (Linux). Level-triggered; a handler asks for
// EPOLLOUT only while it has unsent bytes.
class EpollLoop
{
public:
    class Handler
    {
    public:
        virtual ~Handler() = default;
        virtual void onEvents(uint32_t events) = 0;
    };

    EpollLoop();
    ~EpollLoop();
    EpollLoop(const EpollLoop &) = delete;
    EpollLoop &operator=(const EpollLoop &) = delete;

    bool isValid() const { return m_fd >= 0; }
    bool add(int fd, uint32_t events, Handler *handler);
    bool modify(int fd, uint32_t events, Handler *handler);
    void remove(int fd);
    // Waits at most timeoutMs and dispatches what is ready; returns the number of events.
    int runOnce(int timeoutMs);

private:
    int m_fd = -1;
};

int64_t monotonicUs();

} // namespace rtlab::bench
