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

void HttpExchange::dispatch(const HttpRequest &request)
{
    m_state = State::Dispatched;
    m_keepAlive = request.persistent();
    m_head = request.method == "HEAD";
    // Before the Hub answers: an answer given at once is written, and counted, inside this call.
    m_transport = m_hub->exchangeTransport(request, &m_countedAs);
    m_hub->handleRequest(request, this);
}

void HttpExchange::fail(int status, const QString &why)
{
    qCDebug(lcHttp) << "answering" << status << why;
    m_hub->stats().badRequests++;
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
