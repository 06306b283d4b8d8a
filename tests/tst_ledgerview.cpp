// SPDX-License-Identifier: MIT
// The Bytes tab as a person uses it, offscreen: "Publish one message and show its bytes" must
// keep showing that message while ticks flow, and Pause must freeze the view. Only what a user
// sees and does: the button, the lanes' text.
#include "appcontroller.h"
#include "ledgerview.h"
#include "testsupport.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTextBrowser>

using namespace rtlab;
using namespace rtlab::test;

class tst_LedgerView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void publishedMessageStaysWhileTicksFlow();
    void aLaneALessonLeftOutSaysHowToBringItBack();

private:
    QPushButton *button(const QString &text) const;
    QStringList lanesHtml() const;
    bool waitLaneMessages(qint64 more);

    std::unique_ptr<AppController> m_controller;
    std::unique_ptr<LedgerView> m_view;
};

void tst_LedgerView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
}

QPushButton *tst_LedgerView::button(const QString &text) const
{
    for (QPushButton *b : m_view->findChildren<QPushButton *>())
        if (b->text() == text)
            return b;
    return nullptr;
}

QStringList tst_LedgerView::lanesHtml() const
{
    QStringList out;
    for (QTextBrowser *lane : m_view->findChildren<QTextBrowser *>())
        out.append(lane->property("rtlabHtml").toString());
    return out;
}

// Waits until every lane has received `more` messages beyond what it has now, and the view
// has refreshed after that.
bool tst_LedgerView::waitLaneMessages(qint64 more)
{
    std::array<qint64, TransportKindCount> target {};
    for (int i = 0; i < TransportKindCount; ++i)
        target[size_t(i)] = m_controller->laneSnapshot(TransportKind(i))->stats.messages + more;
    const bool arrived = QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i)
                    if (m_controller->laneSnapshot(TransportKind(i))->stats.messages < target[size_t(i)])
                        return false;
                return true;
            },
            WaitMs);
    QSignalSpy refreshed(m_controller.get(), &AppController::refreshed);
    return arrived && refreshed.wait(WaitMs);
}

void tst_LedgerView::publishedMessageStaysWhileTicksFlow()
{
    m_controller = std::make_unique<AppController>();
    m_controller->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_controller->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("20") });
    m_controller->start();
    QVERIFY(QTest::qWaitFor(
            [&] {
                return m_controller->server()->state() == ServerProcess::State::Running
                        && m_controller->client()->state() == ClientTransport::State::Open;
            },
            WaitMs));
    m_view = std::make_unique<LedgerView>(m_controller.get());
    m_view->show();
    QPushButton *probe = button(QStringLiteral("Publish one message and show its bytes"));
    QVERIFY(probe);
    probe->click();
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i = 0; i < TransportKindCount; ++i) {
                    const auto lane = m_controller->laneSnapshot(TransportKind(i));
                    if (!lane || lane->state != ClientTransport::State::Open)
                        return false;
                }
                return true;
            },
            WaitMs));

    // Twenty ticks later (a second at 20/s), every lane still shows the published message.
    QVERIFY(waitLaneMessages(20));
    QStringList html = lanesHtml();
    QCOMPARE(html.size(), TransportKindCount);
    for (const QString &h : html)
        QVERIFY2(h.contains(QLatin1String("ledger probe")), qPrintable(h.left(400)));

    // Pause freezes what is shown, even following the latest.
    QPushButton *pause = button(QStringLiteral("Pause"));
    QVERIFY(pause);
    QComboBox *choice = m_view->findChild<QComboBox *>();
    QVERIFY(choice);
    choice->lineEdit()->clear();
    QTest::keyClicks(choice->lineEdit(), QStringLiteral("Latest message"));
    QTest::keyClick(choice->lineEdit(), Qt::Key_Return);
    pause->click();
    QVERIFY(waitLaneMessages(1));
    html = lanesHtml();
    QVERIFY(waitLaneMessages(5));
    QCOMPARE(lanesHtml(), html);
    pause->click();
    QVERIFY(waitLaneMessages(1));
    QVERIFY(lanesHtml() != html);
    m_view.reset();
    m_controller.reset();
}

// After a lesson from the start page Compare is on with the lesson's lanes only: Bytes said
// "the button above turns on Compare" for Short Polling, but Compare was on and the button
// brought no lane (walked through at 1.5x, ws-low-overhead).
void tst_LedgerView::aLaneALessonLeftOutSaysHowToBringItBack()
{
    m_controller = std::make_unique<AppController>();
    m_controller->server()->setProgram(QStringLiteral(RTLAB_SERVER_BINARY));
    m_controller->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("0") });
    m_controller->start();
    QVERIFY(QTest::qWaitFor([&] { return m_controller->server()->state() == ServerProcess::State::Running; }, WaitMs));
    m_controller->setCompareEnabled(true);
    m_controller->restartLanes({ TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket });
    QVERIFY(!m_controller->laneRuns(TransportKind::Poll));
    m_view = std::make_unique<LedgerView>(m_controller.get());
    m_view->show();
    QString poll;
    QVERIFY(QTest::qWaitFor(
            [&] {
                for (const QString &h : lanesHtml())
                    if (h.contains(transportKindLabel(TransportKind::Poll)))
                        poll = h;
                return !poll.isEmpty();
            },
            WaitMs));
    QVERIFY2(!poll.contains(QLatin1String("turns on Compare")), qPrintable(poll));
    QVERIFY2(poll.contains(QLatin1String("off and on")), qPrintable(poll));
    m_view.reset();
    m_controller.reset();
}

QTEST_MAIN(tst_LedgerView)
#include "tst_ledgerview.moc"
