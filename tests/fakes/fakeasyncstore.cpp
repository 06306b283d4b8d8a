// SPDX-License-Identifier: MIT
#include "fakeasyncstore.h"

#include <algorithm>

namespace rtlab {

FakeAsyncStore::FakeAsyncStore(QString epoch, QObject *parent)
    : LogStore(parent), m_data(std::make_unique<MemoryStore>(std::move(epoch)))
{
}

bool FakeAsyncStore::open(const LogLimits &limits, QString *error)
{
    m_limits = limits;
    const bool ok = m_data->open(limits, error);
    updateHead();
    return ok;
}

void FakeAsyncStore::updateHead()
{
    m_head = m_data->head();
    if (isShared()) // the head follows what arrived
        m_head.lastId = m_arrivedLast;
    m_head.firstId = qMin(qMax(m_head.firstId, m_dropped + 1), m_head.lastId + 1);
}

std::vector<LogEntryPtr> FakeAsyncStore::newest(qsizetype n)
{
    std::vector<LogEntryPtr> entries = m_data->newest(n + qsizetype(m_unarrived.size()));
    while (!entries.empty() && entries.back()->message.id > m_head.lastId)
        entries.pop_back();
    if (qsizetype(entries.size()) > n)
        entries.erase(entries.begin(), entries.end() - n);
    return entries;
}

void FakeAsyncStore::append(std::vector<AppendRequest> batch, AppendDone done)
{
    if (!m_state.available) {
        // A shared store without its server answers at once: nothing kept, no id used.
        QMetaObject::invokeMethod(
                this,
                [this, done = std::move(done)] {
                    m_stats.failedCommits++;
                    AppendResult result;
                    result.status = 503;
                    result.error = QStringLiteral("store unavailable: %1").arg(m_state.detail);
                    if (done)
                        done(std::move(result));
                },
                Qt::QueuedConnection);
        return;
    }
    m_appends.emplace_back(std::move(batch), std::move(done));
    if (m_autoCommit)
        commit();
}

AppendResult FakeAsyncStore::appendShared(std::vector<AppendRequest> batch)
{
    AppendResult result;
    for (AppendRequest &request : batch) {
        const Message &m = request.message;
        const QString key = m.clientMsgId.isEmpty() ? QString() : m.from + QLatin1Char('\0') + m.clientMsgId;
        if (const auto found = m_clientMsgIds.constFind(key); !key.isEmpty() && found != m_clientMsgIds.cend()) {
            result.duplicateOf.push_back(*found);
            continue;
        }
        std::vector<AppendRequest> one;
        one.push_back(std::move(request));
        m_data->append(std::move(one), [&](AppendResult r) {
            for (const LogEntryPtr &e : r.entries) {
                if (!key.isEmpty())
                    m_clientMsgIds.insert(key, e->message.id);
                m_unarrived.push_back(e);
                result.entries.push_back(e);
            }
        });
        result.duplicateOf.push_back(0);
    }
    return result;
}

void FakeAsyncStore::publishElsewhere(const QString &from, const QString &text, const QString &clientMsgId)
{
    std::vector<AppendRequest> batch(1);
    batch[0].message.type = MessageType::Chat;
    batch[0].message.from = from;
    batch[0].message.text = text;
    batch[0].message.clientMsgId = clientMsgId;
    batch[0].appendedNs = LogEntry::steadyNs();
    appendShared(std::move(batch));
}

void FakeAsyncStore::arrive(int count)
{
    std::vector<LogEntryPtr> entries;
    while (!m_unarrived.empty() && (count < 0 || int(entries.size()) < count)) {
        entries.push_back(std::move(m_unarrived.front()));
        m_unarrived.pop_front();
    }
    if (entries.empty())
        return;
    m_arrivedLast = entries.back()->message.id;
    updateHead();
    emit entriesArrived(entries);
}

void FakeAsyncStore::trimUnarrived(int count)
{
    for (int i = 0; i < count && !m_unarrived.empty(); ++i) {
        m_dropped = m_unarrived.front()->message.id;
        m_unarrived.pop_front();
    }
}

void FakeAsyncStore::changeEpoch(const QString &epoch)
{
    m_data = std::make_unique<MemoryStore>(epoch);
    QString unused;
    m_data->open(m_limits, &unused);
    m_unarrived.clear();
    m_clientMsgIds.clear();
    m_arrivedLast = 0;
    m_dropped = 0;
    updateHead();
    emit epochChanged();
}

void FakeAsyncStore::setState(bool available, const QString &detail)
{
    m_state = { available, detail };
    emit stateChanged();
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
        if (isShared())
            result = appendShared(std::move(batch));
        else
            m_data->append(std::move(batch), [&result](AppendResult r) { result = std::move(r); });
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
            m_data->read(qMax(after, m_dropped), limit, [&result](ReadResult r) { result = std::move(r); });
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
    m_data->expire(nowMs);
    updateHead();
}

void FakeAsyncStore::dropOldest(int count)
{
    m_dropped = qMax(m_dropped, m_head.firstId - 1) + quint64(count);
    updateHead();
    emit headChanged();
}

} // namespace rtlab
