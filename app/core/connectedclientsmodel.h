// SPDX-License-Identifier: MIT
#pragma once

#include "statspoller.h"
#include "wirecontract.h"

#include <QAbstractTableModel>
#include <QJsonObject>

#include <array>

namespace rtlab {

// The server's connected clients (GET /stats?clients=1), one row each, grouped by transport
// (long polling, SSE, WebSocket) and oldest first within a group. The counts per transport are
// the server's own (they include clients beyond the listed 500). Polls only while active: a
// hidden Dashboard costs the server nothing.
class ConnectedClientsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TransportColumn, PeerColumn, SinceColumn, MessagesColumn, ColumnCount };

    explicit ConnectedClientsModel(QObject *parent = nullptr);

    // `token`: the one the chat client connected with (empty: none); /stats needs its "stats".
    void setServer(const QUrl &server, const QByteArray &token = {});
    void setActive(bool active);
    bool isActive() const { return m_active; }
    // One /stats?clients=1 answer: the rows and counts are replaced by its.
    void setStats(const StatsSnapshot &stats);

    // Connections open now on a transport, as /stats counts them.
    qint64 count(TransportKind kind) const { return m_counts[size_t(kind)]; }
    // Clients the server left out of its list (it lists at most 500).
    qint64 truncated() const { return m_truncated; }
    // Why the server refused to list its clients (401/403, in its words); empty when it answered.
    QString refusal() const { return m_poller.refusal(); }
    int refusedStatus() const { return m_poller.refusedStatus(); }
    // The transport key of a row ("lp", "sse", "ws", "poll").
    QString transportKey(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // New figures arrived (the rows may be the same).
    void updated();

private:
    struct Row
    {
        TransportKind transport;
        QString peer;
        qint64 since = 0; // ms since the Unix epoch
        qint64 messages = 0;
    };
    StatsPoller m_poller;
    QList<Row> m_rows;
    std::array<qint64, TransportKindCount> m_counts {};
    qint64 m_truncated = 0;
    bool m_active = false;
};

} // namespace rtlab
