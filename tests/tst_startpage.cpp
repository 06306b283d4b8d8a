// SPDX-License-Identifier: MIT
// The start page and the guided tour, offscreen, with the window's own bundled rtlab-server: the
// first launch opens on the start page and later ones do not; a lesson card starts that lesson
// (a card that cannot run does nothing); the tour acts when a step is entered and then waits.
#include "appcontroller.h"
#include "chatview.h"
#include "compareview.h"
#include "guidedtour.h"
#include "labcontroller.h"
#include "labview.h"
#include "lessoncard.h"
#include "lessonrunner.h"
#include "mainwindow.h"
#include "startpage.h"
#include "testsupport.h"
#include "tourpanel.h"
#include "transportsketch.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>

using namespace rtlab;
using namespace rtlab::test;

class tst_StartPage : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void aFreshStartShowsTheStartPage();
    void aSecondStartOpensWhereTheUserLeft();
    void helpMenuShowsItAgain();
    void justChatGoesToTheChat();
    void aLessonCardStartsThatLesson();
    void aCardThatCannotRunDoesNothing();
    void aCardSaysHowLongItsLessonRuns();
    void everyLessonHasACardEnabledAsTheCatalogSays();
    void theTourActsThenWaitsForNext();
    void aCardEndsTheTour();
    void theToursCompareStepRunsALanePerTransport();
    void closingTheWindowDuringALessonIsClean();
    void fitsASmallScreen();
    void scrollsNoFurtherThanTheLastCard();

private:
    void openWindow();
    bool waitReady();

    std::unique_ptr<AppController> m_controller;
    std::unique_ptr<MainWindow> m_window;
};

void tst_StartPage::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
}

void tst_StartPage::init()
{
    QSettings().clear(); // a fresh HOME: the first launch
    m_controller = std::make_unique<AppController>();
    m_controller->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_controller->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("2") });
    m_controller->start();
    openWindow();
}

void tst_StartPage::openWindow()
{
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
}

void tst_StartPage::cleanup()
{
    m_window.reset();
    m_controller.reset();
}

bool tst_StartPage::waitReady()
{
    return QTest::qWaitFor(
            [&] {
                return m_controller->server()->state() == ServerProcess::State::Running
                        && m_controller->client()->state() == ClientTransport::State::Open;
            },
            WaitMs);
}

void tst_StartPage::aFreshStartShowsTheStartPage()
{
    QVERIFY(m_window->isStartPageShown());
    QVERIFY(m_window->startPage()->isVisible());
    QVERIFY(!m_window->tabs()->isVisible()); // in place of the (empty) chat
    QVERIFY(!m_window->tourPanel()->isVisible());
    QCOMPARE(m_window->startPage()->findChildren<TransportSketch *>().size(), 3);
}

void tst_StartPage::aSecondStartOpensWhereTheUserLeft()
{
    m_window->showTab(QStringLiteral("timeline"));
    const int timeline = m_window->tabs()->currentIndex();
    m_window->close(); // saves the window, as the user quitting does
    m_window.reset();
    openWindow();
    QVERIFY(!m_window->isStartPageShown());
    QVERIFY(m_window->tabs()->isVisible());
    QCOMPARE(m_window->tabs()->currentIndex(), timeline);
}

void tst_StartPage::helpMenuShowsItAgain()
{
    m_window->showTab(QStringLiteral("chat"));
    QVERIFY(!m_window->isStartPageShown());
    QAction *startPage = nullptr;
    for (QAction *a : m_window->findChildren<QAction *>())
        if (a->text().remove(u'&') == u"Start page")
            startPage = a;
    QVERIFY(startPage);
    startPage->trigger();
    QVERIFY(m_window->isStartPageShown());
    QVERIFY(m_window->startPage()->isVisible());
}

void tst_StartPage::justChatGoesToTheChat()
{
    QTest::mouseClick(m_window->startPage()->chatButton(), Qt::LeftButton);
    QVERIFY(!m_window->isStartPageShown());
    QCOMPARE(m_window->tabs()->currentWidget(), m_window->chatView());
    QVERIFY(m_window->chatView()->isVisible());
}

void tst_StartPage::aLessonCardStartsThatLesson()
{
    QVERIFY(waitReady());
    const QString id = QStringLiteral("ws-security");
    LessonRunner *runner = m_window->lab()->lessons();
    QCOMPARE(runner->state(), LessonRunner::State::Idle);
    LessonCard *card = m_window->startPage()->card(id);
    QVERIFY(card);
    QVERIFY(card->isEnabled());
    m_window->startPage()->scrollArea()->ensureWidgetVisible(card);
    QTest::mouseClick(card, Qt::LeftButton);
    QCOMPARE(runner->currentLesson(), id);
    QVERIFY(runner->state() != LessonRunner::State::Idle);
    QVERIFY(!m_window->isStartPageShown());
    QCOMPARE(m_window->tabs()->currentWidget(), m_window->labView());
    QTRY_COMPARE_WITH_TIMEOUT(runner->state(), LessonRunner::State::Running, WaitMs);
    QCOMPARE(runner->currentLesson(), id);
    runner->stop();

    // Another card, by keyboard: that lesson, not the first one again.
    m_window->showStartPage();
    LessonCard *other = m_window->startPage()->card(QStringLiteral("sse-one-way"));
    QVERIFY(other);
    other->setFocus();
    QTest::keyClick(other, Qt::Key_Space);
    QCOMPARE(runner->currentLesson(), QStringLiteral("sse-one-way"));
    QVERIFY(runner->state() != LessonRunner::State::Idle);
}

void tst_StartPage::aCardThatCannotRunDoesNothing()
{
    // A page of its own, so that the test holds whatever the catalog has available today.
    LessonInfo runs { QStringLiteral("t-runs"),
                      QStringLiteral("ws"),
                      QStringLiteral("a claim"),
                      QStringLiteral("expected"),
                      QStringLiteral("Runs"),
                      QStringLiteral("text"),
                      5,
                      {} };
    LessonInfo waits = runs;
    waits.id = QStringLiteral("t-waits");
    waits.transport = QStringLiteral("sse");
    waits.unavailable = QStringLiteral("needs a feature still to come");
    StartPage page({ runs, waits });
    page.resize(900, 600);
    page.show();
    QSignalSpy requested(&page, &StartPage::lessonRequested);
    LessonCard *disabled = page.card(waits.id);
    QVERIFY(disabled);
    QVERIFY(!disabled->isEnabled());
    QVERIFY(disabled->detail().contains(waits.unavailable)); // says why
    QTest::mouseClick(disabled, Qt::LeftButton);
    QTest::keyClick(disabled, Qt::Key_Space);
    QTest::keyClick(disabled, Qt::Key_Return);
    QCOMPARE(requested.size(), 0);
    LessonCard *enabled = page.card(runs.id);
    QVERIFY(enabled && enabled->isEnabled());
    QTest::mouseClick(enabled, Qt::LeftButton);
    QCOMPARE(requested.size(), 1);
    QCOMPARE(requested.at(0).at(0).toString(), runs.id);

    // In the window: a card of a lesson the catalog marks unavailable starts nothing.
    for (const LessonInfo &l : LessonCatalog::all()) {
        if (l.unavailable.isEmpty())
            continue;
        LessonCard *card = m_window->startPage()->card(l.id);
        QVERIFY(card);
        QTest::mouseClick(card, Qt::LeftButton);
        QCOMPARE(m_window->lab()->lessons()->state(), LessonRunner::State::Idle);
        QVERIFY(m_window->isStartPageShown());
    }
}

void tst_StartPage::aCardSaysHowLongItsLessonRuns()
{
    RTLAB_REQUIRE_BENCH();
    // A lesson that measures idle clients beside its lanes runs as long as the meter needs: its
    // card said "about 8 s" of a 44 s lesson, and a user who clicked the next card after 8 s
    // stopped it before it had measured anything.
    QVERIFY(waitReady());
    m_window->lab()->idleMeter()->setProgram(QStringLiteral(RTLAB_BENCH_BINARY));
    LessonCard *card = m_window->startPage()->card(QStringLiteral("lp-resource"));
    QVERIFY(card);
    const QRegularExpressionMatch said = QRegularExpression(QStringLiteral("about (\\d+) s")).match(card->detail());
    QVERIFY2(said.hasMatch(), qPrintable(card->detail()));
    QTest::mouseClick(card, Qt::LeftButton);
    LessonRunner *runner = m_window->lab()->lessons();
    QTRY_COMPARE_WITH_TIMEOUT(runner->state(), LessonRunner::State::Running, WaitMs);
    const qint64 runs = runner->durationMs() / 1000;
    runner->stop();
    QCOMPARE(said.captured(1).toLongLong(), runs);
}

void tst_StartPage::everyLessonHasACardEnabledAsTheCatalogSays()
{
    const QList<LessonCard *> cards = m_window->startPage()->cards();
    QCOMPARE(cards.size(), LessonCatalog::all().size());
    for (const LessonInfo &l : LessonCatalog::all()) {
        LessonCard *card = m_window->startPage()->card(l.id);
        QVERIFY2(card, qPrintable(l.id));
        QCOMPARE(card->isEnabled(), l.unavailable.isEmpty());
        // An action-worded title, kept in app/core with the catalog.
        QCOMPARE(card->text(), LessonCatalog::cardTitle(l.id));
        QVERIFY2(!card->text().isEmpty() && card->text() != l.title, qPrintable(l.id));
    }
}

void tst_StartPage::theTourActsThenWaitsForNext()
{
    QVERIFY(waitReady());
    GuidedTour *tour = m_window->tour();
    TourPanel *panel = m_window->tourPanel();
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::WebSocket);
    QTest::mouseClick(m_window->startPage()->tourButton(), Qt::LeftButton);
    QVERIFY(tour->isRunning());
    QCOMPARE(tour->current(), 0);
    QVERIFY(panel->isVisible());
    QVERIFY(!m_window->isStartPageShown());
    QVERIFY(panel->didLabel()->text().contains(QStringLiteral("1/%1").arg(tour->count())));
    QVERIFY(panel->didLabel()->text().contains(tour->step(0).did.toHtmlEscaped()));
    QVERIFY(panel->lookLabel()->text().contains(tour->step(0).look.toHtmlEscaped()));
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::LongPoll);
    QVERIFY(!panel->backButton()->isEnabled());

    // It waits: four seconds of the window's life (the old tour moved on every three) and the
    // step is the same.
    QSignalSpy refreshed(m_controller.get(), &AppController::refreshed);
    QVERIFY(QTest::qWaitFor([&] { return refreshed.size() >= 16; }, WaitMs * 2));
    QCOMPARE(tour->current(), 0);
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::LongPoll);
    QVERIFY(panel->isVisible());

    QTest::mouseClick(panel->nextButton(), Qt::LeftButton);
    QCOMPARE(tour->current(), 1);
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::Sse);
    QVERIFY(panel->didLabel()->text().contains(QStringLiteral("2/%1").arg(tour->count())));
    QTRY_COMPARE_WITH_TIMEOUT(m_controller->client()->activeTransport(), std::optional(TransportKind::Sse), WaitMs);

    QTest::mouseClick(panel->backButton(), Qt::LeftButton);
    QCOMPARE(tour->current(), 0);
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::LongPoll);

    // By keyboard: Alt+→ and Alt+← as in a browser.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    // (A button's shortcut animates a click: it lands a moment later.)
    QTest::keyClick(panel->nextButton(), Qt::Key_Right, Qt::AltModifier);
    QTRY_COMPARE_WITH_TIMEOUT(tour->current(), 1, WaitMs);
    QTest::keyClick(panel->nextButton(), Qt::Key_Left, Qt::AltModifier);
    QTRY_COMPARE_WITH_TIMEOUT(tour->current(), 0, WaitMs);

    // On to the compare step: the lanes come on; End puts transport and lanes back.
    QTest::mouseClick(panel->nextButton(), Qt::LeftButton);
    QTest::mouseClick(panel->nextButton(), Qt::LeftButton);
    QTest::mouseClick(panel->nextButton(), Qt::LeftButton);
    QCOMPARE(tour->current(), 3);
    QVERIFY(m_controller->compareEnabled());
    QCOMPARE(m_window->tabs()->currentIndex(), 2); // Compare, the tab the step names
    QTest::mouseClick(panel->endButton(), Qt::LeftButton);
    QVERIFY(!tour->isRunning());
    QVERIFY(!panel->isVisible());
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::WebSocket);
    QVERIFY(!m_controller->compareEnabled());
    QVERIFY(m_window->isStartPageShown()); // where the tour began
}

void tst_StartPage::theToursCompareStepRunsALanePerTransport()
{
    // After a lesson that compared two lanes, compare is still on with those two: the tour's
    // "one more client per transport" must still be what the Compare tab shows.
    QVERIFY(waitReady());
    m_controller->restartLanes({ TransportKind::LongPoll, TransportKind::Poll });
    QVERIFY(!m_controller->laneRuns(TransportKind::Sse));
    GuidedTour *tour = m_window->tour();
    tour->start();
    while (tour->current() >= 0 && m_window->tabs()->currentWidget() != static_cast<QWidget *>(m_window->compareView()))
        QVERIFY(tour->next());
    for (int i = 0; i < TransportKindCount; ++i)
        QVERIFY2(m_controller->laneRuns(TransportKind(i)), qPrintable(transportKindLabel(TransportKind(i))));
    tour->end();
}

void tst_StartPage::aCardEndsTheTour()
{
    QVERIFY(waitReady());
    m_window->tour()->start();
    QCOMPARE(m_controller->client()->mode(), RealtimeClient::Mode::LongPoll);
    m_window->showStartPage();
    QTest::mouseClick(m_window->startPage()->card(QStringLiteral("ws-security")), Qt::LeftButton);
    QVERIFY(!m_window->tour()->isRunning());
    QVERIFY(!m_window->tourPanel()->isVisible());
    QCOMPARE(m_window->lab()->lessons()->currentLesson(), QStringLiteral("ws-security"));
    QCOMPARE(m_window->tabs()->currentWidget(), m_window->labView());
}

void tst_StartPage::closingTheWindowDuringALessonIsClean()
{
    // The lesson ends as the window goes, and says so in a status bar that must still be there.
    QVERIFY(waitReady());
    QTest::mouseClick(m_window->startPage()->card(QStringLiteral("ws-security")), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->lab()->lessons()->state(), LessonRunner::State::Running, WaitMs);
    m_window->close();
    m_window.reset();
    QCOMPARE(m_controller->relay()->settings(), ImpairmentRelay::Settings {});
}

void tst_StartPage::fitsASmallScreen()
{
    // 1280×720 at a scale factor of 1.5, less a window frame.
    const QSize small(853 - 16, 480 - 40);
    const QSize hint = m_window->minimumSizeHint();
    QVERIFY2(hint.width() <= small.width() && hint.height() <= small.height(),
             qPrintable(QStringLiteral("the window needs at least %1×%2").arg(hint.width()).arg(hint.height())));
    m_window->resize(small);
    QVERIFY(QTest::qWaitFor([&] { return m_window->size() == small; }, WaitMs));
    StartPage *page = m_window->startPage();
    for (QWidget *w : { static_cast<QWidget *>(page->tourButton()), static_cast<QWidget *>(page->chatButton()) }) {
        const QRect r(w->mapTo(page, QPoint(0, 0)), w->size());
        QVERIFY2(page->rect().contains(r), qPrintable(w->objectName()));
    }
    // The cards scroll, never sideways: each is as wide as its column allows.
    QScrollArea *scroll = page->scrollArea();
    QVERIFY(scroll->widget()->width() <= scroll->viewport()->width());
    // And the tour's narration fits beside its buttons.
    m_window->tour()->start();
    QVERIFY2(m_window->minimumSizeHint().height() <= small.height(),
             qPrintable(QStringLiteral("with the tour: %1, panel %2, tabs %3, start %4")
                                .arg(m_window->minimumSizeHint().height())
                                .arg(m_window->tourPanel()->minimumSizeHint().height())
                                .arg(m_window->tabs()->minimumSizeHint().height())
                                .arg(m_window->startPage()->minimumSizeHint().height())));
    m_window->tour()->end();
}

void tst_StartPage::scrollsNoFurtherThanTheLastCard()
{
    // The cards wrap their text to the width they get; the page must not keep the room they would
    // need at their narrowest (at 1280×720 that was two screens of empty page below the cards).
    for (const QSize size : { QSize(1280, 660), QSize(853 - 16, 480 - 40) }) {
        m_window->resize(size);
        QVERIFY(QTest::qWaitFor([&] { return m_window->size() == size; }, WaitMs));
        QScrollArea *scroll = m_window->startPage()->scrollArea();
        QWidget *content = scroll->widget();
        QCoreApplication::sendPostedEvents(); // the layout requests the resize posted
        int bottom = 0;
        for (LessonCard *c : content->findChildren<LessonCard *>()) {
            bottom = qMax(bottom, c->geometry().bottom());
            QVERIFY2(c->height() >= c->heightForWidth(c->width()), qPrintable(c->lessonId())); // not squeezed
        }
        const int allowed = qMax(scroll->viewport()->height(), bottom + 40);
        QVERIFY2(content->height() <= allowed,
                 qPrintable(QStringLiteral("%1×%2: the page is %3 px tall, its last card ends at %4")
                                    .arg(size.width())
                                    .arg(size.height())
                                    .arg(content->height())
                                    .arg(bottom)));
    }
}

QTEST_MAIN(tst_StartPage)
#include "tst_startpage.moc"
