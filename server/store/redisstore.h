// SPDX-License-Identifier: MIT
#pragma once

#include "logstore.h"
#include "redisconnection.h"

#include <QTimer>

#include <deque>
#include <memory>

namespace rtlab {

// The log shared by several server processes ("nodes") in one Redis (docs/architecture.md, "The
// Redis store"). Keys of log NAME share the hash tag {NAME}: {NAME}:meta (epoch, last id),
// {NAME}:log (a stream, entry ids <id>-0), {NAME}:cmid (clientMsgId → id), {NAME}:node:<node>
// (the node's lease). A publish is one Lua script per batch on the command connection; the log's
// entries reach this node only from its tail (XREAD BLOCK on a second connection), in id order,
// its own included. Both connections run on this thread's event loop (hiredis async).
//
// The node keeps a high-water mark (the epoch and the highest id it has seen; in memory and, with
// a state directory, in DIR/<node>.hwm): a Redis behind it (same epoch, lower last id: restored
// from an older copy) gets a new epoch before this node publishes or tails again, so no id is ever
// handed out twice.
class RedisStore : public LogStore
{
    Q_OBJECT
public:
    static constexpr int LeaseMs = 10000;       // a dead node's name is free again after this
    static constexpr int RenewMs = 3000;        // the lease's renewal period
    static constexpr int TailBlockMs = 2000;    // XREAD BLOCK: a quiet log's round trip
    static constexpr int TailCount = 512;       // entries per tail read
    static constexpr int OpenTimeoutMs = 5000;  // open()'s bound, all steps together
    static constexpr qsizetype RingMax = 10000; // newest(): the entries kept in memory
    static constexpr int ExpireScan = 2000;     // entries one expire() looks at, at most

    RedisStore(RedisUrl url, QString logName, QString nodeName, QString stateDir = {}, QObject *parent = nullptr);
    ~RedisStore() override;

    bool open(const LogLimits &limits, QString *error) override;
    LogHead head() const override { return m_head; }
    std::vector<LogEntryPtr> newest(qsizetype n) override;
    void append(std::vector<AppendRequest> batch, AppendDone done) override;
    void read(quint64 after, int limit, ReadDone done) override;
    void expire(qint64 nowMs) override;
    bool isSynchronous() const override { return false; }
    bool isShared() const override { return true; }
    QString nodeName() const override { return m_node; }
    StoreState state() const override { return m_state; }
    QString describe() const override;
    StoreStats stats() const override { return m_stats; }

    QString markPath() const;

private:
    struct Meta
    {
        QString epoch;
        quint64 last = 0;
        quint64 first = 1;
    };
    QByteArray key(const char *suffix) const;
    QList<QByteArray> syncCommand();
    static std::optional<Meta> parseMeta(const redisReply *r);
    // Reads meta on the tail connection (rotating the epoch if Redis is behind the mark), adopts
    // a new epoch, then reads the tail.
    void tailSync();
    void tailRead();
    void tailArrived(const redisReply *streams);
    // Takes Redis's epoch: head, ring (XREVRANGE) and mark; epochChanged when it is new.
    void adopt(const Meta &meta, bool announce);
    void fillRing(const redisReply *revrange);
    std::vector<LogEntryPtr> decode(const redisReply *entries, bool ownNs, QString *error) const;
    void commandReady();
    void renewLease();
    void setState(bool available, const QString &detail);
    void seeId(const QString &epoch, quint64 id);
    void writeMark();
    void trimRing();
    void post(std::function<void()> fn);
    bool waitFor(const std::function<bool()> &cond, int ms);

    RedisUrl m_url;
    QString m_log;
    QString m_node;
    QString m_stateDir;
    LogLimits m_limits;
    RedisConnection m_cmd;
    RedisConnection m_tail;
    QByteArray m_publishSha;
    QByteArray m_leaseToken;
    QTimer m_leaseTimer;
    LogHead m_head { {}, 1, 0 };
    QString m_markEpoch; // the high-water mark: the highest id seen in this epoch
    quint64 m_markId = 0;
    int m_markFd = -1;
    std::deque<LogEntryPtr> m_ring;
    StoreState m_state { false, QStringLiteral("not open") };
    StoreStats m_stats;
    bool m_open = false;
    bool m_tailBusy = false; // a tail command is out
    // The meta read just now names the epoch the node has: entries the tail reads next are taken
    // even if they name another (only a hand-edited log does), rather than syncing forever.
    bool m_epochChecked = false;
    QTimer m_tailRetry;
};

} // namespace rtlab
