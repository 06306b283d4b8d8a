// SPDX-License-Identifier: MIT
#include "connectedclientsmodel.h"

#include "connectionevent.h"

#include <QDateTime>

#include <algorithm>

namespace rtlab {

static constexpr int MaxRows = 500; // the server's own bound; more is ignored

ConnectedClientsModel::ConnectedClientsModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_poller.setTarget("/stats?clients=1");
    m_poller.setInterval(1000);
    connect(&m_poller, &StatsPoller::updated, this, [this] { setStats(m_poller.latest().value_or(StatsSnapshot())); });
}

void ConnectedClientsModel::setServer(const QUrl &server, const QByteArray &token)
{
    m_poller.setServer(server);
    m_poller.setToken(token);
    setStats(StatsSnapshot());
    if (m_active)
        m_poller.start();
}

void ConnectedClientsModel::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    if (active)
        m_poller.start();
    else
        m_poller.stop();
}

void ConnectedClientsModel::setStats(const StatsSnapshot &stats)
{
    QList<Row> rows;
    for (const StatsSnapshot::Client &c : stats.clients.value_or(QList<StatsSnapshot::Client>())) {
        if (rows.size() >= MaxRows)
            break;
        rows.append({ c.transport, c.peer, c.since, c.messages });
    }
    // Grouped in TransportKind's order (long polling, SSE, WebSocket, short polling), oldest first.
    std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
        return std::pair(a.transport, a.since) < std::pair(b.transport, b.since);
    });
    for (int i = 0; i < TransportKindCount; ++i)
        m_counts[size_t(i)] = stats.transports[size_t(i)].connections;
    m_truncated = stats.clientsTruncated;
    const bool sameShape = rows.size() == m_rows.size();
    if (sameShape) {
        m_rows = rows;
        if (!m_rows.isEmpty())
            emit dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    } else {
        beginResetModel();
        m_rows = rows;
        endResetModel();
    }
    emit updated();
}

QString ConnectedClientsModel::transportKey(int row) const
{
    return row >= 0 && row < m_rows.size() ? transportKindKey(m_rows[row].transport) : QString();
}

int ConnectedClientsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConnectedClientsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectedClientsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row &r = m_rows[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case TransportColumn: return transportKindLabel(r.transport);
        case PeerColumn: return r.peer.isEmpty() ? tr("unknown") : r.peer;
        case SinceColumn: return QDateTime::fromMSecsSinceEpoch(r.since).toString(QStringLiteral("HH:mm:ss"));
        case MessagesColumn: return r.messages;
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole && index.column() == SinceColumn)
        return QDateTime::fromMSecsSinceEpoch(r.since).toString(Qt::ISODate);
    if (role == Qt::TextAlignmentRole && index.column() == MessagesColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ConnectedClientsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TransportColumn: return tr("Transport");
    case PeerColumn: return tr("Client address");
    case SinceColumn: return tr("Connected since");
    case MessagesColumn: return tr("Messages delivered");
    default: return {};
    }
}

} // namespace rtlab
