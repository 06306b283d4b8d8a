// SPDX-License-Identifier: MIT
#include "messagelog.h"

#include "memorystore.h"

#include <QDateTime>

namespace rtlab {

static MessageLog::Clock wallClock()
{
    return [] { return QDateTime::currentMSecsSinceEpoch(); };
}

MessageLog::MessageLog(Limits limits, QObject *parent) : MessageLog(limits, LogStore::newEpoch(), wallClock(), parent)
{
}

MessageLog::MessageLog(Limits limits, QString epoch, Clock clock, QObject *parent)
    : MessageLog(limits, std::make_unique<MemoryStore>(std::move(epoch)), 0, std::move(clock), parent)
{
    // A memory store cannot fail to open: these logs are ready when built.
    QString unused;
    open(&unused);
}

MessageLog::MessageLog(Limits limits, std::unique_ptr<LogStore> store, qsizetype ringSize, Clock clock, QObject *parent)
    : QObject(parent), m_limits(limits), m_store(std::move(store)), m_clock(std::move(clock))
{
    m_limits.maxCount = qMax<qsizetype>(1, m_limits.maxCount);
    // A synchronous store answers every read at once: the ring is the whole history, and no
    // session ever waits. A store on disk keeps the newest in memory, the rest on disk.
    m_ringCapacity = m_store->isSynchronous() ? m_limits.maxCount : qBound<qsizetype>(1, ringSize, m_limits.maxCount);
    connect(m_store.get(), &LogStore::headChanged, this, [this] {
        refreshHead();
        trimRing();
    });
    connect(m_store.get(), &LogStore::entriesArrived, this, &MessageLog::arrived);
    connect(m_store.get(), &LogStore::epochChanged, this, &MessageLog::storeEpochChanged);
}

// The store goes first, while the log it answers is whole: its destructor finishes its commits
// and drops the `done`s not yet run.
MessageLog::~MessageLog()
{
    m_store.reset();
}

bool MessageLog::open(QString *error)
{
    if (m_open)
        return true;
    if (!m_store->open(m_limits, error))
        return false;
    m_open = true;
    fillRing();
    return true;
}

void MessageLog::fillRing()
{
    refreshHead();
    m_ring.clear();
    m_byClientMsgId.clear();
    for (LogEntryPtr &e : m_store->newest(m_ringCapacity)) {
        index(e);
        m_ring.push_back(std::move(e));
    }
    trimRing();
}

void MessageLog::index(const LogEntryPtr &e)
{
    const Message &m = e->message;
    if (m.type == MessageType::Chat && !m.clientMsgId.isEmpty())
        m_byClientMsgId.insert(clientMsgIdKey(m.from, m.clientMsgId), m.id);
}

void MessageLog::refreshHead()
{
    m_head = m_store->head();
    if (m_arrivalFloor > m_head.firstId)
        m_head.firstId = qMin(m_arrivalFloor, m_head.lastId + 1);
}

void MessageLog::arrived(const std::vector<LogEntryPtr> &entries)
{
    // What the ring has already (a tail that read again after reconnecting) is not news.
    // m_head is still as of the last arrival here: the store's head already counts these.
    const quint64 have = m_ring.empty() ? m_head.lastId : m_ring.back()->message.id;
    auto next = entries.cbegin();
    while (next != entries.cend() && (*next)->message.id <= have)
        ++next;
    if (next == entries.cend()) {
        refreshHead();
        return;
    }
    if ((*next)->message.id != have + 1) {
        // The tail missed entries (trimmed from the log while it was away): the ring must stay
        // contiguous, and whoever is behind is told what was lost, never a silent gap.
        m_ring.clear();
        m_byClientMsgId.clear();
        m_arrivalFloor = (*next)->message.id;
    }
    const LogEntryPtr &firstNew = *next;
    for (; next != entries.cend(); ++next) {
        index(*next);
        m_ring.push_back(*next);
    }
    refreshHead();
    trimRing();
    // One announcement per arrival: the sessions pump once for the batch the tail read.
    LogEntryPtr first = firstNew;
    if (first->message.id < ringFirstId())
        first = entry(ringFirstId());
    const LogEntryPtr &last = entries.back();
    if (first && first->message.id <= last->message.id)
        emit appended(first, last);
}

void MessageLog::storeEpochChanged()
{
    const QString oldEpoch = m_head.epoch;
    m_arrivalFloor = 0;
    fillRing();
    emit epochReset(oldEpoch);
}

quint64 MessageLog::ringFirstId() const
{
    return m_ring.empty() ? m_head.lastId + 1 : qMax(m_ring.front()->message.id, m_head.firstId);
}

LogEntryPtr MessageLog::append(Message message, AppendDone done)
{
    message.ts = nowMicros();
    std::vector<AppendRequest> batch(1);
    batch[0].appendedNs = LogEntry::steadyNs(); // before encoding: its cost is part of the delivery latency
    batch[0].appendedMs = m_clock();
    batch[0].message = std::move(message);
    ++m_pending;
    const bool nested = std::exchange(m_inAppend, true);
    m_committedInCall = nullptr;
    m_store->append(std::move(batch), [this, done = std::move(done)](AppendResult result) {
        if (m_inAppend && result.ok() && !result.entries.empty())
            m_committedInCall = result.entries.back();
        committed(result, done);
    });
    m_inAppend = nested;
    LogEntryPtr committedNow = std::exchange(m_committedInCall, nullptr);
    // A synchronous store committed inside the call: announce now, as the log always did.
    if (m_store->isSynchronous() && !nested)
        announce();
    return committedNow;
}

void MessageLog::committed(const AppendResult &result, const AppendDone &done)
{
    --m_pending;
    refreshHead();
    // A shared store's entries are the log's when they arrive from its tail (arrived()).
    if (result.ok() && !result.entries.empty() && !m_store->isShared()) {
        for (const LogEntryPtr &e : result.entries) {
            m_ring.push_back(e);
            index(e);
        }
        if (!m_unannouncedFirst)
            m_unannouncedFirst = result.entries.front();
        m_unannouncedLast = result.entries.back();
        if (m_store->isSynchronous())
            m_store->expire(m_clock()); // cheap in memory; a store on disk expires on its timer
        refreshHead();
        trimRing();
    }
    m_unanswered.emplace_back(done, result);
    if (!m_store->isSynchronous() && !m_announcePosted) {
        // The batches a store commits together come back one after the other in one event: the
        // fan-out waits for the last of them, so that sessions pump once per commit.
        m_announcePosted = true;
        QMetaObject::invokeMethod(this, &MessageLog::announce, Qt::QueuedConnection);
    }
}

void MessageLog::announce()
{
    m_announcePosted = false;
    LogEntryPtr first = std::exchange(m_unannouncedFirst, nullptr);
    LogEntryPtr last = std::exchange(m_unannouncedLast, nullptr);
    auto answers = std::exchange(m_unanswered, {});
    // The ring may have dropped the oldest of a commit larger than itself: announce what it holds.
    if (first && first->message.id < ringFirstId())
        first = entry(ringFirstId());
    if (first && last && first->message.id <= last->message.id)
        emit appended(first, last);
    for (auto &[done, result] : answers) {
        if (done)
            done(result);
    }
    if (!answers.empty())
        emit appendsAnswered();
}

void MessageLog::read(quint64 after, int limit, ReadDone done)
{
    m_store->read(after, limit, std::move(done));
}

void MessageLog::expire()
{
    const qint64 now = m_clock();
    m_store->expire(now);
    // The ring by the same bound: a store on disk catches up on its writer (headChanged).
    const qint64 oldest = now - m_limits.maxAgeMs;
    while (!m_ring.empty() && m_ring.front()->appendedMs < oldest)
        dropOldest();
    refreshHead();
    trimRing();
}

void MessageLog::trimRing()
{
    while (!m_ring.empty()
           && (qsizetype(m_ring.size()) > m_ringCapacity || m_ring.front()->message.id < m_head.firstId))
        dropOldest();
}

void MessageLog::dropOldest()
{
    const Message &m = m_ring.front()->message;
    if (!m.clientMsgId.isEmpty()) {
        const auto found = m_byClientMsgId.constFind(clientMsgIdKey(m.from, m.clientMsgId));
        if (found != m_byClientMsgId.cend() && *found == m.id)
            m_byClientMsgId.erase(found);
    }
    m_ring.pop_front();
}

QString MessageLog::clientMsgIdKey(const QString &from, const QString &clientMsgId)
{
    // A NUL cannot be typed into either field by accident; the length prefix makes the key
    // unambiguous even if one were.
    return QString::number(from.size()) + QLatin1Char(':') + from + QLatin1Char('\0') + clientMsgId;
}

LogEntryPtr MessageLog::findPublished(const QString &from, const QString &clientMsgId) const
{
    if (clientMsgId.isEmpty())
        return nullptr;
    const auto found = m_byClientMsgId.constFind(clientMsgIdKey(from, clientMsgId));
    return found == m_byClientMsgId.cend() ? nullptr : entry(*found);
}

LogEntryPtr MessageLog::entry(quint64 id) const
{
    if (m_ring.empty())
        return nullptr;
    const quint64 first = m_ring.front()->message.id;
    if (id < first || id < m_head.firstId || id > m_ring.back()->message.id)
        return nullptr;
    return m_ring[size_t(id - first)];
}

ResumeResult MessageLog::resume(const ResumePoint &point) const
{
    ResumeResult r;
    if (!point.after) {
        r.cursor = lastId(); // no id named: new messages only
        return r;
    }
    const quint64 after = *point.after;
    // Where a client that lost its place goes on: before the oldest kept message.
    const quint64 restart = firstId() - 1;
    if (!point.epoch.isEmpty() && point.epoch != epoch()) {
        r.reset = true;
        r.lost = -1; // another log: nothing can say how much of it the client missed
        r.cursor = restart;
    } else if (after > lastId() && m_store->isShared() && point.epoch == epoch()) {
        // A client that read further on another node: this node's tail has not got there yet.
        // It goes on from its id once the tail does; nothing is lost.
        r.cursor = after;
        return r;
    } else if (after > lastId()) {
        r.reset = true;
        r.lost = -1; // an id this log never gave out
        r.cursor = restart;
    } else if (after < restart) {
        r.reset = true;
        r.lost = qint64(restart - after);
        r.cursor = restart;
    } else {
        r.cursor = after;
        return r;
    }
    r.resetEntry = makeResetEntry(epoch(), r.lost, r.cursor);
    return r;
}

} // namespace rtlab
