// SPDX-License-Identifier: MIT
#pragma once

#include "logstore.h"
#include "storespec.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

struct sqlite3;

namespace rtlab {

// The history in an SQLite file (docs/architecture.md, "The SQLite store"): it survives a restart
// with its epoch and ids. WAL mode; a writer thread commits every append waiting in one
// transaction (group commit) and posts the result back to this object's thread, so the event
// loop never waits on the disk; a reader thread with its own connection answers read(). A mark
// file beside the database (PATH.hwm: epoch and last id, written after each commit) tells at
// open() whether the database is behind the ids already given out (restored from an older copy):
// then the log takes a new epoch before its first publish, so no id is reused silently.
class SqliteStore : public LogStore
{
    Q_OBJECT
public:
    // The schema this build writes and reads (PRAGMA user_version).
    static constexpr int SchemaVersion = 1;
    // The most rows one transaction takes, and the most one retention statement deletes.
    static constexpr int MaxCommitRows = 256;
    static constexpr int DeleteChunkRows = 1000;

    explicit SqliteStore(QString path, StoreSpec::Sync sync = StoreSpec::Sync::Normal, QObject *parent = nullptr);
    // Commits what is queued, stops the threads, closes the connections.
    ~SqliteStore() override;

    bool open(const LogLimits &limits, QString *error) override;
    LogHead head() const override { return m_head; }
    std::vector<LogEntryPtr> newest(qsizetype n) override;
    void append(std::vector<AppendRequest> batch, AppendDone done) override;
    void read(quint64 after, int limit, ReadDone done) override;
    void expire(qint64 nowMs) override;
    bool isSynchronous() const override { return false; }
    QString describe() const override;
    StoreStats stats() const override;

    // How long the writer waits for more appends when fewer than MaxCommitRows wait (0: commit
    // at once). For rtlab-storebench, which measures whether waiting helps; set before open().
    void setLingerUs(int us) { m_lingerUs = us; }
    QString markPath() const { return m_path + QStringLiteral(".hwm"); }

private:
    struct Pending
    {
        std::vector<AppendRequest> batch;
        AppendDone done;
    };
    struct ReadRequest
    {
        quint64 after;
        int limit;
        ReadDone done;
    };

    void writerLoop();
    void readerLoop();
    // One transaction for `work`: ids from w_lastId + 1; posts the result back.
    void commit(std::vector<Pending> work);
    // One retention chunk (count or age bound), when one is due. Returns whether it did work.
    bool trimChunk();
    void writeMark();
    void logFailure(const QString &what);
    std::vector<LogEntryPtr> select(sqlite3 *db, quint64 after, int limit, bool newestFirst, QString *error);
    void stop();

    QString m_path;
    StoreSpec::Sync m_sync;
    LogLimits m_limits;
    QString m_epoch; // fixed at open(): read by every thread
    LogHead m_head;  // the event loop's view
    int m_lingerUs = 0;

    sqlite3 *m_writeDb = nullptr;
    sqlite3 *m_readDb = nullptr;
    std::mutex m_readDbMutex; // newest() on the loop and the reader thread share m_readDb
    int m_markFd = -1;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Pending> m_appends;
    std::deque<ReadRequest> m_reads;
    qint64 m_expireBeforeMs = 0; // expire(): drop rows appended before this (0: none asked)
    bool m_stopping = false;

    // The writer's own view: the ids as committed.
    quint64 w_firstId = 1;
    quint64 w_lastId = 0;
    qint64 w_lastLogMs = 0;
    qint64 w_suppressed = 0;

    mutable std::mutex m_statsMutex;
    StoreStats m_stats;

    std::thread m_writer;
    std::thread m_reader;
};

} // namespace rtlab
