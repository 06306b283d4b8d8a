// SPDX-License-Identifier: MIT
#pragma once

#include "connectioncore.h"
#include "httprequest.h"

#include <QHash>
#include <QSet>
#include <QTcpServer>
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
    void stopListening() override { m_tcp.close(); }

private:
    void onNewConnection();
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
        QTcpSocket *socket;
        HttpRequest request; // the handshake: its target, and its headers for the token
    };
    QHash<QString, Handoff> m_handoffs;
};

} // namespace rtlab
