// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <QByteArray>
#include <QString>

#include <chrono>
#include <memory>
#include <optional>

namespace rtlab {

// One message of the log, encoded once for every transport: fan-out writes these bytes.
struct LogEntry
{
    Message message;
    QByteArray json;    // the message as compact JSON (long poll, WebSocket)
    QByteArray sse;     // the whole SSE event: id, event, data lines, blank line
    QByteArray wsFrame; // json as one WebSocket text frame, header included (the epoll core)
    // When it was appended, on the log's ms clock (the wall clock unless a test injects one):
    // the history's age bound. A durable store keeps it, so the bound holds across a restart.
    qint64 appendedMs = 0;
    // steadyNs() when the publish reached the log: the start of its delivery latency (/metrics).
    // Monotonic and sub-millisecond, unlike appendedMs. 0 for an entry read back from disk (its
    // latency is not this process's to measure).
    qint64 appendedNs = 0;

    // Nanoseconds on the monotonic clock: appendedNs and the writes it is compared with.
    static qint64 steadyNs()
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count();
    }
};
using LogEntryPtr = std::shared_ptr<const LogEntry>;

// Builds the entry of a message whose id, epoch and ts are set: the three encodings at once.
// Thread-safe (a store on disk builds entries on its own threads).
LogEntryPtr makeLogEntry(Message message, qint64 appendedMs, qint64 appendedNs);

// A reset as one client is told it: not an entry of the log (no id), the same encodings.
LogEntryPtr makeResetEntry(const QString &epoch, qint64 lost, quint64 cursor);

// The message as a store keeps it: its JSON without id and epoch, which the store gives at read
// time (a new epoch then applies to kept entries without rewriting them).
QByteArray storedBody(const Message &m);
// The message of a stored body, with its id and epoch; nullopt (and why) when it does not decode.
std::optional<Message> messageFromStoredBody(const QByteArray &body, quint64 id, const QString &epoch, QString *why);

// A store's high-water mark: the epoch and the highest id it gave out or saw. Kept in a file of
// one fixed-width line ("rtlab-hwm 1 EPOCH LASTID"), so that each update overwrites it in place.
struct HighWaterMark
{
    QString epoch;
    quint64 lastId = 0;
    QByteArray toText() const;
    static std::optional<HighWaterMark> parse(const QByteArray &text);
};

} // namespace rtlab
