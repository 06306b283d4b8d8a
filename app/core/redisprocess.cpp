// SPDX-License-Identifier: MIT
#include "redisprocess.h"

#include <QStandardPaths>
#include <QTcpServer>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/prctl.h>
#endif

namespace rtlab {

static constexpr int StartTimeoutMs = 10000;
// A port taken between the probe and Redis's bind is another port's chance, a few times over.
static constexpr int StartAttempts = 5;

RedisProcess::RedisProcess(QObject *parent) : QObject(parent)
{
    m_startTimeout.setSingleShot(true);
    connect(&m_startTimeout, &QTimer::timeout, this,
            [this] { fail(tr("redis-server did not say it was ready within %1 s").arg(StartTimeoutMs / 1000)); });
}

RedisProcess::~RedisProcess()
{
    stopAndWait();
}

QString RedisProcess::program()
{
    QString path = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(QStringLiteral("redis-server"),
                                              { QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin") });
    return path;
}

QString RedisProcess::installHint()
{
    return tr("redis-server is not installed. Install it (Debian, Ubuntu: sudo apt-get install redis-server) and "
              "run the lesson again: it starts a redis-server of its own on a free loopback port, never the "
              "system's.");
}

QString RedisProcess::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(m_port);
}

void RedisProcess::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void RedisProcess::start()
{
    if (m_process)
        return;
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        fail(tr("no temporary directory for Redis's data: %1").arg(m_dir->errorString()));
        return;
    }
    m_port = 0;
    m_attempts = 0;
    launch();
}

void RedisProcess::restart()
{
    if (m_process)
        return;
    if (!m_dir || m_port == 0) {
        start();
        return;
    }
    m_attempts = StartAttempts; // the same port or none: clients know this one
    launch();
}

void RedisProcess::launch()
{
    const QString exe = program();
    if (exe.isEmpty()) {
        fail(installHint());
        return;
    }
    if (m_port == 0) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0)) {
            fail(tr("no free loopback port for Redis: %1").arg(probe.errorString()));
            return;
        }
        m_port = probe.serverPort();
    }
    ++m_attempts;
    m_error.clear();
    m_output.clear();
    m_killed = false;
    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &RedisProcess::onOutput);
    connect(m_process, &QProcess::finished, this, &RedisProcess::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(tr("cannot start redis-server: %1").arg(m_process->errorString()));
    });
#ifdef Q_OS_LINUX
    // If the app dies without stopping it (killed, crashed), the kernel stops Redis too: no orphan
    // keeps the port and the temporary directory.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    const QStringList args {
        QStringLiteral("--port"),
        QString::number(m_port),
        QStringLiteral("--bind"),
        QStringLiteral("127.0.0.1"),
        QStringLiteral("--dir"),
        m_dir->path(),
        QStringLiteral("--daemonize"),
        QStringLiteral("no"),
        QStringLiteral("--logfile"),
        QString(),
        QStringLiteral("--save"),
        QString(), // no RDB snapshots: the AOF is the data
        QStringLiteral("--appendonly"),
        QStringLiteral("yes"),
        QStringLiteral("--appendfsync"),
        QStringLiteral("always"), // an acknowledged write is on disk before a kill -9
    };
    setState(State::Starting);
    m_startTimeout.start(StartTimeoutMs);
    m_process->start(exe, args);
}

void RedisProcess::onOutput()
{
    m_output += m_process->readAllStandardOutput();
    if (m_output.size() > 8192)
        m_output = m_output.right(8192);
    if (m_state == State::Starting && m_output.contains("Ready to accept connections")) {
        m_startTimeout.stop();
        setState(State::Running);
        emit started();
    }
}

void RedisProcess::onFinished()
{
    m_startTimeout.stop();
    m_process->deleteLater();
    m_process = nullptr;
    const bool expected = std::exchange(m_killed, false);
    if (expected) {
        setState(State::Stopped);
        return;
    }
    if (m_state == State::Starting && m_attempts < StartAttempts) {
        m_port = 0; // taken since the probe, most likely: another one
        launch();
        return;
    }
    // Its own last line says why (a bad option, a port in use, a corrupt AOF).
    QString why = tr("redis-server exited");
    const QList<QByteArray> lines = m_output.trimmed().split('\n');
    if (!lines.isEmpty() && !lines.last().trimmed().isEmpty())
        why += QStringLiteral(": ") + QString::fromUtf8(lines.last().trimmed());
    fail(why);
}

void RedisProcess::kill9()
{
    if (!m_process)
        return;
    m_killed = true;
    m_startTimeout.stop();
    ::kill(pid_t(m_process->processId()), SIGKILL);
}

void RedisProcess::stopAndWait(int timeoutMs)
{
    if (!m_process)
        return;
    m_process->disconnect(this);
    m_process->terminate();
    if (!m_process->waitForFinished(timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished(1000);
    }
    delete m_process;
    m_process = nullptr;
    m_startTimeout.stop();
    setState(State::Stopped);
}

void RedisProcess::fail(const QString &message)
{
    m_error = message;
    m_startTimeout.stop();
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(1000);
        m_process->deleteLater();
        m_process = nullptr;
    }
    setState(State::Failed);
    emit errorOccurred(message);
}

} // namespace rtlab
