// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QWebSocket>

namespace rtlab {

class Hub;

// A WsChannel on a QWebSocket accepted by QWebSocketServer. The TCP socket underneath is
// watched too: its bytesWritten gives the exact wire bytes and its bytesToWrite the backlog.
class QtWsChannel : public QObject, public WsChannel
{
    Q_OBJECT
public:
    QtWsChannel(QWebSocket *socket, QTcpSocket *tcp, QByteArray requestTarget, Hub *hub, QObject *parent = nullptr);
    ~QtWsChannel() override;

    void setObserver(Observer *observer) override { m_observer = observer; }
    void sendText(const QByteArray &utf8) override;
    void ping() override;
    void close(quint16 code, const QString &reason) override;
    void abort() override;
    qint64 pendingBytes() const override;
    QByteArray requestTarget() const override { return m_requestTarget; }
    QByteArray peerAddress() const override { return formatPeer(m_socket->peerAddress(), m_socket->peerPort()); }
    // Cuts the connection as a network fault would: the session hears of it like any close.
    void drop() { m_socket->abort(); }

signals:
    void finished();

private:
    // The slow-reader cut for what QWebSocket sends on its own (pongs), as WsEndpoint::feed does.
    void checkBacklog();
    void onDisconnected();

    QWebSocket *m_socket;
    QPointer<QTcpSocket> m_tcp;
    QByteArray m_requestTarget;
    Hub *m_hub;
    Observer *m_observer = nullptr;
    bool m_done = false;
};

} // namespace rtlab
