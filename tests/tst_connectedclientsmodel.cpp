// SPDX-License-Identifier: MIT
// Unit tests: ConnectedClientsModel, the Dashboard's client list from /stats?clients=1.
#include "connectedclientsmodel.h"

#include <QSignalSpy>
#include <QTest>

using namespace rtlab;

class tst_ConnectedClientsModel : public QObject
{
    Q_OBJECT
private slots:
    void groupsByTransportOldestFirst();
    void countsAndTruncation();
    void emptyAnswerClears();
};

static StatsSnapshot::Client client(const char *transport, const char *peer, qint64 since, qint64 messages)
{
    StatsSnapshot::Client c;
    const bool known = transportKindFromKey(QString::fromLatin1(transport), &c.transport);
    Q_ASSERT(known);
    Q_UNUSED(known);
    c.peer = QLatin1String(peer);
    c.since = since;
    c.messages = messages;
    return c;
}

static StatsSnapshot stats(const QList<StatsSnapshot::Client> &clients, qint64 truncated = 0)
{
    StatsSnapshot s;
    for (TransportKind k : { TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket }) {
        qint64 n = 0;
        for (const StatsSnapshot::Client &c : clients)
            n += c.transport == k;
        s.at(k).connections = n + (k == TransportKind::WebSocket ? truncated : 0);
    }
    s.clients = clients;
    s.clientsTruncated = truncated;
    return s;
}

void tst_ConnectedClientsModel::groupsByTransportOldestFirst()
{
    ConnectedClientsModel m;
    QSignalSpy updated(&m, &ConnectedClientsModel::updated);
    m.setStats(stats({ client("ws", "10.0.0.2:1", 300, 5), client("lp", "10.0.0.3:2", 400, 1),
                       client("sse", "[fe80::1]:3", 200, 7), client("lp", "10.0.0.4:4", 100, 9) }));
    QCOMPARE(updated.size(), 1);
    QCOMPARE(m.rowCount(), 4);
    QCOMPARE(m.columnCount(), int(ConnectedClientsModel::ColumnCount));
    const QStringList order { m.transportKey(0), m.transportKey(1), m.transportKey(2), m.transportKey(3) };
    QCOMPARE(order,
             QStringList({ QStringLiteral("lp"), QStringLiteral("lp"), QStringLiteral("sse"), QStringLiteral("ws") }));
    // Within a group, the oldest first.
    QCOMPARE(m.index(0, ConnectedClientsModel::PeerColumn).data().toString(), QStringLiteral("10.0.0.4:4"));
    QCOMPARE(m.index(1, ConnectedClientsModel::PeerColumn).data().toString(), QStringLiteral("10.0.0.3:2"));
    QCOMPARE(m.index(2, ConnectedClientsModel::TransportColumn).data().toString(), QStringLiteral("SSE"));
    QCOMPARE(m.index(2, ConnectedClientsModel::PeerColumn).data().toString(), QStringLiteral("[fe80::1]:3"));
    QCOMPARE(m.index(3, ConnectedClientsModel::MessagesColumn).data().toLongLong(), 5);
    QVERIFY(!m.headerData(ConnectedClientsModel::SinceColumn, Qt::Horizontal).toString().isEmpty());
}

void tst_ConnectedClientsModel::countsAndTruncation()
{
    ConnectedClientsModel m;
    m.setStats(stats({ client("ws", "a:1", 1, 0), client("sse", "b:2", 2, 0) }, 600));
    QCOMPARE(m.count(TransportKind::WebSocket), 601);
    QCOMPARE(m.count(TransportKind::Sse), 1);
    QCOMPARE(m.count(TransportKind::LongPoll), 0);
    QCOMPARE(m.truncated(), 600);
}

void tst_ConnectedClientsModel::emptyAnswerClears()
{
    ConnectedClientsModel m;
    m.setStats(stats({ client("ws", "a:1", 1, 0) }));
    QCOMPARE(m.rowCount(), 1);
    m.setStats({});
    QCOMPARE(m.rowCount(), 0);
    QCOMPARE(m.count(TransportKind::WebSocket), 0);
    QVERIFY(!m.isActive());
}

QTEST_GUILESS_MAIN(tst_ConnectedClientsModel)
#include "tst_connectedclientsmodel.moc"
