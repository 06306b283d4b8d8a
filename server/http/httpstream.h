// SPDX-License-Identifier: MIT
#pragma once

#include "httpresponse.h"

#include <QHostAddress>

namespace rtlab {

// "address:port" as a client list shows it: IPv6 in brackets, an IPv4-mapped IPv6 address as IPv4.
inline QByteArray formatPeer(const QHostAddress &address, quint16 port)
{
    if (address.isNull())
        return {};
    bool v4 = false;
    const quint32 ip4 = address.toIPv4Address(&v4);
    const QHostAddress shown = v4 ? QHostAddress(ip4) : address;
    const QByteArray host = shown.toString().toLatin1();
    return (shown.protocol() == QAbstractSocket::IPv6Protocol ? '[' + host + ']' : host) + ':'
            + QByteArray::number(port);
}

// The connection layer's side of one HTTP exchange, as the protocol sessions see it. The
// sessions (long poll, SSE) talk only to this interface, so the connection layer beneath
// (net/qt, net/epoll: any ConnectionCore) can change without them.
class HttpStream
{
public:
    // What the session hears back from the connection.
    class Observer
    {
    public:
        virtual ~Observer() = default;
        // The bytes written so far have left the process (pendingBytes() went down).
        virtual void streamDrained() { }
        // The peer went away or the connection was cut. The stream must not be used after.
        virtual void streamClosed() = 0;
    };

    virtual ~HttpStream() = default;
    virtual void setObserver(Observer *observer) = 0;

    // One complete response: the exchange ends and the observer is released.
    virtual void respond(const HttpResponse &response) = 0;
    // A streamed response: its head now, its body through write(), until end().
    virtual void beginStream(const HttpResponse &head) = 0;
    virtual void write(const QByteArray &bytes) = 0;
    virtual void end() = 0;
    // Cuts the connection at once (a slow reader): nothing more is written.
    virtual void abort() = 0;
    // Bytes accepted by write() that have not left the process yet.
    virtual qint64 pendingBytes() const = 0;
    // The client's address and port ("192.168.1.7:50412", "[::1]:50412"), for /stats?clients=1;
    // empty when unknown. Asked rarely: a core may look it up only when asked.
    virtual QByteArray peerAddress() const { return {}; }
};

// The connection layer's side of one WebSocket, as the session sees it.
class WsChannel
{
public:
    class Observer
    {
    public:
        virtual ~Observer() = default;
        virtual void channelTextReceived(const QByteArray &utf8) = 0;
        virtual void channelBinaryReceived() = 0;
        virtual void channelPongReceived() = 0;
        virtual void channelDrained() { }
        virtual void channelClosed() = 0;
    };

    virtual ~WsChannel() = default;
    virtual void setObserver(Observer *observer) = 0;
    virtual void sendText(const QByteArray &utf8) = 0;
    // The same text with its frame already built (LogEntry::wsFrame): a core that writes frames
    // itself sends those shared bytes; the default builds its own from the text.
    virtual void sendTextFrame(const QByteArray &utf8, const QByteArray &frame)
    {
        Q_UNUSED(frame);
        sendText(utf8);
    }
    virtual void ping() = 0;
    // RFC 6455 §7.4 close codes.
    virtual void close(quint16 code, const QString &reason) = 0;
    virtual void abort() = 0;
    virtual qint64 pendingBytes() const = 0;
    // The request URL of the opening handshake.
    virtual QByteArray requestTarget() const = 0;
    // As HttpStream::peerAddress().
    virtual QByteArray peerAddress() const { return {}; }
};

} // namespace rtlab
