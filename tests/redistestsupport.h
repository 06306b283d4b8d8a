// SPDX-License-Identifier: MIT
#pragma once

// A real redis-server for a test: started by the test on a free loopback port, in a directory of
// its own, stopped by its PID. dev.sh installs redis-server (Debian's package); the system service
// it may start is never used. Tests skip with a clear line when redis-server is not installed.

#include "clientsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace redistest {

// Debian keeps redis-server in /usr/bin; look in /usr/sbin too for other layouts.
inline QString program(const QString &name = QStringLiteral("redis-server"))
{
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(name, { QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin") });
    return path;
}

// A port free on 127.0.0.1 now: bound, read, closed. Someone may take it before redis does; start()
// then tries another.
inline quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

class RedisServer
{
public:
    struct Options
    {
        bool appendOnly = false; // AOF on (appendfsync everysec): a kill -9 of redis loses nothing written
        QString password;        // requirepass, when not empty
    };

    RedisServer() = default;
    explicit RedisServer(Options options) : m_options(std::move(options)) { }
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;
    ~RedisServer() { stop(); }

    static bool installed() { return !program().isEmpty() && !program(QStringLiteral("redis-cli")).isEmpty(); }

    // Starts on a new free port (tries a few, someone may take one first). The data directory is
    // kept across stop()/kill9() and restart(), so a restart finds what redis saved.
    bool start(QString *why)
    {
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = freePort();
            if (m_port != 0 && launch(why))
                return true;
        }
        return false;
    }
    // Starts again on the same port and directory (after stop() or kill9()).
    bool restart(QString *why) { return launch(why); }

    // SIGTERM: redis saves (if configured) and exits; waits for the exit.
    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(rtlab::test::WaitMs))
            kill9();
    }
    // SIGKILL to its PID, waits for the exit: nothing more is written.
    void kill9()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_process.processId()), SIGKILL);
        m_process.waitForFinished(rtlab::test::WaitMs);
    }

    bool isRunning() const { return m_process.state() == QProcess::Running; }
    qint64 pid() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    QString dir() const { return m_dir.path(); }
    // What rtlab-server's --store takes.
    QString url() const
    {
        const QString auth = m_options.password.isEmpty() ? QString() : QLatin1Char(':') + m_options.password + u'@';
        // Not arg(): "%1127.0.0.1" would read as placeholder %11.
        return QStringLiteral("redis://") + auth + QStringLiteral("127.0.0.1:") + QString::number(m_port);
    }
    // The path of the RDB file redis writes on SAVE (dump.rdb in its directory).
    QString rdbPath() const { return m_dir.filePath(QStringLiteral("dump.rdb")); }

    // Runs redis-cli against this server; its stdout, trimmed. Empty with *ok false when it failed.
    QByteArray cli(const QStringList &args, bool *ok = nullptr) const
    {
        QProcess p;
        QStringList all { QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                          QString::number(m_port) };
        if (!m_options.password.isEmpty())
            all << QStringLiteral("--no-auth-warning") << QStringLiteral("-a") << m_options.password;
        p.start(program(QStringLiteral("redis-cli")), all + args);
        const bool done = p.waitForFinished(rtlab::test::WaitMs) && p.exitCode() == 0;
        if (ok)
            *ok = done;
        return done ? p.readAllStandardOutput().trimmed() : QByteArray();
    }

    // What redis printed (its log goes to stdout): for a failure message.
    QByteArray output() const { return m_output; }

private:
    bool launch(QString *why)
    {
        m_output.clear();
        QStringList args { QStringLiteral("--port"),
                           QString::number(m_port),
                           QStringLiteral("--bind"),
                           QStringLiteral("127.0.0.1"),
                           QStringLiteral("--dir"),
                           m_dir.path(),
                           QStringLiteral("--daemonize"),
                           QStringLiteral("no"),
                           QStringLiteral("--logfile"),
                           QString(),
                           QStringLiteral("--save"),
                           QString(), // no background RDB snapshots: a test saves when it means to
                           QStringLiteral("--appendonly"),
                           m_options.appendOnly ? QStringLiteral("yes") : QStringLiteral("no") };
        if (!m_options.password.isEmpty())
            args << QStringLiteral("--requirepass") << m_options.password;
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(program(), args);
        if (!m_process.waitForStarted(rtlab::test::WaitMs)) {
            *why = QStringLiteral("redis-server did not start: %1").arg(m_process.errorString());
            return false;
        }
        const bool ready = QTest::qWaitFor(
                [&] {
                    m_output += m_process.readAll();
                    return m_output.contains("Ready to accept connections")
                            || m_process.state() == QProcess::NotRunning;
                },
                rtlab::test::WaitMs);
        if (!ready || m_process.state() == QProcess::NotRunning) {
            *why = QStringLiteral("redis-server on port %1 is not ready:\n%2")
                           .arg(m_port)
                           .arg(QString::fromUtf8(m_output.right(2000)));
            kill9();
            return false;
        }
        return true;
    }

    Options m_options;
    QTemporaryDir m_dir;
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

} // namespace redistest

// In a test's initTestCase(): skips the whole test when redis-server is missing.
#define REDISTEST_REQUIRE_INSTALLED() \
    do { \
        if (!redistest::RedisServer::installed()) \
            QSKIP("redis-server / redis-cli are not installed (dev.sh installs them): this test needs them"); \
    } while (false)
