// SPDX-License-Identifier: MIT
#include "connectedclientsmodel.h"

#include "connectionevent.h"

#include <QDateTime>
#include <QJsonArray>

#include <algorithm>

namespace rtlab {

static constexpr int MaxRows = 500; // the server's own bound; more is ignored

ConnectedClientsModel::ConnectedClientsModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_poller.setTarget("/stats?clients=1");
    m_poller.setInterval(1000);
    connect(&m_poller, &StatsPoller::updated, this, [this] { setStats(m_poller.latest()); });
}

void ConnectedClientsModel::setServer(const QUrl &server)
{
    m_poller.setServer(server);
    setStats({});
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

static int groupOf(const QString &key)
{
    for (size_t i = 0; i < ConnectedClientsModel::TransportKeys.size(); ++i)
        if (key == QLatin1String(ConnectedClientsModel::TransportKeys[i]))
            return int(i);
    return int(ConnectedClientsModel::TransportKeys.size());
}

void ConnectedClientsModel::setStats(const QJsonObject &stats)
{
    QList<Row> rows;
    const QJsonArray clients = stats.value(QLatin1String("clients")).toArray();
    for (const QJsonValue &v : clients) {
        if (rows.size() >= MaxRows)
            break;
        const QJsonObject o = v.toObject();
        rows.append({ o.value(QLatin1String("transport")).toString(), o.value(QLatin1String("peer")).toString(),
                      o.value(QLatin1String("since")).toInteger(), o.value(QLatin1String("messages")).toInteger() });
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row &a, const Row &b) {
        return std::pair(groupOf(a.transport), a.since) < std::pair(groupOf(b.transport), b.since);
    });
    m_counts = stats.value(QLatin1String("transports")).toObject();
    m_truncated = stats.value(QLatin1String("clientsTruncated")).toInteger();
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

qint64 ConnectedClientsModel::count(const QString &transportKey) const
{
    return m_counts.value(transportKey).toObject().value(QLatin1String("connections")).toInteger();
}

QString ConnectedClientsModel::transportKey(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].transport : QString();
}

QString ConnectedClientsModel::transportLabel(const QString &key)
{
    TransportKind kind;
    return transportKindFromKey(key, &kind) ? transportKindLabel(kind) : key;
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
        case TransportColumn: return transportLabel(r.transport);
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
