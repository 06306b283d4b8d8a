// SPDX-License-Identifier: MIT
#include "qtwschannel.h"

#include "hub.h"
#include "wsframeparser.h"

namespace rtlab {

QtWsChannel::QtWsChannel(QWebSocket *socket, QTcpSocket *tcp, QByteArray requestTarget, Hub *hub, QObject *parent)
    : QObject(parent), m_socket(socket), m_tcp(tcp), m_requestTarget(std::move(requestTarget)), m_hub(hub)
{
    socket->setParent(this);
    // QtWebSockets accepts 2 GiB messages by default; ours are JSON of at most the body limit.
    const auto limit = quint64(hub->config().maxBodyBytes);
    socket->setMaxAllowedIncomingMessageSize(limit);
    socket->setMaxAllowedIncomingFrameSize(limit);
    connect(socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        if (m_observer)
            m_observer->channelTextReceived(text.toUtf8());
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        if (m_observer)
            m_observer->channelBinaryReceived();
    });
    connect(socket, &QWebSocket::pong, this, [this](quint64, const QByteArray &) {
        if (m_observer)
            m_observer->channelPongReceived();
    });
    connect(socket, &QWebSocket::disconnected, this, &QtWsChannel::onDisconnected);
    if (tcp) {
        // QWebSocket answers the client's pings itself, out of our sight: look at the backlog once
        // it has taken each read (queued, so after its own handler whether that is queued or not).
        // Each read is bounded by the socket's read buffer (QtCore), so the queue passes the bound
        // by at most about that much before the slow-reader cut.
        connect(tcp, &QTcpSocket::readyRead, this, &QtWsChannel::checkBacklog, Qt::QueuedConnection);
        connect(tcp, &QTcpSocket::bytesWritten, this, [this](qint64 n) {
            m_hub->stats().at(TransportKind::WebSocket).bytesOut += n;
            if (m_observer)
                m_observer->channelDrained();
        });
    }
}

QtWsChannel::~QtWsChannel()
{
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->channelClosed();
}

void QtWsChannel::sendText(const QByteArray &utf8)
{
    // QWebSocket takes a QString and encodes it again; the epoll core will write our bytes.
    m_socket->sendTextMessage(QString::fromUtf8(utf8));
    m_hub->stats().notePending(pendingBytes());
}

void QtWsChannel::ping()
{
    m_socket->ping();
}

void QtWsChannel::close(quint16 code, const QString &reason)
{
    m_observer = nullptr;
    // The one cut both cores make (RFC 6455 §5.5: whole characters, at most 123 bytes).
    m_socket->close(QWebSocketProtocol::CloseCode(code), QString::fromUtf8(WsFrameParser::closeReason(reason)));
}

void QtWsChannel::abort()
{
    m_observer = nullptr;
    m_socket->abort();
}

qint64 QtWsChannel::pendingBytes() const
{
    return m_tcp ? m_tcp->bytesToWrite() : 0;
}

void QtWsChannel::checkBacklog()
{
    const qint64 pending = pendingBytes();
    m_hub->stats().notePending(pending);
    if (m_done || pending <= m_hub->config().maxPendingBytes)
        return;
    m_hub->stats().slowReadersCut++;
    m_hub->stats().refuse(Refusal::SlowReader);
    drop(); // disconnected() tells the session
}

void QtWsChannel::onDisconnected()
{
    if (m_done)
        return;
    m_done = true;
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->channelClosed();
    emit finished();
    deleteLater();
}

} // namespace rtlab
