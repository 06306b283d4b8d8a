// SPDX-License-Identifier: MIT
#pragma once

#include "logentry.h"

#include <QObject>
#include <QString>

#include <algorithm>
#include <array>
#include <functional>
#include <vector>

namespace rtlab {

// The bounds of the history, whichever store keeps it (--history, --history-age).
struct LogLimits
{
    qsizetype maxCount = 10000;
    qint64 maxAgeMs = 300000;
};

// What a store holds, as the event loop sees it.
struct LogHead
{
    QString epoch;       // the log's epoch: kept across restarts by a durable store
    quint64 firstId = 1; // the oldest kept id; lastId + 1 when nothing is kept
    quint64 lastId = 0;  // the newest id given out; 0 before the first
};

// One message handed to the store. Its type, fields and ts are set; the store gives it its id and
// the epoch when the batch commits.
struct AppendRequest
{
    Message message;
    qint64 appendedMs = 0; // the log's ms clock at the publish: the age bound
    qint64 appendedNs = 0; // LogEntry::steadyNs() at the publish: the delivery latency's start
};

struct AppendResult
{
    std::vector<LogEntryPtr> entries; // committed, ids ascending and contiguous; empty on failure
    // 0, or 503: nothing of this batch was kept and no id was used — except on a shared store whose
    // server committed the batch and then lost the reply (a timeout, a dropped connection): the
    // entries arrive all the same, and a retry with the same clientMsgId gets duplicateOf.
    int status = 0;
    QString error; // with a status: why, in words (for the log and the client)
    // A shared store only (isShared()): empty, or one per request of the batch — 0 for a request
    // committed now (it is in `entries`), else the id the log already gave the same sender's
    // clientMsgId (published earlier, through any node). `entries` holds only the new ones.
    std::vector<quint64> duplicateOf;
    bool ok() const { return status == 0; }
};

struct ReadResult
{
    // Kept entries with id > after, ascending, at most `limit`. The first is the oldest kept one
    // after `after`: when it is not after + 1 the history moved past the reader (a gap to report).
    std::vector<LogEntryPtr> entries;
    QString error; // could not read (I/O error): entries empty
};

// Whether a store can take publishes now (a shared store loses its server; the others are always
// up). Readers are served from what the node has either way.
struct StoreState
{
    bool available = true;
    QString detail; // "ok", or why not in words: "redis 127.0.0.1:6379: connection refused"
};

// The figures of a store, for /metrics. Histograms count per bucket (not cumulative).
struct StoreStats
{
    static constexpr std::array<int, 10> BatchBounds { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 }; // rows, "le"
    static constexpr std::array<qint64, 10> CommitBoundsUs {
        50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000
    };
    quint64 commits = 0;       // transactions committed
    quint64 rows = 0;          // messages committed
    quint64 failedCommits = 0; // transactions that failed (their publishes were answered 503)
    quint64 reads = 0;         // reads that went to the store (older than the memory ring)
    std::array<quint64, BatchBounds.size() + 1> batchRows {};   // the last bucket is +Inf
    std::array<quint64, CommitBoundsUs.size() + 1> commitUs {}; // time in commit (+fsync)

    // One commit of `rows` that took `us`: its histogram buckets.
    void countCommit(qint64 rows, qint64 us)
    {
        batchRows[size_t(std::lower_bound(BatchBounds.begin(), BatchBounds.end(), rows) - BatchBounds.begin())]++;
        commitUs[size_t(std::lower_bound(CommitBoundsUs.begin(), CommitBoundsUs.end(), us) - CommitBoundsUs.begin())]++;
    }
};

// Where the message log keeps its history (docs/architecture.md, "The log and its stores"). The
// log (MessageLog) keeps the newest entries in memory for replay and fan-out; the store keeps the
// history within its limits and decides the epoch. Implementations: MemoryStore, SqliteStore,
// RedisStore.
//
// A shared store (isShared(): Redis, one log for several server processes, "nodes") differs in
// one way: the log's entries reach this node through entriesArrived(), in id order and without a
// gap, its own publishes included, and only then are they the log's. An append's `done` is the
// publisher's answer (its ids, or 503), and may run before or after its entries arrive; head()
// follows what arrived, not what this node appended. When the shared log's epoch changes under
// the node (Redis came back empty or older), the store says epochChanged(): the log refills its
// ring from newest() and every session learns by the resume rule.
//
// Threads: a store belongs to the thread that created it (the server's event loop). Every method
// is called there, and every `done` runs there — a store on disk does its work on its own threads
// and posts the result back. A synchronous store (isSynchronous()) calls `done` before the call
// returns.
class LogStore : public QObject
{
    Q_OBJECT
public:
    using AppendDone = std::function<void(AppendResult)>;
    using ReadDone = std::function<void(ReadResult)>;

    using QObject::QObject;
    // A store on disk finishes the commits already asked for, then closes; `done`s not yet run
    // are dropped.
    ~LogStore() override = default;

    // Opens (creating if need be) before the server serves. Decides the epoch: kept when the
    // storage is the one this log last wrote, new for new storage or storage that is behind the
    // ids already given out (restored from an older copy). False, with a message naming the
    // storage and the reason, when it cannot be used (corrupt, unreadable): never an empty log
    // in its place.
    virtual bool open(const LogLimits &limits, QString *error) = 0;
    // As of the last `done` run on this thread (and open()).
    virtual LogHead head() const = 0;
    // The newest kept entries, at most n, ascending. After open(), to fill the memory ring.
    virtual std::vector<LogEntryPtr> newest(qsizetype n) = 0;
    // Appends the batch in one commit, together with other batches waiting for the same commit.
    // Ids are given at commit: contiguous, ascending, in the order of the calls. `done` runs in
    // the order of the calls; head() already counts the batch when it does. A failed commit fails
    // every batch in it (status 503) and uses no id, so the sequence never has a hole.
    virtual void append(std::vector<AppendRequest> batch, AppendDone done) = 0;
    // Reads kept entries after `after` (see ReadResult), never past head().lastId as of when
    // `done` runs: an entry whose commit the log has not heard of yet is not handed out.
    virtual void read(quint64 after, int limit, ReadDone done) = 0;
    // Drops entries appended before nowMs - maxAgeMs (the count bound is kept by append). A store
    // on disk does it on its writer, in chunks; head().firstId moves when it is done.
    virtual void expire(qint64 nowMs) = 0;

    virtual bool isSynchronous() const = 0;
    // Entries arrive through entriesArrived() (see above); append's `done` does not put them in the log.
    virtual bool isShared() const { return false; }
    // This node's name on a shared log ("" otherwise): in /stats, /healthz and each tick.
    virtual QString nodeName() const { return {}; }
    virtual StoreState state() const { return {}; }
    // For the start-up line and /stats: "memory", "sqlite:/srv/chat.db (WAL, synchronous=NORMAL)".
    virtual QString describe() const = 0;
    virtual StoreStats stats() const { return {}; }

    // 64 random bits, hex: two logs never share an epoch in practice.
    static QString newEpoch();

signals:
    // head().firstId moved on its own (expiry or the count bound on the writer thread).
    void headChanged();
    // A shared store: the next entries of the log, ids contiguous from the last that arrived + 1,
    // ascending; head() counts them when this is emitted.
    void entriesArrived(const std::vector<rtlab::LogEntryPtr> &entries);
    // A shared store: the log's epoch changed (head() has the new epoch, last id and first id);
    // what arrived before belongs to the old epoch.
    void epochChanged();
    // state() changed (a shared store lost or regained its server).
    void stateChanged();
};

} // namespace rtlab
