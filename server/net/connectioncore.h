// SPDX-License-Identifier: MIT
#pragma once

#include <QHostAddress>
#include <QObject>

namespace rtlab {

// What Server needs from a connection layer: a listening port and every connection on it. A core
// owns its sockets, speaks HTTP/1.1 and RFC 6455 on them, and hands each exchange to the Hub as an
// HttpStream (through HttpExchange, the HTTP rules both cores share) and each WebSocket as a
// WsChannel. net/qt is the portable core, net/epoll the Linux one; another (io_uring, TLS) is
// another folder beside them and one line in Server's factory.
class ConnectionCore : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~ConnectionCore() override = default;

    virtual bool listen(const QHostAddress &address, quint16 port, QString *errorString) = 0;
    virtual QHostAddress address() const = 0;
    virtual quint16 port() const = 0;
    virtual int connectionCount() const = 0;

    // Closes connections that sit between requests longer than idleMs, and WebSockets whose
    // close handshake the peer left unanswered.
    virtual void sweep(qint64 nowMs, qint64 idleMs) = 0;
    // Closes every connection that sits between requests (shutdown).
    virtual void closeIdle() = 0;
    // Cuts every connection as a network fault would: the sessions hear of it like any close.
    virtual void dropConnections() = 0;
    // Cuts every connection at once, nothing more written (the end of shutdown's grace period).
    virtual void abortAll() = 0;
    virtual void stopListening() = 0;

signals:
    // A connection is gone (Server checks whether shutdown is complete).
    void connectionClosed();
};

} // namespace rtlab
