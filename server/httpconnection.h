// SPDX-License-Identifier: MIT
#pragma once

#include "httprequestparser.h"
#include "httpstream.h"
#include "serverstats.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>

namespace rtlab {

class Hub;

// One HTTP/1.1 connection on a QTcpSocket: the portable connection layer. It parses requests
// by peeking, so that a WebSocket upgrade can be handed on with not one byte read, and
// consumes exactly one request at a time (pipelined requests wait their turn). It is the
// HttpStream of whichever session answers the current request.
class HttpConnection : public QObject, public HttpStream
{
    Q_OBJECT
public:
    HttpConnection(QTcpSocket *socket, Hub *hub, QObject *parent = nullptr);
    ~HttpConnection() override;

    QTcpSocket *socket() const { return m_socket; }
    bool isIdle() const { return m_state == State::Reading && !m_headStarted; }
    qint64 lastActivityMs() const { return m_lastActivityMs; }
    // Closes a connection that sits between requests (shutdown, keep-alive timeout).
    void closeIdle();
    // Cuts the connection as a network fault would: the session hears of it like any close.
    void drop();

    // HttpStream
    void setObserver(Observer *observer) override { m_observer = observer; }
    void respond(const HttpResponse &response) override;
    void beginStream(const HttpResponse &head) override;
    void write(const QByteArray &bytes) override;
    void end() override;
    void abort() override;
    qint64 pendingBytes() const override;
    QByteArray peerAddress() const override
    {
        return m_socket ? formatPeer(m_socket->peerAddress(), m_socket->peerPort()) : QByteArray();
    }

signals:
    // The request is a WebSocket opening handshake for /ws from an allowed origin. The socket
    // is untouched (nothing read); the receiver takes it over, and this object goes away.
    void webSocketRequested(QTcpSocket *socket, const rtlab::HttpRequest &request);
    void finished();

private:
    enum class State { Reading, Dispatched, Streaming, Closing };
    void process();
    void scheduleProcess();
    void dispatch();
    void fail(int status, const QString &why);
    void onDisconnected();
    void onBytesWritten();

    QPointer<QTcpSocket> m_socket;
    Hub *m_hub;
    HttpRequestParser m_parser;
    Observer *m_observer = nullptr;
    State m_state = State::Reading;
    CountedTransport m_exchangeTransport;
    CountedTransport m_countedAs; // a polling connection: long or short (Hub)
    bool m_headStarted = false;
    bool m_processQueued = false;
    bool m_keepAlive = true;
    bool m_done = false;
    qint64 m_lastActivityMs = 0;
};

} // namespace rtlab
