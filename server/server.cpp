// SPDX-License-Identifier: MIT
#include "server.h"

#include "httpconnection.h"
#include "qtwschannel.h"
#ifdef RTLAB_HAVE_EPOLL
#include "epollcore.h"
#endif

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcServer, "rtlab.server")

namespace rtlab {

static constexpr qint64 KeepAliveIdleMs = 60000;
static constexpr int ShutdownGraceMs = 3000;

static QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

Server::Server(const ServerConfig &config, QObject *parent)
    : QObject(parent), m_hub(config), m_ws(QStringLiteral("rtlab-server"), QWebSocketServer::NonSecureMode)
{
#ifdef RTLAB_HAVE_EPOLL
    if (config.core == ServerConfig::Core::Epoll) {
        m_epoll = std::make_unique<EpollCore>(&m_hub);
        connect(m_epoll.get(), &EpollCore::connectionClosed, this, &Server::checkFinished);
    }
#endif
    m_tcp.setListenBacklogSize(1024);
    connect(&m_tcp, &QTcpServer::newConnection, this, &Server::onNewConnection);
    connect(&m_ws, &QWebSocketServer::newConnection, this, &Server::onNewWebSocket);
    m_sweepTimer.setInterval(5000);
    connect(&m_sweepTimer, &QTimer::timeout, this, &Server::sweep);
    m_sweepTimer.start();
    m_graceTimer.setSingleShot(true);
    connect(&m_graceTimer, &QTimer::timeout, this, [this] {
        qCWarning(lcServer) << "shutdown grace period over; cutting" << connectionCount() << "connections";
        const auto connections = m_connections;
        for (HttpConnection *c : connections)
            c->abort();
        const auto channels = m_channels;
        for (QtWsChannel *c : channels)
            c->abort();
        m_connections.clear();
        m_channels.clear();
#ifdef RTLAB_HAVE_EPOLL
        if (m_epoll)
            m_epoll->abortAll();
#endif
        checkFinished();
    });
    connect(&m_hub, &Hub::drained, this, &Server::checkFinished);
}

Server::~Server()
{
    // Connections first: they release their sessions, which live in the hub.
#ifdef RTLAB_HAVE_EPOLL
    m_epoll.reset();
#endif
    const auto connections = m_connections;
    m_connections.clear();
    for (HttpConnection *c : connections)
        delete c;
    const auto channels = m_channels;
    m_channels.clear();
    for (QtWsChannel *c : channels)
        delete c;
    // Finished ones may still wait for deleteLater: as QObject children they would be deleted by
    // ~QObject, after m_hub, and tell a destroyed hub that they closed.
    qDeleteAll(findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly));
    qDeleteAll(findChildren<QtWsChannel *>(Qt::FindDirectChildrenOnly));
}

bool Server::listen(QString *errorString)
{
    const QHostAddress address = m_hub.config().host == u"localhost" ? QHostAddress(QHostAddress::LocalHost)
                                                                     : QHostAddress(m_hub.config().host);
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        return m_epoll->listen(address, m_hub.config().port, errorString);
#endif
    if (!m_tcp.listen(address, m_hub.config().port)) {
        if (errorString)
            *errorString = m_tcp.errorString();
        return false;
    }
    return true;
}

quint16 Server::port() const
{
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        return m_epoll->port();
#endif
    return m_tcp.serverPort();
}

int Server::connectionCount() const
{
    int n = int(m_connections.size() + m_channels.size());
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        n += m_epoll->connectionCount();
#endif
    return n;
}

QUrl Server::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("http"));
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        u.setHost(m_epoll->address().toString());
    else
#endif
        u.setHost(m_tcp.serverAddress().toString());
    u.setPort(port());
    return u;
}

void Server::onNewConnection()
{
    while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
        if (m_shuttingDown) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        // Bound what one connection may park in memory: a head, a body and some slack.
        socket->setReadBufferSize(m_hub.config().maxHeadBytes + m_hub.config().maxBodyBytes + 4096);
        auto *connection = new HttpConnection(socket, &m_hub, this);
        m_connections.insert(connection);
        connect(connection, &HttpConnection::webSocketRequested, this, &Server::onWebSocketRequested);
        connect(connection, &HttpConnection::finished, this, [this, connection] {
            m_connections.remove(connection);
            checkFinished();
        });
    }
}

void Server::onWebSocketRequested(QTcpSocket *socket, const HttpRequest &request)
{
    const QString key = peerKey(socket->peerAddress(), socket->peerPort());
    m_handoffs.insert(key, { socket, request.target });
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

void Server::onNewWebSocket()
{
    while (QWebSocket *ws = m_ws.nextPendingConnection()) {
        const Handoff handoff = m_handoffs.take(peerKey(ws->peerAddress(), ws->peerPort()));
        if (handoff.socket)
            disconnect(handoff.socket, &QTcpSocket::disconnected, this, nullptr);
        auto *channel = new QtWsChannel(ws, handoff.socket, handoff.target, &m_hub, this);
        m_channels.insert(channel);
        connect(channel, &QtWsChannel::finished, this, [this, channel] {
            m_channels.remove(channel);
            checkFinished();
        });
        if (m_shuttingDown) {
            channel->close(1001, QStringLiteral("server shutting down"));
            continue;
        }
        m_hub.openWebSocket(channel);
    }
}

void Server::sweep()
{
    const qint64 now = m_hub.nowMs();
    const auto connections = m_connections;
    for (HttpConnection *c : connections) {
        if (now - c->lastActivityMs() > KeepAliveIdleMs)
            c->closeIdle();
    }
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        m_epoll->sweep(now, KeepAliveIdleMs);
#endif
}

void Server::dropConnections()
{
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->drop();
    const auto channels = m_channels;
    for (QtWsChannel *c : channels)
        c->drop();
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        m_epoll->dropConnections();
#endif
}

void Server::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_tcp.close();
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        m_epoll->stopListening();
#endif
    m_hub.shutdown();
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->closeIdle();
#ifdef RTLAB_HAVE_EPOLL
    if (m_epoll)
        m_epoll->closeIdle();
#endif
    m_graceTimer.start(ShutdownGraceMs);
    checkFinished();
}

void Server::checkFinished()
{
    if (!m_shuttingDown || m_finished)
        return;
    if (connectionCount() > 0 || m_hub.sessionCount() > 0)
        return;
    m_finished = true;
    m_graceTimer.stop();
    emit finished();
}

} // namespace rtlab
