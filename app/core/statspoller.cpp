// SPDX-License-Identifier: MIT
#include "statspoller.h"

#include <QJsonDocument>

namespace rtlab {

StatsPoller::StatsPoller(QObject *parent) : QObject(parent)
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &StatsPoller::poll);
    connect(&m_connection, &HttpClientConnection::bodyReceived, this, [this](const QByteArray &b) {
        if (m_body.size() < 1024 * 1024)
            m_body += b;
    });
    connect(&m_connection, &HttpClientConnection::responseFinished, this, [this] {
        std::optional<StatsSnapshot> stats = StatsSnapshot::fromJson(QJsonDocument::fromJson(m_body).object());
        m_body.clear();
        if (!stats)
            return; // not a /stats answer (an error page, another server): keep the last one
        m_previous = std::exchange(m_latest, std::move(stats));
        m_intervalMs = m_previous ? m_latest->uptimeMs - m_previous->uptimeMs : 0;
        emit updated();
    });
    connect(&m_connection, &HttpClientConnection::failed, this, [this] { m_body.clear(); });
}

void StatsPoller::setServer(const QUrl &server)
{
    m_connection.setServer(server);
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
    m_connection.send(r);
}

} // namespace rtlab
