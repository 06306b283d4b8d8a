// SPDX-License-Identifier: MIT
// rtlab-storebench [--rows N] [--dir DIR] [--linger-us US,...] [--producers P,...] [--stores ...]: for
// SQLite NORMAL and FULL (and memory, for scale), P producers (default 1 and 16) each keep one append
// of one message outstanding, as a
// publisher waiting for its 202 does, until N rows are in. Prints rows/s, commits/s and the batch
// size distribution of each run.
#include "memorystore.h"
#include "sqlitestore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTemporaryDir>

#include <cstdio>

using namespace rtlab;

namespace {

struct Run
{
    QString store;
    int producers;
    int lingerUs;
};

void runOne(const Run &run, int rows, const QString &dir)
{
    const QString path = QDir(dir).filePath(QStringLiteral("bench-%1.db").arg(QCoreApplication::applicationPid()));
    for (const QString &suffix : { QString(), QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral(".hwm") })
        QFile::remove(path + suffix);
    std::unique_ptr<LogStore> store;
    if (run.store == u"memory") {
        store = std::make_unique<MemoryStore>();
    } else {
        auto sqlite = std::make_unique<SqliteStore>(
                path, run.store == u"full" ? StoreSpec::Sync::Full : StoreSpec::Sync::Normal);
        sqlite->setLingerUs(run.lingerUs);
        store = std::move(sqlite);
    }
    LogLimits limits;
    limits.maxCount = rows;
    QString error;
    if (!store->open(limits, &error))
        qFatal("%s", qPrintable(error));

    QEventLoop loop;
    int issued = 0;
    int finished = 0;
    int failed = 0;
    std::function<void()> next = [&] {
        if (issued >= rows)
            return;
        ++issued;
        AppendRequest r;
        r.message.type = MessageType::Chat;
        r.message.from = QStringLiteral("bench");
        r.message.text = QStringLiteral("a message of about the size of a chat line, 64 bytes or so....");
        r.message.ts = nowMicros();
        r.appendedMs = r.message.ts / 1000;
        std::vector<AppendRequest> batch;
        batch.push_back(std::move(r));
        store->append(std::move(batch), [&](AppendResult result) {
            failed += result.ok() ? 0 : 1;
            if (++finished == rows)
                loop.quit();
            else if (!store->isSynchronous())
                next(); // a synchronous store would recurse: the loop below drives it
        });
    };
    QElapsedTimer timer;
    timer.start();
    for (int p = 0; p < run.producers; ++p)
        next();
    if (store->isSynchronous()) {
        while (issued < rows)
            next();
    } else {
        loop.exec();
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    const StoreStats stats = store->stats();
    QString batches;
    for (size_t i = 0; i < stats.batchRows.size(); ++i) {
        if (stats.batchRows[i] == 0)
            continue;
        const QString bound = i < StoreStats::BatchBounds.size() ? QString::number(StoreStats::BatchBounds[i])
                                                                 : QStringLiteral("inf");
        batches += QStringLiteral(" le%1:%2").arg(bound).arg(stats.batchRows[i]);
    }
    std::printf("%-7s producers=%-3d linger=%-5dus rows=%d %9.0f rows/s %8.0f commits/s mean batch %6.1f failed=%d "
                "batches:%s\n",
                qPrintable(run.store), run.producers, run.lingerUs, rows, rows / seconds, stats.commits / seconds,
                stats.commits ? double(stats.rows) / double(stats.commits) : 0.0, failed, qPrintable(batches));
    std::fflush(stdout);
    store.reset();
    for (const QString &suffix : { QString(), QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral(".hwm") })
        QFile::remove(path + suffix);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Appends to the log stores and prints rows/s, commits/s, batches"));
    parser.addHelpOption();
    const QCommandLineOption rowsOption(QStringLiteral("rows"), QStringLiteral("Rows per run (default 20000)"),
                                        QStringLiteral("N"), QStringLiteral("20000"));
    const QCommandLineOption dirOption(QStringLiteral("dir"), QStringLiteral("Where the database goes (default .)"),
                                       QStringLiteral("DIR"), QStringLiteral("."));
    const QCommandLineOption lingerOption(QStringLiteral("linger-us"),
                                          QStringLiteral("Writer waits to try, comma-separated (default 0,2000)"),
                                          QStringLiteral("US"), QStringLiteral("0,2000"));
    const QCommandLineOption storesOption(QStringLiteral("stores"),
                                          QStringLiteral("Stores, comma-separated (default memory,normal,full)"),
                                          QStringLiteral("LIST"), QStringLiteral("memory,normal,full"));
    const QCommandLineOption producersOption(QStringLiteral("producers"),
                                             QStringLiteral("Producers, comma-separated (default 1,16)"),
                                             QStringLiteral("LIST"), QStringLiteral("1,16"));
    parser.addOptions({ rowsOption, dirOption, lingerOption, storesOption, producersOption });
    parser.process(app);
    const int rows = qMax(1, parser.value(rowsOption).toInt());
    for (const QString &storeName : parser.value(storesOption).split(QLatin1Char(','))) {
        for (const QString &producerCount : parser.value(producersOption).split(QLatin1Char(','))) {
            const int producers = qMax(1, producerCount.toInt());
            if (storeName == u"memory") {
                runOne({ storeName, producers, 0 }, rows, parser.value(dirOption));
                continue;
            }
            for (const QString &linger : parser.value(lingerOption).split(QLatin1Char(',')))
                runOne({ storeName, producers, linger.toInt() }, rows, parser.value(dirOption));
        }
    }
    return 0;
}
