// SPDX-License-Identifier: MIT
#include "memorystore.h"

#include <QRandomGenerator>

#include <algorithm>

namespace rtlab {

QString LogStore::newEpoch()
{
    return QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, QLatin1Char('0'));
}

MemoryStore::MemoryStore(QString epoch, QObject *parent) : LogStore(parent), m_epoch(std::move(epoch)) { }

bool MemoryStore::open(const LogLimits &limits, QString *)
{
    m_limits = limits;
    m_limits.maxCount = qMax<qsizetype>(1, m_limits.maxCount);
    return true;
}

LogHead MemoryStore::head() const
{
    return { m_epoch, firstId(), m_nextId - 1 };
}

std::vector<LogEntryPtr> MemoryStore::newest(qsizetype n)
{
    const size_t count = std::min(m_entries.size(), size_t(qMax<qsizetype>(0, n)));
    return { m_entries.end() - qptrdiff(count), m_entries.end() };
}

void MemoryStore::append(std::vector<AppendRequest> batch, AppendDone done)
{
    AppendResult result;
    result.entries.reserve(batch.size());
    for (AppendRequest &r : batch) {
        r.message.id = m_nextId++;
        r.message.epoch = m_epoch;
        LogEntryPtr entry = makeLogEntry(std::move(r.message), r.appendedMs, r.appendedNs);
        m_entries.push_back(entry);
        result.entries.push_back(std::move(entry));
    }
    while (qsizetype(m_entries.size()) > m_limits.maxCount)
        m_entries.pop_front();
    if (!batch.empty()) {
        m_stats.commits++;
        m_stats.rows += batch.size();
        const auto bucket = std::lower_bound(StoreStats::BatchBounds.begin(), StoreStats::BatchBounds.end(),
                                             int(qMin<size_t>(batch.size(), INT_MAX)));
        m_stats.batchRows[size_t(bucket - StoreStats::BatchBounds.begin())]++;
    }
    if (done)
        done(std::move(result));
}

void MemoryStore::read(quint64 after, int limit, ReadDone done)
{
    ReadResult result;
    const quint64 first = firstId();
    const quint64 from = std::max(after + 1, first);
    const quint64 last = m_nextId - 1;
    for (quint64 id = from; id <= last && qsizetype(result.entries.size()) < limit; ++id)
        result.entries.push_back(m_entries[size_t(id - first)]);
    if (done)
        done(std::move(result));
}

void MemoryStore::expire(qint64 nowMs)
{
    const qint64 oldest = nowMs - m_limits.maxAgeMs;
    const quint64 before = firstId();
    while (!m_entries.empty() && m_entries.front()->appendedMs < oldest)
        m_entries.pop_front();
    if (firstId() != before)
        emit headChanged();
}

} // namespace rtlab
