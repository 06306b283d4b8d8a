// SPDX-License-Identifier: MIT
#include "httpconnection.h"

#include "hub.h"

namespace rtlab {

HttpConnection::HttpConnection(QTcpSocket *socket, Hub *hub, QObject *parent)
    : QObject(parent), m_socket(socket), m_hub(hub),
      m_parser({ hub->config().maxHeadBytes, hub->config().maxBodyBytes }), m_exchange(hub, this)
{
    socket->setParent(this);
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::process);
    connect(socket, &QTcpSocket::bytesWritten, this, [this] { m_exchange.drained(); });
    connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    scheduleProcess(); // bytes may have arrived before we were connected
}

HttpConnection::~HttpConnection()
{
    if (HttpStream::Observer *observer = m_exchange.closed())
        observer->streamClosed();
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
    // One request at a time, and none while the answers already queued are over the bound: then
    // nothing is read, the socket's read buffer fills (QtCore bounds it) and Qt stops reading.
    while (m_socket && m_exchange.state() == HttpExchange::State::Reading && m_socket->bytesAvailable() > 0
           && m_exchange.mayRead()) {
        m_exchange.touch();
        m_exchange.requestBytesArrived(m_parser); // the first byte starts the head deadline
        if (!m_parser.headComplete()) {
            // Peek, do not read: a WebSocket upgrade must reach QWebSocketServer unread.
            const QByteArray peeked = m_socket->peek(qMin<qint64>(m_socket->bytesAvailable(), maxHead + 1));
            if (!containsHeadEnd(peeked)) {
                if (peeked.size() > maxHead)
                    m_exchange.fail(431,
                                    QStringLiteral("request line and headers are larger than %1 bytes").arg(maxHead));
                return; // wait for the rest of the head
            }
            m_parser.reset();
            const qsizetype consumed = m_parser.feed(peeked);
            if (m_exchange.failIfBad(m_parser))
                return;
            if (!m_parser.headComplete()) {
                if (peeked.size() > maxHead)
                    m_exchange.fail(431,
                                    QStringLiteral("request line and headers are larger than %1 bytes").arg(maxHead));
                return;
            }
            m_exchange.requestBytesArrived(m_parser); // the body deadline starts
            const HttpRequest &request = m_parser.request();
            if (request.path == "/ws" && request.isWebSocketUpgrade() && !m_hub->isShuttingDown()) {
                // QWebSocketServer 6.4 answers another version with 400, drops a request without
                // a key and accepts any key: the Hub's checks come first, as in the epoll core.
                if (const auto refusal = m_hub->refuseWebSocket(request)) {
                    m_socket->read(consumed);
                    m_exchange.refuse(*refusal);
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
            if (m_exchange.failIfBad(m_parser))
                return;
        }
        if (m_parser.state() == HttpRequestParser::State::Complete) {
            m_exchange.dispatch(m_parser.takeRequest());
        }
    }
}

void HttpConnection::writeBytes(const QByteArray &bytes)
{
    m_socket->write(bytes);
    m_hub->stats().notePending(m_socket->bytesToWrite());
}

void HttpConnection::abortConnection()
{
    if (m_socket)
        m_socket->abort();
}

void HttpConnection::drop()
{
    if (m_socket)
        m_socket->abort(); // disconnected() tells the observer
}

void HttpConnection::onDisconnected()
{
    if (m_done)
        return;
    m_done = true;
    if (HttpStream::Observer *observer = m_exchange.takeObserver())
        observer->streamClosed();
    emit finished();
    deleteLater();
}

} // namespace rtlab
