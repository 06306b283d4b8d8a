// SPDX-License-Identifier: MIT
#include "serverprocess.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/prctl.h>
#endif

namespace rtlab {

static constexpr int StartTimeoutMs = 10000;
static constexpr int StopGraceMs = 4000; // the server itself gives its streams 3 s

ServerProcess::ServerProcess(QObject *parent) : QObject(parent), m_program(defaultProgram())
{
    m_startTimeout.setSingleShot(true);
    connect(&m_startTimeout, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("rtlab-server did not report listening within %1 s").arg(StartTimeoutMs / 1000));
    });
    m_killTimer.setSingleShot(true);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        if (m_process)
            m_process->kill();
    });
}

ServerProcess::~ServerProcess()
{
    stopAndWait();
}

QString ServerProcess::defaultProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         { dir + QStringLiteral("/rtlab-server"), dir + QStringLiteral("/../bin/rtlab-server") }) {
        if (QFileInfo(candidate).isExecutable())
            return QDir::cleanPath(candidate);
    }
    return QStringLiteral("rtlab-server"); // from PATH
}

QString ServerProcess::stateName(State state)
{
    switch (state) {
    case State::Stopped: return QStringLiteral("stopped");
    case State::Starting: return QStringLiteral("starting");
    case State::Running: return QStringLiteral("running");
    case State::Stopping: return QStringLiteral("stopping");
    case State::Failed: return QStringLiteral("failed");
    }
    return {};
}

void ServerProcess::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void ServerProcess::start()
{
    if (m_process)
        return;
    m_error.clear();
    m_stdout.clear();
    m_process = new QProcess(this);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_stderr.clear();
    connect(m_process, &QProcess::readyReadStandardOutput, this, &ServerProcess::onReadyRead);
    connect(m_process, &QProcess::readyReadStandardError, this, &ServerProcess::onStandardError);
    connect(m_process, &QProcess::finished, this, &ServerProcess::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            fail(QStringLiteral("cannot start %1: %2").arg(m_program, m_process->errorString()));
    });
#ifdef Q_OS_LINUX
    // If this client dies without stopping its server (killed, crashed), the kernel tells the
    // server with SIGTERM, so no orphan is left listening.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    const bool fixed = m_listen.isValid();
    QStringList args { QStringLiteral("--host"), fixed ? m_listen.hostArgument() : QStringLiteral("127.0.0.1"),
                       QStringLiteral("--port"), QString::number(fixed ? m_listen.port() : m_port) };
    args += m_extra;
    args += m_store;
    args += m_overrides; // last: rtlab-server takes the last value of an option given twice
    m_running = m_extra + m_store + m_overrides;
    setState(State::Starting);
    m_startTimeout.start(StartTimeoutMs);
    m_process->start(m_program, args);
}

void ServerProcess::onReadyRead()
{
    m_stdout += m_process->readAllStandardOutput().left(4096);
    if (m_state != State::Starting)
        return;
    static const QRegularExpression listening(QStringLiteral("rtlab-server listening on (http://\\S+)"));
    const QRegularExpressionMatch match = listening.match(QString::fromUtf8(m_stdout));
    if (!match.hasMatch())
        return;
    m_startTimeout.stop();
    m_url = QUrl(match.captured(1));
    m_port = quint16(m_url.port());
    m_runningAddress = ListenAddress(QHostAddress(m_url.host()), m_port);
    // "Every interface" is no address to connect to: this machine's own clients use loopback.
    if (m_runningAddress.isAny())
        m_url.setHost(m_runningAddress.localHost());
    setState(State::Running);
    emit started(m_url);
}

void ServerProcess::setListenAddress(const ListenAddress &address)
{
    m_listen = address;
    if (!address.isValid())
        m_port = 0; // back to a free loopback port, not the class's fixed one
}

void ServerProcess::onStandardError()
{
    m_stderr += m_process->readAllStandardError().right(4096);
    if (m_stderr.size() > 4096)
        m_stderr = m_stderr.right(4096);
}

QString ServerProcess::lastErrorLine() const
{
    const QList<QByteArray> lines = m_stderr.trimmed().split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QByteArray line = it->trimmed();
        if (!line.isEmpty())
            return QString::fromUtf8(line);
    }
    return {};
}

void ServerProcess::stop()
{
    if (!m_process || m_state == State::Stopping)
        return;
    setState(State::Stopping);
    m_process->terminate(); // SIGTERM: WebSockets close with 1001, streams end, polls are answered
    m_killTimer.start(StopGraceMs);
}

void ServerProcess::restart()
{
    if (!m_process) {
        start();
        return;
    }
    m_restartPending = true;
    stop();
}

void ServerProcess::killAndRestart()
{
    if (!m_process || m_state == State::Stopping) {
        restart();
        return;
    }
    m_restartPending = true;
    setState(State::Stopping); // expected: onFinished starts it again rather than reporting a failure
    m_process->kill();
}

void ServerProcess::kill()
{
    if (!m_process)
        return;
    m_restartPending = false;
    m_startTimeout.stop();
    setState(State::Stopping); // expected: onFinished reports Stopped, not a failure
    m_process->kill();
}

void ServerProcess::stopAndWait(int timeoutMs)
{
    if (!m_process)
        return;
    m_restartPending = false;
    m_process->disconnect(this);
    m_process->terminate();
    if (!m_process->waitForFinished(timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished(1000);
    }
    delete m_process;
    m_process = nullptr;
    m_runningAddress = {};
    m_startTimeout.stop();
    m_killTimer.stop();
    setState(State::Stopped);
}

void ServerProcess::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_killTimer.stop();
    m_startTimeout.stop();
    onStandardError(); // what is left in the pipe
    m_process->deleteLater();
    m_process = nullptr;
    const bool expected = m_state == State::Stopping;
    m_runningAddress = {};
    if (!expected && m_state != State::Failed) {
        m_error = status == QProcess::CrashExit ? QStringLiteral("rtlab-server crashed")
                                                : QStringLiteral("rtlab-server exited with status %1").arg(exitCode);
        // Its own words say why (a port in use, an address not of this machine): show them.
        if (const QString why = lastErrorLine(); !why.isEmpty())
            m_error = why;
        setState(State::Failed);
        emit errorOccurred(m_error);
    } else if (expected) {
        setState(State::Stopped);
    }
    emit stopped();
    if (std::exchange(m_restartPending, false))
        start();
}

void ServerProcess::fail(const QString &message)
{
    m_error = message;
    m_runningAddress = {};
    setState(State::Failed);
    emit errorOccurred(message);
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(1000);
        m_process->deleteLater();
        m_process = nullptr;
    }
}

} // namespace rtlab
