// SPDX-License-Identifier: MIT
#pragma once

#include <QMetaType>
#include <QString>

namespace rtlab {

// The client transports, as the clients name them: the three real-time transports, and
// traditional (short) polling, the baseline they are compared against (a GET /poll that is
// answered at once, every interval). Poll comes last so that the first three keep their numbers.
enum class TransportKind { LongPoll, Sse, WebSocket, Poll };
inline constexpr int TransportKindCount = 4;
QString transportKindKey(TransportKind kind);   // "lp", "sse", "ws", "poll"
QString transportKindLabel(TransportKind kind); // "Long Polling", "SSE", "WebSocket", "Short Polling"
bool transportKindFromKey(QStringView key, TransportKind *kind);

// One thing that happened to a connection: what the GUI timeline draws and the CLI prints.
struct ConnectionEvent
{
    enum class Type {
        Connecting,     // an attempt starts (detail: the URL)
        Opened,         // the transport delivers
        Closed,         // with the reason (and the WebSocket close code)
        RetryScheduled, // delayMs until the next attempt
        GaveUp,         // the reconnect policy says stop
        Reset,          // the server could not resume us: lost messages (-1 unknown)
        HoldTimeout,    // a long poll came back empty after the server's hold time
        Heartbeat,      // an SSE comment or a WebSocket pong arrived
        DeadPeer,       // nothing heard for two heartbeats: dropped to reconnect
        Switched,       // the client moved to this transport (detail: from which)
        FellBack,       // auto mode gave up on a transport (detail: why)
        Error,          // a request or publish failed (detail: why)
        Moved,          // the client moved to another server of its list (detail: to which, after what)
    };
    qint64 timeMs = 0; // milliseconds since the Unix epoch
    TransportKind transport = TransportKind::WebSocket;
    Type type = Type::Connecting;
    QString detail;
    qint64 delayMs = 0;
    qint64 lost = 0;
    int closeCode = 0; // Closed: the code of a WebSocket close frame received (0: none came)
    // Closed: the HTTP status that answered an attempt instead of the transport (a WebSocket
    // upgrade answered 403 instead of 101, an event stream answered 404); 0 when no HTTP answer came.
    int httpStatus = 0;
    // Closed: an HTTP server (or a proxy on the way) answered and refused this transport, so the
    // path blocks it; an outage (refused, reset, no answer) is not a block. FellBack: Auto fell
    // back because the transport is blocked while plain HTTP to the same server works.
    bool blocked = false;
    // Closed, GaveUp: the server refused our token (401, a 403 to a client with a token, a
    // WebSocket closed with 1008). Not a network fault and not a blocked path: the same token would
    // be refused again, so the transport does not retry, and the detail says what the user can do.
    bool unauthorized = false;

    static QString typeName(Type type);
};

} // namespace rtlab

Q_DECLARE_METATYPE(rtlab::ConnectionEvent)
