// The desktop client as a person uses it, offscreen: its own bundled rtlab-server, chat,
// the transport toggle, compare mode, a server restart, and a clean exit.
#include "appcontroller.h"
#include "chatview.h"
#include "compareview.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QActionGroup>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>

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
    void compareModeFillsAllThreeLanes();
    void restartingTheServerShowsTheReset();
    void closesCleanlyAndLeavesNoServer();

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
            [&] { return chat->rowCount() == 1 && chat->index(0).data(ChatModel::IdRole).toULongLong() > 0; },
            WaitMs));
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
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; },
                            WaitMs));
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
    QVERIFY(QTest::qWaitFor([&] { return !chatRowsWithText(QStringLiteral("after the restart")).isEmpty(); },
                            WaitMs));
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
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; },
                            WaitMs));
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
    QVERIFY(chatRowsWithText(text)[0].data(ChatModel::DeliveryTextRole).toString().startsWith(
            QStringLiteral("failed — click to retry")));

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
    QVERIFY(QTest::qWaitFor([&] { return m_controller->client()->state() != ClientTransport::State::Open; },
                            WaitMs));
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
    QCOMPARE(actions.size(), 4);
    QCOMPARE(actions[0]->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_1));
    // Each toggle (Long Polling, SSE, WebSocket, Auto, and back), with messages before and after.
    for (int round = 0; round < 2; ++round) {
        for (QAction *a : actions) {
            published.append(publishFromOutside(QStringLiteral("before %1").arg(a->text())));
            a->trigger();
            published.append(publishFromOutside(QStringLiteral("after %1").arg(a->text())));
            const auto mode = RealtimeClient::Mode(a->data().toInt());
            QVERIFY(QTest::qWaitFor(
                    [&] {
                        const auto active = m_controller->client()->activeTransport();
                        return active && (mode == RealtimeClient::Mode::Auto || *active == TransportKind(int(mode)));
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

void tst_MainWindow::compareModeFillsAllThreeLanes()
{
    QVERIFY(waitReady());
    m_window->showTab(QStringLiteral("compare"));
    m_window->compareView()->toggle()->click();
    QVERIFY(m_controller->compareEnabled());
    for (int i = 0; i < TransportKindCount; ++i)
        QVERIFY(m_controller->lane(TransportKind(i)));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_controller->lane(TransportKind(i))->state() != ClientTransport::State::Open)
                        return false;
                return true;
            },
            WaitMs));
    publishFromOutside(QStringLiteral("to every lane"));
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const TransportKind k = TransportKind(i);
                    const TransportStats &s = m_controller->lane(k)->stats(k);
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
            if (l->text().contains(QStringLiteral("bytes per message")) && !l->text().contains(QStringLiteral("<b>0</b>")))
                ++filled;
        return filled;
    };
    QVERIFY(QTest::qWaitFor([&] { return lanesShowingFigures() == 3; }, WaitMs));
    // The cost shape differs: long polling made requests for its messages, WebSocket one handshake.
    QVERIFY(m_controller->lane(TransportKind::LongPoll)->stats(TransportKind::LongPoll).httpRequests >= 2);
    QCOMPARE(m_controller->lane(TransportKind::WebSocket)->stats(TransportKind::WebSocket).httpRequests, 1);
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

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
