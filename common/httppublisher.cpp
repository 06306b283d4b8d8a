#include "httppublisher.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rtlab {

HttpPublisher::HttpPublisher(const QUrl &server, std::shared_ptr<TransportStats> stats, QObject *parent)
    : QObject(parent), m_server(server), m_stats(std::move(stats))
{
    m_connection.setServer(server);
    connect(&m_connection, &HttpClientConnection::requestWritten, this,
            [this](qint64 n) { m_stats->upstreamBytes += n; });
    connect(&m_connection, &HttpClientConnection::responseFinished, this, [this] {
        const HttpResponseParser &r = m_connection.response();
        m_queue.pop_front();
        if (r.status() == 202) {
            emit published(quint64(QJsonDocument::fromJson(m_lastBody).object().value(QLatin1String("id")).toInteger()));
        } else {
            const QString why = QJsonDocument::fromJson(m_lastBody).object().value(QLatin1String("error")).toString();
            emit failed(QStringLiteral("publish refused: HTTP %1 %2").arg(r.status()).arg(why));
        }
        m_lastBody.clear();
        next();
    });
    connect(&m_connection, &HttpClientConnection::bodyReceived, this,
            [this](const QByteArray &b) { m_lastBody += b.left(4096 - m_lastBody.size()); });
    connect(&m_connection, &HttpClientConnection::failed, this, [this](const QString &why) {
        // Not sent, or no answer: the message may or may not be in the log. Do not resend
        // blindly (that could post it twice); say so.
        m_queue.pop_front();
        m_lastBody.clear();
        emit failed(QStringLiteral("publish failed: %1").arg(why));
        next();
    });
}

bool HttpPublisher::publish(const PublishRequest &request)
{
    if (qsizetype(m_queue.size()) >= MaxQueued) {
        emit failed(QStringLiteral("publish queue full (%1 waiting)").arg(MaxQueued));
        return false;
    }
    m_queue.push_back(MessageCodec::encodePublish(request));
    m_stats->publishes++;
    if (m_queue.size() == 1)
        next();
    return true;
}

void HttpPublisher::next()
{
    if (m_queue.empty() || m_connection.isBusy())
        return;
    HttpClientConnection::Request r;
    r.method = "POST";
    r.target = "/send";
    r.headers = { { "Content-Type", "application/json" } };
    r.body = m_queue.front();
    m_stats->httpRequests++;
    m_stats->publishRequests++;
    m_connection.send(r);
}

} // namespace rtlab
