// SPDX-License-Identifier: MIT
#pragma once

#include <QTimer>
#include <QWidget>

class QLabel;
class QPushButton;

namespace rtlab {

class LessonRunner;

// The scale-out lesson's panel, under the lesson's line while it runs: each process it started
// (Redis, node A, node B) with its port, PID and state, a kill and a restart button for each, and
// a line per lane — the node it is on, its moves, what it received, lost, duplicated, resets.
class ScaleOutPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ScaleOutPanel(LessonRunner *runner, QWidget *parent = nullptr);

private:
    void attach();
    void refresh();

    LessonRunner *m_runner;
    QLabel *m_processes;
    QLabel *m_lanes;
    QPushButton *m_killA, *m_restartA, *m_killB, *m_restartB, *m_killRedis, *m_restartRedis;
    QTimer m_refresh; // the lab changes many times a second: the panel redraws a few
};

} // namespace rtlab
