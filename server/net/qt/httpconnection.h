// SPDX-License-Identifier: MIT
#pragma once

#include "httpexchange.h"
#include "httprequestparser.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>

namespace rtlab {

class Hub;

// One HTTP/1.1 connection on a QTcpSocket: the portable connection layer. It parses requests
// by peeking, so that a WebSocket upgrade can be handed on with not one byte read, and
// consumes exactly one request at a time (pipelined requests wait their turn). Its HttpExchange
// is the HttpStream of whichever session answers the current request.
class HttpConnection : public QObject, private HttpExchange::Wire
{
    Q_OBJECT
public:
    HttpConnection(QTcpSocket *socket, Hub *hub, QObject *parent = nullptr);
    ~HttpConnection() override;

    QTcpSocket *socket() const { return m_socket; }
    // No request in flight, no stream, no held poll (HttpExchange::isIdle).
    bool isIdle() const { return m_exchange.isIdle(); }
    qint64 lastActivityMs() const { return m_exchange.lastActivityMs(); }
    // Closes a connection that sits between requests (shutdown).
    void closeIdle() { m_exchange.closeIdle(); }
    // Request deadlines and the keep-alive timeout (HttpExchange::sweep).
    void sweep(qint64 nowMs, qint64 idleMs) { m_exchange.sweep(nowMs, idleMs); }
    // Cuts the connection as a network fault would: the session hears of it like any close.
    void drop();
    // Cuts at once, nothing more written (the end of shutdown's grace period).
    void abort() { m_exchange.abort(); }

signals:
    // The request is a WebSocket opening handshake for /ws from an allowed origin. The socket
    // is untouched (nothing read); the receiver takes it over, and this object goes away.
    void webSocketRequested(QTcpSocket *socket, const rtlab::HttpRequest &request);
    void finished();

private:
    void process();
    void scheduleProcess();
    void onDisconnected();

    // HttpExchange::Wire
    bool isOpen() const override { return m_socket; }
    void writeBytes(const QByteArray &bytes) override;
    void closeAfterWrite() override { m_socket->disconnectFromHost(); }
    void abortConnection() override;
    void readNext() override { scheduleProcess(); }
    qint64 pendingBytes() const override { return m_socket ? m_socket->bytesToWrite() : 0; }
    bool hasUnreadInput() const override { return m_socket && m_socket->bytesAvailable() > 0; }
    QByteArray peerAddress() const override
    {
        return m_socket ? formatPeer(m_socket->peerAddress(), m_socket->peerPort()) : QByteArray();
    }

    QPointer<QTcpSocket> m_socket;
    Hub *m_hub;
    HttpRequestParser m_parser;
    HttpExchange m_exchange;
    bool m_processQueued = false;
    bool m_done = false;
};

} // namespace rtlab
