// SPDX-License-Identifier: MIT
#include "clusternodesmodel.h"

#include <algorithm>
#include <numeric>

namespace rtlab {

qint64 ClusterNodesModel::Figures::connectionsTotal() const
{
    return std::accumulate(connections.cbegin(), connections.cend(), qint64(0));
}

ClusterNodesModel::ClusterNodesModel(QObject *parent) : QAbstractTableModel(parent) { }

void ClusterNodesModel::addTick(qint64 tMs, const TickData &tick)
{
    if (tick.node.isEmpty())
        return;
    const bool wasStale = std::any_of(m_nodes.cbegin(), m_nodes.cend(), [this](const Node &n) { return staleAt(n); });
    m_newestMs = qMax(m_newestMs, tMs);
    auto it = std::lower_bound(m_nodes.begin(), m_nodes.end(), tick.node,
                               [](const Node &n, const QString &name) { return n.name < name; });
    if (it == m_nodes.end() || it->name != tick.node) {
        if (m_nodes.size() >= MaxNodes) {
            // A bounded list: the node silent the longest makes room.
            const auto oldest = std::min_element(m_nodes.cbegin(), m_nodes.cend(), [](const Node &a, const Node &b) {
                return a.lastTickMs < b.lastTickMs;
            });
            const int row = int(oldest - m_nodes.cbegin());
            beginRemoveRows({}, row, row);
            m_nodes.removeAt(row);
            endRemoveRows();
            it = std::lower_bound(m_nodes.begin(), m_nodes.end(), tick.node,
                                  [](const Node &n, const QString &name) { return n.name < name; });
        }
        const int row = int(it - m_nodes.begin());
        const bool first = m_nodes.isEmpty();
        if (first)
            beginResetModel(); // the total row comes with the first node
        else
            beginInsertRows({}, row, row);
        Node n;
        n.name = tick.node;
        it = m_nodes.insert(it, n);
        if (first)
            endResetModel();
        else
            endInsertRows();
    }
    Node &n = *it;
    Figures f;
    f.connections = tick.connections;
    f.heldPolls = tick.heldPolls;
    f.messagesPerSec = tick.messagesPerSec;
    f.rss = tick.rss;
    for (size_t i = 0; i < f.bytesPerSec.size(); ++i) {
        // A rate per node: each node counts its own bytes since it started.
        const qint64 delta = tick.bytesOut[i] - n.bytesOut[i];
        if (n.lastTickMs > 0 && tMs > n.lastTickMs && delta >= 0)
            f.bytesPerSec[i] = double(delta) * 1000.0 / double(tMs - n.lastTickMs);
        n.bytesOut[i] = tick.bytesOut[i];
    }
    n.figures = f;
    n.lastTickMs = qMax(n.lastTickMs, tMs);
    const bool isStale = std::any_of(m_nodes.cbegin(), m_nodes.cend(), [this](const Node &x) { return staleAt(x); });
    if (wasStale || isStale)
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1)); // marks and the total
    else {
        const int row = int(it - m_nodes.begin());
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        emit dataChanged(index(rowCount() - 1, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

void ClusterNodesModel::clear()
{
    beginResetModel();
    m_nodes.clear();
    m_newestMs = 0;
    endResetModel();
}

QString ClusterNodesModel::nodeName(int row) const
{
    return row >= 0 && row < m_nodes.size() ? m_nodes.at(row).name : QString();
}

const ClusterNodesModel::Figures *ClusterNodesModel::node(const QString &name) const
{
    for (const Node &n : m_nodes)
        if (n.name == name)
            return &n.figures;
    return nullptr;
}

bool ClusterNodesModel::isStale(const QString &name) const
{
    for (const Node &n : m_nodes)
        if (n.name == name)
            return staleAt(n);
    return false;
}

int ClusterNodesModel::liveNodes() const
{
    return int(std::count_if(m_nodes.cbegin(), m_nodes.cend(), [this](const Node &n) { return !staleAt(n); }));
}

ClusterNodesModel::Figures ClusterNodesModel::total() const
{
    Figures t;
    for (const Node &n : m_nodes) {
        if (staleAt(n))
            continue;
        for (size_t i = 0; i < t.connections.size(); ++i) {
            t.connections[i] += n.figures.connections[i];
            t.bytesPerSec[i] += n.figures.bytesPerSec[i];
        }
        t.heldPolls += n.figures.heldPolls;
        t.rss += n.figures.rss;
        t.messagesPerSec = qMax(t.messagesPerSec, n.figures.messagesPerSec);
    }
    return t;
}

int ClusterNodesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || m_nodes.isEmpty() ? 0 : int(m_nodes.size()) + 1;
}

int ClusterNodesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

static QString mebibytes(qint64 bytes)
{
    return QStringLiteral("%1 MiB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

QVariant ClusterNodesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const bool totalRow = index.row() == m_nodes.size();
    const Node *n = totalRow ? nullptr : &m_nodes.at(index.row());
    const bool stale = n && staleAt(*n);
    const Figures f = totalRow ? total() : n->figures;
    if (role == Qt::TextAlignmentRole)
        return index.column() == NodeColumn ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole && stale)
        return tr("No tick from this node for over %1 s: it is down or cut off from the log. "
                  "Its last figures are shown, and left out of the cluster's total.")
                .arg(StaleMs / 1000);
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(index.column())) {
    case NodeColumn:
        if (totalRow)
            return liveNodes() == 1 ? tr("Cluster (1 live node)") : tr("Cluster (%1 live nodes)").arg(liveNodes());
        return stale ? tr("%1 (silent)").arg(n->name) : n->name;
    case ConnectionsColumn: return f.connectionsTotal();
    case MessagesColumn: return QString::number(f.messagesPerSec, 'f', 1);
    case RssColumn: return mebibytes(f.rss);
    case LastTickColumn:
        if (totalRow)
            return {};
        return tr("%1 s ago").arg(double(m_newestMs - n->lastTickMs) / 1000.0, 0, 'f', 1);
    case ColumnCount: break;
    }
    return {};
}

QVariant ClusterNodesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case NodeColumn: return tr("Node");
    case ConnectionsColumn: return tr("Connections");
    case MessagesColumn: return tr("Messages/s");
    case RssColumn: return tr("Memory");
    case LastTickColumn: return tr("Last tick");
    case ColumnCount: break;
    }
    return {};
}

} // namespace rtlab
