// SPDX-License-Identifier: MIT
#pragma once

#include "clienttransport.h"
#include "wsframeparser.h"
#include "wshandshake.h"

#include <QElapsedTimer>

#include <optional>

class QTcpSocket;

namespace rtlab {

// WebSocket: our own RFC 6455 client (WsHandshake, WsFrameParser) over QTcpSocket, or QSslSocket
// for wss://, to /ws?after=N&epoch=E; every message one text frame; publishes as masked text
// frames on the same socket. It answers the server's pings, pings on the heartbeat (its pong
// proves the peer alive and gives the round trip), closes with a close handshake, and reports the
// server's close code and reason. Every byte it counts is one that crossed the wire (the
// handshake's included), and with Options::capture set it records the upgrade and every frame
// either way. (QWebSocket, in Qt 6.4, shows neither its handshake nor its frames.)
class WebSocketTransport : public ClientTransport
{
    Q_OBJECT
public:
    static constexpr qint64 MaxMessageBytes = 16 * 1024 * 1024;
    // How long our close frame waits for the server's before the socket is aborted.
    static constexpr int CloseTimeoutMs = 1000;

    explicit WebSocketTransport(const Options &options, QObject *parent = nullptr);
    ~WebSocketTransport() override;

    void publish(const PublishRequest &request) override;
    bool upstreamOnSameConnection() const override { return true; }

    // An answer other than 101 in words for the user: "the server refused the WebSocket upgrade:
    // HTTP 403 Forbidden"; a 2xx says the URL is not a WebSocket endpoint.
    static QString describeRefusal(int status, const QByteArray &reasonPhrase);

protected:
    void connectNow() override;
    void disconnectNow() override;

private:
    enum class Phase { Idle, Connecting, Handshaking, Open };
    void onConnected();
    void onReadyRead();
    void onSocketError();
    void onHandshakeDone();
    bool onFrame(const WsFrame &frame); // false: the connection is gone
    void onMessage(const WsMessage &message, QList<WirePart> parts, const WsFrame &last);
    void sendFrame(quint8 opcode, const QByteArray &payload);
    void failConnection(int closeCode, const QString &why);
    void sendPing();
    void endExchange(const QString &reason);
    QUrl targetUrl() const;

    QTcpSocket *m_socket = nullptr;
    Phase m_phase = Phase::Idle;
    std::optional<WsHandshake> m_handshake;
    WsFrameParser m_parser;
    quint64 m_exchange = 0;     // the capture's record of this connection; 0: none
    qint64 m_requestUnsent = 0; // bytes of the upgrade request not yet written
    bool m_closeSent = false;
    bool m_closeReceived = false;
    QString m_endReason;            // why the connection ended, for the capture
    QList<WirePart> m_messageParts; // the frames of the message being reassembled
    QTimer m_pingTimer;
    QByteArray m_pingPayload; // our ping awaiting its pong; empty: none
    QElapsedTimer m_pingClock;
    quint32 m_pings = 0;
};

} // namespace rtlab
