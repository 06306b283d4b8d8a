#pragma once

#include "httpclientconnection.h"
#include "messagecodec.h"
#include "transportstats.h"

#include <QObject>

#include <deque>
#include <memory>

namespace rtlab {

// The upstream path of the HTTP transports: POST /send on a connection of its own (a held poll
// or an open stream cannot carry it), one at a time, from a bounded queue.
class HttpPublisher : public QObject
{
    Q_OBJECT
public:
    static constexpr qsizetype MaxQueued = 256;

    HttpPublisher(const QUrl &server, std::shared_ptr<TransportStats> stats, QObject *parent = nullptr);
    // Returns false (and says why) when the queue is full.
    bool publish(const PublishRequest &request);
    qsizetype queued() const { return qsizetype(m_queue.size()); }

signals:
    void published(quint64 id);
    void failed(const QString &reason);

private:
    void next();

    QUrl m_server;
    std::shared_ptr<TransportStats> m_stats;
    HttpClientConnection m_connection;
    std::deque<QByteArray> m_queue;
    QByteArray m_lastBody;
};

} // namespace rtlab
