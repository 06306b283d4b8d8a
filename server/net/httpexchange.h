// SPDX-License-Identifier: MIT
#pragma once

#include "httprequest.h"
#include "httprequestparser.h"
#include "httpstream.h"
#include "serverstats.h"

#include <optional>
#include <utility>

namespace rtlab {

class Hub;

// The HTTP/1.1 rules of one connection, the same for every core: a request is dispatched to the
// Hub, a bad one failed with its status; a response either ends the exchange (and the connection
// when it is not persistent) or begins a stream; every byte is counted under the exchange's
// transport, and a connection that has polled stays counted as a polling one until it closes. It
// is the HttpStream the sessions see. The core beneath is its Wire: it moves the bytes.
class HttpExchange final : public HttpStream
{
public:
    // What the connection does for the exchange.
    class Wire
    {
    public:
        virtual ~Wire() = default;
        // The socket is there and speaks HTTP (not gone, not upgraded).
        virtual bool isOpen() const = 0;
        virtual void writeBytes(const QByteArray &bytes) = 0;
        // Closes once what is queued has been written.
        virtual void closeAfterWrite() = 0;
        // Cuts at once; the observer has already been let go.
        virtual void abortConnection() = 0;
        // The exchange is over and the connection kept: a pipelined request may be waiting.
        virtual void readNext() = 0;
        virtual qint64 pendingBytes() const = 0;
        // Request bytes the connection holds that the exchange has not seen yet (pipelined, or
        // waiting while the output is over the bound).
        virtual bool hasUnreadInput() const = 0;
        virtual QByteArray peerAddress() const = 0;
    };

    enum class State { Reading, Dispatched, Streaming, Closing };

    HttpExchange(Hub *hub, Wire *wire);
    HttpExchange(const HttpExchange &) = delete;
    HttpExchange &operator=(const HttpExchange &) = delete;

    State state() const { return m_state; }
    qint64 lastActivityMs() const { return m_lastActivityMs; }
    // Input arrived or output left: the keep-alive clock starts again.
    void touch();
    // No request in flight (nor a byte of the next one), no stream, no held poll: what the
    // keep-alive timeout closes, and what may go first when the server runs short of descriptors.
    bool isIdle() const;
    // Whether the connection may read and dispatch more. Not while its unsent output is over the
    // bound (--max-pending), as nginx and Node pause a connection: a client that pipelines
    // requests and never reads its answers gets no more answers queued. The first refusal of a
    // pause counts it (ServerStats::readPauses); drained() ends it with the Wire's readNext().
    bool mayRead();
    // Bytes of the request being read arrived (after the parser took them): the first starts the
    // head deadline (--head-timeout), the end of the head the body deadline (--body-timeout, plus
    // 1 s per 64 KiB the body declares). Neither moves with later bytes, unlike the keep-alive clock.
    void requestBytesArrived(const HttpRequestParser &parser);
    // The core's periodic sweep, the same rules on every core: a request past its deadline is
    // answered 408 and the connection closed; an idle connection quiet for idleMs is closed; one
    // whose answers nobody has read for idleMs is cut (nginx's send_timeout).
    void sweep(qint64 nowMs, qint64 idleMs);

    // A complete request: the Hub answers it now or later (held polls, SSE).
    void dispatch(const HttpRequest &request);
    // A request that cannot be read (its status from the parser): answered, then the connection
    // is closed, since the framing of what follows can no longer be trusted (RFC 9112 §6.3, §11.2).
    // Counted under `reason`, or the status's (refusalFor).
    void fail(int status, const QString &why, std::optional<Refusal> reason = std::nullopt);
    // fail() with the parser's status and reason when it found the request unreadable.
    bool failIfBad(const HttpRequestParser &parser);
    // A WebSocket handshake the Hub refused (Hub::refuseWebSocket): answered like a request.
    void refuse(const HttpResponse &refusal);
    // Closes the connection if it sits between requests (shutdown, keep-alive timeout).
    void closeIdle();
    // Output left the process: the observer may write more.
    void drained();
    // The peer went away: the observer (if any) is returned, to be told.
    HttpStream::Observer *takeObserver() { return std::exchange(m_observer, nullptr); }
    // The connection is gone: the Hub forgets it, and the observer (if any) is returned, to be told.
    HttpStream::Observer *closed();

    // HttpStream
    void setObserver(Observer *observer) override { m_observer = observer; }
    void respond(const HttpResponse &response) override;
    void beginStream(const HttpResponse &head) override;
    void write(const QByteArray &bytes) override;
    void end() override;
    void abort() override;
    qint64 pendingBytes() const override { return m_wire->pendingBytes(); }
    QByteArray peerAddress() const override { return m_wire->peerAddress(); }

private:
    // The request being read is over (dispatched, answered or refused): no deadline runs.
    void endRequest();

    Hub *m_hub;
    Wire *m_wire;
    Observer *m_observer = nullptr;
    State m_state = State::Reading;
    CountedTransport m_transport; // the current exchange's bytes
    CountedTransport m_countedAs; // a polling connection: long or short (Hub)
    bool m_keepAlive = true;
    bool m_readPaused = false; // over the output bound: mayRead() said no
    bool m_headDone = false;   // of the request being read
    bool m_head = false;       // the request being answered is a HEAD
    qint64 m_lastActivityMs = 0;
    qint64 m_requestStartMs = -1; // the first byte of the request being read; -1: none yet
    qint64 m_deadlineMs = 0;      // of its head, then of its body
};

} // namespace rtlab
