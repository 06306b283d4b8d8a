// SPDX-License-Identifier: MIT
#include "sqlitestore.h"

#include "messagecodec.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaObject>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace rtlab {

namespace {

// A prepared statement, finalized when it goes.
class Stmt
{
public:
    Stmt(sqlite3 *db, const char *sql) { m_rc = sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr); }
    ~Stmt() { sqlite3_finalize(m_stmt); }
    Stmt(const Stmt &) = delete;
    Stmt &operator=(const Stmt &) = delete;
    bool ok() const { return m_rc == SQLITE_OK; }
    sqlite3_stmt *get() const { return m_stmt; }

private:
    sqlite3_stmt *m_stmt = nullptr;
    int m_rc = SQLITE_OK;
};

QString errorOf(sqlite3 *db)
{
    return QString::fromUtf8(sqlite3_errmsg(db));
}

bool exec(sqlite3 *db, const char *sql, QString *error)
{
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK)
        return true;
    if (error)
        *error = errorOf(db);
    return false;
}

// The first column of the first row of `sql`, as text; nullopt (and the message) on an error.
std::optional<QByteArray> queryValue(sqlite3 *db, const char *sql, QString *error)
{
    Stmt st(db, sql);
    int rc = st.ok() ? sqlite3_step(st.get()) : SQLITE_ERROR;
    if (rc == SQLITE_ROW) {
        const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(st.get(), 0));
        return QByteArray(text ? text : "");
    }
    if (rc == SQLITE_DONE)
        return QByteArray();
    *error = errorOf(db);
    return std::nullopt;
}

} // namespace

SqliteStore::SqliteStore(QString path, StoreSpec::Sync sync, QObject *parent)
    : LogStore(parent), m_path(QFileInfo(path).absoluteFilePath()), m_sync(sync)
{
}

SqliteStore::~SqliteStore()
{
    stop();
}

void SqliteStore::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_writer.joinable())
        m_writer.join();
    if (m_reader.joinable())
        m_reader.join();
    // The last connection to close checkpoints the WAL into the database (SQLite's default).
    sqlite3_close_v2(m_readDb);
    sqlite3_close_v2(m_writeDb);
    m_readDb = m_writeDb = nullptr;
    if (m_markFd >= 0)
        ::close(m_markFd);
    m_markFd = -1;
}

QString SqliteStore::describe() const
{
    return QStringLiteral("sqlite:%1 (WAL, synchronous=%2)")
            .arg(m_path, m_sync == StoreSpec::Sync::Full ? QStringLiteral("FULL") : QStringLiteral("NORMAL"));
}

StoreStats SqliteStore::stats() const
{
    std::lock_guard lock(m_statsMutex);
    return m_stats;
}

bool SqliteStore::open(const LogLimits &limits, QString *error)
{
    m_limits = limits;
    m_limits.maxCount = qMax<qsizetype>(1, m_limits.maxCount);
    const QByteArray file = QFile::encodeName(m_path);
    auto fail = [&](const QString &why) {
        *error = QStringLiteral("%1: %2").arg(m_path, why);
        sqlite3_close_v2(m_writeDb);
        sqlite3_close_v2(m_readDb);
        m_writeDb = m_readDb = nullptr;
        return false;
    };
    QString why;
    if (sqlite3_open_v2(file.constData(), &m_writeDb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
        return fail(errorOf(m_writeDb));
    sqlite3_busy_timeout(m_writeDb, 5000);
    // The first statement that reads the file: a file that is not a database fails here.
    const auto mode = queryValue(m_writeDb, "PRAGMA journal_mode=WAL", &why);
    if (!mode)
        return fail(why);
    if (*mode != "wal")
        return fail(QStringLiteral("cannot use WAL (journal mode %1)").arg(QString::fromLatin1(*mode)));
    if (!exec(m_writeDb, m_sync == StoreSpec::Sync::Full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
              &why))
        return fail(why);
    const auto version = queryValue(m_writeDb, "PRAGMA user_version", &why);
    if (!version)
        return fail(why);
    bool created = false;
    if (version->toInt() == 0) {
        const auto tables = queryValue(m_writeDb, "SELECT count(*) FROM sqlite_master", &why);
        if (!tables)
            return fail(why);
        if (tables->toInt() != 0)
            return fail(QStringLiteral("a database, but not an rtlab log (no schema version)"));
        // A new log: a new epoch, stored with it.
        if (!exec(m_writeDb,
                  "BEGIN IMMEDIATE;"
                  "CREATE TABLE meta (epoch TEXT NOT NULL, created_ms INTEGER NOT NULL, last_id INTEGER NOT NULL);"
                  "CREATE TABLE messages (id INTEGER PRIMARY KEY, appended_ms INTEGER NOT NULL, body BLOB NOT NULL);",
                  &why))
            return fail(why);
        Stmt insert(m_writeDb, "INSERT INTO meta VALUES (?, ?, 0)");
        const QByteArray epoch = newEpoch().toLatin1();
        sqlite3_bind_text(insert.get(), 1, epoch.constData(), int(epoch.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert.get(), 2, QDateTime::currentMSecsSinceEpoch());
        if (!insert.ok() || sqlite3_step(insert.get()) != SQLITE_DONE
            || !exec(m_writeDb, "PRAGMA user_version=1; COMMIT", &why)) {
            why = errorOf(m_writeDb);
            exec(m_writeDb, "ROLLBACK", nullptr);
            return fail(why);
        }
        created = true;
    } else if (version->toInt() != SchemaVersion) {
        return fail(QStringLiteral("schema version %1, this build reads %2")
                            .arg(QString::fromLatin1(*version))
                            .arg(SchemaVersion));
    }
    // quick_check reads every page (O(size), without integrity_check's index cross-check): 0.7 to
    // 1.1 s for a million rows (160 MB) on the reference machine, 10 ms for the default --history
    // of 10,000; the file holds at most --history rows. Worth it: a torn or truncated file is
    // refused at start instead of failing reads later. A page that goes bad after the start
    // answers reads with an error and commits with 503.
    const auto check = queryValue(m_writeDb, "PRAGMA quick_check", &why);
    if (!check)
        return fail(why);
    if (*check != "ok")
        return fail(QStringLiteral("database disk image is malformed (%1)").arg(QString::fromUtf8(*check)));

    const auto epoch = queryValue(m_writeDb, "SELECT epoch FROM meta", &why);
    const auto lastId =
            queryValue(m_writeDb, "SELECT max(last_id, coalesce((SELECT max(id) FROM messages), 0)) FROM meta", &why);
    const auto firstId = queryValue(m_writeDb, "SELECT min(id) FROM messages", &why);
    if (!epoch || !lastId || !firstId)
        return fail(why);
    if (epoch->isEmpty())
        return fail(QStringLiteral("the log's meta row is missing"));
    m_epoch = QString::fromLatin1(*epoch);
    w_lastId = lastId->toULongLong();
    w_firstId = firstId->isEmpty() ? w_lastId + 1 : firstId->toULongLong();
    // The count bound holds from the first request on. A --history lowered since the last run is
    // applied here, before the server listens: left to the writer's chunks, the rows over it
    // would be replayed to a client resuming in the first moments, and counted by /stats. One
    // statement (start-up reads the whole file for quick_check already); should it fail, the
    // writer's chunks try again.
    if (w_lastId - w_firstId + 1 > quint64(m_limits.maxCount)) {
        const quint64 keepFrom = w_lastId - quint64(m_limits.maxCount) + 1;
        Stmt trim(m_writeDb, "DELETE FROM messages WHERE id < ?");
        sqlite3_bind_int64(trim.get(), 1, sqlite3_int64(keepFrom));
        if (trim.ok() && sqlite3_step(trim.get()) == SQLITE_DONE)
            w_firstId = keepFrom;
        else
            qWarning("sqlite store %s: retention at start: %s", qPrintable(m_path), qPrintable(errorOf(m_writeDb)));
    }

    // The mark: the ids this log gave out, as last written. A database behind it was restored
    // from an older copy (or lost its last commits): a new epoch before anything is published, so
    // a client holding one of the ids it gave out is told of a reset, never handed another message
    // under the same id. A database just created has a new epoch already.
    QFile markFile(markPath());
    if (!created && markFile.exists()) {
        const std::optional<HighWaterMark> mark =
                markFile.open(QIODevice::ReadOnly) ? HighWaterMark::parse(markFile.readAll()) : std::nullopt;
        QString reason;
        if (!mark)
            reason = QStringLiteral("the mark %1 is unreadable").arg(markPath());
        else if (mark->epoch != m_epoch)
            reason =
                    QStringLiteral("the mark %1 names epoch %2, the database %3").arg(markPath(), mark->epoch, m_epoch);
        else if (mark->lastId > w_lastId)
            reason = QStringLiteral("the database ends at id %1, the mark %2 says %3 were given out")
                             .arg(w_lastId)
                             .arg(markPath())
                             .arg(mark->lastId);
        if (!reason.isEmpty()) {
            const QString epoch = newEpoch();
            Stmt update(m_writeDb, "UPDATE meta SET epoch = ?");
            const QByteArray latin = epoch.toLatin1();
            sqlite3_bind_text(update.get(), 1, latin.constData(), int(latin.size()), SQLITE_TRANSIENT);
            if (!update.ok() || sqlite3_step(update.get()) != SQLITE_DONE)
                return fail(errorOf(m_writeDb));
            qWarning("sqlite store %s: %s: a new epoch %s (ids go on from %llu)", qPrintable(m_path),
                     qPrintable(reason), qPrintable(epoch), static_cast<unsigned long long>(w_lastId + 1));
            m_epoch = epoch;
        }
    }
    m_markFd = ::open(QFile::encodeName(markPath()).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_markFd < 0)
        return fail(QStringLiteral("cannot write the mark %1: %2")
                            .arg(markPath(), QString::fromLocal8Bit(strerror(errno))));
    writeMark();

    if (sqlite3_open_v2(file.constData(), &m_readDb, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
        return fail(errorOf(m_readDb));
    sqlite3_busy_timeout(m_readDb, 5000);

    m_head = { m_epoch, w_firstId, w_lastId };
    m_writer = std::thread([this] { writerLoop(); });
    m_reader = std::thread([this] { readerLoop(); });
    return true;
}

void SqliteStore::writeMark()
{
    const QByteArray text = HighWaterMark { m_epoch, w_lastId }.toText();
    // Fixed width, overwritten in place: one pwrite per commit, no fsync (see docs/architecture.md).
    if (::pwrite(m_markFd, text.constData(), size_t(text.size()), 0) != text.size())
        logFailure(QStringLiteral("cannot write the mark %1: %2")
                           .arg(markPath(), QString::fromLocal8Bit(strerror(errno))));
}

void SqliteStore::logFailure(const QString &what)
{
    // At most one line a second: a full disk fails every commit.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (w_lastLogMs != 0 && now - w_lastLogMs < 1000) {
        ++w_suppressed;
        return;
    }
    qWarning("sqlite store %s: %s (%lld more held back)", qPrintable(m_path), qPrintable(what), w_suppressed);
    w_lastLogMs = now;
    w_suppressed = 0;
}

std::vector<LogEntryPtr> SqliteStore::newest(qsizetype n)
{
    std::lock_guard lock(m_readDbMutex);
    QString error;
    std::vector<LogEntryPtr> entries = select(m_readDb, 0, int(qMin<qsizetype>(n, INT_MAX)), true, &error);
    if (!error.isEmpty())
        qWarning("sqlite store %s: %s", qPrintable(m_path), qPrintable(error));
    return entries;
}

std::vector<LogEntryPtr> SqliteStore::select(sqlite3 *db, quint64 after, int limit, bool newestFirst, QString *error)
{
    std::vector<LogEntryPtr> entries;
    if (limit <= 0)
        return entries;
    Stmt st(db,
            newestFirst ? "SELECT id, appended_ms, body FROM messages ORDER BY id DESC LIMIT ?2"
                        : "SELECT id, appended_ms, body FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2");
    if (!newestFirst)
        sqlite3_bind_int64(st.get(), 1, sqlite3_int64(after));
    sqlite3_bind_int(st.get(), 2, limit);
    int rc = st.ok() ? SQLITE_ROW : SQLITE_ERROR;
    while (st.ok() && (rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        const auto *body = static_cast<const char *>(sqlite3_column_blob(st.get(), 2));
        QString why;
        std::optional<Message> m =
                messageFromStoredBody(QByteArray(body ? body : "", sqlite3_column_bytes(st.get(), 2)),
                                      quint64(sqlite3_column_int64(st.get(), 0)), m_epoch, &why);
        if (!m) {
            *error = QStringLiteral("row %1 does not decode: %2").arg(sqlite3_column_int64(st.get(), 0)).arg(why);
            return {};
        }
        entries.push_back(makeLogEntry(std::move(*m), sqlite3_column_int64(st.get(), 1), 0));
    }
    if (rc != SQLITE_DONE) {
        *error = errorOf(db);
        return {};
    }
    if (newestFirst)
        std::reverse(entries.begin(), entries.end());
    return entries;
}

void SqliteStore::append(std::vector<AppendRequest> batch, AppendDone done)
{
    {
        std::lock_guard lock(m_mutex);
        m_appends.push_back({ std::move(batch), std::move(done) });
    }
    m_wake.notify_all();
}

void SqliteStore::read(quint64 after, int limit, ReadDone done)
{
    {
        std::lock_guard lock(m_mutex);
        m_reads.push_back({ after, limit, std::move(done) });
    }
    m_wake.notify_all();
}

void SqliteStore::expire(qint64 nowMs)
{
    {
        std::lock_guard lock(m_mutex);
        m_expireBeforeMs = std::max(m_expireBeforeMs, nowMs - m_limits.maxAgeMs);
    }
    m_wake.notify_all();
}

void SqliteStore::readerLoop()
{
    for (;;) {
        ReadRequest request;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_reads.empty(); });
            if (m_stopping)
                return; // `done`s not yet run are dropped
            request = std::move(m_reads.front());
            m_reads.pop_front();
        }
        ReadResult result;
        {
            std::lock_guard lock(m_readDbMutex);
            result.entries = select(m_readDb, request.after, request.limit, false, &result.error);
        }
        {
            std::lock_guard lock(m_statsMutex);
            m_stats.reads++;
        }
        QMetaObject::invokeMethod(
                this,
                [this, result = std::move(result), done = std::move(request.done)]() mutable {
                    // A row whose commit the loop has not heard of yet is not handed out.
                    const quint64 last = m_head.lastId;
                    while (!result.entries.empty() && result.entries.back()->message.id > last)
                        result.entries.pop_back();
                    if (done)
                        done(std::move(result));
                },
                Qt::QueuedConnection);
    }
}

void SqliteStore::writerLoop()
{
    bool trimBlocked = false; // a retention delete failed: tried again after the next commit
    auto trimDue = [&] {
        return !trimBlocked
                && (w_lastId - w_firstId + 1 > quint64(m_limits.maxCount)
                    || (m_expireBeforeMs > 0 && w_firstId <= w_lastId));
    };
    for (;;) {
        std::vector<Pending> work;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_appends.empty() || trimDue(); });
            if (m_appends.empty() && m_stopping)
                return;
            auto take = [&] {
                size_t rows = 0;
                for (const Pending &p : work)
                    rows += p.batch.size();
                while (!m_appends.empty() && (work.empty() || rows + m_appends.front().batch.size() <= MaxCommitRows)) {
                    rows += m_appends.front().batch.size();
                    work.push_back(std::move(m_appends.front()));
                    m_appends.pop_front();
                }
                return rows;
            };
            if (!m_appends.empty() && take() < MaxCommitRows && m_lingerUs > 0 && !m_stopping) {
                m_wake.wait_for(lock, std::chrono::microseconds(m_lingerUs));
                take();
            }
        }
        if (!work.empty()) {
            commit(std::move(work));
            trimBlocked = false;
        } else if (!trimChunk()) {
            trimBlocked = true;
        }
    }
}

void SqliteStore::commit(std::vector<Pending> work)
{
    const qint64 startUs = LogEntry::steadyNs() / 1000;
    quint64 id = w_lastId;
    QString why;
    bool ok = exec(m_writeDb, "BEGIN IMMEDIATE", &why);
    {
        Stmt insert(m_writeDb, "INSERT INTO messages (id, appended_ms, body) VALUES (?, ?, ?)");
        ok = ok && insert.ok();
        for (Pending &p : work) {
            for (AppendRequest &r : p.batch) {
                if (!ok)
                    break;
                r.message.id = ++id;
                r.message.epoch = m_epoch;
                const QByteArray body = storedBody(r.message);
                sqlite3_bind_int64(insert.get(), 1, sqlite3_int64(id));
                sqlite3_bind_int64(insert.get(), 2, r.appendedMs);
                sqlite3_bind_blob(insert.get(), 3, body.constData(), int(body.size()), SQLITE_STATIC);
                ok = sqlite3_step(insert.get()) == SQLITE_DONE;
                sqlite3_reset(insert.get());
            }
        }
    }
    // The count bound, in the same transaction when the excess is small (the usual case: the rows
    // this commit added): head() after `done` then already holds it. A larger excess (a smaller
    // --history at start) goes in chunks between commits (trimChunk).
    quint64 firstId = w_firstId;
    if (ok && id - firstId + 1 > quint64(m_limits.maxCount)) {
        firstId = std::min(id - quint64(m_limits.maxCount) + 1, w_firstId + DeleteChunkRows);
        Stmt del(m_writeDb, "DELETE FROM messages WHERE id < ?");
        sqlite3_bind_int64(del.get(), 1, sqlite3_int64(firstId));
        ok = del.ok() && sqlite3_step(del.get()) == SQLITE_DONE;
    }
    if (ok) {
        Stmt meta(m_writeDb, "UPDATE meta SET last_id = ?");
        sqlite3_bind_int64(meta.get(), 1, sqlite3_int64(id));
        ok = meta.ok() && sqlite3_step(meta.get()) == SQLITE_DONE;
    }
    ok = ok && exec(m_writeDb, "COMMIT", nullptr);
    if (!ok) {
        why = errorOf(m_writeDb);
        // SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR): then this fails, harmlessly.
        exec(m_writeDb, "ROLLBACK", nullptr);
    }
    const qint64 tookUs = LogEntry::steadyNs() / 1000 - startUs;

    size_t rows = 0;
    for (const Pending &p : work)
        rows += p.batch.size();
    std::vector<std::pair<AppendDone, AppendResult>> results;
    results.reserve(work.size());
    for (Pending &p : work) {
        AppendResult result;
        if (ok) {
            result.entries.reserve(p.batch.size());
            for (AppendRequest &r : p.batch)
                result.entries.push_back(makeLogEntry(std::move(r.message), r.appendedMs, r.appendedNs));
        } else {
            result.status = 503;
            result.error = QStringLiteral("the store could not commit: %1").arg(why);
        }
        results.emplace_back(std::move(p.done), std::move(result));
    }
    {
        std::lock_guard lock(m_statsMutex);
        if (ok && rows > 0) { // batches of no message commit nothing worth counting
            m_stats.commits++;
            m_stats.rows += rows;
            m_stats.countCommit(qint64(rows), tookUs);
        } else if (!ok) {
            m_stats.failedCommits++;
        }
    }
    if (ok) {
        w_lastId = id;
        w_firstId = firstId;
        writeMark();
    } else {
        logFailure(QStringLiteral("a commit of %1 messages failed, answered 503: %2").arg(rows).arg(why));
    }
    QMetaObject::invokeMethod(
            this,
            [this, results = std::move(results), ok, firstId = w_firstId, lastId = w_lastId]() mutable {
                if (ok) {
                    m_head.firstId = firstId;
                    m_head.lastId = lastId;
                }
                for (auto &[done, result] : results) {
                    if (done)
                        done(std::move(result));
                }
            },
            Qt::QueuedConnection);
}

bool SqliteStore::trimChunk()
{
    quint64 below = w_firstId; // delete ids < below
    if (w_lastId - w_firstId + 1 > quint64(m_limits.maxCount)) {
        below = std::min(w_lastId - quint64(m_limits.maxCount) + 1, w_firstId + DeleteChunkRows);
    } else {
        qint64 cutoff;
        {
            std::lock_guard lock(m_mutex);
            cutoff = m_expireBeforeMs;
        }
        // The oldest rows first, as the memory store: up to the first one young enough.
        Stmt st(m_writeDb, "SELECT id, appended_ms FROM messages WHERE id >= ? ORDER BY id LIMIT ?");
        sqlite3_bind_int64(st.get(), 1, sqlite3_int64(w_firstId));
        sqlite3_bind_int(st.get(), 2, DeleteChunkRows);
        int rc = st.ok() ? SQLITE_ROW : SQLITE_ERROR;
        int seen = 0;
        bool young = false;
        while (st.ok() && (rc = sqlite3_step(st.get())) == SQLITE_ROW) {
            ++seen;
            if (sqlite3_column_int64(st.get(), 1) >= cutoff) {
                young = true;
                break;
            }
            below = quint64(sqlite3_column_int64(st.get(), 0)) + 1;
        }
        if (!young && rc != SQLITE_DONE) {
            logFailure(QStringLiteral("retention could not read: %1").arg(errorOf(m_writeDb)));
            return false;
        }
        if (young || seen < DeleteChunkRows) {
            // Done with this expire() once this chunk goes (unless a later one came meanwhile).
            std::lock_guard lock(m_mutex);
            if (m_expireBeforeMs == cutoff)
                m_expireBeforeMs = 0;
        }
    }
    if (below > w_firstId) {
        Stmt del(m_writeDb, "DELETE FROM messages WHERE id < ?");
        sqlite3_bind_int64(del.get(), 1, sqlite3_int64(below));
        if (!del.ok() || sqlite3_step(del.get()) != SQLITE_DONE) {
            logFailure(QStringLiteral("retention could not delete: %1").arg(errorOf(m_writeDb)));
            return false;
        }
        w_firstId = std::min(below, w_lastId + 1);
        QMetaObject::invokeMethod(
                this,
                [this, firstId = w_firstId] {
                    m_head.firstId = firstId;
                    emit headChanged();
                },
                Qt::QueuedConnection);
    }
    return true;
}

} // namespace rtlab
