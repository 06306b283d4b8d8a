// SPDX-License-Identifier: MIT
#include "messagelog.h"

#include "messagecodec.h"
#include "sseencoder.h"
#include "wsframeparser.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace rtlab {

MessageLog::MessageLog(Limits limits, QObject *parent)
    : MessageLog(
            limits, newEpoch(), [] { return QDateTime::currentMSecsSinceEpoch(); }, parent)
{
}

MessageLog::MessageLog(Limits limits, QString epoch, Clock clock, QObject *parent)
    : QObject(parent), m_limits(limits), m_epoch(std::move(epoch)), m_clock(std::move(clock))
{
    m_limits.maxCount = qMax<qsizetype>(1, m_limits.maxCount);
}

QString MessageLog::newEpoch()
{
    // 64 random bits, hex: two server starts never share an epoch in practice.
    return QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, QLatin1Char('0'));
}

quint64 MessageLog::firstId() const
{
    return m_entries.empty() ? m_nextId : m_entries.front()->message.id;
}

static QByteArray sseFor(const Message &m, const QByteArray &json)
{
    const quint64 position = m.type == MessageType::Reset ? m.cursor : m.id;
    return SseEncoder::event(MessageCodec::eventId(m.epoch, position).toUtf8(), messageTypeName(m.type).toUtf8(), json);
}

LogEntryPtr MessageLog::append(Message message)
{
    message.id = m_nextId++;
    message.epoch = m_epoch;
    message.ts = nowMicros();
    auto entry = std::make_shared<LogEntry>();
    entry->appendedNs = steadyNs(); // before encoding: its cost is part of the delivery latency
    entry->json = MessageCodec::encode(message);
    entry->sse = sseFor(message, entry->json);
    entry->wsFrame = WsFrameParser::encodeFrame(WsFrameParser::Text, entry->json);
    entry->appendedMs = m_clock();
    entry->message = std::move(message);
    m_entries.push_back(entry);
    if (entry->message.type == MessageType::Chat && !entry->message.clientMsgId.isEmpty())
        m_byClientMsgId.insert(clientMsgIdKey(entry->message.from, entry->message.clientMsgId), entry->message.id);
    while (qsizetype(m_entries.size()) > m_limits.maxCount)
        dropOldest();
    expire();
    emit appended(entry);
    return entry;
}

void MessageLog::expire()
{
    const qint64 oldest = m_clock() - m_limits.maxAgeMs;
    while (!m_entries.empty() && m_entries.front()->appendedMs < oldest)
        dropOldest();
}

void MessageLog::dropOldest()
{
    const Message &m = m_entries.front()->message;
    if (!m.clientMsgId.isEmpty()) {
        const auto found = m_byClientMsgId.constFind(clientMsgIdKey(m.from, m.clientMsgId));
        if (found != m_byClientMsgId.cend() && *found == m.id)
            m_byClientMsgId.erase(found);
    }
    m_entries.pop_front();
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
    const quint64 first = firstId();
    if (id < first || id > lastId())
        return nullptr;
    return m_entries[size_t(id - first)];
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
    if (!point.epoch.isEmpty() && point.epoch != m_epoch) {
        r.reset = true;
        r.lost = -1; // another log: nothing can say how much of it the client missed
        r.cursor = restart;
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
    r.resetEntry = makeResetEntry(m_epoch, r.lost, r.cursor);
    return r;
}

} // namespace rtlab
