// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"
#include "logstore.h"

#include <QJsonObject>

#include <algorithm>
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

// Why a request or a connection was refused: GET /metrics, rtlab_requests_refused_total{reason}.
// Each is counted where the refusal is made; the later ones are for the limits being added (issue
// 14) and stay 0 until they are wired. refusalKey() gives the label value.
enum class Refusal {
    BadRequest,   // 400: unreadable HTTP, a bad parameter, a publish the codec refuses
    TooLarge,     // 413 / 431, a WebSocket message over the text limit (1009)
    Method,       // 405
    NotFound,     // 404
    Origin,       // 403 for a foreign Origin (publish, preflight, WebSocket handshake)
    ShuttingDown, // 503 while the server drains
    WsHandshake,  // 426 / 400: a WebSocket handshake with another version or a bad key, a plain GET /ws
    HeadTimeout,
    BodyTimeout,
    FdLimit,
    PerIpLimit,
    Host,
    Unauthorized,
    Forbidden,
    RateLimited,
    SlowReader,
};
inline constexpr int RefusalCount = int(Refusal::SlowReader) + 1;
QLatin1StringView refusalKey(Refusal reason); // "bad_request", "too_large", ...
// The reason of a request refused for what it says (the parser's or the codec's status).
inline Refusal refusalFor(int status)
{
    return status == 413 || status == 431 ? Refusal::TooLarge : Refusal::BadRequest;
}

// rtlab_delivery_latency_seconds: from a message's append to the write that carried it, one
// observation per message per subscriber. Fixed buckets (1-2.5-5 per decade, 100 µs to 10 s) so
// that an observation is a search in 16 integers and three additions, no allocation.
struct LatencyHistogram
{
    static constexpr std::array<qint64, 16> BoundsNs = { 100'000,       250'000,       500'000,       1'000'000,
                                                         2'500'000,     5'000'000,     10'000'000,    25'000'000,
                                                         50'000'000,    100'000'000,   250'000'000,   500'000'000,
                                                         1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000 };
    std::array<qint64, BoundsNs.size() + 1> counts {}; // per bucket, not cumulative; the last is +Inf
    qint64 sumNs = 0;
    qint64 count = 0;

    void observe(qint64 ns)
    {
        // A bucket holds what is <= its bound (Prometheus's "le").
        counts[size_t(std::lower_bound(BoundsNs.begin(), BoundsNs.end(), ns) - BoundsNs.begin())]++;
        sumNs += ns;
        count++;
    }
};

// The server's own figures: /stats, /metrics, the tick messages and the tests read these.
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
    qint64 publishFailures = 0;  // publishes answered 503: the store could not commit them
    qint64 tickFailures = 0;     // ticks the store could not commit (counted, not retried)

    // A connection's unsent bytes after a write: one comparison, cheap enough for every append.
    void notePending(qint64 bytes) { peakPendingBytes = qMax(peakPendingBytes, bytes); }
    // Subscriptions that named a position: resumed where the log still had it, or told to reset.
    qint64 resumesReplayed = 0;
    qint64 resumesReset = 0;
    std::array<qint64, RefusalCount> refused {};
    LatencyHistogram deliveryLatency;

    TransportCounters &at(TransportKind t) { return transports[size_t(t)]; }
    const TransportCounters &at(TransportKind t) const { return transports[size_t(t)]; }
    TransportCounters &at(CountedTransport t) { return t ? at(*t) : other; }
    void refuse(Refusal reason) { refused[size_t(reason)]++; }
    // A message written to a subscriber: counted, and its latency since nowNs's clock stamped it.
    void delivered(TransportKind t, qint64 appendedNs, qint64 nowNs)
    {
        at(t).messages++;
        // 0: read back from disk, appended by another process (its latency is not ours to measure).
        if (appendedNs != 0)
            deliveryLatency.observe(nowNs - appendedNs);
    }

    // GET /metrics: the Prometheus text exposition format 0.0.4 (docs/protocol.md).
    QByteArray toPrometheus() const;
    // The store's figures (rtlab_store_*), appended to toPrometheus()'s.
    // `up`: whether the store takes publishes now (rtlab_store_up; a shared store can lose its server).
    static QByteArray storePrometheus(const StoreStats &store, bool up = true);
    static const QByteArray PrometheusContentType;
};

} // namespace rtlab
