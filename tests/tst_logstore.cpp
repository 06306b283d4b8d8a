// SPDX-License-Identifier: MIT
// The LogStore contract (server/store/logstore.h), one suite run against every store: the memory
// store, the SQLite store (in a temporary directory) and the Redis store (a redis-server the test
// starts; each test a log of its own).
#include "memorystore.h"
#include "redisstore.h"
#include "redistestsupport.h"
#include "sqlitestore.h"
#include "storetestsupport.h"

#include <QDir>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rtlab;
using namespace storetest;

class tst_LogStore : public QObject
{
    Q_OBJECT

private:
    // The store the current row names, opened with `limits`.
    std::unique_ptr<LogStore> openStore(LogLimits limits = {})
    {
        QFETCH_GLOBAL(QString, kind);
        std::unique_ptr<LogStore> store;
        if (kind == u"memory") {
            store = std::make_unique<MemoryStore>();
        } else if (kind == u"redis") {
            if (!m_redis) {
                m_redis = std::make_unique<redistest::RedisServer>(redistest::RedisServer::Options { true, {} });
                QString why;
                if (!m_redis->start(&why)) {
                    qWarning("redis: %s", qPrintable(why));
                    return nullptr;
                }
            }
            QString why;
            const auto url = RedisUrl::parse(m_redis->url(), &why);
            ++m_logs;
            store = std::make_unique<RedisStore>(*url, QStringLiteral("log%1").arg(m_logs), QStringLiteral("node"));
        } else {
            store = std::make_unique<SqliteStore>(m_dir->filePath(QStringLiteral("log.db")));
        }
        QString error;
        if (!store->open(limits, &error)) {
            qWarning("open: %s", qPrintable(error));
            return nullptr;
        }
        return store;
    }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<redistest::RedisServer> m_redis; // the redis rows': one server, a log per test
    int m_logs = 0;

private slots:
    void initTestCase_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("memory") << QStringLiteral("memory");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("redis") << QStringLiteral("redis");
    }
    void init()
    {
        QFETCH_GLOBAL(QString, kind);
        if (kind == u"redis")
            REDISTEST_REQUIRE_INSTALLED();
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void emptyHead()
    {
        auto store = openStore();
        QVERIFY(store);
        const LogHead head = store->head();
        QVERIFY(!head.epoch.isEmpty());
        QCOMPARE(head.lastId, 0u);
        QCOMPARE(head.firstId, 1u);
        QVERIFY(store->newest(10).empty());
        const ReadResult r = read(*store, 0);
        QVERIFY(r.error.isEmpty());
        QVERIFY(r.entries.empty());
    }

    void idsFromOneWithTheEpoch()
    {
        auto store = openStore();
        QVERIFY(store);
        const AppendResult r = append(*store, chats(3));
        QVERIFY(r.ok());
        QCOMPARE(ids(r.entries), range(1, 3));
        for (const LogEntryPtr &e : r.entries) {
            QCOMPARE(e->message.epoch, store->head().epoch);
            QVERIFY(e->json.contains("\"id\":"));
        }
        QCOMPARE(r.entries[1]->message.text, QStringLiteral("1"));
    }

    // Batches issued together: contiguous ids in call order, each `done` in call order, and
    // head() already counts a batch when its `done` runs.
    void contiguousAcrossBatchesDoneInOrder()
    {
        auto store = openStore();
        QVERIFY(store);
        const QList<int> sizes { 1, 4, 2, 7, 1 };
        QList<int> order;
        QList<quint64> all;
        QList<quint64> arrived;
        connect(store.get(), &LogStore::entriesArrived, this,
                [&](const std::vector<LogEntryPtr> &entries) { arrived.append(ids(entries)); });
        bool headCounted = true;
        for (int i = 0; i < sizes.size(); ++i) {
            store->append(chats(sizes[i]), [&, i, s = &*store](AppendResult r) {
                order.append(i);
                all.append(ids(r.entries));
                // A shared store's head follows its tail, not the publisher's answer (below).
                headCounted =
                        headCounted && r.ok() && (s->isShared() || s->head().lastId >= r.entries.back()->message.id);
            });
        }
        QVERIFY(QTest::qWaitFor([&] { return order.size() == sizes.size(); }, test::WaitMs));
        QCOMPARE(order, QList<int>({ 0, 1, 2, 3, 4 }));
        QCOMPARE(all, range(1, 15));
        QVERIFY(headCounted);
        if (store->isShared()) {
            // Every entry arrives from the tail, in order, once; head() counts what arrived.
            QTRY_COMPARE_WITH_TIMEOUT(arrived, range(1, 15), test::WaitMs);
        }
        QCOMPARE(store->head().lastId, 15u);
    }

    void readAfterAnyId()
    {
        LogLimits limits;
        limits.maxCount = 5;
        auto store = openStore(limits);
        QVERIFY(store);
        QVERIFY(append(*store, chats(4)).ok());
        QVERIFY(append(*store, chats(6)).ok());
        QCOMPARE(store->head().firstId, 6u);
        QCOMPARE(store->head().lastId, 10u);
        // Before the first kept: from the first kept (the reader sees the gap).
        QCOMPARE(ids(read(*store, 0).entries), range(6, 10));
        QCOMPARE(ids(read(*store, 3).entries), range(6, 10));
        // Inside.
        QCOMPARE(ids(read(*store, 5).entries), range(6, 10));
        QCOMPARE(ids(read(*store, 7).entries), range(8, 10));
        // At and past the end.
        QVERIFY(read(*store, 10).entries.empty());
        QVERIFY(read(*store, 99).entries.empty());
        // The limit.
        QCOMPARE(ids(read(*store, 6, 2).entries), range(7, 8));
        QVERIFY(read(*store, 6, 0).entries.empty());
    }

    void countBound()
    {
        LogLimits limits;
        limits.maxCount = 5;
        auto store = openStore(limits);
        QVERIFY(store);
        for (int n : { 3, 1, 6, 2 })
            QVERIFY(append(*store, chats(n)).ok());
        QCOMPARE(store->head().lastId, 12u);
        QCOMPARE(store->head().firstId, 8u);
        QCOMPARE(ids(read(*store, 0).entries), range(8, 12));
        QCOMPARE(ids(store->newest(100)), range(8, 12));
    }

    void ageBound()
    {
        LogLimits limits;
        limits.maxAgeMs = 1000;
        auto store = openStore(limits);
        QVERIFY(store);
        for (qint64 ms : { 1000, 1500, 2000, 2500 })
            QVERIFY(append(*store, chats(1, ms)).ok());
        QSignalSpy changed(store.get(), &LogStore::headChanged);
        store->expire(2600); // older than 1600 goes
        QVERIFY(QTest::qWaitFor([&] { return store->head().firstId == 3; }, test::WaitMs));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(ids(read(*store, 0).entries), range(3, 4));
        QCOMPARE(read(*store, 0).entries.front()->appendedMs, 2000);
        // Everything old: nothing kept, firstId past the last.
        store->expire(99999);
        QVERIFY(QTest::qWaitFor([&] { return store->head().firstId == 5; }, test::WaitMs));
        QCOMPARE(store->head().lastId, 4u);
        QVERIFY(read(*store, 0).entries.empty());
        // Ids go on.
        QCOMPARE(ids(append(*store, chats(1, 100000)).entries), range(5, 5));
    }

    // An empty batch is answered, uses no id and counts as no commit.
    void emptyBatch()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(append(*store, chats(2)).ok());
        const AppendResult r = append(*store, {});
        QVERIFY(r.ok());
        QVERIFY(r.entries.empty());
        QCOMPARE(store->head().lastId, 2u);
        QCOMPARE(store->stats().commits, 1u);
        QCOMPARE(store->stats().rows, 2u);
        QCOMPARE(ids(append(*store, chats(1)).entries), range(3, 3));
    }

    void newest()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(append(*store, chats(10)).ok());
        QCOMPARE(ids(store->newest(3)), range(8, 10));
        QCOMPARE(ids(store->newest(100)), range(1, 10));
        QVERIFY(store->newest(0).empty());
    }

    void failedCommitUsesNoId()
    {
        QFETCH_GLOBAL(QString, kind);
        if (kind == u"memory")
            QSKIP("the memory store cannot fail a commit");
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(append(*store, chats(2)).ok());
        if (kind == u"redis") {
            // Redis gone (stopped: its AOF keeps what it acknowledged) fails the commit; back,
            // the ids go on.
            m_redis->stop();
            const AppendResult down = append(*store, chats(3));
            QCOMPARE(down.status, 503);
            QVERIFY(down.entries.empty());
            QVERIFY2(down.error.contains(u"redis 127.0.0.1:"), qPrintable(down.error));
            QVERIFY(!store->state().available);
            QString why;
            QVERIFY2(m_redis->restart(&why), qPrintable(why));
            QTRY_VERIFY_WITH_TIMEOUT(store->state().available, test::WaitMs);
            QCOMPARE(store->head().lastId, 2u);
            QCOMPARE(ids(append(*store, chats(1)).entries), range(3, 3));
            QCOMPARE(ids(read(*store, 0).entries), range(1, 3));
            return;
        }
        const QString wal = m_dir->filePath(QStringLiteral("log.db-wal"));
        AppendResult failed;
        {
            FileSizeLimit limit(rlim_t(QFileInfo(wal).size()));
            QVERIFY(limit.ok());
            failed = append(*store, chats(3));
        }
        QCOMPARE(failed.status, 503);
        QVERIFY(failed.entries.empty());
        QVERIFY(!failed.error.isEmpty());
        QCOMPARE(store->head().lastId, 2u);
        QCOMPARE(ids(append(*store, chats(1)).entries), range(3, 3));
        QCOMPARE(ids(read(*store, 0).entries), range(1, 3));
    }
};

QTEST_GUILESS_MAIN(tst_LogStore)
#include "tst_logstore.moc"
