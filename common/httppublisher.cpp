// SPDX-License-Identifier: MIT
#include "httppublisher.h"

#include "authrefusal.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rtlab {

HttpPublisher::HttpPublisher(const QUrl &server, std::shared_ptr<TransportStats> stats, QObject *parent)
    : QObject(parent), m_server(server), m_stats(std::move(stats))
{
    m_connection.setServer(server);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        m_connection.abort();
        failAll(QStringLiteral("publish failed: no answer within %1 ms").arg(TimeoutMs));
    });
    connect(&m_connection, &HttpClientConnection::requestWritten, this,
            [this](qint64 n) { m_stats->upstreamBytes += n; });
    connect(&m_connection, &HttpClientConnection::responseFinished, this, [this] {
        m_timeout.stop();
        const HttpResponseParser &r = m_connection.response();
        const QJsonObject answer = QJsonDocument::fromJson(m_lastBody).object();
        const int status = r.status();
        if (const auto &capture = m_connection.capture()) {
            const quint64 id = quint64(answer.value(QLatin1String("id")).toInteger());
            const bool ok = status == 202 && id > 0;
            capture->finishResponse(
                    m_connection.exchangeId(),
                    ok ? QStringLiteral("%1 · id %2").arg(status).arg(id)
                       : QStringLiteral("%1 · %2").arg(status).arg(answer.value(QLatin1String("error")).toString()),
                    m_lastBody, false, ok ? QList<quint64> { id } : QList<quint64> {});
        }
        const QByteArray body = std::exchange(m_lastBody, QByteArray());
        if (status >= 500) {
            failAll(QStringLiteral("publish failed: HTTP %1 %2")
                            .arg(status)
                            .arg(answer.value(QLatin1String("error")).toString()));
            return;
        }
        const QString clientMsgId = m_queue.front().clientMsgId;
        m_queue.pop_front();
        if (status == 202) {
            emit published(clientMsgId, quint64(answer.value(QLatin1String("id")).toInteger()));
        } else if (AuthRefusal::refusesToken(status, m_connection.hasBearerToken())) {
            emit failed(clientMsgId,
                        QStringLiteral("not published: %1")
                                .arg(AuthRefusal::describe(status, r.header("www-authenticate"), body, u"publish")),
                        false);
        } else if (status == 429) {
            // Over the server's publishing rate: the outbox sends it again after its back-off.
            const QByteArray after = r.header("retry-after");
            emit failed(clientMsgId,
                        after.isEmpty() ? QStringLiteral("publish rate limited (429)")
                                        : QStringLiteral("publish rate limited (429): retry after %1 s")
                                                  .arg(QString::fromLatin1(after)),
                        true);
        } else {
            emit failed(clientMsgId,
                        QStringLiteral("publish refused: HTTP %1 %2")
                                .arg(status)
                                .arg(answer.value(QLatin1String("error")).toString()),
                        false);
        }
        next();
    });
    connect(&m_connection, &HttpClientConnection::bodyReceived, this,
            [this](const QByteArray &b) { m_lastBody += b.left(4096 - m_lastBody.size()); });
    connect(&m_connection, &HttpClientConnection::failed, this, [this](const QString &why) {
        // Not sent, or no answer: the message may or may not be in the log. Sending it again is
        // safe only with a clientMsgId (the server publishes one once); the caller decides.
        m_timeout.stop();
        m_lastBody.clear();
        failAll(QStringLiteral("publish failed: %1").arg(why));
    });
}

bool HttpPublisher::publish(const PublishRequest &request)
{
    if (qsizetype(m_queue.size()) >= MaxQueued) {
        emit failed(request.clientMsgId, QStringLiteral("publish queue full (%1 waiting)").arg(MaxQueued), true);
        return false;
    }
    m_queue.push_back({ request.clientMsgId, MessageCodec::encodePublish(request) });
    m_stats->publishes++;
    if (m_queue.size() == 1)
        next();
    return true;
}

void HttpPublisher::failAll(const QString &reason)
{
    // Copied out first: a slot may publish again while we report.
    std::deque<Pending> gone;
    gone.swap(m_queue);
    for (const Pending &p : gone)
        emit failed(p.clientMsgId, reason, true);
}

void HttpPublisher::next()
{
    if (m_queue.empty() || m_connection.isBusy())
        return;
    HttpClientConnection::Request r;
    r.method = "POST";
    r.target = "/send";
    r.headers = { { "Content-Type", "application/json" } };
    r.body = m_queue.front().body;
    r.captureKind = WireExchange::Kind::Publish;
    m_stats->httpRequests++;
    m_stats->publishRequests++;
    m_timeout.start(TimeoutMs);
    m_connection.send(r);
}

} // namespace rtlab
