// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QJsonObject>

#include <array>
#include <optional>

namespace rtlab {

// What a connection's figures are counted under: a transport (short polls from a client that
// says it polls traditionally, `mode=short`, are TransportKind::Poll, so that /stats and the
// Dashboard can tell them from long polling), or nothing (nullopt: /stats, /healthz, the page,
// publishes — "other" in /stats).
using CountedTransport = std::optional<TransportKind>;

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
    std::array<TransportCounters, TransportKindCount> transports;
    TransportCounters other;       // what is no transport's
    qint64 published = 0;          // chat messages accepted
    qint64 duplicatePublishes = 0; // repeats of a remembered clientMsgId: answered, not appended
    qint64 rejectedOrigin = 0;     // WebSocket handshakes and publishes refused for their Origin
    qint64 rejectedHost = 0;       // requests refused for a Host this server does not serve (421)
    qint64 badRequests = 0;        // answered 4xx other than 404/405 (limits, framing, JSON)
    qint64 slowReadersCut = 0;     // connections cut because their unsent bytes passed the bound
    qint64 heartbeatTimeouts = 0;  // WebSocket peers closed after missing two pings
    qint64 pollTimeouts = 0;       // held polls answered empty after the hold time
    // Slow clients (docs/protocol.md, "Errors and limits").
    qint64 readPauses = 0;       // times a connection stopped reading: its unsent bytes passed the bound
    qint64 peakPendingBytes = 0; // the most unsent bytes one connection has held
    qint64 requestTimeouts = 0;  // requests answered 408: a head or body that came too slowly

    // A connection's unsent bytes after a write: one comparison, cheap enough for every append.
    void notePending(qint64 bytes) { peakPendingBytes = qMax(peakPendingBytes, bytes); }

    TransportCounters &at(TransportKind t) { return transports[size_t(t)]; }
    const TransportCounters &at(TransportKind t) const { return transports[size_t(t)]; }
    TransportCounters &at(CountedTransport t) { return t ? at(*t) : other; }
};

} // namespace rtlab
