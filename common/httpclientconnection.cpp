// SPDX-License-Identifier: MIT
#include "httpclientconnection.h"

#include <QSslSocket>

#include <functional>

namespace rtlab {

HttpClientConnection::HttpClientConnection(QObject *parent) : QObject(parent) { }

HttpClientConnection::~HttpClientConnection()
{
    abort();
}

void HttpClientConnection::setServer(const QUrl &server)
{
    if (server.host() != m_server.host() || server.port() != m_server.port() || server.scheme() != m_server.scheme())
        abort();
    m_server = server;
}

void HttpClientConnection::setCapture(std::shared_ptr<WireCapture> capture, TransportKind transport)
{
    m_capture = std::move(capture);
    m_captureTransport = transport;
}

void HttpClientConnection::endCaptured(const QString &reason)
{
    if (!m_exchangeOpen)
        return;
    m_exchangeOpen = false;
    if (m_capture)
        m_capture->endExchange(m_exchange, reason);
}

void HttpClientConnection::abort()
{
    if (m_busy)
        endCaptured(QStringLiteral("closed by the client"));
    m_busy = false;
    m_connected = false;
    if (QTcpSocket *socket = m_socket.data()) {
        m_socket = nullptr;
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
}

void HttpClientConnection::connectSocket()
{
    const bool tls = m_server.scheme() == u"https";
    QTcpSocket *socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
    m_socket = socket;
    m_connected = false;
    connect(socket, &QTcpSocket::readyRead, this, &HttpClientConnection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &HttpClientConnection::onDisconnected);
    connect(socket, &QTcpSocket::errorOccurred, this, &HttpClientConnection::onError);
    connect(socket, &QTcpSocket::bytesWritten, this, &HttpClientConnection::onBytesWritten);
    const quint16 port = quint16(m_server.port(tls ? 443 : 80));
    if (tls) {
        auto *ssl = static_cast<QSslSocket *>(socket);
        connect(ssl, &QSslSocket::encrypted, this, &HttpClientConnection::onConnected);
        ssl->connectToHostEncrypted(m_server.host(), port);
    } else {
        connect(socket, &QTcpSocket::connected, this, &HttpClientConnection::onConnected);
        socket->connectToHost(m_server.host(), port);
    }
}

static QByteArray encodeHead(const HttpClientConnection::Request &r, const QUrl &server, const QByteArray &token)
{
    QByteArray out;
    out += r.method + ' ' + r.target + " HTTP/1.1\r\nHost: " + server.authority(QUrl::FullyEncoded).toUtf8() + "\r\n";
    if (!token.isEmpty())
        out += "Authorization: Bearer " + token + "\r\n";
    for (const auto &[name, value] : r.headers)
        out += name + ": " + value + "\r\n";
    if (!r.body.isEmpty() || r.method == "POST")
        out += "Content-Length: " + QByteArray::number(r.body.size()) + "\r\n";
    out += "\r\n";
    return out;
}

void HttpClientConnection::send(const Request &request)
{
    // One request at a time: one still in flight is given up.
    if (m_busy)
        endCaptured(QStringLiteral("replaced by another request"));
    m_request = request;
    m_requestHead = encodeHead(request, m_server, m_token); // once: written on connect, and recorded
    m_busy = true;
    m_parser.reset(request.method == "HEAD");
    m_unwritten = 0;
    if (m_capture) {
        // Recorded before the connection is made, so that a refused connection has its arrow.
        QString label = QString::fromLatin1(request.method + ' ' + request.target);
        for (const auto &[name, value] : request.headers) {
            if (name.compare("Last-Event-ID", Qt::CaseInsensitive) == 0)
                label += QStringLiteral(" · Last-Event-ID: %1").arg(QString::fromUtf8(value));
        }
        const QString url = m_server.scheme() + QStringLiteral("://") + m_server.authority(QUrl::FullyEncoded)
                + QString::fromUtf8(request.target);
        m_exchange = m_capture->beginExchange(m_captureTransport, request.captureKind, request.method, url,
                                              m_requestHead, request.body, label);
        m_exchangeOpen = true;
    }
    if (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState) {
        // The old socket goes without ending the exchange just begun.
        const bool open = std::exchange(m_exchangeOpen, false);
        abort();
        m_exchangeOpen = open;
        m_busy = true;
        connectSocket();
        return;
    }
    if (m_connected)
        onConnected();
}

void HttpClientConnection::onConnected()
{
    m_connected = true;
    if (!m_busy || !m_socket)
        return;
    const QByteArray out = m_requestHead + m_request.body;
    m_unwritten = out.size();
    m_socket->write(out);
    m_lastRequest = out.left(16 * 1024);
    m_rawHead.clear();
    emit requestWritten(out.size());
}

void HttpClientConnection::onReadyRead()
{
    if (!m_socket)
        return;
    const QByteArray bytes = m_socket->readAll();
    emit bytesReceived(bytes.size());
    if (!m_busy)
        return; // nothing asked: a server's stray bytes are ignored
    QPointer<HttpClientConnection> self(this);
    qsizetype offset = 0;
    while (offset < bytes.size() && m_busy) {
        const bool hadHead = m_parser.headComplete();
        const qint64 headBefore = m_parser.headComplete() ? 0 : qint64(m_rawHead.size());
        const qsizetype fed = m_parser.feed(QByteArrayView(bytes).sliced(offset));
        if (!hadHead && m_rawHead.size() < 16 * 1024) {
            // Keep the head's exact bytes (for the byte ledger).
            const qint64 headPart = m_parser.headComplete() ? m_parser.headBytes() - headBefore : fed;
            m_rawHead += bytes.mid(offset, qMin<qsizetype>(headPart, fed));
        }
        offset += fed;
        if (m_parser.state() == HttpResponseParser::State::Error) {
            fail(QStringLiteral("bad HTTP response: %1").arg(m_parser.errorString()));
            return;
        }
        if (!hadHead && m_parser.headComplete()) {
            if (m_capture && m_exchangeOpen) {
                const bool answeredByTransport = m_request.captureKind == WireExchange::Kind::Poll
                        || m_request.captureKind == WireExchange::Kind::Publish;
                m_capture->responseHead(m_exchange, m_parser.status(), m_rawHead, !answeredByTransport);
            }
            emit responseHeadReceived();
            if (!self || !m_busy)
                return;
        }
        const QByteArray body = m_parser.takeBody();
        if (!body.isEmpty()) {
            if (m_capture && m_exchangeOpen)
                m_capture->bodyReceived(m_exchange, body.size());
            emit bodyReceived(body);
            if (!self || !m_busy)
                return;
        }
        if (m_parser.state() == HttpResponseParser::State::Complete) {
            m_busy = false;
            const bool keep = m_parser.keepAlive();
            const auto end = finishCaptured();
            emit responseFinished();
            end();
            if (!self)
                return;
            if (!keep && !m_busy)
                abort();
            return;
        }
        if (offset == 0)
            break;
    }
}

void HttpClientConnection::onDisconnected()
{
    if (!m_busy) {
        abort();
        return;
    }
    // A close-delimited body (SSE from many servers) ends with the connection.
    m_parser.finish();
    if (m_parser.state() == HttpResponseParser::State::Complete) {
        const QByteArray body = m_parser.takeBody();
        QPointer<HttpClientConnection> self(this);
        if (!body.isEmpty()) {
            if (m_capture && m_exchangeOpen)
                m_capture->bodyReceived(m_exchange, body.size());
            emit bodyReceived(body);
        }
        if (!self)
            return;
        m_busy = false;
        const auto end = finishCaptured();
        abort();
        emit responseFinished();
        end();
        return;
    }
    fail(m_parser.headComplete() ? QStringLiteral("connection closed during the response")
                                 : QStringLiteral("connection closed before a response"));
}

void HttpClientConnection::onError()
{
    if (!m_socket)
        return;
    if (m_socket->error() == QAbstractSocket::RemoteHostClosedError)
        return; // handled by onDisconnected
    fail(m_socket->errorString());
}

std::function<void()> HttpClientConnection::finishCaptured()
{
    if (!m_capture || !m_exchangeOpen)
        return [] {};
    m_exchangeOpen = false;
    const WireExchange::Kind kind = m_request.captureKind;
    if (kind != WireExchange::Kind::Poll && kind != WireExchange::Kind::Publish) {
        m_capture->endExchange(m_exchange,
                               kind == WireExchange::Kind::EventStream ? QStringLiteral("the server ended the stream")
                                                                       : QString());
        return [] {};
    }
    // The transport answers it with finishResponse() in responseFinished(); whatever it did,
    // the exchange is over afterwards (by value: the connection may be gone by then).
    return [capture = m_capture, id = m_exchange] { capture->endExchange(id); };
}

void HttpClientConnection::onBytesWritten(qint64 bytes)
{
    if (m_unwritten <= 0)
        return;
    m_unwritten -= bytes;
    if (m_unwritten <= 0 && m_capture && m_exchangeOpen)
        m_capture->requestSent(m_exchange);
}

void HttpClientConnection::fail(const QString &reason)
{
    if (m_busy)
        endCaptured(reason);
    const bool wasBusy = m_busy;
    abort();
    if (wasBusy)
        emit failed(reason);
}

} // namespace rtlab
