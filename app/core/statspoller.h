// SPDX-License-Identifier: MIT
#pragma once

#include "httpclientconnection.h"
#include "wirecontract.h"

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
    // The token for a server started with --auth-key, where /stats needs the "stats" permission
    // (empty: none). It applies from the next request.
    void setToken(const QByteArray &token) { m_connection.setBearerToken(token); }
    void start()
    {
        m_timer.start();
        poll();
    }
    void stop() { m_timer.stop(); }
    // The latest answer that read as a /stats snapshot (nullopt: none yet).
    const std::optional<StatsSnapshot> &latest() const { return m_latest; }
    // The previous one, and the milliseconds between the two: for rates.
    const std::optional<StatsSnapshot> &previous() const { return m_previous; }
    qint64 intervalMs() const { return m_intervalMs; }
    // Why the server refused the last request (401: no valid token, 403: the token lacks "stats"),
    // in its words; empty when it answered. While refused there are no figures: none are shown as
    // if they were current.
    QString refusal() const { return m_refusal; }
    int refusedStatus() const { return m_refusedStatus; }

signals:
    void updated();

private:
    void poll();

    HttpClientConnection m_connection;
    QTimer m_timer;
    QByteArray m_body;
    QByteArray m_target = "/stats";
    int m_status = 0; // the answer in flight's
    QString m_refusal;
    int m_refusedStatus = 0;
    std::optional<StatsSnapshot> m_latest;
    std::optional<StatsSnapshot> m_previous;
    qint64 m_intervalMs = 0;
};

} // namespace rtlab
