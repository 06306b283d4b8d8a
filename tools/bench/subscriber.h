// SPDX-License-Identifier: MIT
#pragma once

#include "connection.h"
#include "connectionevent.h"
#include "httpresponsereader.h"
#include "payload.h"
#include "wsframeparser.h"
#include "wsframes.h"

#include <algorithm>
#include <optional>
#include <string>

namespace rtlab::bench {

struct Tally;

// One subscriber connection: a WebSocket, an SSE stream, a long-poll loop, or an idle HTTP
// keep-alive connection (one request, then silence) that only costs the server a socket.
class Subscriber : public Connection
{
public:
    // How a long poll names its place: rtlab's (and the Node peer's) JSON "cursor" in the query,
    // or nchan's Last-Modified/Etag echoed as If-Modified-Since/If-None-Match.
    enum class PollStyle { Cursor, Headers };
    enum class State { Idle, Connecting, Handshake, Open, Closed, Failed };

    // kind: the transport it subscribes with; nullopt: the idle HTTP keep-alive connection.
    Subscriber(EpollLoop *loop, Endpoint endpoint, std::optional<TransportKind> kind, Tally *tally, uint64_t id);

    bool begin();
    // The storm: drop the connection (reset) and open it again at once, resuming where it was
    // (SSE: Last-Event-ID; long poll: its cursor).
    // to: another node's URL to resume on instead (the storm's failover).
    bool reconnectNow(const Endpoint *to = nullptr);
    // Which node it subscribes on (an index into the run's subscriber nodes): its deliveries are
    // counted per node too.
    void setNode(size_t node) { m_node = node; }
    size_t node() const { return m_node; }
    // A slow reader: reads its handshake answer, then nothing (a clamped receive window).
    void setSlow(bool slow);
    bool slow() const { return m_slow; }
    // Reads again (the end of a slow-reader run: what did the server keep, or did it cut us?).
    void resumeReading();
    State state() const { return m_state; }
    std::optional<TransportKind> kind() const { return m_kind; }
    bool settled() const { return m_state == State::Open || m_state == State::Closed || m_state == State::Failed; }
    int64_t openedAtUs() const { return m_openedAtUs; }     // the first time it opened
    int64_t reopenedAtUs() const { return m_reopenedAtUs; } // first open after the last reconnectNow()
    // The last time it opened, first or again (0: never).
    int64_t lastOpenUs() const { return std::max(m_openedAtUs, m_reopenedAtUs); }
    const SeqWindow &seen() const { return m_seen; }
    int status() const { return m_status; }
    void setPollStyle(PollStyle style) { m_pollStyle = style; }
    // A long poll asks the server to hold it at most this long (rtlab's timeout=, capped by the
    // server's --poll-timeout); 0 leaves the hold to the server.
    void setPollHoldMs(int ms) { m_pollHoldMs = ms; }

protected:
    // A whole WebSocket message: its markers count as deliveries. A publisher on the socket reads
    // them as its acknowledgements instead (WsPublisher).
    virtual void received(std::string_view message, int64_t nowUs);
    void markers(std::string_view bytes, int64_t nowUs);
    void onConnected() override;
    void onData(const char *data, size_t size, int64_t nowUs) override;
    void onClosed(bool error) override;

private:
    void open(int64_t nowUs);
    void handleBody(std::string_view bytes, int64_t nowUs);
    void handleSseLines(int64_t nowUs);
    void handleWsFrames(int64_t nowUs);
    void handlePollAnswer(int64_t nowUs);
    void sendPoll();

    std::optional<TransportKind> m_kind;
    PollStyle m_pollStyle = PollStyle::Cursor;
    int m_pollHoldMs = 0;
    Tally *m_tally;
    uint64_t m_id;
    State m_state = State::Idle;
    int m_status = 0;
    int64_t m_openedAtUs = 0;
    int64_t m_reopenedAtUs = 0;
    int64_t m_reconnectAtUs = 0;
    bool m_slow = false;
    size_t m_node = 0;
    std::string m_lastEventId;    // SSE: the id of the last event dispatched, sent back as Last-Event-ID
    std::string m_pendingEventId; // SSE: an id: field of the event being read (applied at its end)
    bool m_hasPendingEventId = false;
    HttpResponseReader m_reader;
    std::string m_body;
    WsFrameParser m_ws { WsFrameParser::Role::Client };
    SeqWindow m_seen;
    // Long poll position; a WebSocket's too (the id and epoch of the last message, for after= and epoch=).
    std::string m_cursor;
    std::string m_epoch;
    std::string m_lastModified;
    std::string m_etag;
};

} // namespace rtlab::bench
