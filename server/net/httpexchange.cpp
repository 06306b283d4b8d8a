// SPDX-License-Identifier: MIT
#include "httpexchange.h"

#include "hub.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcHttp, "rtlab.server.http")

namespace rtlab {

HttpExchange::HttpExchange(Hub *hub, Wire *wire) : m_hub(hub), m_wire(wire)
{
    m_lastActivityMs = hub->nowMs();
    m_hub->stats().other.connectionsTotal++;
}

void HttpExchange::touch()
{
    m_lastActivityMs = m_hub->nowMs();
}

bool HttpExchange::isIdle() const
{
    return m_state == State::Reading && m_requestStartMs < 0 && !m_wire->hasUnreadInput();
}

bool HttpExchange::mayRead()
{
    if (m_wire->pendingBytes() <= m_hub->config().maxPendingBytes)
        return true;
    if (!std::exchange(m_readPaused, true))
        m_hub->stats().readPauses++;
    return false;
}

void HttpExchange::requestBytesArrived(const HttpRequestParser &parser)
{
    const ServerConfig &config = m_hub->config();
    if (m_requestStartMs < 0) {
        m_requestStartMs = m_lastActivityMs; // the core touch()ed on this input
        m_deadlineMs = m_requestStartMs + config.headTimeoutMs;
    }
    if (!m_headDone && parser.headComplete()) {
        m_headDone = true;
        // A body of unknown length (chunked) may be as long as the limit allows.
        bool declared = false;
        const qint64 length = parser.request().header("content-length").toLongLong(&declared);
        const qint64 bodyBytes = declared ? length : config.maxBodyBytes;
        m_deadlineMs = m_lastActivityMs + config.bodyTimeoutMs + bodyBytes * 1000 / (64 * 1024);
    }
}

void HttpExchange::endRequest()
{
    m_requestStartMs = -1;
    m_headDone = false;
}

void HttpExchange::sweep(qint64 nowMs, qint64 idleMs)
{
    if (!m_wire->isOpen())
        return;
    if (m_state == State::Reading && m_requestStartMs >= 0 && nowMs > m_deadlineMs) {
        const qint64 allowedMs = m_headDone ? m_hub->config().bodyTimeoutMs : m_hub->config().headTimeoutMs;
        m_hub->stats().requestTimeouts++;
        fail(408,
             QStringLiteral("the request %1 did not arrive within %2 s")
                     .arg(m_headDone ? QStringLiteral("body") : QStringLiteral("head"))
                     .arg(double(allowedMs) / 1000),
             m_headDone ? Refusal::BodyTimeout : Refusal::HeadTimeout);
        return;
    }
    if (nowMs - m_lastActivityMs <= idleMs)
        return;
    if (m_state == State::Closing || (m_state == State::Reading && m_wire->pendingBytes() > 0))
        abort(); // answers nobody has read for that long
    else if (isIdle())
        closeIdle();
}

void HttpExchange::dispatch(const HttpRequest &request)
{
    m_state = State::Dispatched;
    endRequest();
    m_keepAlive = request.persistent();
    m_head = request.method == "HEAD";
    // Before the Hub answers: an answer given at once is written, and counted, inside this call.
    m_transport = m_hub->exchangeTransport(request, &m_countedAs);
    m_hub->handleRequest(request, this);
}

void HttpExchange::fail(int status, const QString &why, std::optional<Refusal> reason)
{
    qCDebug(lcHttp) << "answering" << status << why;
    m_hub->stats().badRequests++;
    m_hub->stats().refuse(reason.value_or(refusalFor(status)));
    HttpResponse r = HttpResponse::error(status, why);
    r.closeConnection = true;
    m_state = State::Dispatched;
    m_head = false; // the request could not be read: its method is not known
    respond(r);
}

bool HttpExchange::failIfBad(const HttpRequestParser &parser)
{
    if (parser.state() != HttpRequestParser::State::Error)
        return false;
    fail(parser.errorStatus(), parser.errorString());
    return true;
}

void HttpExchange::refuse(const HttpResponse &refusal)
{
    m_state = State::Dispatched;
    endRequest();
    m_head = false; // a handshake is a GET
    respond(refusal);
}

void HttpExchange::closeIdle()
{
    if (m_wire->isOpen() && m_state == State::Reading) {
        m_state = State::Closing;
        m_wire->closeAfterWrite();
    }
}

void HttpExchange::drained()
{
    // Output that moves is activity, except a stream's: streams have their own liveness
    // (heartbeats, the slow-reader cut), and this is per flush on the hot path.
    if (m_state != State::Streaming)
        touch();
    if (m_readPaused && m_wire->pendingBytes() <= m_hub->config().maxPendingBytes) {
        m_readPaused = false;
        if (m_state == State::Reading)
            m_wire->readNext();
    }
    if (m_observer)
        m_observer->streamDrained();
}

HttpStream::Observer *HttpExchange::closed()
{
    m_hub->connectionClosed(std::exchange(m_countedAs, std::nullopt), this);
    return std::exchange(m_observer, nullptr);
}

void HttpExchange::write(const QByteArray &bytes)
{
    if (!m_wire->isOpen() || m_state == State::Closing)
        return;
    m_hub->stats().at(m_transport).bytesOut += bytes.size();
    m_wire->writeBytes(bytes);
}

void HttpExchange::respond(const HttpResponse &response)
{
    if (!m_wire->isOpen() || m_state != State::Dispatched)
        return;
    m_observer = nullptr;
    HttpResponse r = response;
    if (!m_keepAlive)
        r.closeConnection = true;
    // RFC 9110 §9.3.2: the answer to HEAD is GET's head without its body, whoever built it; a
    // body the client does not expect would be read as the next response.
    if (std::exchange(m_head, false))
        r.omitBody = true;
    write(r.encode());
    if (r.closeConnection) {
        m_state = State::Closing;
        m_wire->closeAfterWrite();
        return;
    }
    m_state = State::Reading;
    endRequest();
    touch();
    m_wire->readNext();
}

void HttpExchange::beginStream(const HttpResponse &head)
{
    if (!m_wire->isOpen() || m_state != State::Dispatched)
        return;
    if (m_head) {
        // The Hub answers HEAD at once (Hub::handleEvents); should a stream begin anyway, the
        // client gets the head alone, and what the session writes after it is dropped until the
        // connection closes.
        HttpResponse r = head;
        r.omitBody = true;
        r.closeConnection = true;
        m_head = false;
        write(r.encode());
        m_state = State::Closing;
        m_wire->closeAfterWrite();
        return;
    }
    write(head.encode());
    m_state = State::Streaming;
}

void HttpExchange::end()
{
    m_observer = nullptr;
    if (!m_wire->isOpen())
        return;
    m_state = State::Closing;
    m_wire->closeAfterWrite();
}

void HttpExchange::abort()
{
    m_observer = nullptr;
    m_state = State::Closing;
    m_wire->abortConnection();
}

} // namespace rtlab
