// SPDX-License-Identifier: MIT
#pragma once

#include "publishchannel.h"
#include "subscriber.h"

#include <deque>

namespace rtlab::bench {

// A WebSocket publisher: sends each message as a text frame and counts it acknowledged when it
// comes back on the same socket (docs/protocol.md, Publishing: the answer to a WebSocket publish is
// the message arriving). It keeps at most `window` messages unacknowledged, so its rate is what
// the server's acknowledgements allow. It is a subscriber too — rtlab sends every message to every
// WebSocket — but what it reads counts as acknowledgements, never as deliveries.
class WsPublisher : public Subscriber, public PublishChannel
{
public:
    WsPublisher(EpollLoop *loop, Endpoint endpoint, Tally *tally, uint64_t id, int window);

    bool connectChannel() override { return begin(); }
    bool canPublish() const override { return state() == State::Open && m_outstanding.size() < size_t(m_window); }
    void publish(uint64_t seq, const std::string &body) override;
    uint64_t acked() const override { return m_acked; }
    uint64_t failed() const override { return m_failed; }
    void closeChannel() override { close(); }

protected:
    void received(std::string_view message, int64_t nowUs) override;
    void onClosed(bool error) override;

private:
    struct Sent
    {
        uint64_t seq;
        int64_t atUs;
    };
    int m_window;
    uint32_t m_mask;
    std::deque<Sent> m_outstanding; // in send order, at most m_window
    uint64_t m_acked = 0;
    uint64_t m_failed = 0;
};

} // namespace rtlab::bench
