// SPDX-License-Identifier: MIT
#pragma once

#include "acceptguard.h"
#include "connectioncore.h"
#include "httprequest.h"

#include <QHash>
#include <QSet>
#include <QTcpServer>
#include <QTimer>
#include <QWebSocketServer>

namespace rtlab {

class Hub;
class HttpConnection;
class HttpRequest;
class QtWsChannel;

// The portable connection core: one QTcpServer port; each connection is an HttpConnection that
// routes it by peeking at its request, and WebSocket upgrades are handed unread to
// QWebSocketServer, whose QWebSocket becomes a QtWsChannel.
class QtCore final : public ConnectionCore
{
    Q_OBJECT
public:
    explicit QtCore(Hub *hub, QObject *parent = nullptr);
    ~QtCore() override;

    bool listen(const QHostAddress &address, quint16 port, QString *errorString) override;
    QHostAddress address() const override { return m_tcp.serverAddress(); }
    quint16 port() const override { return m_tcp.serverPort(); }
    int connectionCount() const override { return int(m_connections.size() + m_channels.size()); }
    void sweep(qint64 nowMs, qint64 idleMs) override;
    void closeIdle() override;
    void dropConnections() override;
    void abortAll() override;
    void stopListening() override;

private:
    void onNewConnection();
    // QTcpServer pauses accepting for good on any error but EAGAIN (Qt 6.4's readNotification()):
    // out of descriptors, room is made or the reserve freed, and accepting resumes.
    void onAcceptError(QAbstractSocket::SocketError error);
    // Out of descriptors, Qt 6.4 retries accept() on every pass and emits no acceptError: a
    // timer looks for a listening socket that stays readable with nothing accepted, and frees
    // the reserve for the waiting client. (A second QSocketNotifier on the listening socket would
    // replace QTcpServer's under QEventDispatcherUNIX.)
    void checkExhaustion();
    // A new client: counted against its address's cap, then a connection.
    void admit(QTcpSocket *socket);
    // The client accepted with the reserve: room made by closing the oldest idle connections
    // (nginx's share: an eighth of them, 1 to 32), else answered 503.
    void rescue(QTcpSocket *socket);
    int closeOldestIdle();
    // Answers an accepted client that cannot be served (bytes: a 503) and closes it.
    static void refuse(QTcpSocket *socket, const QByteArray &bytes);
    void onWebSocketRequested(QTcpSocket *socket, const HttpRequest &request);
    void onNewWebSocket();
    void cutAll(void (HttpConnection::*cutConnection)(), void (QtWsChannel::*cutChannel)());

    Hub *m_hub;
    QTcpServer m_tcp;
    QWebSocketServer m_ws;
    QSet<HttpConnection *> m_connections;
    QSet<QtWsChannel *> m_channels;
    // Handshakes handed to QWebSocketServer, by peer, until it gives us the QWebSocket.
    struct Handoff
    {
        QTcpSocket *socket = nullptr;
        HttpRequest
                request; // the handshake: its target, its headers for the token, the client's address behind a proxy
    };
    QHash<QString, Handoff> m_handoffs;
    AcceptGuard m_guard;
    bool m_reserveFreed = false; // for the client accepted next
    QTimer m_exhaustionCheck;
    quint64 m_accepted = 0;
};

} // namespace rtlab
