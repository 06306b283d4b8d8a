// SPDX-License-Identifier: MIT
#pragma once

#include "claimsmodel.h"
#include "idlecostmeter.h"
#include "lessonrunner.h"
#include "statspoller.h"

#include <QObject>
#include <QUrl>

namespace rtlab {

class AppController;
class ImpairmentRelay;

// The lab's own buttons.
enum class LabAction {
    Compare,         // subscribe all the transports side by side
    DropConnections, // cut every connection through the relay
    OpenBrowser,     // the server's browser page
};

// The lab: faults on purpose (through the impairment relay every client of this window goes
// through), the claims table with what each lesson measured, the lessons that set each claim
// up, and the idle-cost meter.
class LabController : public QObject
{
    Q_OBJECT
public:
    explicit LabController(AppController *app, QObject *parent = nullptr);

    ClaimsModel *claims() { return &m_claims; }
    StatsPoller *serverStats() { return &m_stats; }
    IdleCostMeter *idleMeter() { return &m_idle; }
    LessonRunner *lessons() { return &m_runner; }
    ImpairmentRelay *relay();

    void trigger(LabAction action);
    void takeNetworkDown(int ms);
    // Back to a clean relay, the default hold and the bundled server's usual options (ticks on);
    // a running lesson ends.
    void resetFaults();

    // Starts a lesson (LessonCatalog id); false with a notice when it cannot run.
    bool startLesson(const QString &id);

    // Recomputes the claims' measurements (the view calls it while it is shown).
    void refresh();

signals:
    void openBrowserRequested(const QUrl &url);
    void noticed(const QString &message);

private:
    void onServerUrl(const QUrl &url);

    AppController *m_app;
    ClaimsModel m_claims;
    StatsPoller m_stats;
    IdleCostMeter m_idle;
    LessonRunner m_runner;
};

} // namespace rtlab
