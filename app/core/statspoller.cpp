// SPDX-License-Identifier: MIT
#include "statspoller.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rtlab {

StatsPoller::StatsPoller(QObject *parent) : QObject(parent)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &StatsPoller::poll);
    connect(&m_connection, &HttpClientConnection::bodyReceived, this, [this](const QByteArray &b) {
        if (m_body.size() < 1024 * 1024)
            m_body += b;
    });
    connect(&m_connection, &HttpClientConnection::responseHeadReceived, this,
            [this] { m_status = m_connection.response().status(); });
    connect(&m_connection, &HttpClientConnection::responseFinished, this, [this] {
        const QJsonObject body = QJsonDocument::fromJson(m_body).object();
        m_body.clear();
        if (m_status == 401 || m_status == 403) {
            // Figures from before the refusal would read as current: drop them and say why.
            const bool changed = m_refusedStatus != m_status || m_latest;
            m_refusedStatus = m_status;
            m_refusal = body.value(QLatin1String("error")).toString();
            m_latest.reset();
            m_previous.reset();
            if (changed)
                emit updated();
            return;
        }
        std::optional<StatsSnapshot> stats = StatsSnapshot::fromJson(body);
        if (!stats)
            return; // not a /stats answer (an error page, another server): keep the last one
        m_refusedStatus = 0;
        m_refusal.clear();
        m_previous = std::exchange(m_latest, std::move(stats));
        m_intervalMs = m_previous ? m_latest->uptimeMs - m_previous->uptimeMs : 0;
        emit updated();
    });
    connect(&m_connection, &HttpClientConnection::failed, this, [this] { m_body.clear(); });
}

void StatsPoller::setServer(const QUrl &server)
{
    m_connection.setServer(server);
    m_refusedStatus = 0;
    m_refusal.clear();
    m_latest.reset();
    m_previous.reset();
}

void StatsPoller::poll()
{
    if (m_connection.isBusy())
        return;
    HttpClientConnection::Request r;
    r.target = m_target;
    m_body.clear();
    m_status = 0;
    m_connection.send(r);
}

} // namespace rtlab
