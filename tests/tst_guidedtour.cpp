// SPDX-License-Identifier: MIT
// The guided tour's step model: each step acts when it is entered (forwards or back) and then
// waits; only next() and back() move it; end() restores once.
#include "guidedtour.h"

#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace rtlab;

class tst_GuidedTour : public QObject
{
    Q_OBJECT
private slots:
    void startEntersTheFirstStepAndWaits();
    void nextEntersTheNextStepAndStopsAtTheLast();
    void backEntersThePreviousStepAgain();
    void endRestoresOnceAndStops();
    void startingAgainBeginsFromTheFirstStep();
    void theTransportTourNamesWhatToWatch();

private:
    struct Log
    {
        QStringList calls;
    };
    static GuidedTour::Script script(Log *log, int steps);
};

GuidedTour::Script tst_GuidedTour::script(Log *log, int steps)
{
    GuidedTour::Script s;
    for (int i = 0; i < steps; ++i)
        s.steps.append({ QStringLiteral("step %1").arg(i), QStringLiteral("did %1").arg(i),
                         QStringLiteral("look %1").arg(i), QStringLiteral("chat"),
                         [log, i] { log->calls << QStringLiteral("enter %1").arg(i); } });
    s.save = [log] { log->calls << QStringLiteral("save"); };
    s.restore = [log] { log->calls << QStringLiteral("restore"); };
    return s;
}

void tst_GuidedTour::startEntersTheFirstStepAndWaits()
{
    Log log;
    GuidedTour tour(script(&log, 3));
    QSignalSpy entered(&tour, &GuidedTour::stepEntered);
    QVERIFY(!tour.isRunning());
    QCOMPARE(tour.current(), -1);
    tour.start();
    QVERIFY(tour.isRunning());
    QCOMPARE(tour.current(), 0);
    QCOMPARE(log.calls, (QStringList { QStringLiteral("save"), QStringLiteral("enter 0") }));
    QCOMPARE(entered.size(), 1);
    QCOMPARE(entered.at(0).at(0).toInt(), 0);
    // Nothing but next() moves it: no timer of its own runs.
    QVERIFY(tour.findChildren<QTimer *>().isEmpty());
    QCoreApplication::processEvents();
    QCOMPARE(tour.current(), 0);
    QCOMPARE(entered.size(), 1);
    QVERIFY(!tour.canGoBack());
    QVERIFY(tour.canGoNext());
}

void tst_GuidedTour::nextEntersTheNextStepAndStopsAtTheLast()
{
    Log log;
    GuidedTour tour(script(&log, 3));
    QSignalSpy entered(&tour, &GuidedTour::stepEntered);
    QVERIFY(!tour.next()); // not running
    tour.start();
    QVERIFY(tour.next());
    QCOMPARE(tour.current(), 1);
    QVERIFY(tour.next());
    QCOMPARE(tour.current(), 2);
    QVERIFY(!tour.canGoNext());
    QVERIFY(!tour.next()); // the last step: nothing more
    QCOMPARE(tour.current(), 2);
    QVERIFY(tour.isRunning());
    QCOMPARE(log.calls,
             (QStringList { QStringLiteral("save"), QStringLiteral("enter 0"), QStringLiteral("enter 1"),
                            QStringLiteral("enter 2") }));
    QCOMPARE(entered.size(), 3);
    QCOMPARE(entered.at(2).at(0).toInt(), 2);
}

void tst_GuidedTour::backEntersThePreviousStepAgain()
{
    Log log;
    GuidedTour tour(script(&log, 3));
    tour.start();
    tour.next();
    tour.next();
    log.calls.clear();
    QVERIFY(tour.back());
    QCOMPARE(tour.current(), 1);
    QVERIFY(tour.back());
    QCOMPARE(tour.current(), 0);
    QVERIFY(!tour.back()); // the first step: nothing before it
    QCOMPARE(tour.current(), 0);
    // Back re-enters each step's state: its action runs again.
    QCOMPARE(log.calls, (QStringList { QStringLiteral("enter 1"), QStringLiteral("enter 0") }));
}

void tst_GuidedTour::endRestoresOnceAndStops()
{
    Log log;
    GuidedTour tour(script(&log, 3));
    QSignalSpy ended(&tour, &GuidedTour::ended);
    tour.end(); // not running: nothing to restore
    QCOMPARE(ended.size(), 0);
    QVERIFY(log.calls.isEmpty());
    tour.start();
    tour.next();
    tour.end();
    QCOMPARE(ended.size(), 1);
    QVERIFY(!tour.isRunning());
    QCOMPARE(tour.current(), -1);
    QCOMPARE(log.calls.count(QStringLiteral("restore")), 1);
    QCOMPARE(log.calls.last(), QStringLiteral("restore"));
    tour.end();
    QCOMPARE(ended.size(), 1);
    QCOMPARE(log.calls.count(QStringLiteral("restore")), 1);
    QVERIFY(!tour.next());
    QVERIFY(!tour.back());
}

void tst_GuidedTour::startingAgainBeginsFromTheFirstStep()
{
    Log log;
    GuidedTour tour(script(&log, 3));
    QSignalSpy started(&tour, &GuidedTour::started);
    tour.start();
    tour.next();
    tour.start();
    QCOMPARE(tour.current(), 0);
    // What the tour changes was saved when it began, not again half-way.
    QCOMPARE(log.calls.count(QStringLiteral("save")), 1);
    QCOMPARE(started.size(), 1);
}

void tst_GuidedTour::theTransportTourNamesWhatToWatch()
{
    // Its steps are not entered here (that needs a server: tst_startpage does it).
    GuidedTour tour(GuidedTour::transportScript(nullptr, nullptr));
    QCOMPARE(tour.count(), 6);
    const QStringList tabs { QStringLiteral("chat"),     QStringLiteral("dashboard"), QStringLiteral("compare"),
                             QStringLiteral("timeline"), QStringLiteral("lab"),       QStringLiteral("bytes") };
    for (int i = 0; i < tour.count(); ++i) {
        const GuidedTour::Step &s = tour.step(i);
        QVERIFY2(!s.title.isEmpty() && !s.did.isEmpty() && !s.look.isEmpty(), qPrintable(s.title));
        QVERIFY2(s.did.startsWith(QStringLiteral("I ")), qPrintable(s.did)); // what I just did
        QVERIFY2(tabs.contains(s.tab), qPrintable(s.tab));
        QVERIFY(s.enter);
    }
}

QTEST_GUILESS_MAIN(tst_GuidedTour)
#include "tst_guidedtour.moc"
