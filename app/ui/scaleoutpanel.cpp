// SPDX-License-Identifier: MIT
#include "scaleoutpanel.h"

#include "lessonrunner.h"
#include "scaleoutlab.h"

#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace rtlab {

ScaleOutPanel::ScaleOutPanel(LessonRunner *runner, QWidget *parent) : QWidget(parent), m_runner(runner)
{
    setObjectName(QStringLiteral("scaleOutPanel"));
    m_processes = new QLabel(this);
    m_processes->setObjectName(QStringLiteral("scaleOutProcesses"));
    m_processes->setWordWrap(true);
    m_lanes = new QLabel(this);
    m_lanes->setObjectName(QStringLiteral("scaleOutLanes"));
    m_lanes->setTextFormat(Qt::RichText);
    m_lanes->setWordWrap(true);
    m_killA = new QPushButton(tr("Kill node A"), this);
    m_restartA = new QPushButton(tr("Restart A"), this);
    m_killB = new QPushButton(tr("Kill node B"), this);
    m_restartB = new QPushButton(tr("Restart B"), this);
    m_killRedis = new QPushButton(tr("Kill Redis"), this);
    m_restartRedis = new QPushButton(tr("Restart Redis"), this);
    const auto on = [this](QPushButton *button, auto action) {
        connect(button, &QPushButton::clicked, this, [this, action] {
            if (ScaleOutLab *lab = m_runner->scaleOut())
                action(lab);
            refresh();
        });
    };
    on(m_killA, [](ScaleOutLab *lab) { lab->killNode(0); });
    on(m_restartA, [](ScaleOutLab *lab) { lab->restartNode(0); });
    on(m_killB, [](ScaleOutLab *lab) { lab->killNode(1); });
    on(m_restartB, [](ScaleOutLab *lab) { lab->restartNode(1); });
    on(m_killRedis, [](ScaleOutLab *lab) { lab->killRedis(); });
    on(m_restartRedis, [](ScaleOutLab *lab) { lab->restartRedis(); });
    // Two rows of three: at 1.5x on a small screen one row of six does not fit.
    auto *buttons = new QGridLayout;
    buttons->addWidget(m_killA, 0, 0);
    buttons->addWidget(m_killB, 0, 1);
    buttons->addWidget(m_killRedis, 0, 2);
    buttons->addWidget(m_restartA, 1, 0);
    buttons->addWidget(m_restartB, 1, 1);
    buttons->addWidget(m_restartRedis, 1, 2);
    buttons->setColumnStretch(3, 1);
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->addWidget(m_processes);
    v->addLayout(buttons);
    v->addWidget(m_lanes);
    m_refresh.setInterval(250);
    connect(&m_refresh, &QTimer::timeout, this, &ScaleOutPanel::refresh);
    connect(runner, &LessonRunner::scaleOutChanged, this, &ScaleOutPanel::attach);
    attach();
}

void ScaleOutPanel::attach()
{
    const bool running = m_runner->scaleOut() != nullptr;
    setVisible(running);
    if (running)
        m_refresh.start();
    else
        m_refresh.stop();
    refresh();
}

void ScaleOutPanel::refresh()
{
    const ScaleOutLab *lab = m_runner->scaleOut();
    if (!lab)
        return;
    m_processes->setText(lab->processesLine());
    QStringList lines;
    for (const QString &line : lab->laneLines())
        lines += line.toHtmlEscaped();
    m_lanes->setText(lines.join(QStringLiteral("<br>")));
    const bool live = !lab->isDone() && lab->step() != ScaleOutLab::Step::Draining
            && lab->step() > ScaleOutLab::Step::OpeningLanes;
    const auto nodeUp = [lab](int n) { return lab->node(n)->state() == ServerProcess::State::Running; };
    const auto nodeDown = [lab](int n) {
        const ServerProcess::State s = lab->node(n)->state();
        return s == ServerProcess::State::Stopped || s == ServerProcess::State::Failed;
    };
    const RedisProcess::State redis = lab->redis()->state();
    m_killA->setEnabled(live && nodeUp(0));
    m_restartA->setEnabled(live && nodeDown(0));
    m_killB->setEnabled(live && nodeUp(1));
    m_restartB->setEnabled(live && nodeDown(1));
    m_killRedis->setEnabled(live && redis == RedisProcess::State::Running);
    m_restartRedis->setEnabled(live && (redis == RedisProcess::State::Stopped || redis == RedisProcess::State::Failed));
}

} // namespace rtlab
