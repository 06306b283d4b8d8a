// SPDX-License-Identifier: MIT
#pragma once

#include "wirecontract.h"

#include <QAbstractTableModel>

#include <array>

namespace rtlab {

// The Dashboard on a cluster: several rtlab-servers (nodes) on one shared log each publish their
// own ticks into it, named by TickData::node, so a client on any node hears every node. One row
// per node with its latest figures, and a last row with the cluster's. A node that has been silent
// for StaleMs (dead, or cut off from Redis) stays listed, marked, but leaves the total: its last
// figures are not the cluster's now. A single server's ticks carry no node: the model stays empty.
//
// messagesPerSec is the shared log's rate, which every node sees whole: the total shows it once
// (the highest a live node reports), not the sum. Connections, held polls, bytes out and memory add up.
class ClusterNodesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NodeColumn, ConnectionsColumn, MessagesColumn, RssColumn, LastTickColumn, ColumnCount };
    static constexpr qint64 StaleMs = 5000;
    static constexpr int MaxNodes = 64; // more distinct names than a cluster has: the oldest goes

    struct Figures
    {
        std::array<qint64, TransportKindCount> connections {};
        std::array<double, TransportKindCount> bytesPerSec {}; // since the node's previous tick
        qint64 heldPolls = 0;
        double messagesPerSec = 0;
        qint64 rss = 0;
        qint64 connectionsTotal() const;
    };

    explicit ClusterNodesModel(QObject *parent = nullptr);

    // A tick of the node named in `tick` (ignored without a node), sent at tMs (server clock, ms).
    void addTick(qint64 tMs, const TickData &tick);
    void clear();

    bool isCluster() const { return !m_nodes.isEmpty(); }
    int nodeCount() const { return int(m_nodes.size()); }
    QString nodeName(int row) const;
    const Figures *node(const QString &name) const;
    bool isStale(const QString &name) const;
    // The sum over live nodes (see the class comment for messages per second).
    Figures total() const;
    int liveNodes() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node
    {
        QString name;
        Figures figures;
        std::array<qint64, TransportKindCount> bytesOut {};
        qint64 lastTickMs = 0;
    };
    bool staleAt(const Node &n) const { return m_newestMs - n.lastTickMs > StaleMs; }

    QList<Node> m_nodes;   // by name
    qint64 m_newestMs = 0; // the newest tick of any node: "now" on the servers' clock
};

} // namespace rtlab
