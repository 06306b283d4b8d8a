#pragma once

#include "latencystats.h"

#include <QByteArray>
#include <QString>

#include <utility>

namespace rtlab {

// What one transport cost and delivered, as this client saw it. The byte split follows the
// byte ledger: headers (HTTP request and response heads on the receive path, the WebSocket
// handshake), framing (SSE field names and blank lines, poll JSON envelopes, chunk sizes,
// WebSocket frame headers, heartbeats) and payload (the message JSON itself).
struct TransportStats
{
    qint64 messages = 0;     // delivered, after dropping duplicates
    qint64 duplicates = 0;   // dropped by id
    qint64 opens = 0;        // times the transport opened
    qint64 reconnects = 0;   // attempts after a loss
    qint64 httpRequests = 0; // every HTTP request (polls, streams, handshakes, publishes)
    qint64 holdTimeouts = 0; // long polls answered empty
    qint64 heartbeats = 0;   // SSE comments, WebSocket pongs
    qint64 resets = 0;
    qint64 publishes = 0;
    qint64 publishRequests = 0; // POST /send requests made to publish (0 where upstream shares the socket)
    // Messages replayed on resume: sent by the server before this connection attempt began, so
    // their delay measures the outage, not the transport. Counted here, kept out of `latency`.
    qint64 replayed = 0;
    qint64 headerBytes = 0;
    qint64 framingBytes = 0;
    qint64 payloadBytes = 0;
    qint64 upstreamBytes = 0; // everything sent to publish
    qint64 pingRttUs = -1;    // WebSocket ping → pong
    LatencyStats latency;     // one-way, live messages only: server ts → here (clock-offset corrected), µs
    LatencyStats roundTrip;   // own messages: publish → seen back, µs
    // The byte ledger: the bytes that carried the most recent message, part by part, in wire
    // order, as this client received (or, for WebSocket frame headers, decoded) them.
    QList<std::pair<QString, QByteArray>> lastWire;
    quint64 lastWireId = 0;

    qint64 wireBytes() const { return headerBytes + framingBytes + payloadBytes; }
};

} // namespace rtlab

#include <QJsonObject>

namespace rtlab {
// The figures as JSON (rtlab-cli --stats, the desktop client's export). elapsedMs turns counts
// into rates; pass 0 to leave rates out.
QJsonObject transportStatsToJson(const TransportStats &stats, qint64 elapsedMs);
QJsonObject latencyToJson(const LatencyStats &latency);
} // namespace rtlab
