// SPDX-License-Identifier: MIT
#include "wspublisher.h"

#include "payload.h"
#include "wsframeparser.h"
#include "wsframes.h"

#include <algorithm>

namespace rtlab::bench {

WsPublisher::WsPublisher(EpollLoop *loop, Endpoint endpoint, Tally *tally, uint64_t id, int window)
    : Subscriber(loop, std::move(endpoint), TransportKind::WebSocket, tally, id), m_window(window),
      m_mask(uint32_t(id * 2246822519u))
{
}

void WsPublisher::publish(uint64_t seq, const std::string &body)
{
    m_outstanding.push_back({ seq, monotonicUs() });
    send(encodeClientFrame(WsFrameParser::Text, body, m_mask));
    m_mask = m_mask * 1664525u + 1013904223u;
}

void WsPublisher::received(std::string_view message, int64_t nowUs)
{
    if (m_outstanding.empty())
        return;
    // A refused publish is answered with an error frame ({"type":"error","status":503,…}), which
    // names no message the bench can match without a clientMsgId (which would make the server keep
    // a de-duplication entry per publish and so change what is measured). A socket's publishes are
    // answered in the order they were sent, so the error is the oldest one's.
    if (message.find("\"type\":\"error\"") != std::string_view::npos) {
        ++m_failed;
        m_outstanding.pop_front();
        return;
    }
    // Every publisher's messages arrive here; only this socket's own acknowledge.
    payload::scan(message, [&](uint64_t seq, int64_t) {
        const auto it =
                std::find_if(m_outstanding.begin(), m_outstanding.end(), [seq](const Sent &s) { return s.seq == seq; });
        if (it == m_outstanding.end())
            return;
        recordAck(nowUs - it->atUs);
        ++m_acked;
        m_outstanding.erase(it);
    });
}

void WsPublisher::onClosed(bool error)
{
    // What was not acknowledged before the socket went is not known to be published.
    m_failed += m_outstanding.size();
    m_outstanding.clear();
    Subscriber::onClosed(error);
}

} // namespace rtlab::bench
