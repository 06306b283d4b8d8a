// SPDX-License-Identifier: MIT
// --reuse-port: several servers (nodes of one log) listen on one port of one machine, and the
// kernel spreads the connections over them; without it a second server on the port is refused
// with a message that says why. On the core under test (RTLAB_TEST_CORE). And the default node
// name, HOSTNAME:PORT.
#include "testsupport.h"

#include <QSysInfo>

using namespace rtlab;
using namespace rtlab::test;

namespace {

ServerConfig nodeConfig(quint16 port, bool reusePort)
{
    ServerConfig c = quietConfig();
    c.core = testCore();
    c.host = QStringLiteral("127.0.0.1");
    c.port = port;
    c.reusePort = reusePort;
    return c;
}

} // namespace

class tst_ReusePort : public QObject
{
    Q_OBJECT
private slots:
    void twoNodesShareThePort();
    void withoutReusePortTheSecondIsRefused_data();
    void withoutReusePortTheSecondIsRefused();
    void defaultNodeName();
};

void tst_ReusePort::twoNodesShareThePort()
{
    Server a(nodeConfig(0, true));
    QString error;
    QVERIFY2(a.listen(&error), qPrintable(error));
    const quint16 port = a.port();
    Server b(nodeConfig(port, true));
    QVERIFY2(b.listen(&error), qPrintable(error));
    QCOMPARE(b.port(), port);
    // The kernel picks a listener per connection by a hash of its addresses: new connections
    // (each from another source port) reach both before long. Bounded: 64 connections.
    const auto served = [](Server &s) { return s.hub()->stats().other.requests; };
    int connections = 0;
    while (connections < 64 && (served(a) == 0 || served(b) == 0)) {
        const RawResponse r = request(port, "GET", "/healthz");
        QCOMPARE(r.status, 200);
        ++connections;
    }
    QVERIFY2(
            served(a) > 0 && served(b) > 0,
            qPrintable(
                    QStringLiteral("after %1 connections: a %2, b %3").arg(connections).arg(served(a)).arg(served(b))));
    QCOMPARE(served(a) + served(b), qint64(connections));
}

void tst_ReusePort::withoutReusePortTheSecondIsRefused_data()
{
    QTest::addColumn<bool>("firstReuses");
    QTest::addColumn<bool>("secondReuses");
    QTest::newRow("neither") << false << false;
    QTest::newRow("only the first") << true << false;
    QTest::newRow("only the second") << false << true;
}

void tst_ReusePort::withoutReusePortTheSecondIsRefused()
{
    QFETCH(bool, firstReuses);
    QFETCH(bool, secondReuses);
    Server a(nodeConfig(0, firstReuses));
    QString error;
    QVERIFY2(a.listen(&error), qPrintable(error));
    Server b(nodeConfig(a.port(), secondReuses));
    QVERIFY(!b.listen(&error));
    QVERIFY2(error.contains(QStringLiteral("in use")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("--reuse-port")), qPrintable(error));
    // The first goes on serving.
    QCOMPARE(request(a.port(), "GET", "/healthz").status, 200);
}

void tst_ReusePort::defaultNodeName()
{
    const QString host = QSysInfo::machineHostName();
    ServerConfig c;
    c.store.kind = StoreSpec::Kind::Redis;
    c.port = 8080;
    QCOMPARE(Server::withDefaultNodeName(c).store.nodeName, host + QStringLiteral(":8080"));
    // The port does not tell this machine's nodes apart: the process id does.
    const QString pid = QString::number(QCoreApplication::applicationPid());
    c.reusePort = true;
    QCOMPARE(Server::withDefaultNodeName(c).store.nodeName, host + QStringLiteral(":8080-") + pid);
    c.reusePort = false;
    c.port = 0;
    QCOMPARE(Server::withDefaultNodeName(c).store.nodeName, host + QStringLiteral(":0-") + pid);
    // Given: kept. Not a shared store: none.
    c.store.nodeName = QStringLiteral("A");
    QCOMPARE(Server::withDefaultNodeName(c).store.nodeName, QStringLiteral("A"));
    ServerConfig memory;
    QCOMPARE(Server::withDefaultNodeName(memory).store.nodeName, QString());
}

QTEST_MAIN(tst_ReusePort)
#include "tst_reuseport.moc"
