// SPDX-License-Identifier: MIT
#pragma once

#include "memorystore.h"

#include <deque>
#include <tuple>

namespace rtlab {

// A LogStore that answers when the test says: appends wait until commit() or fail(), reads until
// releaseReads(). A MemoryStore inside keeps the data, so ids, epoch and bounds are the memory
// store's. A test can also drop the oldest entries (dropOldest()) as a store's own retention would,
// to make a page start later than asked.
class FakeAsyncStore : public LogStore
{
    Q_OBJECT
public:
    explicit FakeAsyncStore(QString epoch = newEpoch(), QObject *parent = nullptr);

    bool open(const LogLimits &limits, QString *error) override;
    LogHead head() const override { return m_head; }
    std::vector<LogEntryPtr> newest(qsizetype n) override { return m_data.newest(n); }
    void append(std::vector<AppendRequest> batch, AppendDone done) override;
    void read(quint64 after, int limit, ReadDone done) override;
    void expire(qint64 nowMs) override;
    bool isSynchronous() const override { return false; }
    QString describe() const override { return QStringLiteral("fake"); }
    StoreStats stats() const override { return m_stats; }

    // The test's side.
    int pendingAppends() const { return int(m_appends.size()); }
    int pendingReads() const { return int(m_reads.size()); }
    // Commits every pending append, as one commit, in call order.
    void commit();
    // Fails every pending append: no id used.
    void fail(const QString &why);
    // Answers every pending read from the data (or with an error).
    void releaseReads(const QString &error = {});
    // Drops the `count` oldest kept entries (retention on the store's own thread).
    void dropOldest(int count);
    // Appends committed at once, as a synchronous store would (to fill a history quickly).
    void setAutoCommit(bool on) { m_autoCommit = on; }

private:
    MemoryStore m_data;
    LogHead m_head;
    quint64 m_dropped = 0; // ids dropped by dropOldest(): the first kept is past them
    std::deque<std::pair<std::vector<AppendRequest>, AppendDone>> m_appends;
    std::deque<std::tuple<quint64, int, ReadDone>> m_reads;
    StoreStats m_stats;
    bool m_autoCommit = false;
    void updateHead();
};

} // namespace rtlab
