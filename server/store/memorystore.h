// SPDX-License-Identifier: MIT
#pragma once

#include "logstore.h"

#include <deque>

namespace rtlab {

// The history in memory: what a server start has, gone with the process (a restart is a new
// epoch: every client is told of a reset). Synchronous: every call completes inside itself.
// The default for the desktop lab and the tests.
class MemoryStore : public LogStore
{
    Q_OBJECT
public:
    explicit MemoryStore(QString epoch = newEpoch(), QObject *parent = nullptr);

    bool open(const LogLimits &limits, QString *error) override;
    LogHead head() const override;
    std::vector<LogEntryPtr> newest(qsizetype n) override;
    void append(std::vector<AppendRequest> batch, AppendDone done) override;
    void read(quint64 after, int limit, ReadDone done) override;
    void expire(qint64 nowMs) override;
    bool isSynchronous() const override { return true; }
    QString describe() const override { return QStringLiteral("memory"); }
    StoreStats stats() const override { return m_stats; }

private:
    quint64 firstId() const { return m_entries.empty() ? m_nextId : m_entries.front()->message.id; }

    LogLimits m_limits;
    QString m_epoch;
    quint64 m_nextId = 1;
    std::deque<LogEntryPtr> m_entries;
    StoreStats m_stats;
};

} // namespace rtlab
