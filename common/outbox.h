// SPDX-License-Identifier: MIT
#pragma once

#include "messagecodec.h"

#include <QObject>

#include <deque>
#include <functional>

namespace rtlab {

// The chat messages this client published and has not yet seen delivered: ordered, bounded,
// I/O-free (the caller sends, and tells it what happened). Each message gets a clientMsgId, a
// random per-outbox prefix and a counter, so that sending it again after a failure is safe: the
// server publishes one clientMsgId once (docs/protocol.md, "Publishing").
//
// A message is Queued until a connection takes it, then Sent. It leaves as Delivered when it
// comes back in the stream or the server acknowledged it. A Sent message whose connection was
// lost (or whose POST failed) is Queued again and sent again, after a back-off, in order. After
// maxAttempts sends, or maxAgeMs after it was published, it is Failed; retry() queues it again.
class Outbox : public QObject
{
    Q_OBJECT
public:
    enum class State { Queued, Sent, Delivered, Failed };
    Q_ENUM(State)
    enum class Error { None, Full, Invalid };
    Q_ENUM(Error)

    struct Limits
    {
        qsizetype maxItems = 256;    // messages not yet delivered, failed ones included
        int maxAttempts = 6;         // sends of one message before it fails
        qint64 maxAgeMs = 120000;    // from publish (or retry) to failed, if never delivered
        qint64 firstBackoffMs = 500; // before a failed send is sent again; doubles, up to 8 s
    };
    struct Item
    {
        QString clientMsgId;
        PublishRequest request;
        State state = State::Queued;
        int attempts = 0;       // sends so far
        qint64 queuedMs = 0;    // when it was published (or retried)
        qint64 notBeforeMs = 0; // a re-send waits for its back-off
        QString errorString;    // why the last send failed, or why it failed for good
    };
    using Clock = std::function<qint64()>; // milliseconds; injectable for tests

    explicit Outbox(QObject *parent = nullptr);
    Outbox(Limits limits, QString idPrefix, Clock clock, QObject *parent = nullptr);

    Limits limits() const { return m_limits; }
    // Applies to what is queued already (its age and attempts are measured against the new limits).
    void setLimits(const Limits &limits);
    QString idPrefix() const { return m_prefix; }
    // Whether a clientMsgId is one this outbox gave out (our own message, seen in the stream).
    bool isOwn(QStringView clientMsgId) const;

    // Queues a message. Returns its clientMsgId, or an empty string when refused (error() and
    // errorString() say why: the outbox is full, or the message breaks the wire limits).
    QString add(const QString &from, const QString &text);
    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }

    // The messages to send now, in order, each marked Sent and its attempt counted. Stops at the
    // first one still waiting for its back-off, so that nothing overtakes an earlier message.
    QList<Item> takeDue();
    // When the next queued message is due (-1: none is queued).
    qint64 nextDueMs() const;

    // It came back in the stream, or the server acknowledged it: it leaves. False if unknown.
    bool markDelivered(const QString &clientMsgId);
    // A send that may or may not have arrived (connection lost, POST failed or timed out): queued
    // again after a back-off, or Failed when out of attempts.
    void requeue(const QString &clientMsgId, const QString &why);
    // The same for every Sent message, due at once: the connection that carried them is gone or
    // replaced, and they go again when one is open.
    void requeueSent(const QString &why);
    // The server refused it (a 4xx): sending it again would not help. Failed.
    void fail(const QString &clientMsgId, const QString &why);
    // Every Queued and Sent message: Failed with `why` (the server refused the client's token, so
    // none of them can be sent). retry() queues one again.
    void failAll(const QString &why);
    // Fails what waited longer than maxAgeMs. Returns how many.
    int expire();
    // A Failed message: queued again, with its attempts and age starting over.
    bool retry(const QString &clientMsgId);

    const Item *find(QStringView clientMsgId) const;
    qsizetype size() const { return qsizetype(m_items.size()); }
    qsizetype count(State state) const;
    const std::deque<Item> &items() const { return m_items; }

signals:
    void stateChanged(const QString &clientMsgId, rtlab::Outbox::State state);
    void changed();

private:
    Item *findItem(QStringView clientMsgId);
    void setState(Item &item, State state);
    void failItem(Item &item, const QString &why);
    void requeueItem(Item &item, const QString &why, bool backOff);
    QString refuse(Error error, const QString &why);

    Limits m_limits;
    QString m_prefix;
    Clock m_clock;
    quint64 m_counter = 0;
    std::deque<Item> m_items; // publish order
    Error m_error = Error::None;
    QString m_errorString;
};

} // namespace rtlab
