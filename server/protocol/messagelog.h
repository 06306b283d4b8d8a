// SPDX-License-Identifier: MIT
#pragma once

#include "logentry.h"
#include "message.h"

#include <QHash>
#include <QObject>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>

namespace rtlab {

// Where a client resumes, and what it is told (the resume rule of docs/protocol.md).
struct ResumePoint
{
    std::optional<quint64> after; // the last id the client has
    QString epoch;                // the epoch of that id; empty if the client did not name one
};

struct ResumeResult
{
    bool reset = false;
    qint64 lost = 0;    // with reset: how many messages are gone, -1 if unknown
    quint64 cursor = 0; // the client goes on after this id
    LogEntryPtr resetEntry;
};

// The ordered, bounded, resumable history shared by every transport. Ids are +1 per
// message; the epoch is random per instance. Bounded by count and by age.
class MessageLog : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qsizetype maxCount = 10000;
        qint64 maxAgeMs = 300000;
    };
    using Clock = std::function<qint64()>; // milliseconds; injectable for tests

    explicit MessageLog(Limits limits, QObject *parent = nullptr);
    MessageLog(Limits limits, QString epoch, Clock clock, QObject *parent = nullptr);

    QString epoch() const { return m_epoch; }
    // The id of the newest message (0 before the first).
    quint64 lastId() const { return m_nextId - 1; }
    // The id of the oldest kept message (lastId() + 1 when nothing is kept).
    quint64 firstId() const;
    qsizetype size() const { return qsizetype(m_entries.size()); }
    Limits limits() const { return m_limits; }

    // Assigns id, epoch and ts, encodes, keeps, announces. Returns the entry.
    LogEntryPtr append(Message message);
    // The entry with this id, or null if it is not (or no longer) kept.
    LogEntryPtr entry(quint64 id) const;
    // The chat message this sender published with this clientMsgId, or null. The log remembers a
    // clientMsgId exactly as long as it keeps the message (so the bound is the history's count and
    // age); the scope is the sender: the same clientMsgId from another `from` is another message.
    LogEntryPtr findPublished(const QString &from, const QString &clientMsgId) const;
    qsizetype clientMsgIdCount() const { return m_byClientMsgId.size(); }

    // Applies the resume rule: where the client goes on and whether it must be told of a reset.
    ResumeResult resume(const ResumePoint &point) const;

    // Drops messages older than the age limit. append() does it too; a timer calls it when idle.
    void expire();

    static QString newEpoch();
    // Nanoseconds on the monotonic clock: LogEntry::appendedNs and the writes it is compared with.
    static qint64 steadyNs() { return LogEntry::steadyNs(); }
    static LogEntryPtr makeResetEntry(const QString &epoch, qint64 lost, quint64 cursor)
    {
        return rtlab::makeResetEntry(epoch, lost, cursor);
    }

signals:
    void appended(const rtlab::LogEntryPtr &entry);

private:
    void dropOldest();
    static QString clientMsgIdKey(const QString &from, const QString &clientMsgId);

    Limits m_limits;
    QString m_epoch;
    Clock m_clock;
    quint64 m_nextId = 1;
    std::deque<LogEntryPtr> m_entries;
    QHash<QString, quint64> m_byClientMsgId; // from + clientMsgId → id; only for kept entries
};

} // namespace rtlab
