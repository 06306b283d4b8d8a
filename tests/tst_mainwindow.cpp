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
#include <QPushButton>
#include <QRegularExpression>
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
    void togglingEveryTransportKeepsTheFlow();
    void compareModeFillsAllThreeLanes();
    void restartingTheServerShowsTheReset();
    void closesCleanlyAndLeavesNoServer();
    void toolbarTellsTheTruthDuringAnOutage();

private:
    bool waitReady();
    QList<quint64> chatIdsInView() const;
    quint64 publishFromOutside(const QString &text);

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
    QVERIFY(QTest::qWaitFor([&] { return chat->rowCount() == 1; }, WaitMs));
    const QModelIndex row = chat->index(0);
    QCOMPARE(row.data(ChatModel::TextRole).toString(), QStringLiteral("hello from the window"));
    QCOMPARE(row.data(ChatModel::FromRole).toString(), m_controller->nickname());
    QVERIFY(row.data(ChatModel::OwnRole).toBool());
    QVERIFY(row.data(ChatModel::LatencyRole).toLongLong() >= 0);
    QCOMPARE(m_controller->client()->stats(TransportKind::WebSocket).roundTrip.count(), 1);
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
            if (l->text().contains(QStringLiteral("bytes per message")) && !l->text().contains(QStringLiteral("<b>0</b>")))
                ++filled;
        return filled;
    };
    QVERIFY(QTest::qWaitFor([&] { return lanesShowingFigures() == 3; }, WaitMs));
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
    QVERIFY(QTest::qWaitFor([&] { return client->state() == ClientTransport::State::Open
                                         && client->activeTransport() == TransportKind::WebSocket; },
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

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
