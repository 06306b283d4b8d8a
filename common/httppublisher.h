// SPDX-License-Identifier: MIT
#pragma once

#include "httpclientconnection.h"
#include "messagecodec.h"
#include "transportstats.h"

#include <QObject>
#include <QTimer>

#include <deque>
#include <memory>

namespace rtlab {

// The upstream path of the HTTP transports: POST /send on a connection of its own (a held poll
// or an open stream cannot carry it), one at a time, in order, from a bounded queue. It does not
// retry: it says which message was published and which failed, and whether sending it again could
// help (the caller's outbox resends; the server publishes one clientMsgId once).
class HttpPublisher : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxQueued = 256;
    static constexpr int TimeoutMs = 10000; // no answer by then: the POST failed (it may have arrived)

    HttpPublisher(const QUrl &server, std::shared_ptr<TransportStats> stats, QObject *parent = nullptr);
    // Returns false (and says why with failed()) when the queue is full.
    bool publish(const PublishRequest &request);
    qsizetype queued() const { return qsizetype(m_queue.size()); }
    // Every POST from now on carries `Authorization: Bearer <token>` (empty: none).
    void setBearerToken(const QByteArray &token) { m_connection.setBearerToken(token); }
    // Records every POST /send and its answer into `capture` (null: nothing) on `transport`'s lifeline.
    void setCapture(std::shared_ptr<WireCapture> capture, TransportKind transport)
    {
        m_connection.setCapture(std::move(capture), transport);
    }

signals:
    // 202: in the log as `id` (a repeat of a clientMsgId says the original's id).
    void published(const QString &clientMsgId, quint64 id);
    // Not published, or not known to be. `retryable`: no answer, or a 5xx (sending it again may
    // work; also a 429, after the server's Retry-After); false for a refusal (4xx), which would be
    // refused again — a refused token (401/403) included, said in words the user can act on.
    void failed(const QString &clientMsgId, const QString &reason, bool retryable);

private:
    struct Pending
    {
        QString clientMsgId;
        QByteArray body;
    };
    void next();
    // The head failed: it and everything behind it (not sent, so that nothing overtakes it).
    void failAll(const QString &reason);

    QUrl m_server;
    std::shared_ptr<TransportStats> m_stats;
    HttpClientConnection m_connection;
    QTimer m_timeout;
    std::deque<Pending> m_queue;
    QByteArray m_lastBody;
};

} // namespace rtlab
