// SPDX-License-Identifier: MIT
#include "fakeasyncstore.h"

#include <algorithm>

namespace rtlab {

FakeAsyncStore::FakeAsyncStore(QString epoch, QObject *parent) : LogStore(parent), m_data(std::move(epoch)) { }

bool FakeAsyncStore::open(const LogLimits &limits, QString *error)
{
    const bool ok = m_data.open(limits, error);
    updateHead();
    return ok;
}

void FakeAsyncStore::updateHead()
{
    m_head = m_data.head();
    m_head.firstId = qMax(m_head.firstId, m_dropped + 1);
}

void FakeAsyncStore::append(std::vector<AppendRequest> batch, AppendDone done)
{
    m_appends.emplace_back(std::move(batch), std::move(done));
    if (m_autoCommit)
        commit();
}

void FakeAsyncStore::commit()
{
    auto appends = std::exchange(m_appends, {});
    if (appends.empty())
        return;
    m_stats.commits++;
    size_t rows = 0;
    for (const auto &append : appends)
        rows += append.first.size();
    m_stats.rows += rows;
    const auto bucket = std::lower_bound(StoreStats::BatchBounds.begin(), StoreStats::BatchBounds.end(), int(rows));
    m_stats.batchRows[size_t(bucket - StoreStats::BatchBounds.begin())]++;
    for (auto &[batch, done] : appends) {
        AppendResult result;
        m_data.append(std::move(batch), [&result](AppendResult r) { result = std::move(r); });
        updateHead();
        if (done)
            done(std::move(result));
    }
}

void FakeAsyncStore::fail(const QString &why)
{
    auto appends = std::exchange(m_appends, {});
    if (appends.empty())
        return;
    m_stats.failedCommits++;
    for (auto &[batch, done] : appends) {
        AppendResult result;
        result.status = 503;
        result.error = why;
        if (done)
            done(std::move(result));
    }
}

void FakeAsyncStore::read(quint64 after, int limit, ReadDone done)
{
    m_stats.reads++;
    m_reads.emplace_back(after, limit, std::move(done));
}

void FakeAsyncStore::releaseReads(const QString &error)
{
    auto reads = std::exchange(m_reads, {});
    for (auto &[after, limit, done] : reads) {
        ReadResult result;
        if (!error.isEmpty()) {
            result.error = error;
        } else {
            m_data.read(qMax(after, m_dropped), limit, [&result](ReadResult r) { result = std::move(r); });
            // Never past the head the loop knows.
            while (!result.entries.empty() && result.entries.back()->message.id > m_head.lastId)
                result.entries.pop_back();
        }
        if (done)
            done(std::move(result));
    }
}

void FakeAsyncStore::expire(qint64 nowMs)
{
    m_data.expire(nowMs);
    updateHead();
}

void FakeAsyncStore::dropOldest(int count)
{
    m_dropped = qMax(m_dropped, m_head.firstId - 1) + quint64(count);
    updateHead();
    emit headChanged();
}

} // namespace rtlab
