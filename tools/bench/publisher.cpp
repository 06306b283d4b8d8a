// SPDX-License-Identifier: MIT
#include "publisher.h"

namespace rtlab::bench {

Publisher::Publisher(EpollLoop *loop, Endpoint endpoint) : Connection(loop, std::move(endpoint)) { }

void Publisher::publish(uint64_t, const std::string &body)
{
    m_inFlight = true;
    m_postedAtUs = monotonicUs();
    const Endpoint &e = endpoint();
    send("POST " + e.target + " HTTP/1.1\r\nHost: " + e.host
         + "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

void Publisher::onData(const char *data, size_t size, int64_t nowUs)
{
    while (size > 0 && hasSocket()) {
        const size_t used = m_reader.feed(data, size, &m_body);
        data += used;
        size -= used;
        if (m_reader.state() == HttpResponseReader::State::Error) {
            ++m_failed;
            m_inFlight = false;
            start();
            return;
        }
        if (m_reader.state() != HttpResponseReader::State::Done)
            return;
        m_lastStatus = m_reader.status();
        if (m_lastStatus >= 200 && m_lastStatus < 300) {
            ++m_acked;
            recordAck(nowUs - m_postedAtUs);
        } else
            ++m_failed;
        const bool keepAlive = m_reader.keepAlive();
        m_reader.reset();
        m_body.clear();
        m_inFlight = false;
        if (!keepAlive) {
            m_ready = false;
            start();
            return;
        }
    }
}

void Publisher::onClosed(bool)
{
    if (m_inFlight)
        ++m_failed;
    m_inFlight = false;
    m_ready = false;
    m_reader.reset();
    m_body.clear();
    start(); // reconnect; the runner's bounds stop a server that keeps refusing
}

} // namespace rtlab::bench
