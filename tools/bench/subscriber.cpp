// SPDX-License-Identifier: MIT
#include "subscriber.h"

#include "tally.h"

#include <charconv>
#include <cstdio>

namespace rtlab::bench {

namespace {
// The value of "name":<number or "string"> in a JSON text, without a full parse (the bench
// only needs the long poll's cursor and epoch).
std::string jsonScalar(std::string_view json, std::string_view name)
{
    const std::string key = "\"" + std::string(name) + "\":";
    size_t pos = json.rfind(key); // the answer's own field comes after the messages array
    if (pos == std::string_view::npos)
        return {};
    pos += key.size();
    if (pos < json.size() && json[pos] == '"') {
        const size_t end = json.find('"', pos + 1);
        return end == std::string_view::npos ? std::string() : std::string(json.substr(pos + 1, end - pos - 1));
    }
    size_t end = pos;
    while (end < json.size() && json[end] >= '0' && json[end] <= '9')
        ++end;
    return std::string(json.substr(pos, end - pos));
}
} // namespace

Subscriber::Subscriber(EpollLoop *loop, Endpoint endpoint, std::optional<TransportKind> kind, Tally *tally, uint64_t id)
    : Connection(loop, std::move(endpoint)), m_kind(kind), m_tally(tally), m_id(id)
{
}

bool Subscriber::begin()
{
    m_state = State::Connecting;
    if (!start()) {
        m_state = State::Failed;
        ++m_tally->errors;
        return false;
    }
    return true;
}

bool Subscriber::reconnectNow(const Endpoint *to)
{
    close();
    if (to)
        setEndpoint(*to);
    m_reader.reset();
    m_body.clear();
    m_ws.reset();
    m_pendingEventId.clear();
    m_hasPendingEventId = false;
    m_reconnectAtUs = monotonicUs();
    ++m_tally->reconnects;
    return begin();
}

void Subscriber::setSlow(bool slow)
{
    m_slow = slow;
    setReceiveBuffer(slow ? 4096 : 0);
}

void Subscriber::resumeReading()
{
    pauseReading(false);
}

void Subscriber::open(int64_t nowUs)
{
    if (m_state == State::Open)
        return;
    m_state = State::Open;
    if (m_openedAtUs == 0)
        m_openedAtUs = nowUs;
    else if (m_reopenedAtUs < m_reconnectAtUs)
        m_reopenedAtUs = nowUs;
    if (m_slow)
        pauseReading(true);
}

void Subscriber::onConnected()
{
    const Endpoint &e = endpoint();
    if (m_state == State::Open && m_kind == TransportKind::LongPoll) { // a reconnect between polls
        sendPoll();
        return;
    }
    m_state = State::Handshake;
    if (!m_kind) { // an idle HTTP connection: one request, then silence
        send("GET " + e.target + " HTTP/1.1\r\nHost: " + e.host + "\r\n\r\n");
        return;
    }
    switch (*m_kind) {
    case TransportKind::WebSocket:
        // A reconnect resumes after the last message it had (rtlab's /ws?after=N&epoch=E).
        send("GET "
             + e.targetWith(m_cursor.empty() ? std::string()
                                             : "after=" + m_cursor + (m_epoch.empty() ? "" : "&epoch=" + m_epoch))
             + " HTTP/1.1\r\nHost: " + e.host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
             + makeWebSocketKey(m_id) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        break;
    case TransportKind::Sse:
        send("GET " + e.target + " HTTP/1.1\r\nHost: " + e.host
             + "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"
             + (m_lastEventId.empty() ? std::string() : "Last-Event-ID: " + m_lastEventId + "\r\n") + "\r\n");
        break;
    case TransportKind::LongPoll:
    case TransportKind::Poll: // not asked of the bench (BenchConfig refuses it): polled as long polling
        sendPoll();
        // nchan says nothing until a message comes, and a poll that resumes at the live end is
        // held: either way the poll is registered once it is sent.
        if (m_pollStyle == PollStyle::Headers || m_openedAtUs)
            open(monotonicUs());
        break;
    }
}

void Subscriber::sendPoll()
{
    const Endpoint &e = endpoint();
    std::string request;
    if (m_pollStyle == PollStyle::Cursor) {
        std::string query;
        if (!m_cursor.empty()) {
            query = "after=" + m_cursor + (m_epoch.empty() ? std::string() : "&epoch=" + m_epoch);
            if (m_pollHoldMs > 0) {
                char hold[32];
                std::snprintf(hold, sizeof hold, "&timeout=%d.%03d", m_pollHoldMs / 1000, m_pollHoldMs % 1000);
                query += hold;
            }
        }
        request = "GET " + e.targetWith(query) + " HTTP/1.1\r\nHost: " + e.host + "\r\n\r\n";
    } else {
        request = "GET " + e.target + " HTTP/1.1\r\nHost: " + e.host + "\r\n";
        if (!m_lastModified.empty())
            request += "If-Modified-Since: " + m_lastModified + "\r\n";
        if (!m_etag.empty())
            request += "If-None-Match: " + m_etag + "\r\n";
        request += "\r\n";
    }
    if (m_tally->counting)
        ++m_tally->pollRequests;
    send(request);
}

void Subscriber::onData(const char *data, size_t size, int64_t nowUs)
{
    while (size > 0 && hasSocket()) {
        if (m_reader.state() == HttpResponseReader::State::Done && m_kind != TransportKind::WebSocket)
            return; // an idle connection's stray bytes
        if (m_kind == TransportKind::WebSocket && m_reader.state() == HttpResponseReader::State::Done) {
            m_ws.feed(QByteArrayView(data, qsizetype(size)));
            handleWsFrames(nowUs);
            return;
        }
        const size_t used = m_reader.feed(data, size, &m_body);
        data += used;
        size -= used;
        if (m_reader.state() == HttpResponseReader::State::Error) {
            ++m_tally->errors;
            m_state = State::Failed;
            close();
            return;
        }
        if (!m_reader.headComplete())
            return;
        m_status = m_reader.status();
        if (!m_kind) { // idle HTTP: open once its one answer is read
            if (m_reader.state() == HttpResponseReader::State::Done) {
                open(nowUs);
                m_body.clear();
            }
            return;
        }
        switch (*m_kind) {
        case TransportKind::WebSocket:
            if (m_status != 101) {
                ++m_tally->errors;
                m_state = State::Failed;
                close();
                return;
            }
            open(nowUs);
            break; // the rest are frames
        case TransportKind::Sse:
            if (m_status != 200) {
                ++m_tally->errors;
                m_state = State::Failed;
                close();
                return;
            }
            open(nowUs);
            handleSseLines(nowUs);
            if (m_reader.state() == HttpResponseReader::State::Done) { // a bounded body: the stream ended
                m_state = State::Closed;
                close();
            }
            return;
        case TransportKind::LongPoll:
        case TransportKind::Poll:
            if (m_reader.state() != HttpResponseReader::State::Done)
                return;
            handlePollAnswer(nowUs);
            break;
        }
    }
}

void Subscriber::handlePollAnswer(int64_t nowUs)
{
    const int status = m_reader.status();
    if (status == 200) {
        if (m_tally->counting)
            ++m_tally->events;
        markers(m_body, nowUs);
        if (m_pollStyle == PollStyle::Cursor) {
            const std::string cursor = jsonScalar(m_body, "cursor");
            if (!cursor.empty())
                m_cursor = cursor;
            const std::string epoch = jsonScalar(m_body, "epoch");
            if (!epoch.empty() && epoch.size() <= 64)
                m_epoch = epoch;
        } else {
            m_lastModified = std::string(m_reader.header("last-modified"));
            m_etag = std::string(m_reader.header("etag"));
        }
    } else if (status != 304 && status != 408) {
        ++m_tally->errors;
        m_state = State::Failed;
        close();
        return;
    }
    open(nowUs);
    const bool keepAlive = m_reader.keepAlive();
    m_reader.reset();
    m_body.clear();
    if (keepAlive) {
        sendPoll();
    } else {
        ++m_tally->reconnects;
        start();
    }
}

void Subscriber::handleSseLines(int64_t nowUs)
{
    const size_t last = m_body.rfind('\n');
    if (last == std::string::npos)
        return;
    const std::string_view all(m_body.data(), last + 1);
    size_t pos = 0;
    while (pos < all.size()) {
        size_t end = all.find('\n', pos);
        const std::string_view line = all.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line == "\r") {
            // The end of an event: its id (if it named one) is now the last event id.
            if (m_hasPendingEventId)
                m_lastEventId = m_pendingEventId;
            m_hasPendingEventId = false;
            continue;
        }
        if (line[0] == ':') {
            ++m_tally->heartbeats;
        } else if (line.substr(0, 3) == "id:") {
            std::string_view id = line.substr(3);
            if (!id.empty() && id.front() == ' ')
                id.remove_prefix(1);
            if (!id.empty() && id.back() == '\r')
                id.remove_suffix(1);
            if (id.size() <= 128) {
                m_pendingEventId = std::string(id);
                m_hasPendingEventId = true;
            }
        } else if (line.substr(0, 5) == "data:") {
            if (m_tally->counting)
                ++m_tally->events;
            markers(line, nowUs);
        }
    }
    m_body.erase(0, last + 1);
}

void Subscriber::handleWsFrames(int64_t nowUs)
{
    while (hasSocket()) {
        const std::optional<WsFrame> frame = m_ws.next();
        if (!frame)
            break;
        const std::string_view payload(frame->payload.constData(), size_t(frame->payload.size()));
        switch (frame->opcode) {
        case WsFrameParser::Text:
        case WsFrameParser::Binary:
        case WsFrameParser::Continuation:
            // The parser reassembles a fragmented message; a frame that completes none counts nothing.
            if (const std::optional<WsMessage> message = m_ws.takeMessage()) {
                if (m_tally->counting)
                    ++m_tally->events;
                received(std::string_view(message->data.constData(), size_t(message->data.size())), nowUs);
            }
            break;
        case WsFrameParser::Ping:
            ++m_tally->heartbeats;
            send(encodeClientFrame(WsFrameParser::Pong, payload, uint32_t(m_id * 2654435761u)));
            break;
        case WsFrameParser::Close:
            send(encodeClientFrame(WsFrameParser::Close, payload.substr(0, 2), 0x5a5a5a5a));
            ++m_tally->closedByServer;
            m_state = State::Closed;
            close();
            return;
        default: break;
        }
    }
    if (m_ws.error() != WsFrameParser::Error::None) {
        ++m_tally->errors;
        m_state = State::Failed;
        close();
    }
}

void Subscriber::received(std::string_view message, int64_t nowUs)
{
    markers(message, nowUs);
    // The position to resume from: a log entry's id and epoch, or a reset's cursor. A message
    // without either (an error frame) leaves it as it was.
    std::string id = jsonScalar(message, "id");
    if (id.empty())
        id = jsonScalar(message, "cursor");
    if (id.empty())
        return;
    m_cursor = id;
    const std::string epoch = jsonScalar(message, "epoch");
    if (!epoch.empty() && epoch.size() <= 64)
        m_epoch = epoch;
}

void Subscriber::markers(std::string_view bytes, int64_t nowUs)
{
    if (!m_tally->counting)
        return;
    Tally &t = *m_tally;
    payload::scan(bytes, [&](uint64_t seq, int64_t sendUs) {
        if (seq == 0 || seq > t.maxSeq) {
            ++t.foreign;
            return;
        }
        if (m_seen.mark(seq) == SeqWindow::Result::Duplicate) {
            ++t.duplicates;
            return;
        }
        const int64_t latency = nowUs - sendUs;
        ++t.deliveries;
        t.latency.record(latency);
        if (m_node < t.nodeLatency.size()) {
            t.nodeLatency[m_node].record(latency);
            ++t.nodeDeliveries[m_node];
        }
        if (!t.firstDeliveryUs)
            t.firstDeliveryUs = nowUs;
        t.lastDeliveryUs = nowUs;
        if (seq < t.stepOfSeq.size()) {
            const uint16_t step = t.stepOfSeq[seq];
            t.stepLatency[step].record(latency);
            ++t.stepDeliveries[step];
            t.stepLastDeliveryUs[step] = nowUs;
        }
    });
}

void Subscriber::onClosed(bool error)
{
    if (m_state == State::Open) {
        ++m_tally->closedByServer;
        m_state = error ? State::Failed : State::Closed;
        if (error)
            ++m_tally->errors;
        return;
    }
    if (m_state != State::Closed) {
        ++m_tally->errors;
        m_state = State::Failed;
    }
}

} // namespace rtlab::bench
