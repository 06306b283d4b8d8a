// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>

namespace rtlab {

// The JSON documents of the wire contract (docs/protocol.md) that are not messages, as value
// types: the server writes them through toJson() and every reader reads them through fromJson(),
// so no key is spelled in two places. fromJson() refuses a document with a missing or mistyped
// field and says which ("connections.lp" is missing, "cursor" is not a number).

// A tick message's data: a sample of the server's own state.
struct TickData
{
    std::array<qint64, TransportKindCount> connections {}; // open now, by transport
    std::array<qint64, TransportKindCount> bytesOut {};    // bytes written so far, by transport
    qint64 heldPolls = 0;                                  // long polls held now ("held":{"lp"})
    double messagesPerSec = 0;                             // log messages, one decimal
    qint64 rss = 0;                                        // resident bytes of the server process
    QString node; // the node that sent the tick, on a shared (Redis) log; "" otherwise (not sent)

    bool operator==(const TickData &) const = default;
    QJsonObject toJson() const;
    static std::optional<TickData> fromJson(const QJsonObject &object, QString *errorString = nullptr);
};

// GET /stats, and with ?clients=1 the connected clients.
struct StatsSnapshot
{
    struct Counters
    {
        qint64 connections = 0;      // open now
        qint64 connectionsTotal = 0; // ever opened
        qint64 requests = 0;         // HTTP requests (WebSocket: handshakes)
        qint64 messages = 0;         // log messages delivered
        qint64 bytesOut = 0;         // bytes written, headers included
        std::optional<qint64> held;  // long polling only: polls held now
        bool operator==(const Counters &) const = default;
    };
    struct History
    {
        qint64 count = 0;
        qint64 firstId = 0;
        qint64 lastId = 0;
        qint64 maxCount = 0;
        qint64 maxAgeMs = 0;
        bool operator==(const History &) const = default;
    };
    struct Config
    {
        qint64 pollTimeoutMs = 0;
        qint64 heartbeatMs = 0;
        double tickRate = 0;
        bool operator==(const Config &) const = default;
    };
    struct Client
    {
        TransportKind transport = TransportKind::WebSocket;
        QString peer;     // address:port, IPv6 in brackets; empty if unknown
        qint64 since = 0; // connected at, ms since the Unix epoch (the server's clock)
        qint64 messages = 0;
        bool operator==(const Client &) const = default;
    };

    QString epoch;
    QString store; // where the log is kept: "memory", "sqlite:PATH (…)"; empty from an older server
    // Whether the store takes publishes ("storeState": {"state": "ok"|"unavailable", "detail"}).
    struct StoreState
    {
        bool available = true;
        QString detail;
        bool operator==(const StoreState &) const = default;
    };
    StoreState storeState; // older servers do not send it: available
    QString node;          // this node's name on a shared (Redis) log; "" otherwise (not sent)
    qint64 uptimeMs = 0;
    qint64 rss = 0;
    qint64 cpuMicros = 0;
    History history;
    std::array<Counters, TransportKindCount> transports;
    Counters other; // /send, /stats, /healthz, the page
    qint64 published = 0;
    qint64 duplicatePublishes = 0;
    qint64 rejectedOrigin = 0;
    qint64 badRequests = 0;
    qint64 slowReadersCut = 0;
    qint64 heartbeatTimeouts = 0;
    qint64 pollTimeouts = 0;
    Config config;
    // ?clients=1 only: the clients (oldest first) and how many more were left out.
    std::optional<QList<Client>> clients;
    qint64 clientsTruncated = 0;

    const Counters &at(TransportKind kind) const { return transports[size_t(kind)]; }
    Counters &at(TransportKind kind) { return transports[size_t(kind)]; }

    bool operator==(const StatsSnapshot &) const = default;
    QJsonObject toJson() const;
    static std::optional<StatsSnapshot> fromJson(const QJsonObject &object, QString *errorString = nullptr);
};

// The answer to GET /poll: {"epoch","messages":[...],"cursor"}.
struct PollAnswer
{
    QString epoch; // empty from a peer without epochs (the bench's Node peer)
    // The messages as sent, each an object for MessageCodec: one this client cannot decode is
    // skipped, not the whole answer, and its bytes can be told apart in the body (the ledger).
    QJsonArray messages;
    quint64 cursor = 0; // the `after` of the next poll

    bool operator==(const PollAnswer &) const = default;
    QJsonObject toJson() const;
    static std::optional<PollAnswer> fromJson(const QJsonObject &object, QString *errorString = nullptr);
    static std::optional<PollAnswer> decode(QByteArrayView json, QString *errorString = nullptr);
    // The server's writer: the messages already encoded (the log keeps each entry's JSON), so a
    // message is never encoded twice; the keys in the order the protocol shows them.
    static QByteArray encode(const QString &epoch, const QList<QByteArray> &encodedMessages, quint64 cursor);
};

// One idle-cost measurement (IdleCostMeter::summarize(), from rtlab-bench's --idle --json report):
// what an idle client costs the server, per client.
struct IdleCostResult
{
    QString transport; // the transports measured together, comma-separated keys ("lp", "sse,ws")
    qint64 clients = 0;
    qint64 failed = 0; // clients that did not connect
    double windowSeconds = 0;
    double warmupSeconds = 0;
    qint64 holdMs = -1;      // -1: no long polls
    qint64 heartbeatMs = -1; // -1: unknown
    double tickRate = -1;    // -1: unknown
    qint64 messagesInWindow = -1;
    qint64 heartbeats = 0;
    // Per client; a figure the run could not measure (no server pid, no /stats) is absent.
    std::optional<double> rssBytesPerClient;
    std::optional<double> fdsPerClient;
    std::optional<double> wakeupsPerSecPerClient; // voluntary context switches: the server woken
    std::optional<double> requestsPerSecPerClient;
    std::optional<double> bytesPerSecPerClient;   // out of the server
    std::optional<double> bytesInPerSecPerClient; // as the clients received them
    std::optional<double> cpuUsPerSecPerClient;
    std::optional<double> preemptionsPerSecPerClient;
    // Only when the server's process was measured: both or neither.
    std::optional<double> serverWakeupsPerSec;
    std::optional<double> serverCpuPercent;
    QString conditions;
    QString server; // "own" or "given"; empty until the meter knows whose server it measured
    QStringList notes;

    bool operator==(const IdleCostResult &) const = default;
    QJsonObject toJson() const;
    static std::optional<IdleCostResult> fromJson(const QJsonObject &object, QString *errorString = nullptr);
    // A series as the meter hands it on (JSON): each result read; one that does not read is left out.
    static QList<IdleCostResult> fromJsonArray(const QJsonArray &array);

    // The key a figure is written under, so that a report passing some figures on (a lesson's
    // measurement) names them as the contract does without spelling the key a second time.
    static QLatin1String keyOf(qint64 IdleCostResult::*member);
    static QLatin1String keyOf(double IdleCostResult::*member);
    static QLatin1String keyOf(std::optional<double> IdleCostResult::*member);
};

} // namespace rtlab
