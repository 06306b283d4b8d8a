#pragma once

#include "claimsmodel.h"
#include "idlecostmeter.h"
#include "statspoller.h"

#include <QObject>
#include <QUrl>

#include <deque>

namespace rtlab {

class AppController;
class ImpairmentRelay;

// The lab: faults on purpose (through the impairment relay every client of this window goes
// through), DESIGN.md's claims with their live measurements and the buttons that set them up,
// the idle-cost meter and the lessons.
class LabController : public QObject
{
    Q_OBJECT
public:
    struct Lesson
    {
        QString key;
        QString title;
        QString text; // what it sets up and what to watch (rich text)
    };

    explicit LabController(AppController *app, QObject *parent = nullptr);

    ClaimsModel *claims() { return &m_claims; }
    StatsPoller *serverStats() { return &m_stats; }
    IdleCostMeter *idleMeter() { return &m_idle; }
    ImpairmentRelay *relay();

    // A claim's action: "compare", "shortHold", "burst", "publishEach", "blockUpgrades",
    // "foreignOrigin", "quietServer", "openBrowser", "drop".
    void trigger(const QString &action);
    void takeNetworkDown(int ms);
    // Back to a clean relay and a default server.
    void resetFaults();

    static QList<Lesson> lessons();
    void startLesson(const QString &key);

    // Recomputes the claims' measurements (the view calls it while it is shown).
    void refresh();
    // SSE lane bytes per second over the last 10 s (heartbeats only when the server is quiet).
    double sseIdleBytesPerSec() const;

signals:
    void openBrowserRequested(const QUrl &url);
    void noticed(const QString &message);

private:
    void onServerUrl(const QUrl &url);

    AppController *m_app;
    ClaimsModel m_claims;
    StatsPoller m_stats;
    IdleCostMeter m_idle;
    qint64 m_foreignAttempts = 0;
    qint64 m_bursts = 0;
    std::deque<std::pair<qint64, qint64>> m_sseBytes; // (ms, SSE lane wire bytes), last ~15 s
};

} // namespace rtlab
