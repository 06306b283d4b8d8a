// SPDX-License-Identifier: MIT
#include "labcontroller.h"

#include "appcontroller.h"
#include "impairmentrelay.h"

namespace rtlab {

// "A", "A or B", "A, B or C": "no SSE, WebSocket lane" read as a typo.
static QString orList(const QStringList &names)
{
    if (names.size() < 2)
        return names.join(QString());
    return LabController::tr("%1 or %2").arg(names.mid(0, names.size() - 1).join(QStringLiteral(", ")), names.last());
}

LabController::LabController(AppController *app, QObject *parent)
    : QObject(parent), m_app(app), m_runner(app, &m_stats, &m_idle)
{
    connect(app, &AppController::serverUrlChanged, this, &LabController::onServerUrl);
    connect(app, &AppController::nodeChanged, this, &LabController::onServerUrl);
    if (app->serverUrl().isValid())
        onServerUrl(app->serverUrl());
    m_stats.start();
    connect(&m_runner, &LessonRunner::failed, this,
            [this](const QString &why) { emit noticed(tr("The lesson stopped: %1").arg(why)); });
    connect(&m_runner, &LessonRunner::finished, this, [this](const QString &id) {
        refresh();
        const ClaimsModel::Claim *claim = m_claims.claim(id);
        if (!claim)
            return;
        // The lesson's lanes stay, so that its figures can still be read in Compare; say which
        // lanes that leaves out rather than claim that everything is as before.
        QStringList notRunning;
        if (m_app->compareEnabled())
            for (int k = 0; k < TransportKindCount; ++k)
                if (!m_app->laneRuns(TransportKind(k)))
                    notRunning << transportKindLabel(TransportKind(k));
        const QString ended = tr("Lesson “%1” ended: %2.")
                                      .arg(LessonCatalog::find(id)->title, ClaimsModel::verdict(claim->holds, false));
        emit noticed(notRunning.isEmpty()
                             ? tr("%1 Everything it changed is back as it was.").arg(ended)
                             : tr("%1 All else is put back; Compare keeps its lanes: no %2 lane until you turn "
                                  "Compare off and on.")
                                       .arg(ended, orList(notRunning)));
    });
}

ImpairmentRelay *LabController::relay()
{
    return m_app->relay();
}

void LabController::onServerUrl(const QUrl &url)
{
    // The server's own figures come straight from it, not through the faults.
    m_stats.setServer(url);
    m_stats.setToken(m_app->token());
}

void LabController::trigger(LabAction action)
{
    switch (action) {
    case LabAction::Compare: m_app->setCompareEnabled(true); break;
    case LabAction::OpenBrowser: emit openBrowserRequested(m_app->serverUrl()); break;
    case LabAction::DropConnections: relay()->dropAll(); break;
    }
}

void LabController::takeNetworkDown(int ms)
{
    relay()->takeDownFor(qBound(100, ms, 600000));
}

void LabController::resetFaults()
{
    m_runner.stop();
    relay()->setSettings({});
    relay()->setDown(false);
    m_app->setPollHoldMs(25000);
    m_app->setServerOverrides({});
}

bool LabController::startLesson(const QString &id)
{
    if (m_runner.start(id))
        return true;
    emit noticed(m_runner.errorString());
    return false;
}

void LabController::refresh()
{
    const QString running = m_runner.state() == LessonRunner::State::Running ? m_runner.currentLesson() : QString();
    const QList<ClaimsModel::Claim> claims = m_claims.claims(); // setMeasured() changes the model's list
    for (const ClaimsModel::Claim &c : claims) {
        if (!c.unavailable.isEmpty())
            continue;
        const std::optional<ClaimResult> r = m_runner.result(c.lesson);
        if (!r)
            continue;
        m_claims.setMeasured(c.lesson, r->summary, r->holds, c.lesson == running);
    }
}

} // namespace rtlab
