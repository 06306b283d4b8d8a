// SPDX-License-Identifier: MIT
// The Dashboard's per-node model: ticks that name their node (a cluster on one shared log) give a
// row per node and the cluster's total; a single server's ticks (no node) leave it empty.
#include "clusternodesmodel.h"

#include <QTest>

using namespace rtlab;

namespace {

constexpr qint64 MiB = 1024 * 1024;

TickData tick(const QString &node, std::array<qint64, TransportKindCount> connections, double rate, qint64 rss,
              qint64 wsBytes = 0)
{
    TickData t;
    t.node = node;
    t.connections = connections;
    t.messagesPerSec = rate;
    t.rss = rss;
    t.bytesOut[size_t(TransportKind::WebSocket)] = wsBytes;
    return t;
}

QString cell(const ClusterNodesModel &m, int row, int column)
{
    return m.data(m.index(row, column)).toString();
}

} // namespace

class tst_ClusterNodesModel : public QObject
{
    Q_OBJECT
private slots:
    void aSingleServerLeavesItEmpty();
    void eachNodeAndTheClusterTotal();
    void bytesPerSecondIsEachNodesOwnRate();
    void aSilentNodeLeavesTheTotal();
    void theListIsBounded();
};

void tst_ClusterNodesModel::aSingleServerLeavesItEmpty()
{
    ClusterNodesModel m;
    m.addTick(1000, tick({}, { 1, 2, 3, 0 }, 4, 10 * MiB));
    QVERIFY(!m.isCluster());
    QCOMPARE(m.rowCount(), 0);
}

void tst_ClusterNodesModel::eachNodeAndTheClusterTotal()
{
    ClusterNodesModel m;
    m.addTick(1000, tick(QStringLiteral("node-b"), { 0, 1, 1, 0 }, 5.1, 20 * MiB));
    m.addTick(1000, tick(QStringLiteral("node-a"), { 1, 2, 3, 1 }, 5.0, 10 * MiB));
    QVERIFY(m.isCluster());
    QCOMPARE(m.rowCount(), 3); // a, b, the cluster
    QCOMPARE(cell(m, 0, ClusterNodesModel::NodeColumn), QStringLiteral("node-a"));
    QCOMPARE(cell(m, 0, ClusterNodesModel::ConnectionsColumn), QStringLiteral("7"));
    QCOMPARE(cell(m, 1, ClusterNodesModel::NodeColumn), QStringLiteral("node-b"));
    QCOMPARE(cell(m, 1, ClusterNodesModel::RssColumn), QStringLiteral("20.0 MiB"));
    QCOMPARE(cell(m, 2, ClusterNodesModel::NodeColumn), QStringLiteral("Cluster (2 live nodes)"));
    QCOMPARE(cell(m, 2, ClusterNodesModel::ConnectionsColumn), QStringLiteral("9"));
    QCOMPARE(cell(m, 2, ClusterNodesModel::RssColumn), QStringLiteral("30.0 MiB"));
    // Every node sees the whole shared log: its rate counts once, not once per node.
    QCOMPARE(cell(m, 2, ClusterNodesModel::MessagesColumn), QStringLiteral("5.1"));
    const ClusterNodesModel::Figures total = m.total();
    QCOMPARE(total.connections[size_t(TransportKind::WebSocket)], 4);
    QCOMPARE(total.rss, 30 * MiB);

    // A node's next tick replaces its figures.
    m.addTick(1200, tick(QStringLiteral("node-a"), { 0, 0, 0, 0 }, 5.0, 10 * MiB));
    QCOMPARE(m.rowCount(), 3);
    QCOMPARE(m.total().connectionsTotal(), 2);
}

// Each node counts the bytes it wrote since it started: a rate per node, then the sum.
void tst_ClusterNodesModel::bytesPerSecondIsEachNodesOwnRate()
{
    ClusterNodesModel m;
    m.addTick(1000, tick(QStringLiteral("a"), {}, 0, 0, 1000000));
    m.addTick(1000, tick(QStringLiteral("b"), {}, 0, 0, 10));
    m.addTick(2000, tick(QStringLiteral("a"), {}, 0, 0, 1002000));
    m.addTick(1500, tick(QStringLiteral("b"), {}, 0, 0, 510));
    QCOMPARE(m.node(QStringLiteral("a"))->bytesPerSec[size_t(TransportKind::WebSocket)], 2000.0);
    QCOMPARE(m.node(QStringLiteral("b"))->bytesPerSec[size_t(TransportKind::WebSocket)], 1000.0);
    QCOMPARE(m.total().bytesPerSec[size_t(TransportKind::WebSocket)], 3000.0);
}

// A node that stopped ticking (killed, or cut off from Redis) stays listed, marked, and leaves the
// total; its next tick brings it back.
void tst_ClusterNodesModel::aSilentNodeLeavesTheTotal()
{
    ClusterNodesModel m;
    m.addTick(1000, tick(QStringLiteral("a"), { 5, 0, 0, 0 }, 1, MiB));
    m.addTick(1000, tick(QStringLiteral("b"), { 0, 3, 0, 0 }, 1, MiB));
    m.addTick(1000 + ClusterNodesModel::StaleMs + 1, tick(QStringLiteral("b"), { 0, 4, 0, 0 }, 1, MiB));
    QVERIFY(m.isStale(QStringLiteral("a")));
    QVERIFY(!m.isStale(QStringLiteral("b")));
    QCOMPARE(m.liveNodes(), 1);
    QCOMPARE(m.total().connectionsTotal(), 4);
    QCOMPARE(cell(m, 0, ClusterNodesModel::NodeColumn), QStringLiteral("a (silent)"));
    QVERIFY(!m.data(m.index(0, 0), Qt::ToolTipRole).toString().isEmpty());
    QCOMPARE(cell(m, 2, ClusterNodesModel::NodeColumn), QStringLiteral("Cluster (1 live node)"));
    m.addTick(1000 + ClusterNodesModel::StaleMs + 2, tick(QStringLiteral("a"), { 1, 0, 0, 0 }, 1, MiB));
    QCOMPARE(m.total().connectionsTotal(), 5);
    m.clear();
    QCOMPARE(m.rowCount(), 0);
}

void tst_ClusterNodesModel::theListIsBounded()
{
    ClusterNodesModel m;
    for (int i = 0; i < ClusterNodesModel::MaxNodes + 10; ++i)
        m.addTick(1000 + i, tick(QStringLiteral("n%1").arg(i, 3, 10, QLatin1Char('0')), { 1, 0, 0, 0 }, 0, 0));
    QCOMPARE(m.nodeCount(), ClusterNodesModel::MaxNodes);
    QCOMPARE(m.nodeName(0), QStringLiteral("n010")); // the oldest made room
}

QTEST_GUILESS_MAIN(tst_ClusterNodesModel)
#include "tst_clusternodesmodel.moc"
