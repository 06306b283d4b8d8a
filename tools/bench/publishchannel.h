// SPDX-License-Identifier: MIT
#pragma once

#include "latencyhistogram.h"

#include <cstdint>
#include <string>

namespace rtlab::bench {

// Where the runner sends a message: an HTTP publisher (POST, answered 202) or a WebSocket
// publisher (a text frame, answered by the message coming back on the same socket). Both count
// what was acknowledged and what failed, and record each acknowledgement's wait, from the send
// to the answer, in the histogram the runner gives them.
class PublishChannel
{
public:
    virtual ~PublishChannel() = default;
    virtual bool connectChannel() = 0;
    // Connected, and below its window of unacknowledged messages.
    virtual bool canPublish() const = 0;
    // body: what the server reads (rtlab's /send JSON); seq: the bench's number in its marker.
    virtual void publish(uint64_t seq, const std::string &body) = 0;
    virtual uint64_t acked() const = 0;
    virtual uint64_t failed() const = 0;
    virtual void closeChannel() = 0;

    void setAckLatency(LatencyHistogram *histogram) { m_ackLatency = histogram; }

protected:
    void recordAck(int64_t waitUs)
    {
        if (m_ackLatency)
            m_ackLatency->record(waitUs);
    }

private:
    LatencyHistogram *m_ackLatency = nullptr;
};

} // namespace rtlab::bench
