// SPDX-License-Identifier: MIT
#pragma once

#include "listenaddress.h"

#include <QObject>
#include <QProcess>
#include <QTimer>
#include <QUrl>

namespace rtlab {

// The bundled rtlab-server: started as a child process on a free loopback port, its URL read
// from the line it prints when listening; stopped with SIGTERM (the server's graceful
// shutdown) and killed if it does not go. A restart keeps the port, so clients find the new
// server (with a new epoch) where the old one was.
class ServerProcess : public QObject
{
    Q_OBJECT
public:
    enum class State { Stopped, Starting, Running, Stopping, Failed };
    Q_ENUM(State)

    explicit ServerProcess(QObject *parent = nullptr);
    ~ServerProcess() override;

    // rtlab-server next to this executable (installed or in the build tree).
    static QString defaultProgram();
    void setProgram(const QString &program) { m_program = program; }
    QString program() const { return m_program; }
    void setExtraArguments(const QStringList &arguments) { m_extra = arguments; }
    QStringList extraArguments() const { return m_extra; }
    // Where the server keeps its log (Settings → "Keep history across restarts": --store
    // sqlite:PATH; empty: the server's default, memory). Apart from the extra arguments, which
    // tests and the meter replace whole; from the next start or restart.
    void setStoreArguments(const QStringList &arguments) { m_store = arguments; }
    QStringList storeArguments() const { return m_store; }
    // A lesson's changes on top of the extra and store arguments (e.g. --tick-rate 0), taken back by setting
    // them empty; they apply from the next start or restart.
    void setOverrideArguments(const QStringList &arguments) { m_overrides = arguments; }
    QStringList overrideArguments() const { return m_overrides; }
    // The arguments of the running process that came from the extra, store and override ones.
    QStringList runningArguments() const { return m_running; }
    // True when the running process was started with other arguments than it would be now.
    bool argumentsChanged() const { return m_running != m_extra + m_store + m_overrides; }

    // A fixed address for a class (rtlab --listen): from the next start, the server listens there
    // and nowhere else; a port in use is an error, never a fallback to another port. An invalid
    // address (the default) means loopback on a free port.
    void setListenAddress(const ListenAddress &address);
    ListenAddress listenAddress() const { return m_listen; }
    // Where the running server listens (its --host and port), for a join URL; invalid when stopped.
    ListenAddress runningAddress() const { return m_runningAddress; }

    State state() const { return m_state; }
    QUrl url() const { return m_url; }
    QString errorString() const { return m_error; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }

    void start();
    void stop();
    void restart();
    // A crash on purpose: SIGKILL, so the server has no chance to close anything or flush, then
    // a start with the same arguments on the same port (a lesson's honest restart).
    void killAndRestart();
    // SIGKILL and no restart (a node's death, on purpose): start() brings it back on the same port.
    void kill();
    // Stops and waits (bounded): for the application's exit.
    void stopAndWait(int timeoutMs = 3000);

    static QString stateName(State state);

signals:
    void stateChanged(rtlab::ServerProcess::State state);
    void started(const QUrl &url);
    void stopped();
    void errorOccurred(const QString &message);

private:
    void setState(State state);
    void onReadyRead();
    void onStandardError();
    // The server's last stderr line, if it said anything.
    QString lastErrorLine() const;
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void fail(const QString &message);

    QString m_program;
    QStringList m_extra;
    QStringList m_store;
    QStringList m_overrides;
    QStringList m_running;
    QProcess *m_process = nullptr;
    QTimer m_startTimeout;
    QTimer m_killTimer;
    State m_state = State::Stopped;
    QUrl m_url;
    quint16 m_port = 0;
    QString m_error;
    QByteArray m_stdout;
    QByteArray m_stderr; // the last few KiB: why a start failed, in the server's words
    ListenAddress m_listen;
    ListenAddress m_runningAddress;
    bool m_restartPending = false;
};

} // namespace rtlab
