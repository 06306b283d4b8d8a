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
        const QJsonObject o = QJsonDocument::fromJson(m_body).object();
        m_body.clear();
        if (o.isEmpty())
            return;
        m_previous = m_latest;
        m_latest = o;
        m_intervalMs = m_latest.value(QLatin1String("uptimeMs")).toInteger()
                - m_previous.value(QLatin1String("uptimeMs")).toInteger();
        emit updated();
    });
    connect(&m_connection, &HttpClientConnection::failed, this, [this] { m_body.clear(); });
}

void StatsPoller::setServer(const QUrl &server)
{
    m_connection.setServer(server);
    m_latest = m_previous = {};
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

qint64 StatsPoller::transportValue(const QString &key, const QString &field) const
{
    return m_latest.value(QLatin1String("transports")).toObject().value(key).toObject().value(field).toInteger();
}

double StatsPoller::transportRate(const QString &key, const QString &field) const
{
    if (m_intervalMs <= 0 || m_previous.isEmpty())
        return 0;
    const qint64 before =
            m_previous.value(QLatin1String("transports")).toObject().value(key).toObject().value(field).toInteger();
    return double(transportValue(key, field) - before) * 1000.0 / double(m_intervalMs);
}

} // namespace rtlab
