// SPDX-License-Identifier: MIT
#include "httpconnection.h"

#include "hub.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcHttp, "rtlab.server.http")

namespace rtlab {

HttpConnection::HttpConnection(QTcpSocket *socket, Hub *hub, QObject *parent)
    : QObject(parent), m_socket(socket), m_hub(hub),
      m_parser({ hub->config().maxHeadBytes, hub->config().maxBodyBytes })
{
    socket->setParent(this);
    m_lastActivityMs = hub->nowMs();
    m_hub->stats().other.connectionsTotal++;
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
    connect(socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    scheduleProcess(); // bytes may have arrived before we were connected
}

HttpConnection::~HttpConnection()
{
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->streamClosed();
    m_hub->connectionClosed(m_countedAs, this);
}

qint64 HttpConnection::pendingBytes() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

void HttpConnection::scheduleProcess()
{
    if (m_processQueued)
        return;
    m_processQueued = true;
    QMetaObject::invokeMethod(
            this,
            [this] {
                m_processQueued = false;
                process();
            },
            Qt::QueuedConnection);
}

static bool containsHeadEnd(const QByteArray &bytes)
{
    // http_parser accepts bare LF line ends as well as CRLF.
    return bytes.contains("\n\r\n") || bytes.contains("\n\n");
}

void HttpConnection::process()
{
    const qsizetype maxHead = m_hub->config().maxHeadBytes;
    while (m_socket && m_state == State::Reading && m_socket->bytesAvailable() > 0) {
        m_lastActivityMs = m_hub->nowMs();
        if (!m_parser.headComplete()) {
            // Peek, do not read: a WebSocket upgrade must reach QWebSocketServer unread.
            const QByteArray peeked = m_socket->peek(qMin<qint64>(m_socket->bytesAvailable(), maxHead + 1));
            m_headStarted = true;
            if (!containsHeadEnd(peeked)) {
                if (peeked.size() > maxHead)
                    fail(431, QStringLiteral("request line and headers are larger than %1 bytes").arg(maxHead));
                return; // wait for the rest of the head
            }
            m_parser.reset();
            const qsizetype consumed = m_parser.feed(peeked);
            if (m_parser.state() == HttpRequestParser::State::Error) {
                fail(m_parser.errorStatus(), m_parser.errorString());
                return;
            }
            if (!m_parser.headComplete()) {
                if (peeked.size() > maxHead)
                    fail(431, QStringLiteral("request line and headers are larger than %1 bytes").arg(maxHead));
                return;
            }
            const HttpRequest &request = m_parser.request();
            if (request.path == "/ws" && request.isWebSocketUpgrade() && !m_hub->isShuttingDown()) {
                // QWebSocketServer 6.4 answers another version with 400, drops a request without
                // a key and accepts any key: the Hub's checks come first, as in the epoll core.
                if (const auto refusal = m_hub->refuseWebSocket(request)) {
                    m_socket->read(consumed);
                    m_state = State::Dispatched;
                    respond(*refusal);
                    return;
                }
                QTcpSocket *socket = m_socket;
                disconnect(socket, nullptr, this, nullptr);
                socket->setParent(nullptr);
                m_socket = nullptr;
                m_done = true;
                emit webSocketRequested(socket, request);
                emit finished();
                deleteLater();
                return;
            }
            m_socket->read(consumed);
        } else {
            const QByteArray peeked = m_socket->peek(m_socket->bytesAvailable());
            const qsizetype consumed = m_parser.feed(peeked);
            m_socket->read(consumed);
            if (m_parser.state() == HttpRequestParser::State::Error) {
                fail(m_parser.errorStatus(), m_parser.errorString());
                return;
            }
        }
        if (m_parser.state() == HttpRequestParser::State::Complete)
            dispatch();
    }
}

void HttpConnection::dispatch()
{
    const HttpRequest request = m_parser.request();
    m_parser.reset();
    m_headStarted = false;
    m_state = State::Dispatched;
    m_keepAlive = request.persistent();
    m_exchangeTransport = m_hub->exchangeTransport(request, &m_countedAs);
    m_hub->handleRequest(request, this);
}

void HttpConnection::fail(int status, const QString &why)
{
    qCDebug(lcHttp) << "answering" << status << why;
    m_hub->stats().badRequests++;
    HttpResponse r = HttpResponse::error(status, why);
    // The framing of what follows can no longer be trusted (RFC 9112 §6.3, §11.2).
    r.closeConnection = true;
    m_state = State::Dispatched;
    respond(r);
}

void HttpConnection::write(const QByteArray &bytes)
{
    if (!m_socket || m_state == State::Closing)
        return;
    m_hub->stats().at(m_exchangeTransport).bytesOut += bytes.size();
    m_socket->write(bytes);
}

void HttpConnection::respond(const HttpResponse &response)
{
    if (!m_socket || m_state != State::Dispatched)
        return;
    m_observer = nullptr;
    HttpResponse r = response;
    if (!m_keepAlive)
        r.closeConnection = true;
    write(r.encode());
    if (r.closeConnection) {
        m_state = State::Closing;
        m_socket->disconnectFromHost(); // after what is queued has been written
        return;
    }
    m_state = State::Reading;
    m_lastActivityMs = m_hub->nowMs();
    scheduleProcess(); // a pipelined request may be waiting
}

void HttpConnection::beginStream(const HttpResponse &head)
{
    if (!m_socket || m_state != State::Dispatched)
        return;
    write(head.encode());
    m_state = State::Streaming;
}

void HttpConnection::end()
{
    m_observer = nullptr;
    if (!m_socket)
        return;
    m_state = State::Closing;
    m_socket->disconnectFromHost();
}

void HttpConnection::abort()
{
    m_observer = nullptr;
    if (!m_socket)
        return;
    m_state = State::Closing;
    m_socket->abort();
}

void HttpConnection::drop()
{
    if (m_socket)
        m_socket->abort(); // disconnected() tells the observer
}

void HttpConnection::closeIdle()
{
    if (m_socket && m_state == State::Reading) {
        m_state = State::Closing;
        m_socket->disconnectFromHost();
    }
}

void HttpConnection::onBytesWritten()
{
    if (m_observer)
        m_observer->streamDrained();
}

void HttpConnection::onDisconnected()
{
    if (m_done)
        return;
    m_done = true;
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->streamClosed();
    emit finished();
    deleteLater();
}

} // namespace rtlab
