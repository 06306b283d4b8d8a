// SPDX-License-Identifier: MIT
// The SQLite store's own rules: a restart keeps the epoch, the ids and the bytes; a file behind
// its mark gets a new epoch; a corrupt file is refused; a full disk answers 503 and uses no id;
// retention in chunks; group commit. The contract shared with every store is tst_logstore.
#include "sqlitestore.h"
#include "storetestsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace rtlab;
using namespace storetest;

class tst_SqliteStore : public QObject
{
    Q_OBJECT

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("chat.db")); }
    std::unique_ptr<SqliteStore> openStore(LogLimits limits = {}, QString path = {})
    {
        auto store = std::make_unique<SqliteStore>(path.isEmpty() ? dbPath() : path);
        QString error;
        if (!store->open(limits, &error)) {
            qWarning("open: %s", qPrintable(error));
            return nullptr;
        }
        return store;
    }
    // open()'s error for the file at dbPath(), empty when it opened.
    QString refusal()
    {
        SqliteStore store(dbPath());
        QString error;
        return store.open({}, &error) ? QString() : error;
    }
    // Ids 1-3 written and copied aside, 4-6 written, then the copy put back (the mark says 6):
    // a database restored from an older backup. *epoch is the log's epoch before.
    void rollBack(QString *epoch)
    {
        const QString backup = m_dir->filePath(QStringLiteral("backup.db"));
        {
            auto store = openStore();
            QVERIFY(store);
            *epoch = store->head().epoch;
            QVERIFY(append(*store, chats(3)).ok());
        }
        QVERIFY(QFile::copy(dbPath(), backup));
        {
            auto store = openStore();
            QVERIFY(store);
            QCOMPARE(ids(append(*store, chats(3)).entries), range(4, 6));
        }
        QVERIFY(QFile::remove(dbPath()));
        QVERIFY(QFile::copy(backup, dbPath()));
    }
    std::unique_ptr<QTemporaryDir> m_dir;

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void describe()
    {
        QCOMPARE(SqliteStore(dbPath()).describe(),
                 QStringLiteral("sqlite:%1 (WAL, synchronous=NORMAL)").arg(QFileInfo(dbPath()).absoluteFilePath()));
        QVERIFY(SqliteStore(dbPath(), StoreSpec::Sync::Full).describe().endsWith(u"(WAL, synchronous=FULL)"));
        QString why;
        const auto spec = StoreSpec::parse(QStringLiteral("sqlite:") + dbPath(), &why);
        QVERIFY(spec);
        auto store = makeLogStore(*spec, &why);
        QVERIFY(store);
        QVERIFY(!store->isSynchronous());
    }

    // Every kind of message and field comes back byte for byte, with its epoch, id and age.
    void reopenKeepsEpochIdsAndBytes()
    {
        std::vector<LogEntryPtr> written;
        QString epoch;
        {
            auto store = openStore();
            QVERIFY(store);
            epoch = store->head().epoch;
            std::vector<AppendRequest> batch;
            AppendRequest c = chat(QStringLiteral("héllo \"there\"\n"), 1234);
            c.message.clientTs = 1700000000123.5;
            c.message.clientMsgId = QStringLiteral("m-1");
            batch.push_back(c);
            AppendRequest t;
            t.message.type = MessageType::Tick;
            t.message.ts = 1700000000000001;
            t.message.data = QJsonObject { { QStringLiteral("n"), 7 }, { QStringLiteral("x"), 0.25 } };
            t.appendedMs = 1300;
            batch.push_back(t);
            AppendRequest s;
            s.message.type = MessageType::System;
            s.message.text = QStringLiteral("ann joined");
            s.appendedMs = 1400;
            batch.push_back(s);
            const AppendResult r = append(*store, std::move(batch));
            QVERIFY(r.ok());
            written = r.entries;
            QVERIFY(append(*store, chats(2)).ok());
        }
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(store->head().epoch, epoch);
        QCOMPARE(store->head().firstId, 1u);
        QCOMPARE(store->head().lastId, 5u);
        const ReadResult r = read(*store, 0);
        QCOMPARE(ids(r.entries), range(1, 5));
        for (size_t i = 0; i < written.size(); ++i) {
            QCOMPARE(r.entries[i]->json, written[i]->json);
            QCOMPARE(r.entries[i]->sse, written[i]->sse);
            QCOMPARE(r.entries[i]->wsFrame, written[i]->wsFrame);
            QCOMPARE(r.entries[i]->appendedMs, written[i]->appendedMs);
            QCOMPARE(r.entries[i]->message, written[i]->message);
        }
        QCOMPARE(store->newest(5).front()->json, written.front()->json);
        QCOMPARE(ids(append(*store, chats(1)).entries), range(6, 6));
    }

    void newFileNewEpoch()
    {
        QString first;
        {
            auto store = openStore();
            QVERIFY(store);
            first = store->head().epoch;
            QVERIFY(append(*store, chats(3)).ok());
        }
        auto other = openStore({}, m_dir->filePath(QStringLiteral("other.db")));
        QVERIFY(other);
        QVERIFY(other->head().epoch != first);
        // The same path recreated (its mark left behind): a new log.
        QVERIFY(QFile::remove(dbPath()));
        auto again = openStore();
        QVERIFY(again);
        QVERIFY(again->head().epoch != first);
        QCOMPARE(again->head().lastId, 0u);
    }

    // SignalR/SignalR#3091's hole: a database copied back from an older state must not hand out
    // the ids it gave out since under the same epoch.
    void olderCopyGetsNewEpoch()
    {
        QString epoch;
        rollBack(&epoch);
        if (QTest::currentTestFailed())
            return;
        QString renewed;
        {
            auto store = openStore();
            QVERIFY(store);
            renewed = store->head().epoch;
            QVERIFY(renewed != epoch);
            QCOMPARE(store->head().lastId, 3u);
            // Kept messages readable under the new epoch; ids go on.
            const ReadResult r = read(*store, 0);
            QCOMPARE(ids(r.entries), range(1, 3));
            QCOMPARE(r.entries.front()->message.epoch, renewed);
            QVERIFY(r.entries.front()->json.contains(renewed.toLatin1()));
            const AppendResult a = append(*store, chats(1));
            QCOMPARE(ids(a.entries), range(4, 4));
            QCOMPARE(a.entries.front()->message.epoch, renewed);
        }
        // The new epoch is the log's own now: the next restart keeps it.
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(store->head().epoch, renewed);
        QCOMPARE(store->head().lastId, 4u);
    }

    void deletedMarkTrustsTheDatabase()
    {
        QString epoch;
        rollBack(&epoch);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(QFile::remove(dbPath() + QStringLiteral(".hwm")));
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(store->head().epoch, epoch);
        QCOMPARE(store->head().lastId, 3u);
    }

    void corruptFileRefused_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<QString>("message");
        QTest::newRow("garbage") << QStringLiteral("garbage") << QStringLiteral("file is not a database");
        QTest::newRow("truncated") << QStringLiteral("truncated") << QStringLiteral("malformed");
        QTest::newRow("schema version") << QStringLiteral("version") << QStringLiteral("schema version 7");
        QTest::newRow("another database") << QStringLiteral("foreign") << QStringLiteral("not an rtlab log");
    }
    void corruptFileRefused()
    {
        QFETCH(QString, how);
        QFETCH(QString, message);
        if (how == u"garbage") {
            QFile f(dbPath());
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(8192, 'x'));
        } else if (how == u"truncated") {
            {
                auto store = openStore();
                QVERIFY(store);
                for (int i = 0; i < 20; ++i)
                    QVERIFY(append(*store, chats(50)).ok());
            }
            QVERIFY(QFileInfo(dbPath()).size() > 8 * 4096);
            QVERIFY(QFile::resize(dbPath(), 3 * 4096));
        } else {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open(QFile::encodeName(dbPath()).constData(), &db), SQLITE_OK);
            const char *sql = how == u"version" ? "PRAGMA user_version=7" : "CREATE TABLE notes (t TEXT)";
            QCOMPARE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        const QString error = refusal();
        QVERIFY2(error.contains(QFileInfo(dbPath()).absoluteFilePath()), qPrintable(error));
        QVERIFY2(error.contains(message), qPrintable(error));
    }

    // A full disk: the batch is answered 503, no id is used, reads go on, and commits work again
    // when space comes back.
    void diskFull()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(append(*store, chats(5)).ok());
        QList<int> statuses;
        {
            FileSizeLimit limit(rlim_t(QFileInfo(dbPath() + QStringLiteral("-wal")).size()));
            QVERIFY(limit.ok());
            for (int i = 0; i < 3; ++i)
                store->append(chats(10), [&](AppendResult r) { statuses.append(r.status); });
            QVERIFY(QTest::qWaitFor([&] { return statuses.size() == 3; }, test::WaitMs));
            QCOMPARE(ids(read(*store, 0).entries), range(1, 5));
        }
        QCOMPARE(statuses, QList<int>({ 503, 503, 503 }));
        QCOMPARE(store->head().lastId, 5u);
        QVERIFY(store->stats().failedCommits >= 1);
        QCOMPARE(ids(append(*store, chats(2)).entries), range(6, 7));
        store.reset();
        auto again = openStore();
        QVERIFY(again);
        QCOMPARE(ids(read(*again, 0).entries), range(1, 7));
    }

    void retentionByCountInChunks()
    {
        {
            LogLimits big;
            big.maxCount = 5000;
            auto store = openStore(big);
            QVERIFY(store);
            for (int i = 0; i < 10; ++i)
                QVERIFY(append(*store, chats(250)).ok());
        }
        LogLimits small;
        small.maxCount = 10;
        auto store = openStore(small);
        QVERIFY(store);
        QSignalSpy changed(store.get(), &LogStore::headChanged);
        QVERIFY(QTest::qWaitFor([&] { return store->head().firstId == 2491; }, test::WaitMs));
        // At most SqliteStore::DeleteChunkRows a statement: 2,490 rows in three.
        QCOMPARE(changed.count(), 3);
        QCOMPARE(ids(read(*store, 0).entries), range(2491, 2500));
    }

    void retentionByAgeInChunks()
    {
        LogLimits limits;
        limits.maxAgeMs = 1000;
        auto store = openStore(limits);
        QVERIFY(store);
        for (int i = 0; i < 10; ++i)
            QVERIFY(append(*store, chats(250, 1000)).ok());
        QVERIFY(append(*store, chats(5, 5000)).ok());
        QSignalSpy changed(store.get(), &LogStore::headChanged);
        store->expire(5500);
        QVERIFY(QTest::qWaitFor([&] { return store->head().firstId == 2501; }, test::WaitMs));
        QCOMPARE(changed.count(), 3);
        QCOMPARE(ids(read(*store, 0).entries), range(2501, 2505));
        // Commits go on meanwhile and after.
        QCOMPARE(ids(append(*store, chats(1, 5600)).entries), range(2506, 2506));
    }

    // 1,000 appends issued at once share transactions.
    void groupCommit()
    {
        auto store = openStore();
        QVERIFY(store);
        QList<quint64> got;
        for (int i = 0; i < 1000; ++i)
            store->append(chats(1), [&](AppendResult r) { got.append(ids(r.entries)); });
        QVERIFY(QTest::qWaitFor([&] { return got.size() == 1000; }, test::WaitMs));
        QCOMPARE(got, range(1, 1000));
        const StoreStats stats = store->stats();
        QCOMPARE(stats.rows, 1000u);
        QVERIFY2(stats.commits < 1000, qPrintable(QString::number(stats.commits)));
        quint64 batches = 0;
        for (quint64 n : stats.batchRows)
            batches += n;
        QCOMPARE(batches, stats.commits);
    }

    // A read never hands out an entry the loop has not heard committed, while commits go on.
    void readsClippedToTheHead()
    {
        auto store = openStore();
        QVERIFY(store);
        int reads = 0;
        bool clipped = true;
        int appended = 0;
        for (int i = 0; i < 300; ++i) {
            store->append(chats(1), [&](AppendResult) { ++appended; });
            store->read(0, 1000, [&, s = store.get()](ReadResult r) {
                ++reads;
                if (!r.entries.empty() && r.entries.back()->message.id > s->head().lastId)
                    clipped = false;
            });
        }
        QVERIFY(QTest::qWaitFor([&] { return reads == 300 && appended == 300; }, test::WaitMs));
        QVERIFY(clipped);
        QCOMPARE(store->stats().reads, 300u);
    }
};

QTEST_GUILESS_MAIN(tst_SqliteStore)
#include "tst_sqlitestore.moc"
