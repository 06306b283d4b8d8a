// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <deque>
#include <functional>
#include <optional>

struct redisAsyncContext;
struct redisReply;
class QSocketNotifier;

namespace rtlab {

// Where a Redis server is: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], as Redis's own clients read
// it (the path is the database number; the port defaults to 6379).
struct RedisUrl
{
    QString host;
    int port = 6379;
    QString user;
    QString password;
    int db = 0;

    static std::optional<RedisUrl> parse(const QString &text, QString *why);
    // "127.0.0.1:6379": the name in every error message (never the password).
    QString address() const { return host + u':' + QString::number(port); }
    // The URL without its password: "redis://127.0.0.1:6379/0".
    QString display() const { return QStringLiteral("redis://%1/%2").arg(address()).arg(db); }
};

// One hiredis async connection on this thread's Qt event loop (no thread of its own): two
// QSocketNotifiers drive it. Connecting includes AUTH and SELECT; ready() when done. Commands are
// pipelined: replies come in the order they were sent. A command unanswered after its timeout drops
// the connection (every command waiting is answered with the error). After a failure it connects
// again on its own, 50 ms doubling to 1 s, once reconnecting is on.
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    // The reply (null on error) or the error in words: a connection error ("connection refused"),
    // a timeout, or Redis's error reply ("NOSCRIPT …").
    using ReplyFn = std::function<void(const redisReply *reply, const QString &error)>;
    static constexpr int ConnectTimeoutMs = 3000;
    static constexpr int CommandTimeoutMs = 3000;

    RedisConnection(RedisUrl url, QString role, QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts connecting (if not connected or connecting).
    void open();
    // Whether failures connect again on their own (after the first open() succeeded, say).
    void setReconnect(bool on) { m_reconnect = on; }
    bool isReady() const { return m_ready; }
    // Why the last attempt or connection failed: "connection refused".
    QString lastError() const { return m_lastError; }
    // Sends a command; false (and `reply` never runs) when not ready. `reply` runs on this thread.
    bool command(const QList<QByteArray> &args, ReplyFn reply, int timeoutMs = CommandTimeoutMs);
    // Sends what is buffered and waits, at most `ms`, for the replies to the commands sent: for a
    // destructor that must not leave a last command unsent (no event loop runs then).
    void flush(int ms);

signals:
    void ready();
    // A connection (or an attempt) failed: `why` in words.
    void lost(const QString &why);

private:
    struct Call;
    static void onConnect(const redisAsyncContext *ac, int status);
    static void onDisconnect(const redisAsyncContext *ac, int status);
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);
    bool send(const QList<QByteArray> &args, ReplyFn reply, int timeoutMs);
    void handshake();
    // The context is gone (hiredis freed it, or we did): tell, and connect again later.
    void dropped(const QString &why);
    // Frees the context from outside hiredis's callbacks (a timeout).
    void abort(const QString &why);
    void checkDeadlines();

    RedisUrl m_url;
    QString m_role;
    redisAsyncContext *m_ac = nullptr;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    bool m_ready = false;
    bool m_reconnect = false;
    bool m_aborting = false;
    QString m_lastError;
    std::deque<qint64> m_deadlines; // per command sent, in order (replies come in order)
    QTimer m_connectTimer;
    QTimer m_deadlineTimer;
    QTimer m_retryTimer;
    int m_backoffMs = 50;
};

// Reading replies.
namespace redisreply {
QByteArray string(const redisReply *r);
qint64 integer(const redisReply *r); // an integer reply, or a string of digits
bool isNil(const redisReply *r);
size_t size(const redisReply *r);
const redisReply *at(const redisReply *r, size_t i);
} // namespace redisreply

} // namespace rtlab
