#include "httpclientconnection.h"

#include <QSslSocket>

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

void HttpClientConnection::abort()
{
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

void HttpClientConnection::send(const Request &request)
{
    m_request = request;
    m_busy = true;
    m_parser.reset(request.method == "HEAD");
    if (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState) {
        abort();
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
    const Request &r = m_request;
    QByteArray out;
    out.reserve(256 + r.body.size());
    out += r.method + ' ' + r.target + " HTTP/1.1\r\nHost: " + m_server.authority(QUrl::FullyEncoded).toUtf8()
            + "\r\n";
    for (const auto &[name, value] : r.headers)
        out += name + ": " + value + "\r\n";
    if (!r.body.isEmpty() || r.method == "POST")
        out += "Content-Length: " + QByteArray::number(r.body.size()) + "\r\n";
    out += "\r\n";
    out += r.body;
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
            emit responseHeadReceived();
            if (!self || !m_busy)
                return;
        }
        const QByteArray body = m_parser.takeBody();
        if (!body.isEmpty()) {
            emit bodyReceived(body);
            if (!self || !m_busy)
                return;
        }
        if (m_parser.state() == HttpResponseParser::State::Complete) {
            m_busy = false;
            const bool keep = m_parser.keepAlive();
            emit responseFinished();
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
        if (!body.isEmpty())
            emit bodyReceived(body);
        if (!self)
            return;
        m_busy = false;
        abort();
        emit responseFinished();
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

void HttpClientConnection::fail(const QString &reason)
{
    const bool wasBusy = m_busy;
    abort();
    if (wasBusy)
        emit failed(reason);
}

} // namespace rtlab
