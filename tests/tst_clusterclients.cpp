// SPDX-License-Identifier: MIT
// Client failover on a real cluster: rtlab-server processes on one Redis log (a redis-server the
// test starts). A RealtimeClient given every node's URL moves from a dead or dying node to the
// next and resumes from its (epoch, id) — nothing lost, nothing repeated, on every transport, and
// what it was publishing arrives once — because the nodes share the log's ids: no sticky session.
#include "clientsupport.h"
#include "redistestsupport.h"

#include <QProcess>

#include <csignal>

using namespace rtlab;
using namespace rtlab::test;

namespace {

// One node: rtlab-server --store redis://… --node NAME, as a user runs it, on a free port.
class Node
{
public:
    ~Node() { kill9(); }
    bool start(const QString &redisUrl, const QString &name)
    {
        for (int attempt = 0; attempt < 3 && !running(); ++attempt) {
            m_port = redistest::freePort();
            m_out.clear();
            m_process.setProcessChannelMode(QProcess::MergedChannels);
            m_process.start(QStringLiteral(RTLAB_SERVER_BINARY),
                            { QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                              QString::number(m_port), QStringLiteral("--tick-rate"), QStringLiteral("0"),
                              QStringLiteral("--core"),
                              testCore() == ServerConfig::Core::Qt ? QStringLiteral("qt") : QStringLiteral("epoll"),
                              QStringLiteral("--store"), redisUrl, QStringLiteral("--node"), name });
            const QByteArray line = "listening on http://127.0.0.1:" + QByteArray::number(m_port);
            static_cast<void>(QTest::qWaitFor(
                    [&] {
                        m_out += m_process.readAll();
                        return m_out.contains(line) || m_process.state() == QProcess::NotRunning;
                    },
                    WaitMs));
            if (!m_out.contains(line))
                kill9();
        }
        return running();
    }
    void kill9()
    {
        if (!running())
            return;
        ::kill(pid_t(m_process.processId()), SIGKILL);
        m_process.waitForFinished(WaitMs);
    }
    bool running() const { return m_process.state() == QProcess::Running; }
    quint16 port() const { return m_port; }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    QByteArray output()
    {
        m_out += m_process.readAll();
        return m_out;
    }

private:
    QProcess m_process;
    QByteArray m_out;
    quint16 m_port = 0;
};

// --store for this redis. (Spelt here: RedisServer::url() on 934dabd reads "%1127.0.0.1" as
// placeholder %11 when there is no password.)
QString storeUrl(const redistest::RedisServer &redis)
{
    return QStringLiteral("redis://127.0.0.1:") + QString::number(redis.port());
}

// The log's epoch, as a node names it.
QString epochOf(quint16 port)
{
    return request(port, "GET", "/poll?after=0&timeout=0").json().value(QLatin1String("epoch")).toString();
}

qsizetype chatsWithText(const Recorder &r, const QString &text)
{
    return std::count_if(r.messages.cbegin(), r.messages.cend(),
                         [&](const Message &m) { return m.type == MessageType::Chat && m.text == text; });
}

} // namespace

// Starts a node; skips on a build whose rtlab-server has no Redis store yet.
#define START_NODE(node, redis, name) \
    do { \
        if (!(node).start(storeUrl(redis), QStringLiteral(name))) { \
            if ((node).output().contains("this build has no Redis store")) \
                QSKIP("this build's rtlab-server has no Redis store"); \
            QFAIL((node).output().constData()); \
        } \
    } while (false)

class tst_ClusterClients : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void movesFromADeadNodeAndResumes_data() { addModes(); }
    void movesFromADeadNodeAndResumes();
    void aNodeKilledMidStreamLosesAndRepeatsNothing_data() { addModes(); }
    void aNodeKilledMidStreamLosesAndRepeatsNothing();
};

void tst_ClusterClients::initTestCase()
{
    REDISTEST_REQUIRE_INSTALLED();
}

// The first URL has nothing behind it: the client moves to the second at once and resumes there
// from the (epoch, id) it was given.
void tst_ClusterClients::movesFromADeadNodeAndResumes()
{
    QFETCH(RealtimeClient::Mode, mode);
    redistest::RedisServer redis;
    QString why;
    QVERIFY2(redis.start(&why), qPrintable(why));
    Node b;
    START_NODE(b, redis, "B");
    for (int i = 1; i <= 5; ++i)
        QVERIFY(publish(b.port(), QStringLiteral("m%1").arg(i)));
    const QString epoch = epochOf(b.port());
    QVERIFY(!epoch.isEmpty());

    RealtimeClient client;
    Recorder rec(client);
    const QUrl dead(QStringLiteral("http://127.0.0.1:%1").arg(redistest::freePort()));
    client.setServerUrls({ dead, b.url() });
    client.start(mode, { epoch, 2 });
    QVERIFY(rec.waitChats(3));
    QCOMPARE(rec.chatIds(), (QList<quint64> { 3, 4, 5 }));
    QCOMPARE(client.serverUrl(), b.url());
    QVERIFY(rec.count(ConnectionEvent::Type::Moved) >= 1);
    QCOMPARE(client.continuity().resets, 0);
    QCOMPARE(client.continuity().gaps, 0);
}

// A node dies (kill -9) under a stream, with one of the client's own publishes in flight: the
// client moves to the other node and gets every message exactly once, in order, its own included.
void tst_ClusterClients::aNodeKilledMidStreamLosesAndRepeatsNothing()
{
    QFETCH(RealtimeClient::Mode, mode);
    redistest::RedisServer redis;
    QString why;
    QVERIFY2(redis.start(&why), qPrintable(why));
    Node a, b;
    START_NODE(a, redis, "A");
    START_NODE(b, redis, "B");

    RealtimeClient client;
    Recorder rec(client);
    client.setServerUrls({ a.url(), b.url() });
    client.start(mode);
    QVERIFY(waitOpen(client));
    QCOMPARE(client.serverUrl(), a.url());

    constexpr int Total = 300; // published on B, the node that lives
    constexpr int BeforeKill = 100;
    for (int i = 1; i <= BeforeKill; ++i)
        QVERIFY(publish(b.port(), QStringLiteral("m%1").arg(i)));
    QVERIFY(rec.waitChats(BeforeKill)); // through A: the cluster fans out from its tail
    QString own;
    QVERIFY(client.publish(QStringLiteral("ann"), QStringLiteral("in flight"), &own));
    a.kill9();
    for (int i = BeforeKill + 1; i <= Total; ++i)
        QVERIFY(publish(b.port(), QStringLiteral("m%1").arg(i)));

    QVERIFY2(QTest::qWaitFor([&] { return rec.chatIds().size() >= Total + 1; }, 3 * WaitMs),
             qPrintable(QStringLiteral("%1 chats").arg(rec.chatIds().size())));
    const QList<quint64> got = rec.chatIds();
    QCOMPARE(got.size(), Total + 1);
    QCOMPARE(got, range(got.constFirst(), got.constFirst() + Total)); // in order, no gap, no repeat
    QCOMPARE(chatsWithText(rec, QStringLiteral("in flight")), 1);
    QCOMPARE(client.serverUrl(), b.url());
    QVERIFY(rec.count(ConnectionEvent::Type::Moved) >= 1);
    const RealtimeClient::Continuity &c = client.continuity();
    QCOMPARE(c.gaps, 0);
    QCOMPARE(c.duplicates, 0);
    QCOMPARE(c.resets, 0);
    // Nothing more comes late (a repeat would): the outbox is done with it.
    QTRY_COMPARE_WITH_TIMEOUT(client.outbox().count(Outbox::State::Sent) + client.outbox().count(Outbox::State::Queued),
                              0, WaitMs);
    QCOMPARE(rec.chatIds().size(), Total + 1);
}

QTEST_GUILESS_MAIN(tst_ClusterClients)
#include "tst_clusterclients.moc"
