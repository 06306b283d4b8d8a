#include "websockettransport.h"

#include "message.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace rtlab {

WebSocketTransport::WebSocketTransport(const Options &options, QObject *parent)
    : ClientTransport(TransportKind::WebSocket, options, parent)
{
    m_pingTimer.setInterval(int(qMax<qint64>(100, options.heartbeatMs > 0 ? options.heartbeatMs : 15000)));
    connect(&m_pingTimer, &QTimer::timeout, this, [this] {
        if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
            m_socket->ping();
    });
}

WebSocketTransport::~WebSocketTransport()
{
    disconnectNow();
}

qint64 WebSocketTransport::frameHeaderBytes(qint64 payload, bool masked)
{
    const qint64 length = payload < 126 ? 0 : payload < 65536 ? 2 : 8;
    return 2 + length + (masked ? 4 : 0);
}

QByteArray WebSocketTransport::handshakeRequest(const QUrl &url, QByteArrayView key)
{
    QByteArray target = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (target.isEmpty())
        target = "/";
    QByteArray host = url.host(QUrl::FullyEncoded).toUtf8();
    if (url.port() != -1)
        host += ':' + QByteArray::number(url.port());
    return "GET " + target + " HTTP/1.1\r\nHost: " + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + (key.isEmpty() ? QByteArray(24, '?') : key.toByteArray()) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

QByteArray WebSocketTransport::handshakeResponse(QByteArrayView accept)
{
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            + (accept.isEmpty() ? QByteArray(28, '?') : accept.toByteArray()) + "\r\n\r\n";
}

QString WebSocketTransport::describeError(const QString &qtError, int *httpStatus)
{
    if (httpStatus)
        *httpStatus = 0;
    // Qt 6.4 has no API for the status of a refused handshake; its error text names it.
    static const QRegularExpression unhandled(QStringLiteral("http status code: (\\d{3})(?: \\(([^)]*)\\))?"),
                                              QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = unhandled.match(qtError);
    if (m.hasMatch()) {
        const int status = m.captured(1).toInt();
        if (httpStatus)
            *httpStatus = status;
        const QString phrase = m.captured(2).trimmed();
        const QString http = phrase.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                                              : QStringLiteral("HTTP %1 %2").arg(status).arg(phrase);
        if (status >= 200 && status < 300)
            return QStringLiteral("the server answered %1 instead of upgrading to WebSocket (not a WebSocket "
                                  "endpoint, or a proxy that drops the Upgrade header)").arg(http);
        return QStringLiteral("the server refused the WebSocket upgrade: %1").arg(http);
    }
    QString text = qtError;
    static const QRegularExpression internal(QStringLiteral("^Q\\w+(Private)?::\\w+:\\s*"));
    text.remove(internal);
    if (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    return text.isEmpty() ? QStringLiteral("unknown error") : text.at(0).toLower() + text.mid(1);
}

// The attempt ended before the handshake completed: nothing was open, so there is no close code
// to report (QWebSocket says 1000 then, though no close frame was ever exchanged).
void WebSocketTransport::attemptFailed(QWebSocket *socket)
{
    int status = 0;
    const QString why = describeError(socket->errorString(), &status);
    if (status)
        attemptRefused(why, status, true);
    else
        connectionLost(QStringLiteral("could not connect: %1").arg(why));
}

void WebSocketTransport::connectNow()
{
    disconnectNow();
    m_closing = false;
    m_opened = false;
    m_errorWhileOpen = false;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setMaxAllowedIncomingMessageSize(16 * 1024 * 1024);
    QWebSocket *socket = m_socket;
    connect(socket, &QWebSocket::connected, this, [this] {
        // QWebSocket does not show the handshake's bytes: they are computed (exact for our
        // request; for the answer, exact for rtlab-server's epoll core, a floor for a server
        // that adds headers). Once per connection: set-up, not per message (see messageCost()).
        const QByteArray request = handshakeRequest(m_socket->requestUrl());
        const QByteArray response = handshakeResponse();
        stats().headerBytes += request.size() + response.size();
        stats().setupBytes += request.size() + response.size();
        stats().setupWire = { { WirePart::Role::Header, tr("handshake request (computed; the key shown as ?)"), request },
                              { WirePart::Role::Header, tr("101 answer (computed: the minimal one; the accept shown as ?)"), response } };
        stats().setupComputed = true;
        m_opened = true;
        m_pingTimer.start();
        attemptOpened();
    });
    connect(socket, &QWebSocket::textMessageReceived, this, &WebSocketTransport::onText);
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &b) {
        noteAlive();
        stats().framingBytes += frameHeaderBytes(b.size(), false);
        stats().messageFramingBytes += frameHeaderBytes(b.size(), false);
        stats().payloadBytes += b.size();
        if (options().rawUrl.isValid()) {
            QJsonObject o;
            o.insert(QLatin1String("data"), QString::fromLatin1(b.toBase64()));
            o.insert(QLatin1String("binary"), true);
            stats().messages++;
            emit rawReceived(o);
        }
    });
    connect(socket, &QWebSocket::pong, this, [this](quint64 elapsedMs, const QByteArray &) {
        noteAlive();
        stats().framingBytes += 2;
        stats().heartbeats++;
        stats().pingRttUs = qint64(elapsedMs) * 1000;
        emitEvent(ConnectionEvent::Type::Heartbeat, QStringLiteral("pong after %1 ms").arg(elapsedMs));
    });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        if (socket != m_socket)
            return;
        if (!m_opened) {
            attemptFailed(socket); // (a refused TCP connect says so here, before its error())
            return;
        }
        if (m_errorWhileOpen) {
            // The socket failed (reset, closed without a close frame): QWebSocket's closeCode()
            // is its default then, not something the peer said.
            connectionLost(QStringLiteral("connection lost: %1").arg(describeError(socket->errorString())));
            return;
        }
        const int code = int(socket->closeCode());
        const QString reason = socket->closeReason();
        connectionLost(reason.isEmpty() ? QStringLiteral("closed by the server (%1)").arg(code)
                                        : QStringLiteral("closed by the server (%1): %2").arg(code).arg(reason),
                       code);
    });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, socket](QAbstractSocket::SocketError) {
        if (socket != m_socket)
            return;
        if (m_opened) {
            m_errorWhileOpen = true; // disconnected() follows and reports it
            return;
        }
        // Refused, or the handshake failed (an upgrade answered with another status): never opened.
        attemptFailed(socket);
    });

    QUrl url;
    if (options().rawUrl.isValid()) {
        url = options().rawUrl;
    } else {
        url = options().server;
        url.setScheme(url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
        url.setPath(QStringLiteral("/ws"));
        if (m_position.lastId) {
            QString query = QStringLiteral("after=%1").arg(*m_position.lastId);
            if (!m_position.epoch.isEmpty())
                query += QStringLiteral("&epoch=") + m_position.epoch;
            url.setQuery(query);
        }
    }
    stats().httpRequests++;
    m_socket->open(url);
}

void WebSocketTransport::disconnectNow()
{
    m_pingTimer.stop();
    if (QWebSocket *socket = std::exchange(m_socket, nullptr)) {
        socket->disconnect(this);
        if (socket->state() == QAbstractSocket::ConnectedState)
            socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("client closing"));
        else
            socket->abort();
        socket->deleteLater();
    }
}

void WebSocketTransport::publish(const PublishRequest &request)
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState) {
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("not connected: message not sent"));
        emit publishFailed(request.clientMsgId, QStringLiteral("not connected"), true);
        return;
    }
    const QByteArray json = MessageCodec::encodePublish(request);
    stats().publishes++;
    stats().upstreamBytes += json.size() + frameHeaderBytes(json.size(), true);
    m_socket->sendTextMessage(QString::fromUtf8(json));
}

void WebSocketTransport::onText(const QString &text)
{
    noteAlive();
    const QByteArray json = text.toUtf8();
    stats().framingBytes += frameHeaderBytes(json.size(), false);
    stats().messageFramingBytes += frameHeaderBytes(json.size(), false);
    stats().payloadBytes += json.size();
    // RFC 6455 §5.2: FIN + text opcode, then the length (server frames are not masked).
    QByteArray header(1, char(0x81));
    if (json.size() < 126) {
        header += char(json.size());
    } else if (json.size() < 65536) {
        header += char(126);
        header += char((json.size() >> 8) & 0xff);
        header += char(json.size() & 0xff);
    } else {
        header += char(127);
        for (int shift = 56; shift >= 0; shift -= 8)
            header += char((quint64(json.size()) >> shift) & 0xff);
    }
    const QList<WirePart> parts { { WirePart::Role::Framing, tr("frame header (FIN, opcode text, length)"), header },
                                  { WirePart::Role::Payload, tr("payload: the message JSON"), json } };
    if (options().rawUrl.isValid()) {
        QJsonObject o;
        o.insert(QLatin1String("data"), text);
        stats().messages++;
        emit rawReceived(o);
        return;
    }
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.value(QLatin1String("type")).toString() == u"error") {
        const QString why = object.value(QLatin1String("error")).toString();
        emitEvent(ConnectionEvent::Type::Error, why);
        // The server refused one of our messages, and named it.
        const QString clientMsgId = object.value(MessageCodec::clientMsgIdKey()).toString();
        if (!clientMsgId.isEmpty())
            emit publishFailed(clientMsgId, QStringLiteral("publish refused: %1").arg(why), false);
        return;
    }
    const std::optional<Message> m = MessageCodec::decode(json);
    if (!m) {
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("a frame that is not an rtlab message"));
        return;
    }
    if (m->type != MessageType::Reset)
        stats().recordWire(WireLedger::of(*m, parts));
    deliver(*m);
}

} // namespace rtlab
