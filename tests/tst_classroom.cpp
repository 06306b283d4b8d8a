// SPDX-License-Identifier: MIT
// Classroom mode and presenter view: the bundled server on a fixed listen address (integration),
// the classroom panel's join URL and QR code, the zoom and the presenter banner (gui, offscreen).
#include "appcontroller.h"
#include "classroompanel.h"
#include "compareview.h"
#include "dashboardview.h"
#include "eventlogmodel.h"
#include "fontzoom.h"
#include "labcontroller.h"
#include "lessoncatalog.h"
#include "lessonrunner.h"
#include "mainwindow.h"
#include "presenterbanner.h"
#include "qrcodewidget.h"
#include "testsupport.h"
#include "timelineview.h"

#include <QApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTcpServer>

using namespace rtlab;
using namespace rtlab::test;

class tst_Classroom : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void bundledServerListensAtTheFixedPort();
    void aPortInUseIsSaidNotSwapped();
    void panelShowsTheJoinUrlAndItsQrCode();
    void panelRefusesABadListenAddressInline();
    void dashboardListsConnectedClients();
    void zoomGrowsTheFontAndResets();
    void timelineLogFollowsTheZoom();
    void presenterBannerShowsTheRunningLesson();
    void fitsAProjectorTwoStepsUp();
    void continuityStaysInSightOnANarrowBar();

private:
    bool waitReady();

    std::unique_ptr<AppController> m_controller;
    std::unique_ptr<MainWindow> m_window;
    QFont m_appFont;
};

// A port the OS says is free now: bound, read, released.
static quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

void tst_Classroom::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
    m_appFont = QApplication::font();
}

void tst_Classroom::init()
{
    QSettings().clear();
    QApplication::setFont(m_appFont);
    m_controller = std::make_unique<AppController>();
    m_controller->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_controller->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("2") });
}

void tst_Classroom::cleanup()
{
    m_window.reset();
    m_controller.reset();
    QApplication::setFont(m_appFont);
}

bool tst_Classroom::waitReady()
{
    return QTest::qWaitFor(
            [&] {
                return m_controller->server()->state() == ServerProcess::State::Running
                        && m_controller->client()->state() == ClientTransport::State::Open;
            },
            WaitMs);
}

void tst_Classroom::bundledServerListensAtTheFixedPort()
{
    const quint16 port = freePort();
    QVERIFY(port != 0);
    const ListenAddress listen = ListenAddress::parse(QStringLiteral("127.0.0.1:%1").arg(port));
    QVERIFY(listen.isValid());
    m_controller->setListenAddress(listen, false);
    m_controller->start();
    QVERIFY(waitReady());
    QCOMPARE(m_controller->server()->url().port(), int(port));
    QCOMPARE(m_controller->server()->runningAddress(), listen);
    // Reachable there, by anyone on this machine, not only through the window's relay.
    const RawResponse health = request(port, "GET", "/healthz");
    QCOMPARE(health.status, 200);
    // The browser page students open.
    QCOMPARE(request(port, "GET", "/").status, 200);
    // A restart keeps the address: the class's URL stays valid.
    m_controller->restartServer();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->server()->state() != ServerProcess::State::Running; }, WaitMs));
    QVERIFY(waitReady());
    QCOMPARE(m_controller->server()->url().port(), int(port));
    // --listen is for this run: nothing is saved for the next launch.
    QVERIFY(!QSettings().contains(QStringLiteral("classroom/listen")));
}

void tst_Classroom::aPortInUseIsSaidNotSwapped()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    m_controller->setListenAddress(ListenAddress(QHostAddress::LocalHost, taken.serverPort()), false);
    QSignalSpy errors(m_controller.get(), &AppController::errorOccurred);
    m_controller->start();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->server()->state() == ServerProcess::State::Failed; }, WaitMs));
    // In the server's own words (both cores say "cannot listen on HOST:PORT: <why>").
    const QString why = m_controller->server()->errorString();
    QVERIFY2(why.contains(QStringLiteral("cannot listen on 127.0.0.1:%1").arg(taken.serverPort())), qPrintable(why));
    QVERIFY(!errors.isEmpty());
    QCOMPARE(errors.last().at(0).toString(), why);
    QVERIFY(!m_controller->server()->runningAddress().isValid());
    // The window's panel says so too.
    m_window = std::make_unique<MainWindow>(m_controller.get());
    ClassroomPanel *panel = m_window->classroomPanel();
    QVERIFY(panel->findChildren<QLabel *>().size() > 0);
    bool said = false;
    for (QLabel *l : panel->findChildren<QLabel *>())
        said = said || l->text().contains(why);
    QVERIFY(said);
    // Once the port is free, the same address again starts it there.
    taken.close();
    const quint16 port = quint16(m_controller->listenAddress().port());
    m_controller->setListenAddress(m_controller->listenAddress(), false);
    QVERIFY(waitReady());
    QCOMPARE(m_controller->server()->url().port(), int(port));
}

void tst_Classroom::panelShowsTheJoinUrlAndItsQrCode()
{
    m_controller->start();
    m_window = std::make_unique<MainWindow>(m_controller.get());
    ClassroomPanel *panel = m_window->classroomPanel();
    const QList<QHostAddress> lan { QHostAddress(QStringLiteral("192.168.1.20")),
                                    QHostAddress(QStringLiteral("10.1.2.3")) };
    panel->showAddress(ListenAddress::parse(QStringLiteral("0.0.0.0:8080")), lan);
    QCOMPARE(panel->joinUrlLabel()->text(), QStringLiteral("http://192.168.1.20:8080/"));
    const QrCode expected = QrCode::encode("http://192.168.1.20:8080/");
    QCOMPARE(panel->qrCode()->code().size(), expected.size());
    const QImage image = panel->qrCode()->toImage(4);
    QCOMPARE(image.width(), expected.size() * 4);
    // The top-left module of the symbol (a finder pattern) is dark; the quiet zone is light.
    QCOMPARE(image.pixelColor(QrCode::QuietZone * 4 + 1, QrCode::QuietZone * 4 + 1), QColor(Qt::black));
    QCOMPARE(image.pixelColor(1, 1), QColor(Qt::white));
    bool cli = false;
    bool others = false;
    for (QLabel *l : panel->findChildren<QLabel *>()) {
        cli = cli || l->text().contains(QStringLiteral("rtlab --server http://192.168.1.20:8080"));
        others = others || l->text().contains(QStringLiteral("http://10.1.2.3:8080/"));
    }
    QVERIFY(cli);
    QVERIFY(others);
    // A drawn panel at projector size: the code is large enough to scan.
    panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(panel));
    QVERIFY(panel->qrCode()->width() >= 240);

    // One address: that one. Loopback: no join URL and no code, and the way to get one.
    panel->showAddress(ListenAddress::parse(QStringLiteral("10.1.2.3:9000")), lan);
    QCOMPARE(panel->joinUrlLabel()->text(), QStringLiteral("http://10.1.2.3:9000/"));
    panel->showAddress(ListenAddress::parse(QStringLiteral("127.0.0.1:9000")), lan);
    QVERIFY(panel->qrCode()->code().isNull());
    QVERIFY(panel->joinUrl().isEmpty());
}

void tst_Classroom::panelRefusesABadListenAddressInline()
{
    m_controller->start();
    QVERIFY(waitReady());
    const QUrl before = m_controller->server()->url();
    m_window = std::make_unique<MainWindow>(m_controller.get());
    ClassroomPanel *panel = m_window->classroomPanel();
    panel->listenEdit()->setText(QStringLiteral("0.0.0.0:99999"));
    QVERIFY(panel->listenError()->isVisibleTo(panel));
    QVERIFY(panel->listenError()->text().contains(QStringLiteral("65535")));
    QVERIFY(!panel->applyButton()->isEnabled());
    QTest::keyClick(panel->listenEdit(), Qt::Key_Return);
    // Nothing running changed, nothing saved.
    QCOMPARE(m_controller->server()->url(), before);
    QCOMPARE(m_controller->server()->state(), ServerProcess::State::Running);
    QVERIFY(QSettings().value(QStringLiteral("classroom/listen")).toString().isEmpty());
    // A good one is kept for the next launch and applied now.
    const quint16 port = freePort();
    panel->listenEdit()->setText(QStringLiteral("127.0.0.1:%1").arg(port));
    QVERIFY(!panel->listenError()->isVisibleTo(panel));
    panel->applyButton()->click();
    QCOMPARE(QSettings().value(QStringLiteral("classroom/listen")).toString(),
             QStringLiteral("127.0.0.1:%1").arg(port));
    QVERIFY(QTest::qWaitFor([&] { return m_controller->server()->url().port() == int(port); }, WaitMs));
    QVERIFY(waitReady());
}

void tst_Classroom::dashboardListsConnectedClients()
{
    m_controller->start();
    QVERIFY(waitReady());
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
    m_window->showTab(QStringLiteral("dashboard"));
    auto *dashboard = qobject_cast<DashboardView *>(m_window->tabs()->currentWidget());
    QVERIFY(dashboard);
    const quint16 port = quint16(m_controller->server()->url().port());
    SseClient sse(port);
    QVERIFY(sse.waitOpen());
    // The window's own client (WebSocket, through the relay) and this SSE stream.
    QTRY_VERIFY_WITH_TIMEOUT(dashboard->clientTable()->model()->rowCount() >= 2, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(dashboard->clientCounts()->text().contains(QStringLiteral("SSE</span></b>: 1 client")),
                             WaitMs);
    QStringList transports;
    for (int r = 0; r < dashboard->clientTable()->model()->rowCount(); ++r)
        transports << dashboard->clientTable()->model()->index(r, 0).data().toString();
    QVERIFY2(transports.contains(QStringLiteral("SSE")), qPrintable(transports.join(u',')));
    QVERIFY2(transports.contains(QStringLiteral("WebSocket")), qPrintable(transports.join(u',')));
    // Grouped: every SSE row before every WebSocket row.
    QVERIFY(transports.lastIndexOf(QStringLiteral("SSE")) < transports.indexOf(QStringLiteral("WebSocket")));
    // Hidden, it stops asking the server.
    m_window->showTab(QStringLiteral("chat"));
    QVERIFY(!m_controller->connectedClients()->isActive());
}

void tst_Classroom::zoomGrowsTheFontAndResets()
{
    m_controller->start();
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    const double base = QApplication::font().pointSizeF();
    QVERIFY(base > 0);
    QTest::keyClick(m_window.get(), Qt::Key_Plus, Qt::ControlModifier);
    QCOMPARE(m_window->fontZoom()->step(), 1);
    QVERIFY(QApplication::font().pointSizeF() > base);
    // Ctrl+= for keyboards without a plus key.
    QTest::keyClick(m_window.get(), Qt::Key_Equal, Qt::ControlModifier);
    QCOMPARE(m_window->fontZoom()->step(), 2);
    const double zoomed = QApplication::font().pointSizeF();
    QVERIFY(zoomed > base * 1.25);
    // Every tab follows: the widgets take the application font.
    for (int i = 0; i < m_window->tabs()->count(); ++i)
        QTRY_COMPARE_WITH_TIMEOUT(m_window->tabs()->widget(i)->font().pointSizeF(), zoomed, WaitMs);
    QCOMPARE(QSettings().value(QStringLiteral("view/zoom")).toInt(), 2);
    // Labels with a style sheet (the Compare lanes' bold state) follow too.
    QList<QLabel *> styled;
    for (QLabel *l : m_window->compareView()->findChildren<QLabel *>())
        if (l->styleSheet().contains(QStringLiteral("font-weight")))
            styled << l;
    QVERIFY(!styled.isEmpty());
    for (QLabel *l : styled)
        QTRY_COMPARE_WITH_TIMEOUT(l->font().pointSizeF(), zoomed, WaitMs);
    QTest::keyClick(m_window.get(), Qt::Key_Minus, Qt::ControlModifier);
    QCOMPARE(m_window->fontZoom()->step(), 1);
    QTest::keyClick(m_window.get(), Qt::Key_0, Qt::ControlModifier);
    QCOMPARE(m_window->fontZoom()->step(), 0);
    QCOMPARE(QApplication::font().pointSizeF(), base);
    QCOMPARE(QSettings().value(QStringLiteral("view/zoom")).toInt(), 0);
}

void tst_Classroom::timelineLogFollowsTheZoom()
{
    // The log's time column and row height were sized once from the font at start: two steps up
    // the times read "16:54:1…" and the rows clipped their text.
    m_controller->start();
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    auto *timeline = m_window->findChild<TimelineView *>();
    QVERIFY(timeline);
    auto *table = timeline->findChild<QTableView *>();
    QVERIFY(table);
    m_window->fontZoom()->setStep(2);
    QTRY_COMPARE_WITH_TIMEOUT(table->font().pointSizeF(), QApplication::font().pointSizeF(), WaitMs);
    const QFontMetrics fm(table->font());
    QVERIFY2(table->columnWidth(EventLogModel::TimeColumn) > fm.horizontalAdvance(QStringLiteral("00:00:00.000")),
             qPrintable(QString::number(table->columnWidth(EventLogModel::TimeColumn))));
    QVERIFY(table->verticalHeader()->defaultSectionSize() > fm.height());
}

void tst_Classroom::presenterBannerShowsTheRunningLesson()
{
    m_controller->start();
    QVERIFY(waitReady());
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    PresenterBanner *banner = m_window->presenterBanner();
    m_window->presenterAction()->setChecked(true);
    QVERIFY(!banner->isVisible()); // no lesson yet
    const LessonInfo *lesson = LessonCatalog::find(QStringLiteral("lp-simple"));
    QVERIFY(lesson);
    QVERIFY(m_window->lab()->lessons()->start(lesson->id));
    QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), WaitMs);
    QCOMPARE(banner->titleLabel()->text(), lesson->title);
    // Large: above the application font.
    QVERIFY(banner->titleLabel()->font().pointSizeF() > QApplication::font().pointSizeF() * 1.5);
    // Off: hidden while the lesson goes on.
    m_window->presenterAction()->setChecked(false);
    QVERIFY(!banner->isVisible());
    m_window->presenterAction()->setChecked(true);
    QVERIFY(banner->isVisible());
    m_window->lab()->lessons()->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), WaitMs);
}

void tst_Classroom::fitsAProjectorTwoStepsUp()
{
    m_controller->start();
    QVERIFY(waitReady());
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->fontZoom()->setStep(2);
    m_window->presenterAction()->setChecked(true);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->lab()->lessons()->start(QStringLiteral("lp-simple")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->presenterBanner()->isVisible(), WaitMs);
    // 1280×720 less a window manager's frame and title bar: every tab can be that small.
    const QSize projector(1280 - 40, 720 - 60);
    for (int i = 0; i < m_window->tabs()->count(); ++i) {
        m_window->tabs()->setCurrentIndex(i);
        QCoreApplication::processEvents();
        const QSize need = m_window->minimumSizeHint();
        QVERIFY2(need.width() <= projector.width() && need.height() <= projector.height(),
                 qPrintable(QStringLiteral("tab %1 needs %2×%3")
                                    .arg(m_window->tabs()->tabText(i))
                                    .arg(need.width())
                                    .arg(need.height())));
    }
    m_window->lab()->lessons()->stop();
}

void tst_Classroom::continuityStaysInSightOnANarrowBar()
{
    m_controller->start();
    QVERIFY(waitReady());
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    // Narrow for its font: three steps up (about QT_SCALE_FACTOR=1.5) in a 1000-pixel window.
    m_window->fontZoom()->setStep(3);
    m_window->resize(1000, 600);
    QLabel *continuity = m_window->continuityLabel();
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->client()->continuity().delivered > 0, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(continuity->isVisible() && continuity->width() > 0, WaitMs);
    // Whole, inside the window, and still saying what matters; the rest in its tooltip.
    QVERIFY(continuity->mapTo(m_window.get(), QPoint(continuity->width(), 0)).x() <= m_window->width());
    QVERIFY2(continuity->text().contains(QStringLiteral("<b>0</b> gaps")), qPrintable(continuity->text()));
    QVERIFY(continuity->toolTip().contains(QStringLiteral("duplicates")));
    // Room again: the full text.
    m_window->fontZoom()->setStep(0);
    m_window->resize(1600, 600);
    QTRY_VERIFY_WITH_TIMEOUT(continuity->text().contains(QStringLiteral("messages")), WaitMs);
}

QTEST_MAIN(tst_Classroom)
#include "tst_classroom.moc"
