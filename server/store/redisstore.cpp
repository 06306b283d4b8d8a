// SPDX-License-Identifier: MIT
#include "redisstore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QRandomGenerator>
#include <QSysInfo>

#include <hiredis/hiredis.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace rtlab {

namespace {

using namespace redisreply;

// The epoch rule, shared by the scripts that may be the first to touch the log after Redis came
// back: no meta → a new epoch (the ids go on from the stream's newest entry, if any); meta in the
// node's epoch but behind its mark (Redis restored from an older copy) → the candidate epoch, the
// ids go on from Redis's last (kept entries belong to the new epoch, clients are told of a reset).
// Atomic as every script: this is the compare-and-set.
const char *const SyncLua = R"LUA(
local function sync(meta, log, markEpoch, markId, cand)
  local m = redis.call('HMGET', meta, 'epoch', 'last')
  local epoch, last = m[1], tonumber(m[2] or '0')
  if not epoch then
    local top = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
    if #top > 0 then last = tonumber(string.match(top[1][1], '^(%d+)')) end
    epoch = cand
    redis.call('HSET', meta, 'epoch', epoch, 'last', last)
  elseif epoch == markEpoch and last < tonumber(markId) then
    epoch = cand
    redis.call('HSET', meta, 'epoch', epoch)
  end
  return epoch, last
end
)LUA";

// KEYS meta log; ARGV markEpoch markId candidate → {epoch, last, first kept id}.
const char *const MetaLua = R"LUA(
local epoch, last = sync(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
local first = last + 1
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #head > 0 then first = tonumber(string.match(head[1][1], '^(%d+)')) end
return {epoch, last, first}
)LUA";

// KEYS meta log cmid; ARGV markEpoch markId candidate maxCount node, then per message: dedupe key
// (or ""), body, appendedMs, appendedNs → {epoch, per message: its new id, or -(the id the log
// already gave the same key)}.
const char *const PublishLua = R"LUA(
local epoch = sync(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
local maxCount = tonumber(ARGV[4])
local out = {epoch}
local last = 0
for i = 6, #ARGV, 4 do
  local key = ARGV[i]
  local dup = false
  if key ~= '' then dup = redis.call('ZSCORE', KEYS[3], key) end
  if dup then
    out[#out + 1] = -tonumber(dup)
  else
    last = redis.call('HINCRBY', KEYS[1], 'last', 1)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxCount, string.format('%d-0', last),
               'b', ARGV[i + 1], 't', ARGV[i + 2], 'e', epoch, 'n', ARGV[5], 's', ARGV[i + 3])
    if key ~= '' then redis.call('ZADD', KEYS[3], last, key) end
    out[#out + 1] = last
  end
end
if last > maxCount then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', last - maxCount) end
return out
)LUA";

// KEYS log cmid; ARGV oldestMs scanLimit → the first kept id after the trim (0: nothing looked at).
const char *const ExpireLua = R"LUA(
local oldest, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
local cursor, keep, lastOld = '-', false, false
while budget > 0 and not keep do
  local r = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 100)
  if #r == 0 then break end
  for _, e in ipairs(r) do
    local f, t = e[2], 0
    for j = 1, #f, 2 do if f[j] == 't' then t = tonumber(f[j + 1]) end end
    if t >= oldest then keep = e[1] break end
    lastOld = e[1]
  end
  budget = budget - #r
  cursor = '(' .. r[#r][1]
end
local first = 0
if keep then first = tonumber(string.match(keep, '^(%d+)'))
elseif lastOld then first = tonumber(string.match(lastOld, '^(%d+)')) + 1 end
if first > 0 then
  redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-0', first))
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', first - 1)
end
return first
)LUA";

// KEYS lease; ARGV token ms → 1 while the lease is ours (taken again if Redis lost it), else 0.
const char *const RenewLua = R"LUA(
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
)LUA";

const char *const ReleaseLua = R"LUA(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)LUA";

quint64 streamId(const redisReply *r)
{
    const QByteArray s = string(r);
    const qsizetype dash = s.indexOf('-');
    return (dash < 0 ? s : s.left(dash)).toULongLong();
}

QByteArray num(quint64 n)
{
    return QByteArray::number(n);
}

} // namespace

RedisStore::RedisStore(RedisUrl url, QString logName, QString nodeName, QString stateDir, QObject *parent)
    : LogStore(parent), m_url(std::move(url)), m_log(std::move(logName)), m_node(std::move(nodeName)),
      m_stateDir(std::move(stateDir)), m_cmd(m_url, QStringLiteral("commands")), m_tail(m_url, QStringLiteral("tail"))
{
    m_leaseTimer.setInterval(RenewMs);
    connect(&m_leaseTimer, &QTimer::timeout, this, &RedisStore::renewLease);
    m_tailRetry.setSingleShot(true);
    connect(&m_tailRetry, &QTimer::timeout, this, &RedisStore::tailSync);
}

RedisStore::~RedisStore()
{
    m_leaseTimer.stop();
    if (m_open && m_cmd.isReady()) {
        // The name is free again at once, not after the lease: a restarted node may take it.
        m_cmd.command({ "EVAL", ReleaseLua, "1", key(":node:") + m_node.toUtf8(), m_leaseToken },
                      [](const redisReply *, const QString &) {});
        m_cmd.flush(500);
    }
    if (m_markFd >= 0)
        ::close(m_markFd);
}

QByteArray RedisStore::key(const char *suffix) const
{
    return '{' + m_log.toUtf8() + '}' + suffix;
}

QString RedisStore::describe() const
{
    return QStringLiteral("%1 log %2 node %3").arg(m_url.display(), m_log, m_node);
}

QString RedisStore::markPath() const
{
    if (m_stateDir.isEmpty())
        return {};
    QString name = m_node;
    name.replace(u'/', u'_');
    return QDir(m_stateDir).filePath(name + QStringLiteral(".hwm"));
}

QList<QByteArray> RedisStore::syncCommand()
{
    return { "EVAL",      QByteArray(SyncLua) + MetaLua, "2",           key(":meta"),
             key(":log"), m_markEpoch.toUtf8(),          num(m_markId), newEpoch().toUtf8() };
}

std::optional<RedisStore::Meta> RedisStore::parseMeta(const redisReply *r)
{
    if (size(r) != 3)
        return std::nullopt;
    return Meta { QString::fromUtf8(string(at(r, 0))), quint64(integer(at(r, 1))), quint64(integer(at(r, 2))) };
}

bool RedisStore::waitFor(const std::function<bool()> &cond, int ms)
{
    // open() is synchronous (the server listens only after it): a local event loop runs the very
    // connection code the node runs later, rather than a second, blocking client for start-up.
    QEventLoop loop;
    QTimer poll;
    QElapsedTimer clock;
    clock.start();
    connect(&poll, &QTimer::timeout, &loop, [&] {
        if (cond() || clock.elapsed() > ms)
            loop.quit();
    });
    poll.start(5);
    if (!cond())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    return cond();
}

bool RedisStore::open(const LogLimits &limits, QString *error)
{
    m_limits = limits;
    m_limits.maxCount = qMax<qsizetype>(1, m_limits.maxCount);
    if (m_node.isEmpty())
        m_node = QSysInfo::machineHostName();
    auto fail = [&](const QString &why) {
        *error = QStringLiteral("redis %1: %2").arg(m_url.address(), why);
        return false;
    };

    if (!m_stateDir.isEmpty()) {
        if (!QDir().mkpath(m_stateDir))
            return fail(QStringLiteral("cannot create the state directory %1").arg(m_stateDir));
        QFile file(markPath());
        if (file.exists()) {
            const auto mark = file.open(QIODevice::ReadOnly) ? HighWaterMark::parse(file.readAll()) : std::nullopt;
            if (!mark)
                return fail(QStringLiteral("the mark %1 is unreadable (remove it to start without)").arg(markPath()));
            m_markEpoch = mark->epoch;
            m_markId = mark->lastId;
        }
        m_markFd = ::open(QFile::encodeName(markPath()).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_markFd < 0)
            return fail(QStringLiteral("cannot write the mark %1: %2")
                                .arg(markPath(), QString::fromLocal8Bit(strerror(errno))));
    }

    QString lostWhy;
    const auto lost = connect(&m_cmd, &RedisConnection::lost, this, [&](const QString &why) { lostWhy = why; });
    m_cmd.open();
    waitFor([&] { return m_cmd.isReady() || !lostWhy.isEmpty(); }, OpenTimeoutMs);
    disconnect(lost);
    if (!m_cmd.isReady())
        return fail(lostWhy.isEmpty() ? QStringLiteral("no answer within %1 ms").arg(OpenTimeoutMs) : lostWhy);

    // The steps in order, each waited for: the script, the lease, the meta, the newest entries.
    bool answered = false;
    QString stepError;
    auto step = [&](const QList<QByteArray> &args, const std::function<void(const redisReply *)> &use) {
        answered = false;
        stepError.clear();
        const bool sent = m_cmd.command(args, [&, use](const redisReply *r, const QString &err) {
            answered = true;
            stepError = err;
            if (err.isEmpty())
                use(r);
        });
        if (!sent)
            stepError = m_cmd.lastError().isEmpty() ? QStringLiteral("connection lost") : m_cmd.lastError();
        else if (!waitFor([&] { return answered; }, OpenTimeoutMs))
            stepError = QStringLiteral("no answer within %1 ms").arg(OpenTimeoutMs);
        return stepError.isEmpty();
    };

    if (!step({ "SCRIPT", "LOAD", QByteArray(SyncLua) + PublishLua },
              [&](const redisReply *r) { m_publishSha = string(r); }))
        return fail(stepError);
    m_leaseToken = QByteArray::number(QRandomGenerator::system()->generate64(), 16);
    bool leased = false;
    if (!step({ "SET", key(":node:") + m_node.toUtf8(), m_leaseToken, "NX", "PX", QByteArray::number(LeaseMs) },
              [&](const redisReply *r) { leased = !isNil(r); }))
        return fail(stepError);
    if (!leased)
        return fail(QStringLiteral("node %1 is already live on log %2 (a node's name must be unique: --node)")
                            .arg(m_node, m_log));
    m_open = true; // from here on the lease is ours to give back
    std::optional<Meta> meta;
    if (!step(syncCommand(), [&](const redisReply *r) { meta = parseMeta(r); }))
        return fail(stepError);
    if (!meta)
        return fail(QStringLiteral("unexpected reply to the meta script"));
    if (!step({ "XREVRANGE", key(":log"), "+", "-", "COUNT", num(quint64(qMin(RingMax, m_limits.maxCount))) },
              [&](const redisReply *r) {
                  m_head.epoch = meta->epoch;
                  fillRing(r);
              }))
        return fail(stepError);
    adopt(*meta, false);

    connect(&m_cmd, &RedisConnection::ready, this, &RedisStore::commandReady);
    connect(&m_cmd, &RedisConnection::lost, this,
            [this](const QString &why) { setState(false, QStringLiteral("redis %1: %2").arg(m_url.address(), why)); });
    connect(&m_tail, &RedisConnection::ready, this, [this] { tailSync(); });
    connect(&m_tail, &RedisConnection::lost, this, [this] { m_tailBusy = false; });
    m_cmd.setReconnect(true);
    m_tail.setReconnect(true);
    m_tail.open();
    m_leaseTimer.start();
    setState(true, QStringLiteral("ok"));
    return true;
}

void RedisStore::commandReady()
{
    // Redis may have restarted: the script again, the lease again, then publishes are taken.
    m_cmd.command({ "SCRIPT", "LOAD", QByteArray(SyncLua) + PublishLua },
                  [this](const redisReply *r, const QString &err) {
                      if (!err.isEmpty())
                          return; // the connection drops, or an error: the next ready() tries again
                      m_publishSha = string(r);
                      renewLease();
                      setState(true, QStringLiteral("ok"));
                  });
}

void RedisStore::renewLease()
{
    m_cmd.command({ "EVAL", RenewLua, "1", key(":node:") + m_node.toUtf8(), m_leaseToken, QByteArray::number(LeaseMs) },
                  [this](const redisReply *r, const QString &err) {
                      if (err.isEmpty() && integer(r) == 0)
                          qWarning("redis store: node %s: another process holds this node's name on log %s now",
                                   qPrintable(m_node), qPrintable(m_log));
                  });
}

void RedisStore::setState(bool available, const QString &detail)
{
    if (m_state.available == available && m_state.detail == detail)
        return;
    m_state = { available, detail };
    emit stateChanged();
}

void RedisStore::post(std::function<void()> fn)
{
    QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

void RedisStore::append(std::vector<AppendRequest> batch, AppendDone done)
{
    if (batch.empty()) {
        // Through the pipeline when there is one, so that `done`s keep the order of the calls.
        if (!m_cmd.command({ "PING" }, [done](const redisReply *, const QString &) {
                if (done)
                    done({});
            }))
            post([done] {
                if (done)
                    done({});
            });
        return;
    }
    auto failed = [this](const QString &why) {
        AppendResult r;
        r.status = 503;
        r.error = why;
        m_stats.failedCommits++;
        return r;
    };
    QList<QByteArray> args {
        "EVALSHA",      m_publishSha,         "3",           key(":meta"),        key(":log"),
        key(":cmid"),   m_markEpoch.toUtf8(), num(m_markId), newEpoch().toUtf8(), num(quint64(m_limits.maxCount)),
        m_node.toUtf8()
    };
    args.reserve(args.size() + qsizetype(batch.size()) * 4);
    for (const AppendRequest &r : batch) {
        const Message &m = r.message;
        args << (m.type == MessageType::Chat && !m.clientMsgId.isEmpty()
                         ? m.from.toUtf8() + '\n' + m.clientMsgId.toUtf8()
                         : QByteArray())
             << storedBody(m) << QByteArray::number(r.appendedMs) << QByteArray::number(r.appendedNs);
    }
    const qint64 startUs = LogEntry::steadyNs() / 1000;
    auto shared = std::make_shared<std::vector<AppendRequest>>(std::move(batch));
    const bool sent =
            m_cmd.command(args, [this, shared, done, startUs, failed](const redisReply *r, const QString &err) {
                if (!err.isEmpty() || size(r) != shared->size() + 1) {
                    if (err.startsWith(u"NOSCRIPT"))
                        commandReady(); // flushed by an operator: load it again
                    const QString why = err.isEmpty() ? QStringLiteral("unexpected reply to the publish script") : err;
                    if (done)
                        done(failed(why));
                    return;
                }
                AppendResult result;
                const QString epoch = QString::fromUtf8(string(at(r, 0)));
                quint64 top = 0;
                for (size_t i = 0; i < shared->size(); ++i) {
                    const qint64 v = integer(at(r, i + 1));
                    AppendRequest &req = (*shared)[i];
                    if (v < 0) {
                        result.duplicateOf.resize(shared->size(), 0);
                        result.duplicateOf[i] = quint64(-v);
                        continue;
                    }
                    req.message.id = quint64(v);
                    req.message.epoch = epoch;
                    top = quint64(v);
                    result.entries.push_back(makeLogEntry(std::move(req.message), req.appendedMs, req.appendedNs));
                }
                if (top)
                    seeId(epoch, top);
                m_stats.commits++;
                m_stats.rows += result.entries.size();
                m_stats.countCommit(qint64(shared->size()), LogEntry::steadyNs() / 1000 - startUs);
                if (done)
                    done(std::move(result));
            });
    if (!sent) {
        const AppendResult r = failed(m_state.available ? QStringLiteral("redis %1: not connected").arg(m_url.address())
                                                        : m_state.detail);
        post([done, r] {
            if (done)
                done(r);
        });
    }
}

void RedisStore::read(quint64 after, int limit, ReadDone done)
{
    const quint64 from = std::max(after + 1, m_head.firstId);
    const quint64 to = m_head.lastId;
    if (limit <= 0 || from > to) {
        post([done] {
            if (done)
                done({});
        });
        return;
    }
    m_stats.reads++;
    const bool sent =
            m_cmd.command({ "XRANGE", key(":log"), num(from) + "-0", num(to) + "-0", "COUNT", num(quint64(limit)) },
                          [this, done](const redisReply *r, const QString &err) {
                              ReadResult result;
                              result.error = err;
                              if (err.isEmpty())
                                  result.entries = decode(r, false, &result.error);
                              // A reset while the read was out: nothing of the old epoch.
                              std::erase_if(result.entries, [this](const LogEntryPtr &e) {
                                  return e->message.id < m_head.firstId || e->message.id > m_head.lastId;
                              });
                              if (done)
                                  done(std::move(result));
                          });
    if (!sent) {
        const QString why =
                m_state.available ? QStringLiteral("redis %1: not connected").arg(m_url.address()) : m_state.detail;
        post([done, why] {
            if (done)
                done({ {}, why });
        });
    }
}

void RedisStore::expire(qint64 nowMs)
{
    m_cmd.command({ "EVAL", ExpireLua, "2", key(":log"), key(":cmid"), QByteArray::number(nowMs - m_limits.maxAgeMs),
                    QByteArray::number(ExpireScan) },
                  [this](const redisReply *r, const QString &err) {
                      if (!err.isEmpty())
                          return; // the next expire tries again
                      const quint64 first = qMin(quint64(integer(r)), m_head.lastId + 1);
                      if (first > m_head.firstId) {
                          m_head.firstId = first;
                          trimRing();
                          emit headChanged();
                      }
                  });
}

std::vector<LogEntryPtr> RedisStore::newest(qsizetype n)
{
    const size_t count = std::min(m_ring.size(), size_t(qMax<qsizetype>(0, n)));
    return { m_ring.end() - qptrdiff(count), m_ring.end() };
}

void RedisStore::trimRing()
{
    const size_t cap = size_t(qMin(RingMax, m_limits.maxCount));
    while (!m_ring.empty() && (m_ring.size() > cap || m_ring.front()->message.id < m_head.firstId))
        m_ring.pop_front();
}

std::vector<LogEntryPtr> RedisStore::decode(const redisReply *entries, bool live, QString *error) const
{
    std::vector<LogEntryPtr> out;
    out.reserve(size(entries));
    const qint64 arrivedNs = LogEntry::steadyNs();
    for (size_t i = 0; i < size(entries); ++i) {
        const redisReply *e = at(entries, i);
        const quint64 id = streamId(at(e, 0));
        const redisReply *fields = at(e, 1);
        QByteArray body, node;
        qint64 appendedMs = 0, appendedNs = 0;
        for (size_t f = 0; f + 1 < size(fields); f += 2) {
            const QByteArray name = string(at(fields, f));
            const redisReply *value = at(fields, f + 1);
            if (name == "b")
                body = string(value);
            else if (name == "t")
                appendedMs = integer(value);
            else if (name == "n")
                node = string(value);
            else if (name == "s")
                appendedNs = integer(value);
        }
        QString why;
        std::optional<Message> m = messageFromStoredBody(body, id, m_head.epoch, &why);
        if (!m) {
            *error = QStringLiteral("entry %1 of %2 does not decode: %3")
                             .arg(id)
                             .arg(QString::fromUtf8(key(":log")), why);
            return {};
        }
        // appendedNs is this process's monotonic clock: the publish's own for this node's
        // entries, the arrival for the others' (clocks of two machines do not compare).
        if (!live)
            appendedNs = 0;
        else if (node != m_node.toUtf8())
            appendedNs = arrivedNs;
        out.push_back(makeLogEntry(std::move(*m), appendedMs, appendedNs));
    }
    return out;
}

void RedisStore::fillRing(const redisReply *revrange)
{
    QString error;
    std::vector<LogEntryPtr> entries = decode(revrange, false, &error);
    if (!error.isEmpty())
        qWarning("redis store: %s", qPrintable(error));
    m_ring.assign(entries.rbegin(), entries.rend());
}

void RedisStore::adopt(const Meta &meta, bool announce)
{
    const bool changed = meta.epoch != m_head.epoch;
    m_head.epoch = meta.epoch;
    m_head.lastId = meta.last;
    m_head.firstId =
            std::max(meta.first,
                     meta.last >= quint64(m_limits.maxCount) ? meta.last - quint64(m_limits.maxCount) + 1 : quint64(1));
    m_head.firstId = qMin(m_head.firstId, meta.last + 1);
    trimRing();
    seeId(meta.epoch, meta.last);
    writeMark();
    if (announce && changed)
        emit epochChanged();
}

void RedisStore::seeId(const QString &epoch, quint64 id)
{
    if (epoch != m_markEpoch) {
        m_markEpoch = epoch;
        m_markId = id;
    } else {
        m_markId = std::max(m_markId, id);
    }
}

void RedisStore::writeMark()
{
    if (m_markFd < 0)
        return;
    const QByteArray text = HighWaterMark { m_markEpoch, m_markId }.toText();
    // Fixed width, overwritten in place: one pwrite per tail batch, no fsync (as the SQLite store's).
    if (::pwrite(m_markFd, text.constData(), size_t(text.size()), 0) != text.size())
        qWarning("redis store: cannot write the mark %s: %s", qPrintable(markPath()), strerror(errno));
}

void RedisStore::tailSync()
{
    if (m_tailBusy || !m_tail.isReady())
        return;
    m_tailBusy = true;
    const bool sent = m_tail.command(syncCommand(), [this](const redisReply *r, const QString &err) {
        m_tailBusy = false;
        const std::optional<Meta> meta = err.isEmpty() ? parseMeta(r) : std::nullopt;
        if (!meta) {
            if (m_tail.isReady()) // an error reply: try again (a lost connection syncs when back)
                m_tailRetry.start(1000);
            return;
        }
        if (meta->epoch == m_head.epoch && meta->last >= m_head.lastId) {
            m_epochChecked = true;
            tailRead();
            return;
        }
        // A new epoch (Redis came back empty or older): take it, with its newest entries.
        m_tailBusy = true;
        m_tail.command({ "XREVRANGE", key(":log"), num(meta->last) + "-0", "-", "COUNT",
                         num(quint64(qMin(RingMax, m_limits.maxCount))) },
                       [this, meta](const redisReply *r, const QString &err) {
                           m_tailBusy = false;
                           if (!err.isEmpty()) {
                               if (m_tail.isReady())
                                   m_tailRetry.start(1000);
                               return;
                           }
                           const QString old = m_head.epoch;
                           m_head.epoch = meta->epoch;
                           fillRing(r);
                           m_head.epoch = old;
                           adopt(*meta, true);
                           tailRead();
                       });
    });
    if (!sent)
        m_tailBusy = false;
}

void RedisStore::tailRead()
{
    if (m_tailBusy || !m_tail.isReady())
        return;
    m_tailBusy = true;
    const bool sent = m_tail.command(
            { "XREAD", "BLOCK", QByteArray::number(TailBlockMs), "COUNT", QByteArray::number(TailCount), "STREAMS",
              key(":log"), num(m_head.lastId) + "-0" },
            [this](const redisReply *r, const QString &err) {
                m_tailBusy = false;
                if (!err.isEmpty()) {
                    if (m_tail.isReady())
                        m_tailRetry.start(1000);
                    return;
                }
                if (!isNil(r))
                    tailArrived(at(at(r, 0), 1));
                if (!m_tailBusy)
                    tailRead();
            },
            TailBlockMs + RedisConnection::CommandTimeoutMs);
    if (!sent)
        m_tailBusy = false;
}

void RedisStore::tailArrived(const redisReply *entries)
{
    // An entry of another epoch: the log was reset under this node (another node rotated it).
    size_t n = 0;
    bool foreign = false;
    for (; n < size(entries); ++n) {
        const redisReply *fields = at(at(entries, n), 1);
        for (size_t f = 0; f + 1 < size(fields); f += 2) {
            if (!m_epochChecked && string(at(fields, f)) == "e" && string(at(fields, f + 1)) != m_head.epoch.toUtf8())
                foreign = true;
        }
        if (foreign)
            break;
    }
    if (n > 0) {
        redisReply part = *entries;
        part.elements = n;
        QString error;
        std::vector<LogEntryPtr> arrived = decode(&part, true, &error);
        if (!error.isEmpty())
            qWarning("redis store: %s", qPrintable(error));
        if (!arrived.empty()) {
            const quint64 first = arrived.front()->message.id;
            if (first != m_head.lastId + 1) {
                // Trimmed while this node was away: what it missed is gone, as if expired.
                m_head.lastId = first - 1;
                m_head.firstId = first;
                trimRing();
                emit headChanged();
            }
            m_head.lastId = arrived.back()->message.id;
            if (m_head.lastId >= quint64(m_limits.maxCount))
                m_head.firstId = std::max(m_head.firstId, m_head.lastId - quint64(m_limits.maxCount) + 1);
            m_ring.insert(m_ring.end(), arrived.begin(), arrived.end());
            trimRing();
            seeId(m_head.epoch, m_head.lastId);
            writeMark();
            emit entriesArrived(arrived);
        }
    }
    m_epochChecked = false;
    if (foreign)
        tailSync();
}

} // namespace rtlab
