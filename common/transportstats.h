// SPDX-License-Identifier: MIT
#pragma once

#include "latencystats.h"
#include "message.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <deque>
#include <utility>

namespace rtlab {

// One run of bytes in the byte ledger, with what it is for.
struct WirePart
{
    enum class Role { Header, Framing, Payload };
    Role role = Role::Framing;
    QString label;
    QByteArray bytes;

    bool operator==(const WirePart &) const = default;
};

// The bytes that carried one message: its own frame (WebSocket), event (SSE) or poll exchange
// (long polling: the request, the response head, the envelope), in wire order, as this client
// sent and received them. Never the connection's set-up: that is TransportStats::setupWire.
struct WireLedger
{
    quint64 id = 0; // the message's id in the server's log
    QString epoch;
    MessageType type = MessageType::Chat;
    QString from;
    QString text;          // chat and system: the first characters, to name the message in a list
    qint64 clientTs = -1;  // chat: the publisher's stamp, how a client finds its own message; -1 if none
    QList<WirePart> parts; // in wire order
    // Messages that came in the same response (a long poll answer can carry several): the parts
    // other than this message's payload are shared by them.
    qint64 sharedBy = 1;

    // A ledger for `message` (id, epoch, type, who, the stamp) with these parts.
    static WireLedger of(const Message &message, QList<WirePart> parts, qint64 sharedBy = 1);
    qint64 wireBytes() const;
    // This message's share of the bytes: its payload, plus the rest divided by sharedBy. The
    // same rule as bytesPerMessage() below, for one message.
    double cost() const;
};

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
    qint64 idlePolls = 0;    // short polls answered empty: requests that carried nothing
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
    // Of headerBytes: once per connection (SSE's GET /events and its response head, the
    // WebSocket handshake). Long polling has none: every poll is a request of its own.
    qint64 setupBytes = 0;
    // Of headerBytes: headers that carried messages (a long poll's request and response head,
    // when the answer had messages in it).
    qint64 messageHeaderBytes = 0;
    // Of framingBytes: framing around messages (SSE fields of events with data, a poll answer's
    // envelope, WebSocket frame headers). The rest of the framing carried no message (SSE
    // comments and retry:, WebSocket pongs, empty poll answers).
    qint64 messageFramingBytes = 0;

    // The byte ledger: the bytes that carried the most recent message, part by part, in wire
    // order, as this client received (or, for WebSocket frame headers, decoded) them.
    QList<std::pair<QString, QByteArray>> lastWire;
    quint64 lastWireId = 0;
    // The ledgers of the last MaxLedgers messages, oldest first, so that a view can follow one
    // message while others keep coming.
    static constexpr qsizetype MaxLedgers = 64;
    std::deque<WireLedger> recentWire;
    // The set-up bytes of the latest connection, part by part, as they crossed (the WebSocket
    // handshake included: the client does its own).
    QList<WirePart> setupWire;

    qint64 wireBytes() const { return headerBytes + framingBytes + payloadBytes; }
    // Bytes that carried no message and set up no connection: heartbeats, pongs, empty long-poll
    // answers, failed attempts.
    qint64 idleBytes() const
    {
        return headerBytes - setupBytes - messageHeaderBytes + framingBytes - messageFramingBytes;
    }
    // Keeps a message's ledger (and makes it the last one); the oldest goes past MaxLedgers. A
    // message seen again (a duplicate) keeps its first ledger.
    void recordWire(WireLedger ledger);
    // The newest ledger of message `id` (of `epoch`, unless empty), or null.
    const WireLedger *ledgerFor(quint64 id, const QString &epoch = {}) const;
};

// What one message costs on the wire, counted the same way for every transport:
//
//   per message = the bytes of the frame, event or poll exchange that carried it (its payload,
//   its framing, and any headers sent for it: a long poll's request and response head) divided
//   by the messages delivered.
//
// Once-per-connection set-up (SSE's request and response head, the WebSocket handshake) is
// never in that figure: it is setupBytes, shown apart as amortised over the messages. Bytes
// that carried no message (SSE heartbeats, WebSocket pongs, empty long-poll answers) are idle,
// apart too. So "WebSocket: no headers per message" shows as 0 header bytes per message, SSE's
// per-event fields as its framing, and long polling's heads as headers per message.
struct MessageCost
{
    qint64 messages = 0;
    double headers = 0; // per message
    double framing = 0;
    double payload = 0;
    qint64 setupBytes = 0;      // all connections so far
    double setupPerMessage = 0; // setupBytes / messages
    qint64 idleBytes = 0;

    double perMessage() const { return headers + framing + payload; }
};
MessageCost messageCost(const TransportStats &stats);
// messageCost(stats).perMessage(), or -1 before the first message. The one figure the Compare
// view, the Lab and the export show as "bytes per message".
double bytesPerMessage(const TransportStats &stats);

} // namespace rtlab

#include <QJsonObject>

namespace rtlab {
// The figures as JSON (rtlab-cli --stats, the desktop client's export). elapsedMs turns counts
// into rates; pass 0 to leave rates out.
QJsonObject transportStatsToJson(const TransportStats &stats, qint64 elapsedMs);
QJsonObject latencyToJson(const LatencyStats &latency);
} // namespace rtlab
