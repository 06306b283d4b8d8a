// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>

#include <array>

namespace rtlab {

// ShortPoll: polls from a client that says it polls traditionally (`mode=short`): counted apart
// so that /stats and the Dashboard can tell them from long polling; answered like any poll.
enum class Transport { LongPoll, Sse, WebSocket, ShortPoll, Other };
inline constexpr int TransportCount = 5;
QString transportKey(Transport transport); // "lp", "sse", "ws", "poll", "other"

struct TransportCounters
{
    qint64 connections = 0;      // open now
    qint64 connectionsTotal = 0; // ever opened
    qint64 requests = 0;         // HTTP requests (WebSocket: handshakes)
    qint64 messages = 0;         // log messages delivered
    qint64 bytesOut = 0;         // bytes that left the process
    qint64 held = 0;             // long polls held now
};

// The server's own figures: /stats, the tick messages and the tests read these.
struct ServerStats
{
    std::array<TransportCounters, TransportCount> transports;
    qint64 published = 0;          // chat messages accepted
    qint64 duplicatePublishes = 0; // repeats of a remembered clientMsgId: answered, not appended
    qint64 rejectedOrigin = 0;     // WebSocket handshakes and publishes refused for their Origin
    qint64 badRequests = 0;        // answered 4xx other than 404/405 (limits, framing, JSON)
    qint64 slowReadersCut = 0;     // connections cut because their unsent bytes passed the bound
    qint64 heartbeatTimeouts = 0;  // WebSocket peers closed after missing two pings
    qint64 pollTimeouts = 0;       // held polls answered empty after the hold time

    TransportCounters &at(Transport t) { return transports[size_t(t)]; }
    const TransportCounters &at(Transport t) const { return transports[size_t(t)]; }
};

} // namespace rtlab
