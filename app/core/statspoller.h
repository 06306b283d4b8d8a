// SPDX-License-Identifier: MIT
#pragma once

#include "httpclientconnection.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

namespace rtlab {

// Reads the server's own figures (GET /stats) on a timer, over one keep-alive connection.
class StatsPoller : public QObject
{
    Q_OBJECT
public:
    explicit StatsPoller(QObject *parent = nullptr);
    void setServer(const QUrl &server);
    void setInterval(int ms) { m_timer.setInterval(ms); }
    // The request target (default "/stats"); e.g. "/stats?clients=1" for the client list.
    void setTarget(const QByteArray &target) { m_target = target; }
    void start()
    {
        m_timer.start();
        poll();
    }
    void stop() { m_timer.stop(); }
    QJsonObject latest() const { return m_latest; }
    // The previous sample, and the milliseconds between the two: for rates.
    QJsonObject previous() const { return m_previous; }
    qint64 intervalMs() const { return m_intervalMs; }
    // A counter under transports.<key>.<field> of the latest sample, and its rate per second.
    qint64 transportValue(const QString &key, const QString &field) const;
    double transportRate(const QString &key, const QString &field) const;

signals:
    void updated();

private:
    void poll();

    HttpClientConnection m_connection;
    QTimer m_timer;
    QByteArray m_body;
    QByteArray m_target = "/stats";
    QJsonObject m_latest;
    QJsonObject m_previous;
    qint64 m_intervalMs = 0;
};

} // namespace rtlab
