// SPDX-License-Identifier: MIT
#pragma once

#include "logentry.h"
#include "logstore.h"
#include "message.h"

#include <QHash>
#include <QObject>

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

// The ordered, bounded, resumable history shared by every transport (docs/architecture.md, "The
// log and its stores"). Ids are +1 per message and one epoch per log, both decided by the store
// (LogStore), which keeps the history within its bounds of count and age. The log keeps the
// newest entries in memory, the ring, for fan-out and replay: the whole history with a
// synchronous store, the newest --memory-ring otherwise. A publish enters the ring, and is
// announced, only once its commit is back; a resume older than the ring reads the store. On a
// shared store (several nodes, one log) the ring is fed from the log's tail only (arrived()),
// this node's publishes included, so every node announces one order; an append's answer is the
// publisher's alone.
class MessageLog : public QObject
{
    Q_OBJECT
public:
    using Limits = LogLimits;
    using Clock = std::function<qint64()>; // milliseconds; injectable for tests
    // What became of one append: the committed entry, or a status (503) and why.
    using AppendDone = std::function<void(const AppendResult &)>;
    using ReadDone = LogStore::ReadDone;

    // A memory store with a new epoch, opened.
    explicit MessageLog(Limits limits, QObject *parent = nullptr);
    // A memory store with this epoch, opened (tests).
    MessageLog(Limits limits, QString epoch, Clock clock, QObject *parent = nullptr);
    // Any store: not used until open(). ringSize bounds the memory ring of a store that is not
    // synchronous (--memory-ring).
    MessageLog(Limits limits, std::unique_ptr<LogStore> store, qsizetype ringSize, Clock clock,
               QObject *parent = nullptr);
    ~MessageLog() override;

    // Opens the store and fills the ring with its newest entries. False with the store's reason.
    bool open(QString *error);
    bool isOpen() const { return m_open; }
    LogStore &store() { return *m_store; }
    const LogStore &store() const { return *m_store; }

    QString epoch() const { return m_head.epoch; }
    // The id of the newest message (0 before the first).
    quint64 lastId() const { return m_head.lastId; }
    // The id of the oldest kept message (lastId() + 1 when nothing is kept).
    quint64 firstId() const { return m_head.firstId; }
    // The oldest id the ring holds (lastId() + 1 when it holds none): an id from firstId() up to
    // this is kept but must be read (read()).
    quint64 ringFirstId() const;
    qsizetype size() const { return qsizetype(m_head.lastId + 1 - m_head.firstId); }
    qsizetype ringSize() const { return qsizetype(m_ring.size()); }
    Limits limits() const { return m_limits; }
    // Appends not yet committed (or failed).
    int pendingAppends() const { return m_pending; }

    // Sets ts and the append times, hands the message to the store. Once it commits the entry
    // enters the ring and is announced (appended(), once per commit), then `done` runs; a failed
    // commit announces nothing and `done` gets the status. Returns the entry when the store
    // committed before returning (a synchronous store), null otherwise. On a shared store `done`
    // only answers: the entry enters the ring when it arrives from the tail (before or after), and
    // a clientMsgId the log already had comes back as AppendResult::duplicateOf.
    LogEntryPtr append(Message message, AppendDone done = {});
    // The entry with this id from the ring, or null if the ring does not hold it.
    LogEntryPtr entry(quint64 id) const;
    // Kept entries after `after` from the store, at most `limit` (LogStore::read): for a reader
    // older than the ring. `done` runs on this thread, maybe later: its caller guards itself.
    void read(quint64 after, int limit, ReadDone done);
    // The chat message this sender published with this clientMsgId, or null. The log remembers a
    // clientMsgId exactly as long as its ring holds the message; the scope is the sender: the
    // same clientMsgId from another `from` is another message.
    LogEntryPtr findPublished(const QString &from, const QString &clientMsgId) const;
    qsizetype clientMsgIdCount() const { return m_byClientMsgId.size(); }
    // The key of a sender's clientMsgId (the scope of a duplicate).
    static QString clientMsgIdKey(const QString &from, const QString &clientMsgId);

    // Applies the resume rule: where the client goes on and whether it must be told of a reset.
    // On a shared store an id of this epoch past lastId() is one this node's tail has not read
    // yet (the client read it from another node): no reset, the cursor is that id.
    ResumeResult resume(const ResumePoint &point) const;

    // Drops messages older than the age limit. append() does it too; a timer calls it when idle.
    void expire();

signals:
    // The entries first..last (ids contiguous) committed together, in the ring already.
    void appended(const rtlab::LogEntryPtr &first, const rtlab::LogEntryPtr &last);
    // The appends of a commit were answered (their `done`s ran).
    void appendsAnswered();
    // A shared store's epoch changed under the node: the ring holds the new epoch's newest, and
    // every session must learn by the resume rule, from `oldEpoch`.
    void epochReset(const QString &oldEpoch);

private:
    void arrived(const std::vector<LogEntryPtr> &entries);
    void storeEpochChanged();
    void fillRing();
    void index(const LogEntryPtr &e);
    void committed(const AppendResult &result, const AppendDone &done);
    void announce();
    void refreshHead();
    void trimRing();
    void dropOldest();

    Limits m_limits;
    std::unique_ptr<LogStore> m_store;
    Clock m_clock;
    qsizetype m_ringCapacity;
    LogHead m_head;
    bool m_open = false;
    int m_pending = 0;
    std::deque<LogEntryPtr> m_ring;
    QHash<QString, quint64> m_byClientMsgId; // from + clientMsgId → id; only for entries in the ring
    // Commits back but not yet announced (a store on disk answers a commit's batches one by one:
    // they are announced once, together) and their `done`s, run after the announcement.
    LogEntryPtr m_unannouncedFirst;
    LogEntryPtr m_unannouncedLast;
    std::vector<std::pair<AppendDone, AppendResult>> m_unanswered;
    bool m_announcePosted = false;
    bool m_inAppend = false;
    LogEntryPtr m_committedInCall; // what a synchronous store committed inside append()
    // A shared store: the first id of an arrival that came after a gap (its tail missed entries
    // trimmed meanwhile). Nothing before it can be read any more, whatever the store's head says:
    // a reader behind it gets a reset with the count lost. 0: no gap.
    quint64 m_arrivalFloor = 0;
};

} // namespace rtlab
