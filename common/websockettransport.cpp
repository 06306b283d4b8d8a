#include "websockettransport.h"

#include "message.h"

#include <QJsonDocument>
#include <QJsonObject>

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

void WebSocketTransport::connectNow()
{
    disconnectNow();
    m_closing = false;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setMaxAllowedIncomingMessageSize(16 * 1024 * 1024);
    QWebSocket *socket = m_socket;
    connect(socket, &QWebSocket::connected, this, [this] {
        // QWebSocket does not show the handshake's bytes; count what RFC 6455 §4 makes them:
        // our GET with Host, Upgrade, Connection, a 24-byte key and the version, and the 101
        // answer with a 28-byte accept. (An estimate: a server may add headers of its own.)
        const QUrl u = m_socket->requestUrl();
        const qint64 target = u.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority).size();
        const qint64 request = 4 + target + 11 + 8 + u.authority().size() + 20 + 21 + 45 + 27 + 2;
        stats().headerBytes += request + 129;
        m_pingTimer.start();
        attemptOpened();
    });
    connect(socket, &QWebSocket::textMessageReceived, this, &WebSocketTransport::onText);
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &b) {
        noteAlive();
        stats().framingBytes += frameHeaderBytes(b.size(), false);
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
        const int code = int(socket->closeCode());
        const QString reason = socket->closeReason().isEmpty() ? socket->errorString() : socket->closeReason();
        connectionLost(QStringLiteral("closed (%1) %2").arg(code).arg(reason), code);
    });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, socket](QAbstractSocket::SocketError) {
        if (socket != m_socket || socket->state() == QAbstractSocket::ConnectedState)
            return;
        // Refused, or the handshake failed (an upgrade blocked on the way): never opened.
        connectionLost(socket->errorString());
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
    stats().lastWire = { { tr("frame header (FIN, opcode text, length)"), header }, { tr("payload: the message JSON"), json } };
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
    if (!deliverJson(json))
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("a frame that is not an rtlab message"));
}

} // namespace rtlab
