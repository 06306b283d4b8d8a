// SPDX-License-Identifier: MIT
#include "qtcore.h"

#include "httpconnection.h"
#include "hub.h"
#include "qtwschannel.h"

namespace rtlab {

static QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

QtCore::QtCore(Hub *hub, QObject *parent)
    : ConnectionCore(parent), m_hub(hub), m_ws(QStringLiteral("rtlab-server"), QWebSocketServer::NonSecureMode)
{
    m_tcp.setListenBacklogSize(1024);
    connect(&m_tcp, &QTcpServer::newConnection, this, &QtCore::onNewConnection);
    connect(&m_ws, &QWebSocketServer::newConnection, this, &QtCore::onNewWebSocket);
}

QtCore::~QtCore()
{
    // Connections first: they release their sessions, which live in the hub.
    const auto connections = m_connections;
    m_connections.clear();
    for (HttpConnection *c : connections)
        delete c;
    const auto channels = m_channels;
    m_channels.clear();
    for (QtWsChannel *c : channels)
        delete c;
    // Finished ones may still wait for deleteLater: gone now, while the hub they tell is there.
    qDeleteAll(findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly));
    qDeleteAll(findChildren<QtWsChannel *>(Qt::FindDirectChildrenOnly));
}

bool QtCore::listen(const QHostAddress &address, quint16 port, QString *errorString)
{
    if (!m_tcp.listen(address, port)) {
        if (errorString)
            *errorString = m_tcp.errorString();
        return false;
    }
    return true;
}

void QtCore::onNewConnection()
{
    while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
        if (m_hub->isShuttingDown()) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        // Bound what one connection may park in memory: a head, a body and some slack.
        socket->setReadBufferSize(m_hub->config().maxHeadBytes + m_hub->config().maxBodyBytes + 4096);
        auto *connection = new HttpConnection(socket, m_hub, this);
        m_connections.insert(connection);
        connect(connection, &HttpConnection::webSocketRequested, this, &QtCore::onWebSocketRequested);
        connect(connection, &HttpConnection::finished, this, [this, connection] {
            m_connections.remove(connection);
            emit connectionClosed();
        });
    }
}

void QtCore::onWebSocketRequested(QTcpSocket *socket, const HttpRequest &request)
{
    const QString key = peerKey(socket->peerAddress(), socket->peerPort());
    m_handoffs.insert(key, { socket, request });
    // A handshake QWebSocketServer refuses never becomes a QWebSocket: forget it when it closes.
    connect(socket, &QTcpSocket::disconnected, this, [this, key, socket] {
        auto it = m_handoffs.find(key);
        if (it != m_handoffs.end() && it->socket == socket) {
            m_handoffs.erase(it);
            socket->deleteLater();
        }
    });
    m_ws.handleConnection(socket);
}

void QtCore::onNewWebSocket()
{
    while (QWebSocket *ws = m_ws.nextPendingConnection()) {
        const Handoff handoff = m_handoffs.take(peerKey(ws->peerAddress(), ws->peerPort()));
        if (handoff.socket)
            disconnect(handoff.socket, &QTcpSocket::disconnected, this, nullptr);
        auto *channel = new QtWsChannel(ws, handoff.socket, handoff.request.target, m_hub, this);
        m_channels.insert(channel);
        connect(channel, &QtWsChannel::finished, this, [this, channel] {
            m_channels.remove(channel);
            emit connectionClosed();
        });
        if (m_hub->isShuttingDown()) {
            channel->close(1001, QStringLiteral("server shutting down"));
            continue;
        }
        m_hub->openWebSocket(channel, handoff.request);
    }
}

void QtCore::sweep(qint64 nowMs, qint64 idleMs)
{
    const auto connections = m_connections;
    for (HttpConnection *c : connections) {
        if (nowMs - c->lastActivityMs() > idleMs)
            c->closeIdle();
    }
}

void QtCore::closeIdle()
{
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->closeIdle();
}

void QtCore::cutAll(void (HttpConnection::*cutConnection)(), void (QtWsChannel::*cutChannel)())
{
    // Copies: a cut connection may leave the sets at once.
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        (c->*cutConnection)();
    const auto channels = m_channels;
    for (QtWsChannel *c : channels)
        (c->*cutChannel)();
}

void QtCore::dropConnections()
{
    cutAll(&HttpConnection::drop, &QtWsChannel::drop);
}

void QtCore::abortAll()
{
    cutAll(&HttpConnection::abort, &QtWsChannel::abort);
    m_connections.clear();
    m_channels.clear();
}

} // namespace rtlab
