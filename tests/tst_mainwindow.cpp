// SPDX-License-Identifier: MIT
// The desktop client as a person uses it, offscreen: its own bundled rtlab-server, chat,
// the transport toggle, compare mode, a server restart, and a clean exit.
#include "appcontroller.h"
#include "chatview.h"
#include "claimsmodel.h"
#include "compareview.h"
#include "connectdialog.h"
#include "histogramchart.h"
#include "labcontroller.h"
#include "labview.h"
#include "lessonrunner.h"
#include "mainwindow.h"
#include "palette.h"
#include "testsupport.h"
#include "timeserieschart.h"
#include "tokenrefusingserver.h"

#include <QAbstractButton>
#include <QActionGroup>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFrame>
#include <QGroupBox>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>

#include <csignal>

using namespace rtlab;
using namespace rtlab::test;

class tst_MainWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void startsItsServerAndConnects();
    void sendingAMessageShowsIt();
    void messageSentWhileTheServerIsDownIsDeliveredOnce();
    void failedMessageIsRetriedByAClick();
    void refusedMessageStaysInTheInput();
    void chatStaysPinnedAfterABurstOnAnotherTab();
    void togglingEveryTransportKeepsTheFlow();
    void compareModeFillsEveryLane();
    void restartingTheServerShowsTheReset();
    void closesCleanlyAndLeavesNoServer();
    void toolbarTellsTheTruthDuringAnOutage();
    // Issue 11.
    void compareShowsTheCurrentLanesAfterARestart();
    void fitsASmallScreen();
    void growingNumbersDoNotWidenTheWindow();
    void aSilentChartSaysSo();
    void theLessonShowsEveryLine();
    void aRunningLessonsRowIsInView();
    void aLessonsLineIsInViewAndKeepsItsVerdict();
    void aRunningLessonsRowStaysInViewAsColumnsNarrow();
    void aLongNoticeIsCutWhereItCanBeSeen();
    void faultBannerNamesActiveFaultsAndClearsThem();
    void serverMenuStartsAndStopsTheBundledServer();
    void aBrowserThatCannotStartShowsTheUrl();
    void desktopAndBrowserShareOnePalette();
    void exportsTheClaimsAndThisTab();
    // Issue 14.
    void connectDialogTakesATokenAndShowsItsRefusal();
    // Issue 15.
    void keepHistoryAsksThenRestartsOnSqlite();
    void aHistoryThatWillNotOpenOffersMemory();

private:
    bool waitReady();
    QList<quint64> chatIdsInView() const;
    quint64 publishFromOutside(const QString &text);
    QList<QModelIndex> chatRowsWithText(const QString &text) const;

    std::unique_ptr<AppController> m_controller;
    std::unique_ptr<MainWindow> m_window;
};

void tst_MainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
}

void tst_MainWindow::init()
{
    QSettings().clear();
    m_controller = std::make_unique<AppController>();
    m_controller->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_controller->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("2") });
    m_controller->start();
    m_window = std::make_unique<MainWindow>(m_controller.get());
    m_window->show();
}

void tst_MainWindow::cleanup()
{
    m_window.reset();
    m_controller.reset();
}

bool tst_MainWindow::waitReady()
{
    return QTest::qWaitFor(
            [&] {
                return m_controller->server()->state() == ServerProcess::State::Running
                        && m_controller->client()->state() == ClientTransport::State::Open;
            },
            WaitMs);
}

QList<quint64> tst_MainWindow::chatIdsInView() const
{
    QList<quint64> out;
    ChatModel *chat = m_controller->chat();
    for (int i = 0; i < chat->rowCount(); ++i)
        if (MessageType(chat->index(i).data(ChatModel::TypeRole).toInt()) == MessageType::Chat)
            out.append(chat->index(i).data(ChatModel::IdRole).toULongLong());
    return out;
}

quint64 tst_MainWindow::publishFromOutside(const QString &text)
{
    return publish(quint16(m_controller->server()->url().port()), text, QStringLiteral("outside"));
}

void tst_MainWindow::startsItsServerAndConnects()
{
    QVERIFY(waitReady());
    const QUrl url = m_controller->server()->url();
    QCOMPARE(url.host(), QStringLiteral("127.0.0.1"));
    QVERIFY(url.port() > 0);
    QCOMPARE(m_controller->serverUrl(), url);
    QVERIFY(m_controller->server()->pid() > 0);
    // Ticks flow (the dashboard's data).
    QVERIFY(QTest::qWaitFor([&] { return !m_controller->series(AppController::Series::ConnectionsWs).isEmpty(); },
                            WaitMs));
}

void tst_MainWindow::sendingAMessageShowsIt()
{
    QVERIFY(waitReady());
    QLineEdit *input = m_window->chatView()->input();
    QTest::keyClicks(input, QStringLiteral("hello from the window"));
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(input->text().isEmpty());
    ChatModel *chat = m_controller->chat();
    QCOMPARE(chat->rowCount(), 1); // shown at once, while on its way
    QCOMPARE(chat->index(0).data(ChatModel::IdRole).toULongLong(), 0u);
    // Then the delivered message takes the place of the outgoing row.
    QVERIFY(QTest::qWaitFor(
            [&] { return chat->rowCount() == 1 && chat->index(0).data(ChatModel::IdRole).toULongLong() > 0; }, WaitMs));
    const QModelIndex row = chat->index(0);
    QCOMPARE(row.data(ChatModel::TextRole).toString(), QStringLiteral("hello from the window"));
    QCOMPARE(row.data(ChatModel::FromRole).toString(), m_controller->nickname());
    QVERIFY(row.data(ChatModel::OwnRole).toBool());
    QVERIFY(row.data(ChatModel::LatencyRole).toLongLong() >= 0);
    QCOMPARE(m_controller->client()->stats(TransportKind::WebSocket).roundTrip.count(), 1);
}

QList<QModelIndex> tst_MainWindow::chatRowsWithText(const QString &text) const
{
    QList<QModelIndex> out;
    ChatModel *chat = m_controller->chat();
    for (int i = 0; i < chat->rowCount(); ++i)
        if (chat->index(i).data(ChatModel::TextRole).toString() == text)
            out.append(chat->index(i));
    return out;
}

// The reported loss: the server is down, the user types a message and presses Enter. It must show
// at once as waiting, and be delivered once when the server is back (a new epoch, after a reset).
void tst_MainWindow::messageSentWhileTheServerIsDownIsDeliveredOnce()
{
    QVERIFY(waitReady());
    m_controller->stopServer();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; }, WaitMs));
    const QString text = QStringLiteral("typed while the server was down");
    QLineEdit *input = m_window->chatView()->input();
    QTest::keyClicks(input, text);
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(input->text().isEmpty()); // safely in the outbox

    // Shown at once, as waiting, with no server id yet; nothing dropped.
    QList<QModelIndex> rows = chatRowsWithText(text);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].data(ChatModel::IdRole).toULongLong(), 0u);
    QCOMPARE(Outbox::State(rows[0].data(ChatModel::DeliveryRole).toInt()), Outbox::State::Queued);
    QCOMPARE(rows[0].data(ChatModel::DeliveryTextRole).toString(), QStringLiteral("queued until connected"));
    QCOMPARE(m_controller->client()->outbox().size(), 1);

    m_controller->restartServer();
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QList<QModelIndex> now = chatRowsWithText(text);
                return now.size() == 1 && now[0].data(ChatModel::IdRole).toULongLong() > 0;
            },
            WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->outbox().size() == 0; }, WaitMs));
    // Exactly once, as a delivered row of our own, after the new server's reset.
    publishFromOutside(QStringLiteral("after the restart"));
    QVERIFY(QTest::qWaitFor([&] { return !chatRowsWithText(QStringLiteral("after the restart")).isEmpty(); }, WaitMs));
    rows = chatRowsWithText(text);
    QCOMPARE(rows.size(), 1);
    // Once in the new server's log too, under the id the row shows.
    const RawResponse log = request(quint16(m_controller->server()->url().port()), "GET", "/poll?after=0");
    QList<quint64> logged;
    for (const Message &m : pollMessages(log))
        if (m.type == MessageType::Chat && m.text == text)
            logged.append(m.id);
    QCOMPARE(logged, QList<quint64> { rows[0].data(ChatModel::IdRole).toULongLong() });
    QCOMPARE(Outbox::State(rows[0].data(ChatModel::DeliveryRole).toInt()), Outbox::State::Delivered);
    QVERIFY(rows[0].data(ChatModel::OwnRole).toBool());
    QVERIFY(rows[0].data(ChatModel::DeliveryTextRole).toString().isEmpty());
    QCOMPARE(m_controller->client()->continuity().resets, 1);
    QCOMPARE(m_controller->chat()->outgoingCount(), 0);
}

// A message that could not be delivered in time says so, and a click on it sends it again.
void tst_MainWindow::failedMessageIsRetriedByAClick()
{
    QVERIFY(waitReady());
    Outbox::Limits quick = m_controller->client()->outbox().limits();
    quick.maxAgeMs = 200;
    m_controller->client()->setOutboxLimits(quick);
    m_controller->stopServer();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; }, WaitMs));
    const QString text = QStringLiteral("will fail, then be retried");
    QLineEdit *input = m_window->chatView()->input();
    QTest::keyClicks(input, text);
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QList<QModelIndex> rows = chatRowsWithText(text);
                return rows.size() == 1
                        && Outbox::State(rows[0].data(ChatModel::DeliveryRole).toInt()) == Outbox::State::Failed;
            },
            WaitMs));
    QVERIFY(chatRowsWithText(text)[0]
                    .data(ChatModel::DeliveryTextRole)
                    .toString()
                    .startsWith(QStringLiteral("failed — click to retry")));

    quick.maxAgeMs = 120000;
    m_controller->client()->setOutboxLimits(quick);
    m_controller->restartServer();
    QVERIFY(waitReady());
    QListView *list = m_window->chatView()->list();
    const QModelIndex failed = chatRowsWithText(text)[0];
    list->scrollTo(failed);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualRect(failed).center());
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QList<QModelIndex> rows = chatRowsWithText(text);
                return rows.size() == 1 && rows[0].data(ChatModel::IdRole).toULongLong() > 0;
            },
            WaitMs));
    QCOMPARE(m_controller->client()->outbox().size(), 0);
}

// When the outbox refuses (full), the text stays where the user typed it, and they are told why.
void tst_MainWindow::refusedMessageStaysInTheInput()
{
    QVERIFY(waitReady());
    Outbox::Limits one = m_controller->client()->outbox().limits();
    one.maxItems = 1;
    m_controller->client()->setOutboxLimits(one);
    m_controller->stopServer();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; }, WaitMs));
    m_window->showTab(QStringLiteral("chat")); // a first launch opens on the start page
    QLineEdit *input = m_window->chatView()->input();
    QTest::keyClicks(input, QStringLiteral("first"));
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(input->text().isEmpty());
    QTest::keyClicks(input, QStringLiteral("second"));
    QTest::keyClick(input, Qt::Key_Return);
    QCOMPARE(input->text(), QStringLiteral("second"));
    QLabel *error = m_window->chatView()->sendError();
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().contains(QStringLiteral("1 message not yet delivered")), qPrintable(error->text()));
    QVERIFY(chatRowsWithText(QStringLiteral("second")).isEmpty());
    QCOMPARE(chatRowsWithText(QStringLiteral("first")).size(), 1);
}

// Rows that arrive while another tab is shown must not unpin the chat from its newest message.
void tst_MainWindow::chatStaysPinnedAfterABurstOnAnotherTab()
{
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("chat"));
    QListView *list = m_window->chatView()->list();
    QScrollBar *bar = list->verticalScrollBar();
    // Scrolled to the end, and the newest row laid out and in sight.
    auto atBottom = [&] {
        ChatModel *chat = m_controller->chat();
        const QRect last = list->visualRect(chat->index(chat->rowCount() - 1));
        return bar->maximum() > 0 && bar->value() == bar->maximum() && last.isValid()
                && list->viewport()->rect().contains(last);
    };
    for (int i = 0; i < 30; ++i)
        publishFromOutside(QStringLiteral("before %1").arg(i));
    QVERIFY(QTest::qWaitFor([&] { return chatIdsInView().size() == 30; }, WaitMs));
    QVERIFY(QTest::qWaitFor(atBottom, WaitMs));

    m_window->showTab(QStringLiteral("dashboard"));
    // More than the list lays out in one batch.
    const int burst = 250;
    for (int i = 0; i < burst; ++i)
        publishFromOutside(QStringLiteral("burst %1").arg(i));
    QVERIFY(QTest::qWaitFor([&] { return chatIdsInView().size() == 30 + burst; }, WaitMs));
    m_window->showTab(QStringLiteral("chat"));
    QVERIFY(QTest::qWaitFor(atBottom, WaitMs));
    // And it goes on following.
    publishFromOutside(QStringLiteral("after"));
    QVERIFY(QTest::qWaitFor([&] { return chatIdsInView().size() == 31 + burst; }, WaitMs));
    QVERIFY(QTest::qWaitFor(atBottom, WaitMs));

    // Scrolled up to read: new rows do not pull the view away; back at the end, it follows again.
    QTest::keyClick(list, Qt::Key_Home);
    QCOMPARE(bar->value(), 0);
    const int rangeBefore = bar->maximum();
    publishFromOutside(QStringLiteral("while reading"));
    // Once the new row is laid out (the range grew), the view has had its chance to move.
    QVERIFY(QTest::qWaitFor([&] { return bar->maximum() > rangeBefore; }, WaitMs));
    QCOMPARE(bar->value(), 0);
    QTest::keyClick(list, Qt::Key_End);
    publishFromOutside(QStringLiteral("at the end again"));
    QVERIFY(QTest::qWaitFor([&] { return chatIdsInView().size() == 33 + burst; }, WaitMs));
    QVERIFY(QTest::qWaitFor(atBottom, WaitMs));
}

void tst_MainWindow::togglingEveryTransportKeepsTheFlow()
{
    QVERIFY(waitReady());
    QList<quint64> published;
    const QList<QAction *> actions = m_window->transportActions()->actions();
    QCOMPARE(actions.size(), 5);
    QCOMPARE(actions[0]->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_1));
    // The toolbar offers traditional (short) polling too, apart from the others and after Auto.
    QCOMPARE(actions[3]->text(), QStringLiteral("Auto"));
    QCOMPARE(actions[4]->text(), QStringLiteral("Short Polling"));
    QCOMPARE(actions[4]->data().value<RealtimeClient::Mode>(), RealtimeClient::Mode::Poll);
    QCOMPARE(actions[4]->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_5));
    // Each toggle (Long Polling, SSE, WebSocket, Auto, Short Polling, and back), with messages
    // before and after: no loss and no duplicate across any of the switches.
    for (int round = 0; round < 2; ++round) {
        for (QAction *a : actions) {
            published.append(publishFromOutside(QStringLiteral("before %1").arg(a->text())));
            a->trigger();
            published.append(publishFromOutside(QStringLiteral("after %1").arg(a->text())));
            const auto mode = a->data().value<RealtimeClient::Mode>();
            QVERIFY(QTest::qWaitFor(
                    [&] {
                        const auto active = m_controller->client()->activeTransport();
                        return active
                                && (mode == RealtimeClient::Mode::Auto
                                    || *active == *RealtimeClient::transportOf(mode));
                    },
                    WaitMs));
        }
    }
    // Every chat message once, in order (ticks take ids in between: compare the chat ones).
    QVERIFY(QTest::qWaitFor([&] { return chatIdsInView().size() >= published.size(); }, WaitMs));
    QCOMPARE(chatIdsInView(), published);
    QCOMPARE(m_controller->client()->continuity().gaps, 0);
    QCOMPARE(m_controller->client()->continuity().duplicates, 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->continuityLabel()->text().contains(QStringLiteral("<b>0</b> gaps")), WaitMs);
}

void tst_MainWindow::compareModeFillsEveryLane()
{
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("compare"));
    m_window->compareView()->toggle()->click();
    QVERIFY(m_controller->compareEnabled());
    for (int i = 0; i < TransportKindCount; ++i)
        QVERIFY(m_controller->hasLane(TransportKind(i)));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_controller->laneSnapshot(TransportKind(i))->state != ClientTransport::State::Open)
                        return false;
                return true;
            },
            WaitMs));
    publishFromOutside(QStringLiteral("to every lane"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const TransportKind k = TransportKind(i);
                    const TransportStats s = m_controller->laneSnapshot(k)->stats;
                    if (s.messages < 1 || s.latency.count() < 1)
                        return false;
                }
                return true;
            },
            WaitMs));
    // Each lane's figures are on screen (the view refreshes a few times a second).
    auto lanesShowingFigures = [&] {
        int filled = 0;
        for (QLabel *l : m_window->compareView()->findChildren<QLabel *>())
            if (l->text().contains(QStringLiteral("bytes per message"))
                && !l->text().contains(QStringLiteral("<b>0</b>")))
                ++filled;
        return filled;
    };
    // Four lanes: the three real-time transports and short polling.
    QCOMPARE(m_window->compareView()->findChildren<QGroupBox *>().size(), TransportKindCount);
    QVERIFY(m_window->compareView()->figures(TransportKind::Poll));
    QVERIFY(QTest::qWaitFor([&] { return lanesShowingFigures() == TransportKindCount; }, WaitMs));
    // The cost shape differs: long polling made requests for its messages, WebSocket one handshake.
    QVERIFY(m_controller->laneSnapshot(TransportKind::LongPoll)->stats.httpRequests >= 2);
    QCOMPARE(m_controller->laneSnapshot(TransportKind::WebSocket)->stats.httpRequests, 1);
}

void tst_MainWindow::restartingTheServerShowsTheReset()
{
    QVERIFY(waitReady());
    publishFromOutside(QStringLiteral("first life"));
    const qint64 oldPid = m_controller->server()->pid();
    m_controller->restartServer();
    QVERIFY(QTest::qWaitFor(
            [&] {
                ChatModel *chat = m_controller->chat();
                for (int i = 0; i < chat->rowCount(); ++i)
                    if (MessageType(chat->index(i).data(ChatModel::TypeRole).toInt()) == MessageType::Reset)
                        return true;
                return false;
            },
            WaitMs));
    QVERIFY(m_controller->server()->pid() != oldPid);
    QCOMPARE(m_controller->client()->continuity().resets, 1);
    QCOMPARE(m_controller->client()->continuity().gaps, 0);
    // The new life goes on.
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() == ClientTransport::State::Open; }, WaitMs));
    publishFromOutside(QStringLiteral("second life"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                ChatModel *chat = m_controller->chat();
                return chat->rowCount() > 0
                        && chat->index(chat->rowCount() - 1).data(ChatModel::TextRole).toString()
                        == QStringLiteral("second life");
            },
            WaitMs));
}

void tst_MainWindow::closesCleanlyAndLeavesNoServer()
{
    QVERIFY(waitReady());
    const qint64 pid = m_controller->server()->pid();
    QVERIFY(pid > 0);
    QVERIFY(m_window->close());
    m_window.reset();
    m_controller.reset(); // what the application does when its window closes
    // The child has been reaped: no such process any more.
    QCOMPARE(::kill(pid_t(pid), 0), -1);
    QCOMPARE(errno, ESRCH);
}

// With the server stopped the toolbar says "reconnecting in N s", never "via X" while nothing is
// open; once the server is back it says "open via WebSocket" again (Auto stayed on it).
void tst_MainWindow::toolbarTellsTheTruthDuringAnOutage()
{
    QVERIFY(waitReady());
    m_controller->setMode(RealtimeClient::Mode::Auto);
    RealtimeClient *client = m_controller->client();
    QVERIFY(QTest::qWaitFor(
            [&] {
                return client->state() == ClientTransport::State::Open
                        && client->activeTransport() == TransportKind::WebSocket;
            },
            WaitMs));
    auto *label = m_window->findChild<QLabel *>(QStringLiteral("connectionState"));
    QVERIFY(label);
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QLatin1String("Auto: open via")), WaitMs);
    QVERIFY2(label->text().contains(QLatin1String("WebSocket")), qPrintable(label->text()));

    // What the toolbar said, and whether the client was open then, at every refresh.
    QList<std::pair<QString, bool>> seen;
    connect(m_controller.get(), &AppController::refreshed, label, [&] {
        seen.append({ label->text(), client->state() == ClientTransport::State::Open });
    });
    m_controller->stopServer();
    const QRegularExpression reconnecting(QStringLiteral("Auto: reconnecting in \\d+ s \\(.*WebSocket"));
    QTRY_VERIFY_WITH_TIMEOUT(reconnecting.match(label->text()).hasMatch(), WaitMs);
    const qsizetype n = seen.size();
    QVERIFY(QTest::qWaitFor([&] { return seen.size() >= n + 8; }, WaitMs)); // a few seconds of outage
    for (const auto &[text, open] : seen)
        QVERIFY2(open || !text.contains(QLatin1String("via")), qPrintable(text));
    QVERIFY(client->state() != ClientTransport::State::Open);
    QCOMPARE(client->activeTransport(), TransportKind::WebSocket);

    m_controller->restartServer();
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QLatin1String("Auto: open via")), 3 * WaitMs);
    QVERIFY2(label->text().contains(QLatin1String("WebSocket")), qPrintable(label->text()));
}

// Issue 11 (1): the lanes restart while Compare is hidden; showing it must paint the new lanes'
// figures (and must not touch the deleted lanes' statistics: run it under RTLAB_SANITIZE=address).
static QList<qint64> shownMessageCounts(CompareView *view)
{
    static const QRegularExpression re(QStringLiteral("<td>messages</td><td align=right><b>(\\d+)</b>"));
    QList<qint64> out;
    for (QLabel *l : view->findChildren<QLabel *>()) {
        const QRegularExpressionMatch m = re.match(l->text());
        if (m.hasMatch())
            out.append(m.captured(1).toLongLong());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void tst_MainWindow::compareShowsTheCurrentLanesAfterARestart()
{
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("compare"));
    m_window->compareView()->toggle()->click();
    auto lanesHave = [&](qint64 n) {
        for (int i = 0; i < TransportKindCount; ++i) {
            const TransportKind k = TransportKind(i);
            const auto lane = m_controller->laneSnapshot(k);
            if (!lane || lane->stats.messages < n || lane->stats.latency.count() < 1)
                return false;
        }
        return true;
    };
    for (int i = 0; i < 30; ++i)
        publishFromOutside(QStringLiteral("before the restart %1").arg(i));
    QVERIFY(QTest::qWaitFor([&] { return lanesHave(30); }, WaitMs));
    QVERIFY(QTest::qWaitFor(
            [&] {
                const QList<qint64> c = shownMessageCounts(m_window->compareView());
                return c.size() == TransportKindCount && c.first() >= 30;
            },
            WaitMs));

    m_window->showTab(QStringLiteral("chat"));
    m_controller->setPollHoldMs(3000); // restarts the lanes: the old clients and their stats are deleted
    QVERIFY(QTest::qWaitFor([&] { return lanesHave(1); }, WaitMs));
    // The lanes run on their own thread: hold their figures still (no bytes reach them) so that
    // what the view shows can be compared with what they hold.
    m_controller->relay()->setDown(true);
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_controller->laneSnapshot(TransportKind(i))->state == ClientTransport::State::Open)
                        return false;
                return true;
            },
            WaitMs));

    m_window->showTab(QStringLiteral("compare"));
    QVERIFY(!m_window->compareView()->grab().isNull()); // paints now, before any refresh tick
    QList<qint64> current;
    for (int i = 0; i < TransportKindCount; ++i)
        current.append(m_controller->laneSnapshot(TransportKind(i))->stats.messages);
    std::sort(current.begin(), current.end());
    QCOMPARE(shownMessageCounts(m_window->compareView()), current);
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind k = TransportKind(i);
        const HistogramChart *h = m_window->compareView()->histogram(k);
        const LatencyStats latency = m_controller->laneSnapshot(k)->stats.latency;
        QCOMPARE(h->count(), latency.count());
        QCOMPARE(h->buckets(), latency.histogram());
        QVERIFY2(h->titleText().contains(QString::number(latency.count())), qPrintable(h->titleText()));
    }

    // Turning compare off: the charts keep nothing of the lanes that are gone.
    m_window->compareView()->toggle()->click();
    QVERIFY(!m_window->compareView()->grab().isNull());
    for (int i = 0; i < TransportKindCount; ++i)
        QCOMPARE(m_window->compareView()->histogram(TransportKind(i))->count(), 0);
}

// What a 1280×720 screen offers at QT_SCALE_FACTOR=1.5, less a window manager's frame.
static const QSize SmallScreen(853 - 16, 480 - 40);

void tst_MainWindow::fitsASmallScreen()
{
    QVERIFY(waitReady());
    // The worst case: compare on, a fault on (the banner shows), every tab.
    m_controller->setCompareEnabled(true);
    ImpairmentRelay::Settings faults;
    faults.latencyMs = 100;
    faults.bufferResponseBytes = 3 * 1024;
    faults.refuseUpgrades = true;
    m_controller->relay()->setSettings(faults);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->faultBanner()->isVisible(), WaitMs);
    for (int i = 0; i < m_window->tabs()->count(); ++i) {
        m_window->tabs()->setCurrentIndex(i);
        QWidget *page = m_window->tabs()->widget(i);
        const QSize hint = m_window->minimumSizeHint();
        QVERIFY2(hint.width() <= SmallScreen.width() && hint.height() <= SmallScreen.height(),
                 qPrintable(QStringLiteral("%1: the window needs at least %2×%3")
                                    .arg(m_window->tabs()->tabText(i))
                                    .arg(hint.width())
                                    .arg(hint.height())));
        const QSize pageHint = page->minimumSizeHint();
        QVERIFY2(pageHint.width() <= SmallScreen.width() && pageHint.height() <= SmallScreen.height(),
                 qPrintable(QStringLiteral("%1 needs at least %2×%3")
                                    .arg(m_window->tabs()->tabText(i))
                                    .arg(pageHint.width())
                                    .arg(pageHint.height())));
    }
    // And the window does not open larger than the screen it is on.
    const QSize avail = m_window->screen()->availableGeometry().size();
    QVERIFY(m_window->width() <= avail.width() && m_window->height() <= avail.height());
}

void tst_MainWindow::growingNumbersDoNotWidenTheWindow()
{
    QVERIFY(waitReady());
    m_controller->setCompareEnabled(true);
    m_window->showTab(QStringLiteral("compare"));
    m_window->resize(SmallScreen);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(QTest::qWaitFor([&] { return m_window->size() == SmallScreen; }, WaitMs));
    // Every figure on screen ten digits long, as after a long run: nothing may push the window.
    // (Digits inside HTML tags, such as cellspacing=2, stay as they are.)
    static const QRegularExpression tagOrDigits(QStringLiteral("(<[^>]*>)|\\d+"));
    auto lengthen = [](const QString &text) {
        QString out;
        qsizetype from = 0;
        for (const QRegularExpressionMatch &m : tagOrDigits.globalMatch(text)) {
            out += text.mid(from, m.capturedStart() - from);
            out += m.hasCaptured(1) ? m.captured(1) : QStringLiteral("1234567890");
            from = m.capturedEnd();
        }
        return out + text.mid(from);
    };
    for (int tab = 0; tab < m_window->tabs()->count(); ++tab) {
        m_window->tabs()->setCurrentIndex(tab);
        for (QLabel *l : m_window->findChildren<QLabel *>()) {
            const QString longer = lengthen(l->text());
            if (longer != l->text())
                l->setText(longer);
        }
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        QCOMPARE(m_window->size(), SmallScreen);
        QVERIFY(m_window->minimumSizeHint().width() <= SmallScreen.width());
    }
}

void tst_MainWindow::aSilentChartSaysSo()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    TimeSeries series(QStringLiteral("messages/s"));
    for (qint64 t = now - 20000; t <= now - 10000; t += 500)
        series.append(t, 5);
    TimeSeriesChart chart(QStringLiteral("Messages per second"), {});
    chart.addLine(&series, Qt::black);
    // A 2/s series that stopped 10 s ago: no current value, and it says for how long.
    QVERIFY(chart.isSilent(0, now));
    QCOMPARE(chart.statusText(now), QStringLiteral("no data for 10 s"));
    QCOMPARE(chart.legendTexts(now), QStringList { QStringLiteral("messages/s —") });
    // Alive again.
    series.append(now, 7);
    QVERIFY(!chart.isSilent(0, now + 400));
    QCOMPARE(chart.statusText(now + 400), QString());
    QCOMPARE(chart.legendTexts(now + 400), QStringList { QStringLiteral("messages/s 7") });
    // Slower series get more time: one point every 2 s is late after 6 s, not 3.
    TimeSeries slow(QStringLiteral("slow"));
    for (qint64 t = now - 8000; t <= now; t += 2000)
        slow.append(t, 1);
    TimeSeriesChart slowChart(QStringLiteral("Slow"), {});
    slowChart.addLine(&slow, Qt::black);
    QVERIFY(!slowChart.isSilent(0, now + 5000));
    QVERIFY(slowChart.isSilent(0, now + 6500));
    // Nothing yet.
    TimeSeries empty(QStringLiteral("empty"));
    TimeSeriesChart emptyChart(QStringLiteral("Empty"), {});
    emptyChart.addLine(&empty, Qt::black);
    QCOMPARE(emptyChart.statusText(now), QStringLiteral("no data yet"));
    QVERIFY(!emptyChart.grab().isNull());
}

void tst_MainWindow::theLessonShowsEveryLine()
{
    m_window->showTab(QStringLiteral("lab"));
    m_window->resize(SmallScreen);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    auto *lesson = m_window->labView()->findChild<QTextBrowser *>();
    QVERIFY(lesson);
    auto *combo = m_window->labView()->findChildren<QComboBox *>().first();
    for (int i = 0; i < combo->count(); ++i) {
        combo->setCurrentIndex(i);
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
        // The whole text in view: its viewport is as tall as the laid-out document.
        QTRY_VERIFY2_WITH_TIMEOUT(lesson->viewport()->height() >= int(lesson->document()->size().height()),
                                  qPrintable(QStringLiteral("lesson %1: %2 px shown of %3")
                                                     .arg(i)
                                                     .arg(lesson->viewport()->height())
                                                     .arg(lesson->document()->size().height())),
                                  WaitMs);
    }
}

void tst_MainWindow::aRunningLessonsRowIsInView()
{
    // A lesson started from the start page or the tour lands on the Lab with the claims table
    // where the user left it: its verdict and figures were off screen for the lower rows.
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("lab"));
    m_window->resize(SmallScreen);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTableView *table = m_window->labView()->claimsView();
    table->scrollToTop();
    const QString id = QStringLiteral("server-restart");
    const int row = m_window->lab()->claims()->rowOf(id);
    QVERIFY(row > 0);
    QVERIFY(m_window->lab()->lessons()->start(id));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lab()->lessons()->state() != LessonRunner::State::Idle, WaitMs);
    const QRect cell = table->visualRect(table->model()->index(row, ClaimsModel::MeasuredColumn));
    QVERIFY2(table->viewport()->rect().intersects(cell),
             qPrintable(QStringLiteral("row %1 at y %2, viewport %3 tall")
                                .arg(row)
                                .arg(cell.y())
                                .arg(table->viewport()->height())));
    m_window->lab()->lessons()->stop();
}

void tst_MainWindow::aLessonsLineIsInViewAndKeepsItsVerdict()
{
    // At 1.5x on 1280×720 the lesson's own line (time left, figures, verdict) sat under the
    // lesson's text, scrolled out of the Lessons page; and when the lesson ended it said only
    // "No lesson running", the verdict left to a status-bar message cut off by the window's edge.
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("lab"));
    m_window->resize(SmallScreen);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    auto *line = m_window->labView()->findChild<QLabel *>(QStringLiteral("lessonStatus"));
    QVERIFY(line);
    auto *page = qobject_cast<QScrollArea *>(
            m_window->labView()->findChild<QTabWidget *>(QStringLiteral("labPages"))->currentWidget());
    QVERIFY(page);
    const QString id = QStringLiteral("ws-low-overhead");
    QVERIFY(m_window->labView()->runLesson(id));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lab()->lessons()->state() == LessonRunner::State::Running, 2 * WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(line->text().contains(QLatin1String("running")), WaitMs);
    const QRect shown = page->viewport()->rect();
    const QRect at(line->mapTo(page->viewport(), QPoint(0, 0)), line->size());
    QVERIFY2(shown.contains(at.topLeft()) && at.top() + line->fontMetrics().height() <= shown.bottom(),
             qPrintable(
                     QStringLiteral("the lesson's line at y %1, the page shows 0-%2").arg(at.y()).arg(shown.bottom())));
    m_window->lab()->lessons()->stop();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lab()->lessons()->state() == LessonRunner::State::Idle, WaitMs);
    const QString verdict = ClaimsModel::verdict(m_window->lab()->claims()->claim(id)->holds, false);
    QTRY_VERIFY2_WITH_TIMEOUT(line->text().contains(QLatin1String("ended")) && line->text().contains(verdict),
                              qPrintable(line->text()), WaitMs);
}

void tst_MainWindow::aRunningLessonsRowStaysInViewAsColumnsNarrow()
{
    // The table was scrolled to the lesson's row once, at its start; when the columns then
    // narrowed (the window, or the Holds column widening for "… measuring"), the rows above it
    // wrapped taller and pushed it out of view: at 1.5x sse-efficient showed one line of it.
    QVERIFY(waitReady());
    m_window->resize(QSize(1280 - 16, SmallScreen.height()));
    m_window->showTab(QStringLiteral("lab"));
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTableView *table = m_window->labView()->claimsView();
    const QString id = QStringLiteral("sse-one-way");
    const int row = m_window->lab()->claims()->rowOf(id);
    QVERIFY(row > 0);
    auto cellInView = [&] {
        const QRect cell = table->visualRect(table->model()->index(row, ClaimsModel::MeasuredColumn));
        return cell.top() >= 0 && cell.bottom() <= table->viewport()->height();
    };
    QVERIFY(m_window->labView()->runLesson(id));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lab()->lessons()->state() == LessonRunner::State::Running, 2 * WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(cellInView(), WaitMs);
    const int wide = table->viewport()->width();
    m_window->resize(SmallScreen);
    QTRY_VERIFY_WITH_TIMEOUT(table->viewport()->width() < wide, WaitMs);
    QCoreApplication::sendPostedEvents(); // the rows' new heights (queued on the columns' resize)
    QCoreApplication::processEvents();
    const QRect cell = table->visualRect(table->model()->index(row, ClaimsModel::MeasuredColumn));
    QVERIFY2(cellInView(),
             qPrintable(QStringLiteral("row %1 at y %2-%3, viewport %4 tall")
                                .arg(row)
                                .arg(cell.top())
                                .arg(cell.bottom())
                                .arg(table->viewport()->height())));
    m_window->lab()->lessons()->stop();
}

void tst_MainWindow::aLongNoticeIsCutWhereItCanBeSeen()
{
    // At 1.5x a lesson's ended notice ran under the "client: open" label and stopped mid-word;
    // a cut notice ends in "…" and its whole text is the status bar's tooltip.
    m_window->resize(SmallScreen);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QLabel *client = nullptr;
    for (QLabel *l : m_window->statusBar()->findChildren<QLabel *>())
        if (l->text().startsWith(QLatin1String("client:")))
            client = l;
    QVERIFY(client);
    const QString notice = QStringLiteral("Lesson “Long polling vs traditional polling” ended: ✓ holds. All else is "
                                          "put back; Compare keeps its lanes: no SSE or WebSocket lane until you "
                                          "turn Compare off and on.");
    emit m_window->lab()->noticed(notice);
    const QString shown = m_window->statusBar()->currentMessage();
    const int room = m_window->statusBar()->width() - client->width();
    QVERIFY2(m_window->statusBar()->fontMetrics().horizontalAdvance(shown) < room,
             qPrintable(QStringLiteral("%1 px of text in %2 px")
                                .arg(m_window->statusBar()->fontMetrics().horizontalAdvance(shown))
                                .arg(room)));
    QVERIFY2(shown.endsWith(QChar(0x2026)), qPrintable(shown));
    QCOMPARE(m_window->statusBar()->toolTip(), notice);
    // A short one is shown whole, with no tooltip left over.
    emit m_window->lab()->noticed(QStringLiteral("Short."));
    QCOMPARE(m_window->statusBar()->currentMessage(), QStringLiteral("Short."));
    QCOMPARE(m_window->statusBar()->toolTip(), QString());
}

void tst_MainWindow::faultBannerNamesActiveFaultsAndClearsThem()
{
    QVERIFY(waitReady());
    QFrame *banner = m_window->faultBanner();
    QVERIFY(!banner->isVisible());
    ImpairmentRelay::Settings faults;
    faults.latencyMs = 250;
    faults.bufferResponseBytes = 3 * 1024;
    m_controller->relay()->setSettings(faults);
    // On every tab, above them.
    for (const QString &tab : { QStringLiteral("chat"), QStringLiteral("dashboard"), QStringLiteral("lab") }) {
        m_window->showTab(tab);
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), WaitMs);
    }
    const QString text = m_window->faultBannerText()->text();
    QVERIFY2(text.contains(QStringLiteral("latency 250 ms")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("3 KiB")), qPrintable(text));
    m_controller->relay()->setDown(true);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->faultBannerText()->text().contains(QStringLiteral("network down")), WaitMs);

    m_window->clearFaultsButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), WaitMs);
    QCOMPARE(m_controller->relay()->settings(), ImpairmentRelay::Settings {});
    QVERIFY(!m_controller->relay()->isDown());
}

void tst_MainWindow::serverMenuStartsAndStopsTheBundledServer()
{
    QVERIFY(waitReady());
    QVERIFY(!m_window->startServerAction()->isEnabled());
    QVERIFY(m_window->stopServerAction()->isEnabled());
    m_window->stopServerAction()->trigger();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->server()->state() == ServerProcess::State::Stopped; }, WaitMs));
    QVERIFY(m_window->startServerAction()->isEnabled());
    QVERIFY(!m_window->stopServerAction()->isEnabled());
    m_window->startServerAction()->trigger();
    QVERIFY(waitReady());
    QVERIFY(!m_window->startServerAction()->isEnabled());
    QVERIFY(m_window->stopServerAction()->isEnabled());
}

void tst_MainWindow::aBrowserThatCannotStartShowsTheUrl()
{
    QVERIFY(waitReady());
    // A stand-in xdg-open, first failing as it does when the browser cannot start (status 4),
    // then succeeding: no real browser is started by this test.
    QTemporaryDir bin;
    QVERIFY(bin.isValid());
    const QString fake = bin.filePath(QStringLiteral("xdg-open"));
    auto writeFake = [&](int status) {
        QFile f(fake);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QStringLiteral("#!/bin/sh\nexit %1\n").arg(status).toUtf8());
        f.close();
        QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    };
    const QByteArray path = qgetenv("PATH");
    qputenv("PATH", bin.path().toUtf8());
    auto restorePath = qScopeGuard([&] { qputenv("PATH", path); });

    writeFake(0);
    m_window->lab()->trigger(LabAction::OpenBrowser);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->pendingBrowserLaunches(), 0, WaitMs);
    auto *box = m_window->findChild<QMessageBox *>(QStringLiteral("browserFailed"));
    QVERIFY(!box || !box->isVisible()); // a browser that opened is no failure

    writeFake(4);
    m_window->lab()->trigger(LabAction::OpenBrowser);
    QTRY_VERIFY_WITH_TIMEOUT(
            (box = m_window->findChild<QMessageBox *>(QStringLiteral("browserFailed"))) && box->isVisible(), WaitMs);
    QVERIFY2(box->text().contains(m_controller->serverUrl().toString()), qPrintable(box->text()));
    QVERIFY2(box->text().contains(QStringLiteral("status 4")), qPrintable(box->text()));
    QVERIFY(box->textInteractionFlags() & Qt::TextSelectableByMouse);
    box->close();
}

void tst_MainWindow::desktopAndBrowserShareOnePalette()
{
    // The browser page's --lp/--sse/--ws, light and then dark, are the desktop's colours.
    const QString path = QFINDTESTDATA("../resources/web/app.css");
    QFile css(path);
    QVERIFY2(css.open(QIODevice::ReadOnly), qPrintable(path));
    const QString text = QString::fromUtf8(css.readAll());
    const qsizetype darkAt = text.indexOf(QStringLiteral("prefers-color-scheme: dark"));
    QVERIFY(darkAt > 0);
    auto cssColour = [&](const QString &name, bool dark) {
        static const QRegularExpression re(QStringLiteral("--(lp|sse|ws):\\s*(#[0-9a-fA-F]{6})"));
        for (const QRegularExpressionMatch &m : re.globalMatch(text))
            if (m.captured(1) == name && (m.capturedStart() > darkAt) == dark)
                return QColor(m.captured(2));
        return QColor();
    };
    QPalette light;
    light.setColor(QPalette::Window, Qt::white);
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x20));
    const std::array<std::pair<TransportKind, QString>, 3> kinds { { { TransportKind::LongPoll, QStringLiteral("lp") },
                                                                     { TransportKind::Sse, QStringLiteral("sse") },
                                                                     { TransportKind::WebSocket,
                                                                       QStringLiteral("ws") } } };
    QSet<Qt::PenStyle> styles;
    QSet<int> markers;
    for (const auto &[kind, name] : kinds) {
        QCOMPARE(transportColor(kind, light).name(), cssColour(name, false).name());
        QCOMPARE(transportColor(kind, dark).name(), cssColour(name, true).name());
        styles.insert(transportPenStyle(kind));
        markers.insert(int(transportMarker(kind)));
    }
    // Told apart without colour too.
    QCOMPARE(styles.size(), 3);
    QCOMPARE(markers.size(), 3);
}

// File → Export results: a lesson's claim and the lanes as JSON and CSV, the current tab as a PNG.
void tst_MainWindow::exportsTheClaimsAndThisTab()
{
    QVERIFY(waitReady());
    LessonRunner *runner = m_window->lab()->lessons();
    QVERIFY(m_window->lab()->startLesson(QStringLiteral("ws-security")));
    QVERIFY(QTest::qWaitFor(
            [&] {
                const std::optional<ClaimResult> r = runner->result(QStringLiteral("ws-security"));
                return r && r->holds.has_value();
            },
            WaitMs));
    runner->stop();
    QTemporaryDir dir;
    const QString json = dir.filePath(QStringLiteral("r.json")), csv = dir.filePath(QStringLiteral("r.csv")),
                  png = dir.filePath(QStringLiteral("r.png"));
    QVERIFY(m_window->writeResults(json));
    QVERIFY(m_window->writeResults(csv));
    m_window->showTab(QStringLiteral("lab"));
    QVERIFY(m_window->writeResults(png));

    QFile j(json);
    QVERIFY(j.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(j.readAll()).object();
    QCOMPARE(o.value(QLatin1String("format")).toInt(), 1);
    const QJsonArray claims = o.value(QLatin1String("claims")).toArray();
    QCOMPARE(claims.size(), 1);
    QCOMPARE(claims.first().toObject().value(QLatin1String("lesson")).toString(), QStringLiteral("ws-security"));
    QCOMPARE(claims.first().toObject().value(QLatin1String("holds")).toBool(), true);
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QByteArray text = c.readAll();
    QVERIFY(text.startsWith("section,lesson,transport,claim,expected,holds,summary,key,value\r\n"));
    QVERIFY(text.contains("claim,ws-security,ws,security needs care,"));
    QVERIFY(text.contains(",refused,3\r\n"));
    const QImage image(png);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), m_window->tabs()->currentWidget()->size() * m_window->devicePixelRatio());
}

// Server ▸ Connect takes a URL and a token; the token goes on every request as Authorization:
// Bearer, is never written to the settings (the dialog says so), and the server's refusal shows
// in the toolbar in words — the client does not retry.
void tst_MainWindow::connectDialogTakesATokenAndShowsItsRefusal()
{
    QVERIFY(waitReady());
    TokenRefusingServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const QString url = QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort());
    const QByteArray token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmVk";

    QAction *connectAction = nullptr;
    for (QAction *a : m_window->findChildren<QAction *>()) {
        if (a->text() == u"&Connect to server…")
            connectAction = a;
    }
    QVERIFY(connectAction);
    bool filled = false;
    QString note;
    QTimer::singleShot(0, m_window.get(), [&] {
        auto *dialog = qobject_cast<ConnectDialog *>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        dialog->findChild<QLineEdit *>(QStringLiteral("url"))->setText(url);
        auto *tokenEdit = dialog->findChild<QLineEdit *>(QStringLiteral("token"));
        QCOMPARE(tokenEdit->echoMode(), QLineEdit::Password);
        tokenEdit->setText(QString::fromLatin1(token));
        note = dialog->findChild<QLabel *>(QStringLiteral("tokenNote"))->text();
        filled = true;
        dialog->accept();
    });
    connectAction->trigger();
    QVERIFY(filled);
    QVERIFY2(note.contains(QLatin1String("not saved to disk")), qPrintable(note));
    QCOMPARE(m_controller->serverUrl(), QUrl(url));
    QCOMPARE(m_controller->token(), token);

    auto *state = m_window->findChild<QLabel *>(QStringLiteral("connectionState"));
    QTRY_VERIFY2_WITH_TIMEOUT(state->text().contains(QStringLiteral("token expired — get a new one")),
                              qPrintable(state->text() + QStringLiteral(" / ") + m_controller->client()->authError()),
                              WaitMs);
    QCOMPARE(m_controller->client()->state(), ClientTransport::State::Closed);
    QVERIFY(!server.heads.isEmpty());
    for (const QByteArray &head : std::as_const(server.heads))
        QVERIFY2(head.contains("\r\nAuthorization: Bearer " + token + "\r\n"), head.constData());

    // Not on disk: the URL is remembered, the token is not.
    QSettings settings;
    settings.sync();
    for (const QString &key : settings.allKeys())
        QVERIFY2(!settings.value(key).toString().contains(QString::fromLatin1(token)), qPrintable(key));
    QFile file(settings.fileName());
    if (file.open(QIODevice::ReadOnly))
        QVERIFY(!file.readAll().contains(token));
    // And no retry is scheduled: the same token would be refused again.
    QCOMPARE(m_controller->client()->msUntilNextAttempt(), qint64(-1));
}

// The button of an open question box (by object name) whose text is `label`; null if none.
static QAbstractButton *boxButton(QWidget *window, const QString &box, const QString &label)
{
    auto *b = window->findChild<QMessageBox *>(box);
    if (!b || !b->isVisible())
        return nullptr;
    for (QAbstractButton *button : b->buttons())
        if (button->text() == label)
            return button;
    return nullptr;
}

// The test location's history, whatever a run before left there (its directory holds nothing else).
static void removeHistory()
{
    QDir(QFileInfo(AppController::historyPath()).absolutePath()).removeRecursively();
}

// Settings → Keep history across restarts: asked first (it restarts the server), then the bundled
// server runs on the history file, and a restart resumes the chat client with no reset.
void tst_MainWindow::keepHistoryAsksThenRestartsOnSqlite()
{
    QVERIFY(waitReady());
    removeHistory();
    QAction *keep = m_window->keepHistoryAction();
    QVERIFY(!keep->isChecked());
    keep->trigger();
    QAbstractButton *yes = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((yes = boxButton(m_window.get(), QStringLiteral("keepHistoryQuestion"),
                                              QStringLiteral("Restart with history"))),
                             WaitMs);
    QVERIFY(!keep->isChecked()); // not before the user said yes
    const qint64 pid = m_controller->server()->pid();
    yes->click();
    QVERIFY(m_controller->keepHistory());
    QVERIFY(keep->isChecked());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->server()->pid() != pid, WaitMs);
    QVERIFY(waitReady());
    QVERIFY(m_controller->server()->runningArguments().contains(QStringLiteral("sqlite:")
                                                                + AppController::historyPath()));
    QVERIFY(QFileInfo::exists(AppController::historyPath()));

    // A restart on the kept history: the client resumes where it was, no reset.
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->client()->position().lastId.has_value(), WaitMs);
    const StreamPosition before = m_controller->client()->position();
    const qint64 resets = m_controller->client()->continuity().resets;
    m_controller->restartServer();
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->client()->position().lastId > before.lastId, WaitMs);
    QCOMPARE(m_controller->client()->position().epoch, before.epoch);
    QCOMPARE(m_controller->client()->continuity().resets, resets);
    QCOMPARE(m_controller->client()->continuity().gaps, 0);

    keep->trigger(); // off again: asked too
    QAbstractButton *memory = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((memory = boxButton(m_window.get(), QStringLiteral("keepHistoryQuestion"),
                                                 QStringLiteral("Restart on memory"))),
                             WaitMs);
    memory->click();
    QVERIFY(!m_controller->keepHistory());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->server()->runningArguments().isEmpty()
                                     || !m_controller->server()->runningArguments().contains(QStringLiteral("--store")),
                             WaitMs);
}

// A history the server cannot open (here a directory where the file should be): the server's own
// line in a dialog that offers memory, never a silent fall-back.
void tst_MainWindow::aHistoryThatWillNotOpenOffersMemory()
{
    QVERIFY(waitReady());
    removeHistory();
    QVERIFY(QDir().mkpath(AppController::historyPath())); // a directory: no database opens there
    m_controller->setKeepHistory(true);
    QAbstractButton *memory = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
            (memory = boxButton(m_window.get(), QStringLiteral("historyFailed"), QStringLiteral("Go on with memory"))),
            WaitMs);
    auto *box = m_window->findChild<QMessageBox *>(QStringLiteral("historyFailed"));
    QVERIFY2(box->text().contains(AppController::historyPath().toHtmlEscaped()), qPrintable(box->text()));
    QCOMPARE(m_controller->server()->state(), ServerProcess::State::Failed);
    memory->click();
    QVERIFY(!m_controller->keepHistory());
    QVERIFY(!m_window->keepHistoryAction()->isChecked());
    QVERIFY(waitReady());
    removeHistory();
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
