// SPDX-License-Identifier: MIT
// The X-ray tab as a person uses it, offscreen, on scripted captures: a column per transport that
// has records, a click on an arrow shows its exact bytes, Pause freezes the drawing while the
// capture keeps recording, Compact collapses a burst, and the SVG export holds the labels.
#include "sequencecanvas.h"
#include "wirescript.h"
#include "xrayview.h"

#include <QApplication>
#include <QCheckBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QWheelEvent>

using namespace rtlab;
using namespace rtlab::test;

static constexpr int WaitMs = 10000;
static constexpr qint64 T0 = 1'764'085'593'000'000;

class tst_XRayView : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void aColumnPerTransportThatHasRecords();
    void clickingAnArrowShowsItsBytes();
    void pauseFreezesTheDrawingWhileTheCaptureRecords();
    void compactCollapsesABurstAndAClickExpandsIt();
    void svgAndPngExportsHoldTheDiagram();
    void harButtonAsksForTheExport();
    void readsTheCaptureOnlyWhileShownAndNotPaused();
    void ctrlWheelZoomsInTime();

private:
    QPushButton *button(const QString &text) const;
    bool click(quint64 seq);
    const WireRecord *find(const std::function<bool(const WireRecord &)> &pred) const;

    std::shared_ptr<WireCapture> m_capture;
    std::unique_ptr<XRayView> m_view;
};

void tst_XRayView::init()
{
    m_capture = std::make_shared<WireCapture>();
    m_view = std::make_unique<XRayView>(m_capture);
    m_view->resize(1280, 720);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
}

void tst_XRayView::cleanup()
{
    m_view.reset();
    m_capture.reset();
}

QPushButton *tst_XRayView::button(const QString &text) const
{
    for (QPushButton *b : m_view->findChildren<QPushButton *>())
        if (b->text() == text)
            return b;
    return nullptr;
}

const WireRecord *tst_XRayView::find(const std::function<bool(const WireRecord &)> &pred) const
{
    for (const WireRecord &r : m_view->layoutModel().snapshot().records)
        if (pred(r))
            return &r;
    return nullptr;
}

// Clicks where the canvas draws this record, as a user would.
bool tst_XRayView::click(quint64 seq)
{
    const std::optional<QPoint> at = m_view->canvas()->revealRecord(seq);
    if (!at || !m_view->canvas()->viewport()->rect().contains(*at))
        return false;
    QTest::mouseClick(m_view->canvas()->viewport(), Qt::LeftButton, {}, *at);
    return true;
}

void tst_XRayView::aColumnPerTransportThatHasRecords()
{
    QVERIFY(m_view->layoutModel().lanes().empty());
    scriptSse(*m_capture, T0);
    scriptWebSocket(*m_capture, T0);
    QTRY_COMPARE_WITH_TIMEOUT(m_view->layoutModel().lanes().size(), size_t(2), WaitMs);
    scriptLongPolling(*m_capture, T0);
    QTRY_COMPARE_WITH_TIMEOUT(m_view->layoutModel().lanes().size(), size_t(3), WaitMs);
    QCOMPARE(m_view->layoutModel().lanes()[0].transport, TransportKind::LongPoll);
    // The header names each column's transport: the export draws it too.
    QTemporaryDir dir;
    QString error;
    QVERIFY2(m_view->exportSvg(dir.filePath(QStringLiteral("x.svg")), &error), qPrintable(error));
    QFile f(dir.filePath(QStringLiteral("x.svg")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString svg = QString::fromUtf8(f.readAll());
    for (const auto &lane : m_view->layoutModel().lanes())
        QVERIFY2(svg.contains(QStringLiteral(">%1<").arg(transportKindLabel(lane.transport))),
                 qPrintable(transportKindLabel(lane.transport)));
}

void tst_XRayView::clickingAnArrowShowsItsBytes()
{
    scriptLongPolling(*m_capture, T0);
    scriptWebSocket(*m_capture, T0);
    m_view->refresh();
    QVERIFY(!m_view->layoutModel().lanes().empty());
    // The client's masked "Hello": its frame header in hex, the key decoded, both payloads.
    const WireRecord *hello = find([](const WireRecord &r) { return r.masked && r.opcode == 1; });
    QVERIFY(hello);
    QVERIFY(click(hello->seq));
    QString text = m_view->detail()->toPlainText();
    QVERIFY2(text.contains(QLatin1String("mask key 37 fa 21 3d")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("81 85")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("7f 9f 4d 51 58")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("Hello")), qPrintable(text));
    QVERIFY(text.contains(QLatin1String("FIN 1")) && text.contains(QLatin1String("MASK 1")));
    // Not only the latest: the first poll's empty answer, 25 s before, head and body.
    const WireRecord *empty = find([](const WireRecord &r) { return r.kind == WireRecord::Kind::Response && r.empty; });
    QVERIFY(empty);
    QVERIFY(click(empty->seq));
    text = m_view->detail()->toPlainText();
    QVERIFY2(text.contains(QLatin1String("HTTP/1.1 200 OK")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String(R"({"messages":[],"next":40})")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("empty answer")), qPrintable(text));
    // The keyboard walks the lane from there: the next arrow is the next poll's request.
    m_view->canvas()->setFocus();
    QTest::keyClick(m_view->canvas(), Qt::Key_Down);
    QVERIFY2(m_view->detail()->toPlainText().contains(QLatin1String("GET /poll?after=40&timeout=25 HTTP/1.1")),
             qPrintable(m_view->detail()->toPlainText()));
    // An arrow that carried a message follows it across the lanes.
    const WireRecord *m41 = find(
            [](const WireRecord &r) { return r.transport == TransportKind::WebSocket && r.messageIds.contains(41); });
    QVERIFY(click(m41->seq));
    QCOMPARE(m_view->layoutModel().followedId(), quint64(41));
    QCOMPARE(m_view->layoutModel().highlightedCount(), 2); // the poll's answer, the frame
}

void tst_XRayView::pauseFreezesTheDrawingWhileTheCaptureRecords()
{
    scriptSse(*m_capture, T0);
    QTRY_VERIFY_WITH_TIMEOUT(m_view->layoutModel().itemCount() > 0, WaitMs);
    QPushButton *pause = button(QStringLiteral("Pause"));
    QVERIFY(pause);
    pause->click();
    QVERIFY(m_view->isPaused());
    QCOMPARE(pause->text(), QStringLiteral("Resume"));
    const qsizetype drawn = m_view->layoutModel().itemCount();
    scriptWebSocket(*m_capture, T0 + 60 * Sec);
    m_view->refresh(); // what the timer would do
    QCOMPARE(m_view->layoutModel().itemCount(), drawn);
    QVERIFY(m_capture->snapshot().records.size() > m_view->layoutModel().snapshot().records.size());
    pause->click();
    QVERIFY(!m_view->isPaused());
    QTRY_VERIFY_WITH_TIMEOUT(m_view->layoutModel().itemCount() > drawn, WaitMs);
    QCOMPARE(m_view->layoutModel().lanes().size(), size_t(2));
}

void tst_XRayView::compactCollapsesABurstAndAClickExpandsIt()
{
    scriptSse(*m_capture, T0, 37);
    m_view->refresh();
    QCheckBox *compact = m_view->findChild<QCheckBox *>();
    QVERIFY(compact && compact->isChecked());
    const auto &items = m_view->layoutModel().lanes().front().items;
    const auto burst = std::find_if(items.begin(), items.end(), [](const SequenceItem &i) { return i.isBurst(); });
    QVERIFY(burst != items.end());
    QCOMPARE(burst->label, QStringLiteral("×37"));
    const quint64 first = burst->seq;
    const qsizetype collapsed = m_view->layoutModel().itemCount();
    QVERIFY(click(first));
    QCOMPARE(m_view->layoutModel().itemCount(), collapsed + 36);
    QVERIFY(m_view->layoutModel().isExpanded(first));
    QVERIFY2(m_view->detail()->toPlainText().contains(QLatin1String("Collapse this burst")),
             qPrintable(m_view->detail()->toPlainText()));
    compact->click();
    QCOMPARE(m_view->layoutModel().itemCount(), collapsed + 36);
    compact->click();
    QCOMPARE(m_view->layoutModel().itemCount(), collapsed);
}

void tst_XRayView::svgAndPngExportsHoldTheDiagram()
{
    scriptLongPolling(*m_capture, T0);
    scriptSse(*m_capture, T0, 37);
    scriptWebSocket(*m_capture, T0);
    m_view->refresh();
    QTemporaryDir dir;
    QString error;
    const QString svgPath = dir.filePath(QStringLiteral("xray.svg"));
    QVERIFY2(m_view->exportSvg(svgPath, &error), qPrintable(error));
    QFile f(svgPath);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString svg = QString::fromUtf8(f.readAll());
    for (const QString &label : { QStringLiteral("×37"), QStringLiteral("close 1000"), QStringLiteral("event #41"),
                                  QStringLiteral("held 25.0 s"), QStringLiteral("200: no message") })
        QVERIFY2(svg.contains(label), qPrintable(label));
    const QString pngPath = dir.filePath(QStringLiteral("xray.png"));
    QVERIFY2(m_view->exportPng(pngPath, &error), qPrintable(error));
    QImage png(pngPath);
    QCOMPARE(png.size(), m_view->canvas()->fullSize());
    QVERIFY(!m_view->exportSvg(dir.filePath(QStringLiteral("no/such/dir/x.svg")), &error));
    QVERIFY(error.contains(QLatin1String("no/such/dir")));
}

void tst_XRayView::harButtonAsksForTheExport()
{
    QSignalSpy asked(m_view.get(), &XRayView::harExportRequested);
    QPushButton *har = button(QStringLiteral("Export &HAR…"));
    QVERIFY(har);
    har->click();
    QCOMPARE(asked.count(), 1);
}

void tst_XRayView::readsTheCaptureOnlyWhileShownAndNotPaused()
{
    QVERIFY(m_view->isPolling());
    m_view->setPaused(true);
    QVERIFY(!m_view->isPolling());
    m_view->setPaused(false);
    QVERIFY(m_view->isPolling());
    m_view->hide();
    QVERIFY(!m_view->isPolling());
    scriptSse(*m_capture, T0);
    m_view->show();
    QVERIFY(m_view->isPolling());
    QVERIFY(m_view->layoutModel().itemCount() > 0); // read at once when shown again
}

void tst_XRayView::ctrlWheelZoomsInTime()
{
    scriptLongPolling(*m_capture, T0);
    m_view->refresh();
    const double before = m_view->layoutModel().pixelsPerSecond();
    const double heightBefore = m_view->canvas()->fullSize().height();
    QWidget *viewport = m_view->canvas()->viewport();
    const QPointF at(viewport->width() / 2.0, viewport->height() / 2.0);
    QWheelEvent in(at, viewport->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::ControlModifier,
                   Qt::NoScrollPhase, false);
    QApplication::sendEvent(viewport, &in);
    QVERIFY(m_view->layoutModel().pixelsPerSecond() > before);
    QVERIFY(m_view->canvas()->fullSize().height() > heightBefore);
    QWheelEvent out(at, viewport->mapToGlobal(at), QPoint(), QPoint(0, -240), Qt::NoButton, Qt::ControlModifier,
                    Qt::NoScrollPhase, false);
    QApplication::sendEvent(viewport, &out);
    QVERIFY(m_view->layoutModel().pixelsPerSecond() < before);
    // Without Ctrl the wheel scrolls, it does not zoom.
    const double now = m_view->layoutModel().pixelsPerSecond();
    QWheelEvent scroll(at, viewport->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                       Qt::NoScrollPhase, false);
    QApplication::sendEvent(viewport, &scroll);
    QCOMPARE(m_view->layoutModel().pixelsPerSecond(), now);
}

QTEST_MAIN(tst_XRayView)
#include "tst_xrayview.moc"
