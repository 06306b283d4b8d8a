// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <memory>

namespace rtlab {

// A redis-server of the app's own, for the scale-out lesson: on a free loopback port, its data in
// a temporary directory of its own (never a system Redis or its data), AOF on with fsync on every
// write — so a kill -9 loses nothing Redis acknowledged, and a publish rtlab acknowledged is one
// Redis has on disk. Killed by PID, restarted on the same port and directory; a child that the
// kernel stops if the app dies (PR_SET_PDEATHSIG).
class RedisProcess : public QObject
{
    Q_OBJECT
public:
    enum class State { Stopped, Starting, Running, Failed };
    Q_ENUM(State)

    explicit RedisProcess(QObject *parent = nullptr);
    ~RedisProcess() override;

    // redis-server on PATH or in /usr/sbin, /usr/bin (Debian's package); empty when not installed.
    static QString program();
    // What to do when program() is empty, in words for people.
    static QString installHint();

    // Starts on a new free port in a new directory (after a failed start, tries another port).
    void start();
    // Starts again on the same port and directory, after kill9() or a crash: Redis reads its AOF.
    void restart();
    // SIGKILL to its PID: Redis writes nothing more.
    void kill9();
    // SIGTERM and a bounded wait (SIGKILL after it): for the lesson's end and the app's exit.
    void stopAndWait(int timeoutMs = 3000);

    State state() const { return m_state; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    // What rtlab-server's --store takes.
    QString url() const;
    QString errorString() const { return m_error; }

signals:
    void stateChanged(rtlab::RedisProcess::State state);
    void started();
    void errorOccurred(const QString &message);

private:
    void launch();
    void onOutput();
    void onFinished();
    void fail(const QString &message);
    void setState(State state);

    std::unique_ptr<QTemporaryDir> m_dir;
    QProcess *m_process = nullptr;
    QTimer m_startTimeout;
    quint16 m_port = 0;
    int m_attempts = 0;
    bool m_killed = false; // the exit that follows is ours
    State m_state = State::Stopped;
    QString m_error;
    QByteArray m_output; // the last few KiB Redis printed: why a start failed, in its words
};

} // namespace rtlab
