// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"
#include "wsframeparser.h"

namespace rtlab {

class Hub;

// The server's end of one WebSocket after its handshake (RFC 6455 §5-§7), I/O-free: the client's
// bytes go in through feed() and are read by common/'s WsFrameParser (Role::Server); frames go out
// through its Wire. It is the WsChannel the session sees, for any core that frames WebSockets
// itself (net/epoll; net/qt leaves them to QWebSocket). One close sequence for every way a
// connection ends: a close frame is sent once (the session's code, a failure's code, or the
// peer's echoed), the peer's close then ends the connection, and a peer that never answers is cut
// by the core's sweep once closeHandshakeExpired().
class WsEndpoint final : public WsChannel
{
public:
    class Wire
    {
    public:
        virtual ~Wire() = default;
        // Queues one frame's bytes (shared, never copied: a log entry's frame goes to every
        // subscriber as the same bytes).
        virtual void writeFrame(const QByteArray &frame) = 0;
        // Closes once what is queued has been written.
        virtual void closeAfterWrite() = 0;
        // Cuts at once.
        virtual void abortConnection() = 0;
        virtual qint64 pendingBytes() const = 0;
        virtual QByteArray peerAddress() const = 0;
    };

    // How long the peer has to answer our close frame.
    static constexpr qint64 CloseHandshakeMs = 5000;

    WsEndpoint(Hub *hub, Wire *wire, QByteArray requestTarget);
    WsEndpoint(const WsEndpoint &) = delete;
    WsEndpoint &operator=(const WsEndpoint &) = delete;

    // The client's bytes, as they came. Ignored once the connection is ending. What they make us
    // send (pongs, a close) counts against the output bound like everything else: a peer that
    // pings and never reads is cut as a slow reader once its unsent bytes pass --max-pending.
    void feed(QByteArrayView bytes);
    bool closeHandshakeExpired(qint64 nowMs) const { return m_closeSent && nowMs - m_closeSentMs > CloseHandshakeMs; }
    // Output left the process: the observer may send more.
    void drained();
    // The connection is gone: the observer (if any) is returned, to be told.
    WsChannel::Observer *takeObserver() { return std::exchange(m_observer, nullptr); }

    // WsChannel
    void setObserver(Observer *observer) override { m_observer = observer; }
    void sendText(const QByteArray &utf8) override;
    void sendTextFrame(const QByteArray &utf8, const QByteArray &frame) override;
    void ping() override;
    void close(quint16 code, const QString &reason) override;
    void abort() override;
    qint64 pendingBytes() const override { return m_wire->pendingBytes(); }
    QByteArray requestTarget() const override { return m_requestTarget; }
    QByteArray peerAddress() const override { return m_wire->peerAddress(); }

private:
    void readFrames();
    void send(quint8 opcode, QByteArrayView payload);
    void sendClose(const QByteArray &payload);
    // Fails the connection (RFC 6455 §7.1.7): our close frame with the code, then the end.
    void fail(quint16 code, const QString &reason);
    // The session hears the channel closed; the connection closes once the close frame is out.
    void finish();

    Hub *m_hub;
    Wire *m_wire;
    WsFrameParser m_parser;
    QByteArray m_requestTarget;
    Observer *m_observer = nullptr;
    bool m_closeSent = false;
    bool m_ended = false;
    qint64 m_closeSentMs = 0;
};

} // namespace rtlab
