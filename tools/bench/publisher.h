// SPDX-License-Identifier: MIT
#pragma once

#include "connection.h"
#include "httpresponsereader.h"
#include "publishchannel.h"

#include <string>

namespace rtlab::bench {

// One keep-alive HTTP connection that POSTs messages, one request in flight at a time.
class Publisher : public Connection, public PublishChannel
{
public:
    Publisher(EpollLoop *loop, Endpoint endpoint);

    bool connectChannel() override { return start(); }
    bool canPublish() const override { return isConnected() && m_ready && !m_inFlight; }
    void publish(uint64_t seq, const std::string &body) override;
    void closeChannel() override { close(); }

    uint64_t acked() const override { return m_acked; }
    uint64_t failed() const override { return m_failed; }
    int lastStatus() const { return m_lastStatus; }

protected:
    void onConnected() override { m_ready = true; }
    void onData(const char *data, size_t size, int64_t nowUs) override;
    void onClosed(bool error) override;

private:
    HttpResponseReader m_reader;
    std::string m_body;
    bool m_ready = false;
    bool m_inFlight = false;
    int64_t m_postedAtUs = 0;
    uint64_t m_acked = 0;
    uint64_t m_failed = 0;
    int m_lastStatus = 0;
};

} // namespace rtlab::bench
