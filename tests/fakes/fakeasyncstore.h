// SPDX-License-Identifier: MIT
#pragma once

#include "memorystore.h"

#include <QHash>

#include <deque>
#include <memory>
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
    std::vector<LogEntryPtr> newest(qsizetype n) override;
    void append(std::vector<AppendRequest> batch, AppendDone done) override;
    void read(quint64 after, int limit, ReadDone done) override;
    void expire(qint64 nowMs) override;
    bool isSynchronous() const override { return false; }
    bool isShared() const override { return !m_node.isEmpty(); }
    QString nodeName() const override { return m_node; }
    StoreState state() const override { return m_state; }
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

    // A shared store (a Redis log with other nodes), as the test plays it. Before open(). A
    // commit answers the publisher (ids, or duplicateOf for a sender's clientMsgId the log has)
    // but puts nothing in the node's log: its entries wait, with other nodes' publishes
    // (publishElsewhere()), for arrive(), which hands them over as the tail would.
    void setShared(const QString &nodeName) { m_node = nodeName; }
    // Another node's publish: in the shared log, not yet arrived here.
    void publishElsewhere(const QString &from, const QString &text, const QString &clientMsgId = {});
    // Emits entriesArrived() with the `count` oldest entries not arrived yet (all when -1).
    void arrive(int count = -1);
    // Drops the `count` oldest entries not arrived yet from the shared log: trimmed before this
    // node's tail read them.
    void trimUnarrived(int count);
    int unarrived() const { return int(m_unarrived.size()); }
    // The shared log came back empty with a new epoch (Redis restarted without its data).
    void changeEpoch(const QString &epoch);
    // The shared log's server lost (appends fail at once with the detail) or back.
    void setState(bool available, const QString &detail);

private:
    std::unique_ptr<MemoryStore> m_data; // replaced by changeEpoch()
    LogLimits m_limits;
    QString m_node;
    StoreState m_state { true, QStringLiteral("ok") };
    std::deque<LogEntryPtr> m_unarrived;
    quint64 m_arrivedLast = 0;              // the head's lastId on a shared store: what arrived
    QHash<QString, quint64> m_clientMsgIds; // a shared store's index: sender + clientMsgId -> id
    AppendResult appendShared(std::vector<AppendRequest> batch);
    LogHead m_head;
    quint64 m_dropped = 0; // ids dropped by dropOldest(): the first kept is past them
    std::deque<std::pair<std::vector<AppendRequest>, AppendDone>> m_appends;
    std::deque<std::tuple<quint64, int, ReadDone>> m_reads;
    StoreStats m_stats;
    bool m_autoCommit = false;
    void updateHead();
};

} // namespace rtlab
