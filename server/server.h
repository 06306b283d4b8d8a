// SPDX-License-Identifier: MIT
#pragma once

#include "hub.h"
#include "serverconfig.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTcpServer>
#include <QTimer>
#include <QUrl>
#include <QWebSocketServer>

#include <memory>

namespace rtlab {

class HttpConnection;
class QtWsChannel;
class EpollCore;

// rtlab-server's connection layer. With ServerConfig::Core::Qt (portable): one QTcpServer
// port; each connection is routed by peeking at its request, and WebSocket upgrades are handed
// unread to QWebSocketServer. With Core::Epoll (Linux): an EpollCore owns the port and every
// connection. The protocol itself lives in Hub.
class Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(const ServerConfig &config, QObject *parent = nullptr);
    ~Server() override;

    bool listen(QString *errorString = nullptr);
    quint16 port() const;
    QUrl url() const;
    Hub *hub() { return &m_hub; }
    int connectionCount() const;

    // Stops accepting, ends every stream politely (docs/protocol.md, "Shutdown"), then emits
    // finished() once the connections are gone (or after a grace period).
    void shutdown();
    // Cuts every open connection at once, as a crash or a network fault would; clients must
    // reconnect and resume. (The lab's fault panel and the tests use it.)
    void dropConnections();

signals:
    void finished();

private:
    void onNewConnection();
    void onWebSocketRequested(QTcpSocket *socket, const HttpRequest &request);
    void onNewWebSocket();
    void sweep();
    void checkFinished();

    Hub m_hub;
    QTcpServer m_tcp;
    QWebSocketServer m_ws;
    QSet<HttpConnection *> m_connections;
    QSet<QtWsChannel *> m_channels;
    // Handshakes handed to QWebSocketServer, by peer, until it gives us the QWebSocket.
    struct Handoff
    {
        QTcpSocket *socket;
        QByteArray target;
    };
    QHash<QString, Handoff> m_handoffs;
#ifdef RTLAB_HAVE_EPOLL
    std::unique_ptr<EpollCore> m_epoll; // null with the Qt core (there is none without epoll)
#endif
    QTimer m_sweepTimer;
    QTimer m_graceTimer;
    bool m_shuttingDown = false;
    bool m_finished = false;
};

} // namespace rtlab
