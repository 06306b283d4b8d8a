// SPDX-License-Identifier: MIT
// The Redis store as a cluster's nodes see it (server/store/redisstore.h): two stores on one log,
// a real redis-server this test starts, stops, kills and restores from an older snapshot.
#include "redisstore.h"
#include "redistestsupport.h"
#include "storespec.h"
#include "storetestsupport.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rtlab;
using namespace storetest;

namespace {

// What one node received from its tail, in order.
struct Arrivals
{
    QList<quint64> ids;
    QStringList texts;
    void attach(LogStore *store, QObject *context)
    {
        QObject::connect(store, &LogStore::entriesArrived, context, [this](const std::vector<LogEntryPtr> &entries) {
            for (const LogEntryPtr &e : entries) {
                ids.append(e->message.id);
                texts.append(e->message.text);
            }
        });
    }
};

AppendRequest chatFrom(const QString &from, const QString &text, const QString &clientMsgId = {})
{
    AppendRequest r = chat(text);
    r.message.from = from;
    r.message.clientMsgId = clientMsgId;
    return r;
}

} // namespace

class tst_RedisStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RedisStore> openNode(const QString &url, const QString &node, QString *error,
                                         const QString &stateDir = {})
    {
        QString why;
        const auto parsed = RedisUrl::parse(url, &why);
        if (!parsed) {
            *error = why;
            return nullptr;
        }
        auto store = std::make_unique<RedisStore>(*parsed, m_log, node, stateDir);
        if (!store->open({}, error))
            return nullptr;
        return store;
    }
    std::unique_ptr<RedisStore> openNode(const QString &node, const QString &stateDir = {})
    {
        QString error;
        auto store = openNode(m_redis->url(), node, &error, stateDir);
        if (!store)
            qWarning("open %s: %s", qPrintable(node), qPrintable(error));
        return store;
    }
    // Redis as it was at `rdb`: killed, the snapshot put back, started again on the same port.
    bool restoreSnapshot(const QByteArray &rdb)
    {
        m_redis->kill9();
        QFile file(m_redis->rdbPath());
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(rdb) != rdb.size())
            return false;
        file.close();
        QString why;
        if (!m_redis->restart(&why)) {
            qWarning("%s", qPrintable(why));
            return false;
        }
        return true;
    }
    // The snapshot holds the lease C had when it was taken: gone, as a restarted node waits for.
    void dropLease(const QString &node)
    {
        m_redis->cli({ QStringLiteral("DEL"), QStringLiteral("{%1}:node:%2").arg(m_log, node) });
    }
    QByteArray saveSnapshot()
    {
        bool ok = false;
        m_redis->cli({ QStringLiteral("SAVE") }, &ok);
        QFile file(m_redis->rdbPath());
        return ok && file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    std::unique_ptr<redistest::RedisServer> m_redis;
    QString m_log;
    int m_logs = 0;

private slots:
    void initTestCase() { REDISTEST_REQUIRE_INSTALLED(); }
    void init()
    {
        m_redis = std::make_unique<redistest::RedisServer>();
        QString why;
        QVERIFY2(m_redis->start(&why), qPrintable(why));
        m_log = QStringLiteral("t%1").arg(++m_logs);
    }
    void cleanup() { m_redis.reset(); }

    void urls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("error"); // a part of the error, or empty: parses
        QTest::addColumn<QString>("address");
        QTest::addColumn<int>("db");
        QTest::newRow("host and port") << QStringLiteral("redis://127.0.0.1:6380") << QStringLiteral("")
                                       << QStringLiteral("127.0.0.1:6380") << 0;
        QTest::newRow("default port") << QStringLiteral("redis://cache.local") << QStringLiteral("")
                                      << QStringLiteral("cache.local:6379") << 0;
        QTest::newRow("password and db") << QStringLiteral("redis://:pw@10.0.0.1:7000/3") << QStringLiteral("")
                                         << QStringLiteral("10.0.0.1:7000") << 3;
        QTest::newRow("no host") << QStringLiteral("redis://:6379") << QStringLiteral("host") << QStringLiteral("")
                                 << 0;
        QTest::newRow("bad port") << QStringLiteral("redis://h:port") << QStringLiteral("port") << QStringLiteral("")
                                  << 0;
        QTest::newRow("port 0") << QStringLiteral("redis://h:0") << QStringLiteral("port") << QStringLiteral("") << 0;
        QTest::newRow("db not a number") << QStringLiteral("redis://h:6379/x")
                                         << QStringLiteral("database must be a number") << QStringLiteral("") << 0;
    }
    void urls()
    {
        QFETCH(QString, url);
        QFETCH(QString, error);
        QFETCH(QString, address);
        QFETCH(int, db);
        QString why;
        const auto parsed = RedisUrl::parse(url, &why);
        QCOMPARE(bool(parsed), error.isEmpty());
        if (!parsed) {
            QVERIFY2(why.contains(error), qPrintable(why));
            QVERIFY(!StoreSpec::parse(url, &why)); // --store refuses it at argument time
            return;
        }
        QCOMPARE(parsed->address(), address);
        QCOMPARE(parsed->db, db);
        QVERIFY(!parsed->display().contains(u"pw"));
    }

    // Publishes through both nodes, interleaved: each node receives all of them, in one order.
    void twoNodesOneOrder()
    {
        auto a = openNode(QStringLiteral("A"));
        auto b = openNode(QStringLiteral("B"));
        QVERIFY(a && b);
        QVERIFY(a->isShared());
        QCOMPARE(a->nodeName(), QStringLiteral("A"));
        QCOMPARE(a->head().epoch, b->head().epoch);
        Arrivals onA, onB;
        onA.attach(a.get(), this);
        onB.attach(b.get(), this);
        int answered = 0;
        for (int i = 0; i < 10; ++i) {
            LogStore *via = i % 2 ? static_cast<LogStore *>(b.get()) : a.get();
            std::vector<AppendRequest> batch { chatFrom(QStringLiteral("ann"), QStringLiteral("%1a").arg(i)),
                                               chatFrom(QStringLiteral("ann"), QStringLiteral("%1b").arg(i)) };
            via->append(std::move(batch), [&](AppendResult r) { answered += r.ok() ? 1 : 100; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered, 10, test::WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(onA.ids, range(1, 20), test::WaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(onB.ids, range(1, 20), test::WaitMs);
        QCOMPARE(onA.texts, onB.texts);
        QCOMPARE(a->head().lastId, 20u);
        QCOMPARE(b->head().lastId, 20u);
        // A batch's messages stay together, in their order.
        for (int i = 0; i < 20; i += 2)
            QCOMPARE(onA.texts[i].chopped(1), onA.texts[i + 1].chopped(1));
        QCOMPARE(ids(read(*b, 15).entries), range(16, 20));
        QCOMPARE(ids(a->newest(3)), range(18, 20));
    }

    void duplicateAcrossNodes()
    {
        auto a = openNode(QStringLiteral("A"));
        auto b = openNode(QStringLiteral("B"));
        QVERIFY(a && b);
        const AppendResult first =
                append(*a, { chatFrom(QStringLiteral("ann"), QStringLiteral("hi"), QStringLiteral("c1")) });
        QCOMPARE(ids(first.entries), range(1, 1));
        QVERIFY(first.duplicateOf.empty());
        // The same sender's retry through the other node: the id it has, nothing new.
        const AppendResult again =
                append(*b,
                       { chatFrom(QStringLiteral("bob"), QStringLiteral("other"), QStringLiteral("c1")),
                         chatFrom(QStringLiteral("ann"), QStringLiteral("hi"), QStringLiteral("c1")) });
        QVERIFY(again.ok());
        QCOMPARE(ids(again.entries), range(2, 2));
        QCOMPARE(again.duplicateOf, (std::vector<quint64> { 0, 1 }));
        QTRY_COMPARE_WITH_TIMEOUT(a->head().lastId, 2u, test::WaitMs);
    }

    void nodeNameIsUnique()
    {
        auto a = openNode(QStringLiteral("A"));
        QVERIFY(a);
        QString error;
        QVERIFY(!openNode(m_redis->url(), QStringLiteral("A"), &error));
        QVERIFY2(error.contains(QStringLiteral("node A is already live on log %1").arg(m_log)), qPrintable(error));
        // Closed: the name is free at once.
        a.reset();
        QVERIFY(openNode(QStringLiteral("A")));
    }

    void unreachableAtOpen()
    {
        const quint16 port = redistest::freePort();
        QString error;
        QVERIFY(!openNode(QStringLiteral("redis://127.0.0.1:%1").arg(port), QStringLiteral("A"), &error));
        QVERIFY2(error == QStringLiteral("redis 127.0.0.1:%1: connection refused").arg(port), qPrintable(error));
    }

    void passwordAndDatabase()
    {
        m_redis = std::make_unique<redistest::RedisServer>(
                redistest::RedisServer::Options { false, QStringLiteral("s3cret") });
        QString why;
        QVERIFY2(m_redis->start(&why), qPrintable(why));
        QString error;
        auto a = openNode(m_redis->url() + QStringLiteral("/3"), QStringLiteral("A"), &error);
        QVERIFY2(a, qPrintable(error));
        QVERIFY(!a->describe().contains(u"s3cret"));
        QVERIFY(a->describe().contains(u"/3 log"));
        QVERIFY(append(*a, chats(2)).ok());
        QCOMPARE(m_redis->cli({ QStringLiteral("-n"), QStringLiteral("3"), QStringLiteral("XLEN"),
                                QStringLiteral("{%1}:log").arg(m_log) }),
                 QByteArray("2"));
        QCOMPARE(m_redis->cli({ QStringLiteral("-n"), QStringLiteral("0"), QStringLiteral("EXISTS"),
                                QStringLiteral("{%1}:log").arg(m_log) }),
                 QByteArray("0"));
        QString wrong = m_redis->url();
        wrong.replace(QStringLiteral("s3cret"), QStringLiteral("guess"));
        QVERIFY(!openNode(wrong, QStringLiteral("B"), &error));
        QVERIFY2(error.contains(u"AUTH") && error.contains(u"redis 127.0.0.1:"), qPrintable(error));
    }

    // Redis killed: publishes are answered 503 and the store says so; back (its AOF kept what it
    // acknowledged), the tails catch up and nothing acknowledged is lost or repeated.
    void redisDownAndBack()
    {
        m_redis = std::make_unique<redistest::RedisServer>(redistest::RedisServer::Options { true, {} });
        QString why;
        QVERIFY2(m_redis->start(&why), qPrintable(why));
        auto a = openNode(QStringLiteral("A"));
        auto b = openNode(QStringLiteral("B"));
        QVERIFY(a && b);
        Arrivals onB;
        onB.attach(b.get(), this);
        QSignalSpy stateA(a.get(), &LogStore::stateChanged);
        QVERIFY(append(*a, chats(2)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(onB.ids, range(1, 2), test::WaitMs);
        const QString epoch = a->head().epoch;

        m_redis->kill9();
        const AppendResult down = append(*a, chats(3));
        QCOMPARE(down.status, 503);
        QVERIFY(down.entries.empty());
        QVERIFY2(down.error.startsWith(QStringLiteral("redis 127.0.0.1:%1: ").arg(m_redis->port())),
                 qPrintable(down.error));
        QVERIFY(!a->state().available);
        QVERIFY2(a->state().detail.startsWith(u"redis 127.0.0.1:"), qPrintable(a->state().detail));
        QVERIFY(stateA.count() >= 1);
        QCOMPARE(append(*b, chats(1)).status, 503);

        QVERIFY2(m_redis->restart(&why), qPrintable(why));
        QTRY_VERIFY_WITH_TIMEOUT(a->state().available && b->state().available, test::WaitMs);
        QCOMPARE(a->state().detail, QStringLiteral("ok"));
        const AppendResult back = append(*a, chats(2));
        QCOMPARE(ids(back.entries), range(3, 4));
        QTRY_COMPARE_WITH_TIMEOUT(onB.ids, range(1, 4), test::WaitMs);
        QCOMPARE(b->head().epoch, epoch);
        QCOMPARE(ids(read(*b, 0).entries), range(1, 4));
    }

    // Redis alive but not answering (stopped with SIGSTOP): the command times out, what waits is
    // answered 503, and the store says so. The script may still run once Redis goes on (it was in
    // Redis's socket): the publisher's retry with the same clientMsgIds is answered with the ids
    // the log gave them, so each message is in the log once.
    void redisFrozen()
    {
        auto a = openNode(QStringLiteral("A"));
        QVERIFY(a);
        QVERIFY(append(*a, chats(1)).ok());
        auto batch = [] {
            return std::vector<AppendRequest> {
                chatFrom(QStringLiteral("ann"), QStringLiteral("x"), QStringLiteral("c1")),
                chatFrom(QStringLiteral("ann"), QStringLiteral("y"), QStringLiteral("c2"))
            };
        };
        QCOMPARE(::kill(pid_t(m_redis->pid()), SIGSTOP), 0);
        const AppendResult frozen = append(*a, batch());
        ::kill(pid_t(m_redis->pid()), SIGCONT);
        QCOMPARE(frozen.status, 503);
        QVERIFY2(frozen.error.contains(u"no reply within"), qPrintable(frozen.error));
        QTRY_VERIFY_WITH_TIMEOUT(a->state().available, test::WaitMs);
        const AppendResult retry = append(*a, batch());
        QVERIFY(retry.ok());
        const AppendResult next = append(*a, chats(1));
        QCOMPARE(ids(next.entries), range(4, 4));
        QTRY_COMPARE_WITH_TIMEOUT(a->head().lastId, 4u, test::WaitMs);
        QStringList texts;
        for (const LogEntryPtr &e : read(*a, 0).entries)
            texts.append(e->message.text);
        QCOMPARE(texts.join(u','), QStringLiteral("0,x,y,0"));
    }

    // Redis back from an older snapshot (same epoch, fewer ids): a new epoch before anything is
    // published or tailed again — on a node that remembers in memory (A, B), and on a node that
    // starts fresh with only its state directory (C). No (epoch, id) is handed out twice.
    void olderSnapshotRotatesTheEpoch()
    {
        QTemporaryDir state;
        QVERIFY(state.isValid());
        auto a = openNode(QStringLiteral("A"));
        auto b = openNode(QStringLiteral("B"));
        auto c = openNode(QStringLiteral("C"), state.path());
        QVERIFY(a && b && c);
        QVERIFY(append(*a, chats(3)).ok());
        const QByteArray rdb = saveSnapshot();
        QVERIFY(!rdb.isEmpty());
        QVERIFY(append(*b, chats(3)).ok());
        const QString old = a->head().epoch;
        QTRY_VERIFY_WITH_TIMEOUT(c->head().lastId == 6 && b->head().lastId == 6, test::WaitMs);
        c.reset(); // C's mark, (old, 6), is in its state directory only

        QSignalSpy changedA(a.get(), &LogStore::epochChanged);
        QSignalSpy changedB(b.get(), &LogStore::epochChanged);
        QVERIFY(restoreSnapshot(rdb));
        QTRY_VERIFY_WITH_TIMEOUT(changedA.count() == 1 && changedB.count() == 1, test::WaitMs);
        const QString fresh = a->head().epoch;
        QVERIFY(fresh != old);
        QCOMPARE(b->head().epoch, fresh); // one rotation, whoever did it
        QCOMPARE(a->head().lastId, 3u);
        QCOMPARE(ids(a->newest(10)), range(1, 3));
        QCOMPARE(a->newest(10).front()->message.epoch, fresh);
        QTRY_VERIFY_WITH_TIMEOUT(a->state().available, test::WaitMs);
        const AppendResult next = append(*a, chats(1));
        QCOMPARE(ids(next.entries), range(4, 4));
        QCOMPARE(next.entries.front()->message.epoch, fresh);

        // C, fresh, remembers (old, 6) from its directory: Redis is in another epoch now, so
        // nothing is rotated again.
        dropLease(QStringLiteral("C"));
        c = openNode(QStringLiteral("C"), state.path());
        QVERIFY(c);
        QCOMPARE(c->head().epoch, fresh);

        // Once more, with C alone remembering: its mark is (fresh, 4).
        const QByteArray rdb2 = saveSnapshot();
        QVERIFY(append(*a, chats(2)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(c->head().lastId, 6u, test::WaitMs);
        a.reset();
        b.reset();
        c.reset();
        QVERIFY(restoreSnapshot(rdb2));
        dropLease(QStringLiteral("C"));
        c = openNode(QStringLiteral("C"), state.path());
        QVERIFY(c);
        QVERIFY(c->head().epoch != fresh);
        QCOMPARE(c->head().lastId, 4u);
    }

    // Redis back empty (no snapshot at all): a new epoch, ids from 1.
    void emptyRedisIsANewEpoch()
    {
        auto a = openNode(QStringLiteral("A"));
        QVERIFY(a);
        QVERIFY(append(*a, chats(3)).ok());
        const QString old = a->head().epoch;
        QSignalSpy changed(a.get(), &LogStore::epochChanged);
        m_redis->kill9();
        QFile::remove(m_redis->rdbPath());
        QString why;
        QVERIFY2(m_redis->restart(&why), qPrintable(why));
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, test::WaitMs);
        QVERIFY(a->head().epoch != old);
        QCOMPARE(a->head().lastId, 0u);
        QVERIFY(a->newest(10).empty());
        QTRY_VERIFY_WITH_TIMEOUT(a->state().available, test::WaitMs);
        const AppendResult next = append(*a, chats(1));
        QCOMPARE(ids(next.entries), range(1, 1));
        QCOMPARE(next.entries.front()->message.epoch, a->head().epoch);
    }
};

QTEST_GUILESS_MAIN(tst_RedisStore)
#include "tst_redisstore.moc"
