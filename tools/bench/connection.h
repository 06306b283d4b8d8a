// SPDX-License-Identifier: MIT
#pragma once

#include "endpoint.h"
#include "epollloop.h"

#include <string>
#include <string_view>

namespace rtlab::bench {

// One non-blocking TCP client socket in the bench's epoll set: connect, buffered writes, reads
// handed to the subclass. Closing resets the connection (SO_LINGER 0), so thousands of
// connections per run leave no TIME_WAIT behind to exhaust the loopback's ephemeral ports.
class Connection : public EpollLoop::Handler
{
public:
    Connection(EpollLoop *loop, Endpoint endpoint);
    ~Connection() override;

    // Starts a non-blocking connect; false if no socket could be made (fd limit, for one).
    bool start();
    void close();
    bool isConnected() const { return m_fd >= 0 && !m_connecting; }
    bool hasSocket() const { return m_fd >= 0; }
    uint64_t bytesIn() const { return m_bytesIn; }
    // A reader that stops reading: the receive buffer is clamped (set before connecting, so the
    // window stays small) and, while paused, nothing is read; errors and hang-ups still arrive.
    void setReceiveBuffer(int bytes) { m_receiveBuffer = bytes; }
    void pauseReading(bool paused);
    // Where the next start() connects (a storm that moves a subscriber to another node).
    void setEndpoint(Endpoint endpoint) { m_endpoint = std::move(endpoint); }
    bool readingPaused() const { return m_paused; }

    void onEvents(uint32_t events) override;

protected:
    void send(std::string_view bytes);
    virtual void onConnected() = 0;
    virtual void onData(const char *data, size_t size, int64_t nowUs) = 0;
    // The peer closed, or the socket failed (refused, reset).
    virtual void onClosed(bool error) = 0;

    const Endpoint &endpoint() const { return m_endpoint; }

private:
    void flush();
    void updateInterest();
    void fail(bool error);
    // After send() or recv() returned -1: try again at once (EINTR), stop the loop (EAGAIN: the
    // socket is full or empty), or the connection failed and is closed — fail(true) ran, and
    // onClosed() may already have started a new connection on this object, so return at once.
    enum class IoNext { Retry, Stop, Closed };
    IoNext afterIoError();

    EpollLoop *m_loop;
    Endpoint m_endpoint;
    int m_fd = -1;
    bool m_connecting = false;
    bool m_wantWrite = false;
    bool m_paused = false;
    int m_receiveBuffer = 0;
    std::string m_out;
    size_t m_outPos = 0;
    uint64_t m_bytesIn = 0;
};

} // namespace rtlab::bench
