// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>

class QSocketNotifier;

namespace rtlab {

// Turns SIGINT and SIGTERM into a Qt signal, through a self-pipe: a signal handler may only
// write(2); the event loop reads the pipe and emits (Qt docs, "Calling Qt Functions From Unix
// Signal Handlers").
class UnixSignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

signals:
    void terminationRequested(int signalNumber);

private:
    static void handler(int signalNumber);
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace rtlab
