// SPDX-License-Identifier: MIT
#include "outbox.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace rtlab {

static QString randomPrefix()
{
    // 48 random bits: two clients publishing under one name never share a prefix in practice.
    return QString::number(QRandomGenerator::system()->generate64() & 0xffffffffffffULL, 36);
}

Outbox::Outbox(QObject *parent)
    : Outbox(
            Limits {}, randomPrefix(), [] { return QDateTime::currentMSecsSinceEpoch(); }, parent)
{
}

Outbox::Outbox(Limits limits, QString idPrefix, Clock clock, QObject *parent)
    : QObject(parent), m_limits(limits), m_prefix(std::move(idPrefix)), m_clock(std::move(clock))
{
    setLimits(limits);
    // prefix + '-' + a 64-bit counter in base 36 (13 digits) stays within the wire limit.
    m_prefix = m_prefix.left(PublishLimits::MaxClientMsgIdChars - 14);
}

void Outbox::setLimits(const Limits &limits)
{
    m_limits = limits;
    m_limits.maxItems = qMax<qsizetype>(1, m_limits.maxItems);
    m_limits.maxAttempts = qMax(1, m_limits.maxAttempts);
}

bool Outbox::isOwn(QStringView clientMsgId) const
{
    return clientMsgId.size() > m_prefix.size() && clientMsgId.startsWith(m_prefix)
            && clientMsgId.at(m_prefix.size()) == u'-';
}

QString Outbox::refuse(Error error, const QString &why)
{
    m_error = error;
    m_errorString = why;
    return {};
}

QString Outbox::add(const QString &from, const QString &text)
{
    m_error = Error::None;
    m_errorString.clear();
    if (size() >= m_limits.maxItems)
        return refuse(Error::Full,
                      (m_limits.maxItems == 1 ? tr("1 message not yet delivered")
                                              : tr("%1 messages not yet delivered").arg(m_limits.maxItems))
                              + tr(": wait for them, or retry the failed ones"));
    Item item;
    item.clientMsgId = m_prefix + QLatin1Char('-') + QString::number(++m_counter, 36);
    item.request.from = from;
    item.request.text = text;
    item.request.clientMsgId = item.clientMsgId;
    // The server's rules, checked here: a message it would refuse is refused now, with its reason,
    // instead of failing later.
    QString why;
    if (MessageCodec::decodePublish(MessageCodec::encodePublish(item.request), PublishLimits {}, nullptr, &why)
        != MessageCodec::Error::None)
        return refuse(Error::Invalid, why);
    item.queuedMs = m_clock();
    m_items.push_back(item);
    emit stateChanged(item.clientMsgId, State::Queued);
    emit changed();
    return item.clientMsgId;
}

QList<Outbox::Item> Outbox::takeDue()
{
    QList<Item> due;
    const qint64 now = m_clock();
    for (Item &item : m_items) {
        if (item.state != State::Queued)
            continue;
        if (item.notBeforeMs > now)
            break;
        item.attempts++;
        setState(item, State::Sent);
        due.append(item);
    }
    if (!due.isEmpty())
        emit changed();
    return due;
}

qint64 Outbox::nextDueMs() const
{
    for (const Item &item : m_items)
        if (item.state == State::Queued)
            return item.notBeforeMs;
    return -1;
}

Outbox::Item *Outbox::findItem(QStringView clientMsgId)
{
    for (Item &item : m_items)
        if (item.clientMsgId == clientMsgId)
            return &item;
    return nullptr;
}

const Outbox::Item *Outbox::find(QStringView clientMsgId) const
{
    return const_cast<Outbox *>(this)->findItem(clientMsgId);
}

qsizetype Outbox::count(State state) const
{
    return std::count_if(m_items.begin(), m_items.end(), [state](const Item &i) { return i.state == state; });
}

void Outbox::setState(Item &item, State state)
{
    if (item.state == state)
        return;
    item.state = state;
    emit stateChanged(item.clientMsgId, state);
}

bool Outbox::markDelivered(const QString &clientMsgId)
{
    const auto it =
            std::find_if(m_items.begin(), m_items.end(), [&](const Item &i) { return i.clientMsgId == clientMsgId; });
    if (it == m_items.end())
        return false;
    m_items.erase(it);
    emit stateChanged(clientMsgId, State::Delivered);
    emit changed();
    return true;
}

void Outbox::failItem(Item &item, const QString &why)
{
    item.errorString = why;
    setState(item, State::Failed);
}

void Outbox::requeue(const QString &clientMsgId, const QString &why)
{
    Item *item = findItem(clientMsgId);
    if (!item || item->state != State::Sent)
        return;
    requeueItem(*item, why, true);
    emit changed();
}

void Outbox::requeueItem(Item &item, const QString &why, bool backOff)
{
    if (item.attempts >= m_limits.maxAttempts) {
        failItem(item,
                 (item.attempts == 1 ? tr("not delivered after 1 attempt: %1")
                                     : tr("not delivered after %1 attempts: %2").arg(item.attempts))
                         .arg(why));
        return;
    }
    item.errorString = why;
    const int doublings = qBound(0, item.attempts - 1, 4);
    item.notBeforeMs = backOff ? m_clock() + (m_limits.firstBackoffMs << doublings) : 0;
    setState(item, State::Queued);
}

void Outbox::requeueSent(const QString &why)
{
    bool any = false;
    for (Item &item : m_items) {
        if (item.state == State::Sent) {
            requeueItem(item, why, false);
            any = true;
        }
    }
    if (any)
        emit changed();
}

void Outbox::fail(const QString &clientMsgId, const QString &why)
{
    Item *item = findItem(clientMsgId);
    if (!item || item->state == State::Failed)
        return;
    failItem(*item, why);
    emit changed();
}

void Outbox::failAll(const QString &why)
{
    bool any = false;
    for (Item &item : m_items) {
        if (item.state == State::Queued || item.state == State::Sent) {
            failItem(item, why);
            any = true;
        }
    }
    if (any)
        emit changed();
}

int Outbox::expire()
{
    const qint64 oldest = m_clock() - m_limits.maxAgeMs;
    int failed = 0;
    for (Item &item : m_items) {
        if (item.state == State::Failed || item.queuedMs >= oldest)
            continue;
        const qint64 seconds = m_limits.maxAgeMs / 1000;
        QString why =
                seconds == 1 ? tr("not delivered within 1 second") : tr("not delivered within %1 seconds").arg(seconds);
        if (!item.errorString.isEmpty())
            why += QStringLiteral(": ") + item.errorString;
        failItem(item, why);
        ++failed;
    }
    if (failed)
        emit changed();
    return failed;
}

bool Outbox::retry(const QString &clientMsgId)
{
    Item *item = findItem(clientMsgId);
    if (!item || item->state != State::Failed)
        return false;
    item->attempts = 0;
    item->notBeforeMs = 0;
    item->queuedMs = m_clock();
    item->errorString.clear();
    setState(*item, State::Queued);
    emit changed();
    return true;
}

} // namespace rtlab
