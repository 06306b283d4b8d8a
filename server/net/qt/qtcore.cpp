// SPDX-License-Identifier: MIT
#include "qtcore.h"

#include "httpconnection.h"
#include "hub.h"
#include "listensocket.h"
#include "qtwschannel.h"

#include <QTimer>

#include <algorithm>
#include <vector>

namespace rtlab {

namespace {

constexpr int AcceptPauseMs = 100;
// Qt 6.4's QTcpServer retries a failing accept() on every loop pass and tells no one (no
// acceptError for EMFILE): a check this often finds it out. It is a poll() while listening, and a
// waiting client is answered within this time instead of timing out.
constexpr int ExhaustionCheckMs = 250;
constexpr int MaxRescuesPerCheck = 64;

} // namespace

static QString peerKey(const QHostAddress &address, quint16 port)
{
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

QtCore::QtCore(Hub *hub, QObject *parent)
    : ConnectionCore(parent), m_hub(hub), m_ws(QStringLiteral("rtlab-server"), QWebSocketServer::NonSecureMode),
      m_guard(hub->config())
{
    m_tcp.setListenBacklogSize(1024);
    connect(&m_tcp, &QTcpServer::newConnection, this, &QtCore::onNewConnection);
    connect(&m_tcp, &QTcpServer::acceptError, this, &QtCore::onAcceptError);
    m_exhaustionCheck.setInterval(ExhaustionCheckMs);
    connect(&m_exhaustionCheck, &QTimer::timeout, this, &QtCore::checkExhaustion);
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
    if (m_hub->config().reusePort) {
        // QTcpServer (Qt 6.4) binds in listen(), with no way to set SO_REUSEPORT before: the
        // socket is made here and handed over, listening already.
        const int fd = openListeningSocket(address, port, true, m_tcp.listenBacklogSize(), errorString);
        if (fd < 0)
            return false;
        if (!m_tcp.setSocketDescriptor(fd)) {
            if (errorString)
                *errorString = m_tcp.errorString();
            closeListeningSocket(fd);
            return false;
        }
    } else if (!m_tcp.listen(address, port)) {
        if (errorString)
            *errorString = m_tcp.serverError() == QAbstractSocket::AddressInUseError ? portInUseMessage(port)
                                                                                     : m_tcp.errorString();
        return false;
    }
    m_exhaustionCheck.start();
    return true;
}

void QtCore::stopListening()
{
    m_exhaustionCheck.stop();
    m_tcp.close();
}

void QtCore::checkExhaustion()
{
    // waitForNewConnection(0) runs QTcpServer's accept loop once: true when the listening socket
    // was readable. Readable with nothing accepted is accept() failing: out of descriptors, the
    // reserve goes to the waiting client (onNewConnection()), a batch at most per check.
    for (int i = 0; i < MaxRescuesPerCheck && m_tcp.isListening() && !m_reserveFreed; ++i) {
        const quint64 before = m_accepted;
        if (!m_tcp.waitForNewConnection(0) || m_accepted != before || !m_guard.freeReserve())
            return;
        m_reserveFreed = true;
        m_tcp.waitForNewConnection(0);
        if (m_reserveFreed)
            return; // nobody took the slot after all: it waits for the next client
    }
}

void QtCore::onNewConnection()
{
    while (QTcpSocket *socket = m_tcp.nextPendingConnection()) {
        ++m_accepted;
        if (std::exchange(m_reserveFreed, false)) {
            rescue(socket);
            m_guard.takeReserve();
        } else {
            admit(socket);
        }
    }
}

void QtCore::admit(QTcpSocket *socket)
{
    if (m_hub->isShuttingDown()) {
        socket->abort();
        socket->deleteLater();
        return;
    }
    if (m_guard.peers().enabled()) {
        // Qt read the address when it took the descriptor: no syscall of ours.
        const QHostAddress address = socket->peerAddress();
        if (!m_guard.peers().tryAdd(address)) {
            m_hub->stats().refuse(Refusal::PerIpLimit);
            refuse(socket, AcceptGuard::addressFull());
            return;
        }
        // The socket outlives its HttpConnection when it becomes a WebSocket: it is the
        // connection, counted out when it goes.
        connect(socket, &QObject::destroyed, this, [this, address] { m_guard.peers().remove(address); });
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

void QtCore::onAcceptError(QAbstractSocket::SocketError error)
{
    // QTcpServer pauses accepting for good on an error it does not take for temporary. Out of
    // descriptors, the reserve goes to the waiting client (see checkExhaustion()); otherwise
    // accepting waits a moment and goes on, the backlog holding the queue meanwhile.
    if (error == QAbstractSocket::SocketResourceError && !m_reserveFreed && m_guard.freeReserve()) {
        m_reserveFreed = true;
        m_tcp.resumeAccepting();
        return;
    }
    m_guard.warn("accept", 0,
                 QStringLiteral("%1: pausing accept for %2 ms").arg(m_tcp.errorString()).arg(AcceptPauseMs),
                 m_hub->nowMs());
    QTimer::singleShot(AcceptPauseMs, this, [this] {
        if (m_tcp.isListening())
            m_tcp.resumeAccepting();
    });
}

void QtCore::rescue(QTcpSocket *socket)
{
    // The reserve's slot went to this client. Taken again at once, there was room after all (the
    // check saw an accept fail for another reason): an ordinary connection.
    if (m_guard.takeReserve()) {
        admit(socket);
        return;
    }
    // As the epoll core: idle keep-alive connections make room, oldest first, as nginx reuses
    // them; streams, held polls and requests in progress are never closed for room.
    const int error = m_guard.reserveError();
    if (const int closed = closeOldestIdle(); closed > 0) {
        m_guard.warn("accept", error, QStringLiteral("closed the %1 oldest idle connections").arg(closed),
                     m_hub->nowMs());
        admit(socket);
    } else {
        m_guard.warn("accept", error, QStringLiteral("no idle connection to close: answered 503"), m_hub->nowMs());
        m_hub->stats().refuse(Refusal::FdLimit);
        refuse(socket, AcceptGuard::serverFull());
    }
}

int QtCore::closeOldestIdle()
{
    std::vector<HttpConnection *> idle;
    for (HttpConnection *c : std::as_const(m_connections)) {
        // Input not yet read (by Qt, or by the connection) is a request on its way: spared.
        // Nothing left to write: disconnectFromHost() closes the descriptor at once.
        const QTcpSocket *socket = c->socket();
        if (c->isIdle() && socket && socket->bytesAvailable() == 0 && socket->bytesToWrite() == 0
            && !AcceptGuard::hasUnreadInput(socket->socketDescriptor()))
            idle.push_back(c);
    }
    if (idle.empty())
        return 0;
    // ngx_drain_connections(): an eighth of the reusable connections, at least 1, at most 32.
    const auto n = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(idle.size()) / 8, 1, 32);
    std::partial_sort(idle.begin(), idle.begin() + n, idle.end(), [](const HttpConnection *a, const HttpConnection *b) {
        return a->lastActivityMs() < b->lastActivityMs();
    });
    for (std::ptrdiff_t i = 0; i < n; ++i)
        idle[size_t(i)]->closeIdle();
    return int(n);
}

void QtCore::refuse(QTcpSocket *socket, const QByteArray &bytes)
{
    // What the client sent is read first: closing with unread input sends RST, which may destroy
    // the answer before the client reads it (RFC 9112 §9.6).
    socket->readAll();
    socket->write(bytes);
    socket->flush();
    socket->disconnectFromHost();
    socket->deleteLater();
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
    for (HttpConnection *c : connections)
        c->sweep(nowMs, idleMs);
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
