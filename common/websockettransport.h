#pragma once

#include "clienttransport.h"

#include <QWebSocket>

namespace rtlab {

// WebSocket: QWebSocket to /ws?after=N&epoch=E; every message one text frame; publishes as
// text frames on the same socket. Pings every heartbeat (the pong proves the peer alive and
// gives the round trip); close codes are reported.
class WebSocketTransport : public ClientTransport
{
    Q_OBJECT
public:
    explicit WebSocketTransport(const Options &options, QObject *parent = nullptr);
    ~WebSocketTransport() override;

    void publish(const PublishRequest &request) override;
    bool upstreamOnSameConnection() const override { return true; }

    // RFC 6455 §5.2: the frame header a message of this size needs (client frames add a 4-byte mask).
    static qint64 frameHeaderBytes(qint64 payload, bool masked);
    // The opening handshake's bytes, which QWebSocket (6.4) neither shows nor counts: the
    // request exactly as QWebSocket writes it for `url` with no origin, protocols or extra
    // headers (tst_ClientTransports checks it against what a socket receives), and RFC 6455
    // §4.2.2's minimal 101 answer: exactly what rtlab-server's epoll core sends; a floor for a
    // server that adds headers (its portable Qt core, through QWebSocketServer, sends 340
    // bytes, not 129). The key (24 characters) and the accept (28) are random; pass them, or
    // get '?' of the right length.
    static QByteArray handshakeRequest(const QUrl &url, QByteArrayView key = {});
    static QByteArray handshakeResponse(QByteArrayView accept = {});
    // QWebSocket's error text in words for the user: a refused handshake ("...processHandshake:
    // Unhandled http status code: 403 (Forbidden).") becomes "the server refused the WebSocket
    // upgrade: HTTP 403 Forbidden" and its status goes to *httpStatus (0 if none); other texts
    // lose Qt's internal "QWebSocketPrivate::..." prefix.
    static QString describeError(const QString &qtError, int *httpStatus = nullptr);

protected:
    void connectNow() override;
    void disconnectNow() override;

private:
    void onText(const QString &text);
    void attemptFailed(QWebSocket *socket);

    QWebSocket *m_socket = nullptr;
    QTimer m_pingTimer;
    bool m_closing = false;
    bool m_opened = false;       // this socket's handshake completed
    bool m_errorWhileOpen = false; // the socket failed under us: no close frame came
};

} // namespace rtlab
