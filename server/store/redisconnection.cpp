// SPDX-License-Identifier: MIT
#include "redisconnection.h"

#include <QDateTime>
#include <QSocketNotifier>
#include <QUrl>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <poll.h>

namespace rtlab {

std::optional<RedisUrl> RedisUrl::parse(const QString &text, QString *why)
{
    const QUrl url(text, QUrl::StrictMode);
    auto fail = [&](const QString &what) {
        *why = QStringLiteral("%1 (expected redis://[:PASSWORD@]HOST:PORT[/DB])").arg(what);
        return std::nullopt;
    };
    if (url.scheme() != u"redis")
        return fail(QStringLiteral("not a redis:// URL: %1").arg(text));
    if (!url.isValid()) {
        // QUrl's own reason names the part ("Invalid port or host").
        return fail(QStringLiteral("bad redis URL: %1").arg(url.errorString()));
    }
    RedisUrl out;
    out.host = url.host();
    if (out.host.isEmpty())
        return fail(QStringLiteral("the redis URL has no host"));
    // QUrl takes "redis://h:x" as invalid already; a port of 0 it takes.
    if (url.port() == 0)
        return fail(QStringLiteral("the redis URL's port must be 1-65535"));
    out.port = url.port(6379);
    out.user = url.userName();
    out.password = url.password();
    const QString path = url.path();
    if (!path.isEmpty() && path != u"/") {
        bool ok = false;
        out.db = path.mid(1).toInt(&ok);
        if (!ok || out.db < 0)
            return fail(QStringLiteral("the redis URL's database must be a number, got %1").arg(path.mid(1)));
    }
    if (url.hasQuery() || url.hasFragment())
        return fail(QStringLiteral("the redis URL takes no query or fragment"));
    return out;
}

struct RedisConnection::Call
{
    RedisConnection *conn;
    ReplyFn fn;
};

namespace {

QString errorText(const char *errstr)
{
    QString s = QString::fromLocal8Bit(errstr && *errstr ? errstr : "connection lost");
    if (!s.isEmpty())
        s[0] = s[0].toLower();
    return s;
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

RedisConnection::RedisConnection(RedisUrl url, QString role, QObject *parent)
    : QObject(parent), m_url(std::move(url)), m_role(std::move(role))
{
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this,
            [this] { abort(QStringLiteral("no answer within %1 ms").arg(ConnectTimeoutMs)); });
    m_deadlineTimer.setInterval(100);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &RedisConnection::checkDeadlines);
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &RedisConnection::open);
}

RedisConnection::~RedisConnection()
{
    m_reconnect = false;
    if (m_ac) {
        // Every callback still waiting runs now with no reply; their owners are going too.
        redisAsyncContext *ac = m_ac;
        m_ac = nullptr;
        m_aborting = true;
        ac->data = nullptr;
        redisAsyncFree(ac);
    }
}

void RedisConnection::open()
{
    if (m_ac)
        return;
    m_retryTimer.stop();
    const QByteArray host = m_url.host.toUtf8();
    redisAsyncContext *ac = redisAsyncConnect(host.constData(), m_url.port);
    if (!ac) {
        dropped(QStringLiteral("out of memory"));
        return;
    }
    if (ac->err) {
        const QString why = errorText(ac->c.errstr);
        redisAsyncFree(ac);
        dropped(why);
        return;
    }
    m_ac = ac;
    ac->data = this;
    // Our own few lines instead of <hiredis/adapters/qt.h>: that header declares a Q_OBJECT class
    // and connects by SIGNAL/SLOT strings.
    m_read = new QSocketNotifier(ac->c.fd, QSocketNotifier::Read, this);
    m_write = new QSocketNotifier(ac->c.fd, QSocketNotifier::Write, this);
    m_read->setEnabled(false);
    m_write->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this, ac] {
        if (ac == m_ac)
            redisAsyncHandleRead(ac);
    });
    connect(m_write, &QSocketNotifier::activated, this, [this, ac] {
        if (ac == m_ac)
            redisAsyncHandleWrite(ac);
    });
    ac->ev.data = this;
    ac->ev.addRead = [](void *p) {
        if (auto *c = static_cast<RedisConnection *>(p); c->m_read)
            c->m_read->setEnabled(true);
    };
    ac->ev.delRead = [](void *p) {
        if (auto *c = static_cast<RedisConnection *>(p); c->m_read)
            c->m_read->setEnabled(false);
    };
    ac->ev.addWrite = [](void *p) {
        if (auto *c = static_cast<RedisConnection *>(p); c->m_write)
            c->m_write->setEnabled(true);
    };
    ac->ev.delWrite = [](void *p) {
        if (auto *c = static_cast<RedisConnection *>(p); c->m_write)
            c->m_write->setEnabled(false);
    };
    ac->ev.cleanup = [](void *p) {
        auto *c = static_cast<RedisConnection *>(p);
        // Inside the notifier's own signal, possibly: deleted later.
        for (QSocketNotifier *n : { c->m_read, c->m_write }) {
            if (n) {
                n->setEnabled(false);
                n->deleteLater();
            }
        }
        c->m_read = c->m_write = nullptr;
    };
    redisAsyncSetConnectCallback(ac, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(ac, &RedisConnection::onDisconnect);
    m_connectTimer.start(ConnectTimeoutMs);
}

void RedisConnection::onConnect(const redisAsyncContext *ac, int status)
{
    auto *c = static_cast<RedisConnection *>(ac->data);
    if (!c)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context after this returns.
        c->m_ac = nullptr;
        c->dropped(errorText(ac->c.errstr));
        return;
    }
    c->handshake();
}

void RedisConnection::handshake()
{
    // AUTH and SELECT pipelined; ready when the last one answered.
    QList<QList<QByteArray>> steps;
    if (!m_url.password.isEmpty()) {
        QList<QByteArray> auth { "AUTH" };
        if (!m_url.user.isEmpty())
            auth << m_url.user.toUtf8();
        steps << (auth << m_url.password.toUtf8());
    }
    if (m_url.db != 0)
        steps << QList<QByteArray> { "SELECT", QByteArray::number(m_url.db) };
    steps << QList<QByteArray> { "PING" };
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const bool last = i == steps.size() - 1;
        const QByteArray name = steps[i].front();
        send(
                steps[i],
                [this, last, name](const redisReply *, const QString &error) {
                    if (!error.isEmpty()) {
                        if (m_ac && m_lastError.isEmpty())
                            m_lastError = QStringLiteral("%1: %2").arg(QString::fromLatin1(name), error);
                        if (m_ac)
                            redisAsyncDisconnect(m_ac);
                        return;
                    }
                    if (last) {
                        m_connectTimer.stop();
                        m_ready = true;
                        m_backoffMs = 50;
                        m_lastError.clear();
                        emit ready();
                    }
                },
                ConnectTimeoutMs);
    }
}

void RedisConnection::onDisconnect(const redisAsyncContext *ac, int)
{
    auto *c = static_cast<RedisConnection *>(ac->data);
    if (!c || c->m_aborting)
        return;
    c->m_ac = nullptr;
    c->dropped(c->m_lastError.isEmpty() ? errorText(ac->c.err ? ac->c.errstr : "server closed the connection")
                                        : c->m_lastError);
}

void RedisConnection::onReply(redisAsyncContext *ac, void *reply, void *privdata)
{
    std::unique_ptr<Call> call(static_cast<Call *>(privdata));
    RedisConnection *c = call->conn;
    if (!ac->data)
        return; // the connection object is going: nobody to answer
    if (!c->m_deadlines.empty())
        c->m_deadlines.pop_front();
    if (c->m_deadlines.empty())
        c->m_deadlineTimer.stop();
    const auto *r = static_cast<const redisReply *>(reply);
    if (!r) {
        // The context is being freed: every waiting command hears of it.
        c->m_ac = nullptr;
        c->m_ready = false;
        const QString why = !c->m_lastError.isEmpty() ? c->m_lastError
                : ac->c.err                           ? errorText(ac->c.errstr)
                                                      : QStringLiteral("connection lost");
        call->fn(nullptr, QStringLiteral("redis %1: %2").arg(c->m_url.address(), why));
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        call->fn(nullptr, QString::fromUtf8(r->str, qsizetype(r->len)));
        return;
    }
    call->fn(r, QString());
}

bool RedisConnection::command(const QList<QByteArray> &args, ReplyFn reply, int timeoutMs)
{
    if (!m_ready || !m_ac)
        return false;
    return send(args, std::move(reply), timeoutMs);
}

bool RedisConnection::send(const QList<QByteArray> &args, ReplyFn reply, int timeoutMs)
{
    std::vector<const char *> argv;
    std::vector<size_t> lens;
    argv.reserve(size_t(args.size()));
    lens.reserve(size_t(args.size()));
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lens.push_back(size_t(a.size()));
    }
    auto *call = new Call { this, std::move(reply) };
    if (redisAsyncCommandArgv(m_ac, &RedisConnection::onReply, call, int(argv.size()), argv.data(), lens.data())
        != REDIS_OK) {
        delete call;
        return false;
    }
    m_deadlines.push_back(nowMs() + timeoutMs);
    if (!m_deadlineTimer.isActive())
        m_deadlineTimer.start();
    return true;
}

void RedisConnection::checkDeadlines()
{
    // Replies come in order: the oldest command is the first to time out.
    if (!m_deadlines.empty() && m_deadlines.front() < nowMs())
        abort(QStringLiteral("no reply within %1 ms").arg(CommandTimeoutMs));
}

void RedisConnection::abort(const QString &why)
{
    if (!m_ac)
        return;
    m_lastError = why;
    redisAsyncContext *ac = m_ac;
    const bool wasConnected = ac->c.flags & REDIS_CONNECTED;
    // Freed from a timer, outside hiredis's callbacks: the one place freeing is allowed.
    m_aborting = true;
    redisAsyncFree(ac);
    m_aborting = false;
    m_ac = nullptr;
    (void)wasConnected;
    dropped(why);
}

void RedisConnection::dropped(const QString &why)
{
    m_connectTimer.stop();
    m_deadlineTimer.stop();
    m_deadlines.clear();
    m_ready = false;
    m_lastError.clear();
    emit lost(why);
    if (m_reconnect) {
        m_retryTimer.start(m_backoffMs);
        m_backoffMs = qMin(1000, m_backoffMs * 2);
    }
}

void RedisConnection::flush(int ms)
{
    const qint64 until = nowMs() + ms;
    while (m_ac && !m_deadlines.empty() && nowMs() < until) {
        int done = 0;
        if (redisBufferWrite(&m_ac->c, &done) != REDIS_OK)
            return;
        pollfd p { m_ac->c.fd, short(done ? POLLIN : POLLIN | POLLOUT), 0 };
        if (::poll(&p, 1, int(qMax<qint64>(0, until - nowMs()))) <= 0)
            return;
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            redisAsyncHandleRead(m_ac);
    }
}

namespace redisreply {

QByteArray string(const redisReply *r)
{
    if (!r)
        return {};
    if (r->type == REDIS_REPLY_INTEGER)
        return QByteArray::number(r->integer);
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return QByteArray(r->str, qsizetype(r->len));
    return {};
}

qint64 integer(const redisReply *r)
{
    if (!r)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    return string(r).toLongLong();
}

bool isNil(const redisReply *r)
{
    return !r || r->type == REDIS_REPLY_NIL;
}

size_t size(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}

const redisReply *at(const redisReply *r, size_t i)
{
    return i < size(r) ? r->element[i] : nullptr;
}

} // namespace redisreply

} // namespace rtlab
