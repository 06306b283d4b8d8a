// SPDX-License-Identifier: MIT
#include "xrayview.h"

#include "bytesformat.h"
#include "sequencecanvas.h"
#include "wirecapture.h"
#include "wiredetail.h"

#include <QCheckBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QSvgGenerator>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

namespace rtlab {

// About ten reads a second: live enough to watch, cheap enough to leave on.
static constexpr int PollMs = 100;
// A PNG is at most this tall: the newest part of a taller diagram.
static constexpr int MaxPngHeight = 8000;

// One fact a line: a frame's FIN, opcode, MASK, length and key read down like a header diagram.
static QString factsHtml(const QStringList &facts)
{
    QStringList escaped;
    for (const QString &f : facts)
        escaped.append(f.toHtmlEscaped());
    return QStringLiteral("<p>%1</p>").arg(escaped.join(QStringLiteral("<br>")));
}

XRayView::XRayView(std::shared_ptr<WireCapture> capture, QWidget *parent)
    : QWidget(parent), m_capture(std::move(capture))
{
    m_layout.setCompact(true);
    m_timer = new QTimer(this);
    m_timer->setInterval(PollMs);
    connect(m_timer, &QTimer::timeout, this, &XRayView::refresh);

    auto *hint =
            new QLabel(tr("One column per transport: its client on the left, the server on the right, time downward. "
                          "Bars: a poll the server held. Bands: a stream or connection open. Dashed: an empty "
                          "answer. Dotted: a heartbeat. ◆: a frame the client masked. Click anything (or Up/Down) "
                          "for its exact bytes."),
                       this);
    hint->setWordWrap(true);

    m_pause = new QPushButton(tr("Pause"), this);
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Freeze the diagrams to read them; the capture keeps recording."));
    connect(m_pause, &QPushButton::toggled, this, &XRayView::setPaused);
    auto *zoomOut = new QToolButton(this);
    zoomOut->setText(QStringLiteral("−"));
    zoomOut->setToolTip(tr("Zoom out in time (Ctrl+wheel)"));
    zoomOut->setAccessibleName(tr("Zoom out"));
    connect(zoomOut, &QToolButton::clicked, this, [this] { zoom(-1); });
    m_scale = new QLabel(this);
    // As wide as the widest scale: a changing figure never moves the buttons or widens the window.
    m_scale->setFixedWidth(m_scale->fontMetrics().horizontalAdvance(QStringLiteral("0000 px/ms")));
    m_scale->setAlignment(Qt::AlignCenter);
    auto *zoomIn = new QToolButton(this);
    zoomIn->setText(QStringLiteral("+"));
    zoomIn->setToolTip(tr("Zoom in in time (Ctrl+wheel)"));
    zoomIn->setAccessibleName(tr("Zoom in"));
    connect(zoomIn, &QToolButton::clicked, this, [this] { zoom(1); });
    m_follow = new QSpinBox(this);
    m_follow->setRange(0, INT_MAX);
    m_follow->setSpecialValueText(tr("none"));
    m_follow->setAccessibleName(tr("Follow message id"));
    m_follow->setToolTip(tr("Highlight everything that carried this message, on every lane. Clicking an arrow that "
                            "carried a message follows it."));
    connect(m_follow, &QSpinBox::valueChanged, this, [this](int id) {
        setFollowedId(quint64(id));
        // Chosen by hand: show where the message first crossed.
        if (const quint64 seq = m_layout.firstHighlighted())
            m_canvas->revealRecord(seq);
    });
    auto *followLabel = new QLabel(tr("&Follow id:"), this);
    followLabel->setBuddy(m_follow);
    m_compact = new QCheckBox(tr("Co&mpact"), this);
    m_compact->setChecked(true);
    m_compact->setToolTip(tr("Draw a burst of events or frames as one arrow labelled ×N; click it to expand."));
    connect(m_compact, &QCheckBox::toggled, this, &XRayView::setCompact);
    auto *clear = new QPushButton(tr("Clear"), this);
    clear->setToolTip(tr("Forget everything captured so far (the HAR export too) and start again."));
    connect(clear, &QPushButton::clicked, this, [this] {
        m_capture->clear();
        m_layout.setSnapshot(m_capture->snapshot());
        m_revision = m_capture->revision();
        m_canvas->clearSelection();
        m_canvas->layoutChanged(false);
        m_detail->clear();
        updateStatus();
    });
    auto *exportButton = new QToolButton(this);
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(exportButton);
    exportMenu->addAction(tr("As SVG…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the diagrams"),
                                                          QStringLiteral("rtlab-xray.svg"), tr("SVG (*.svg)"));
        QString error;
        if (!path.isEmpty() && !exportSvg(path, &error))
            m_status->setText(error);
    });
    exportMenu->addAction(tr("As PNG…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the diagrams"),
                                                          QStringLiteral("rtlab-xray.png"), tr("PNG (*.png)"));
        QString error;
        if (!path.isEmpty() && !exportPng(path, &error))
            m_status->setText(error);
    });
    exportButton->setMenu(exportMenu);
    auto *har = new QPushButton(tr("Export &HAR…"), this);
    har->setToolTip(tr("Everything captured as a HAR 1.2 file, for a browser's network panel"));
    connect(har, &QPushButton::clicked, this, &XRayView::harExportRequested);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_pause);
    controls->addWidget(zoomOut);
    controls->addWidget(m_scale);
    controls->addWidget(zoomIn);
    controls->addSpacing(8);
    controls->addWidget(followLabel);
    controls->addWidget(m_follow);
    controls->addWidget(m_compact);
    controls->addStretch(1);
    controls->addWidget(clear);
    controls->addWidget(exportButton);
    controls->addWidget(har);

    m_canvas = new SequenceCanvas(&m_layout, this);
    connect(m_canvas, &SequenceCanvas::itemClicked, this, &XRayView::onItemClicked);
    connect(m_canvas, &SequenceCanvas::zoomRequested, this, [this](int steps, int y) { zoom(steps, y); });
    connect(m_canvas, &SequenceCanvas::stepRequested, this, [this](int step) {
        // Nothing selected yet: start from the newest record.
        const auto &records = m_layout.snapshot().records;
        const quint64 from = m_canvas->selectedRecord() ? m_canvas->selectedRecord()
                : records.empty()                       ? 0
                                                        : records.back().seq;
        const quint64 to = m_canvas->selectedRecord() ? m_layout.neighbour(from, step) : from;
        if (to) {
            showRecord(to);
            m_canvas->revealRecord(to);
        }
    });
    m_detail = new QTextBrowser(this);
    m_detail->setOpenLinks(false);
    m_detail->setAccessibleName(tr("Exact bytes"));
    m_detail->setPlaceholderText(tr("Click an arrow, a hold or a stream to see its exact bytes."));
    m_detail->setMinimumWidth(160);
    connect(m_detail, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        // "collapse:SEQ": the link under an expanded burst's detail.
        if (url.scheme() == QLatin1String("collapse")) {
            m_layout.toggleBurst(url.path().toULongLong());
            m_canvas->layoutChanged(false);
            updateStatus();
        }
    });
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_canvas);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 5);
    split->setStretchFactor(1, 2);
    split->setChildrenCollapsible(false);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    // Growing numbers never widen the window.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(hint);
    layout->addLayout(controls);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    zoom(0);
    updateStatus();
}

void XRayView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    updateTimer();
}

void XRayView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    updateTimer();
}

void XRayView::updateTimer()
{
    const bool run = isVisible() && !m_paused;
    if (run && !m_timer->isActive())
        m_timer->start();
    else if (!run)
        m_timer->stop();
}

bool XRayView::isPolling() const
{
    return m_timer->isActive();
}

void XRayView::refresh()
{
    if (m_paused)
        return;
    const quint64 revision = m_capture->revision();
    if (m_read && revision == m_revision) {
        // Nothing new, but a poll held or a stream open grows with time while live (an old
        // capture is history: not redrawn).
        const qint64 now = WireCapture::nowUs();
        if (m_layout.hasOpenItems() && now - m_layout.newestUs() <= SequenceLayout::LiveWindowUs) {
            m_layout.setNowUs(now);
            m_canvas->layoutChanged(true);
        }
        return;
    }
    m_read = true;
    WireCapture::Snapshot snapshot = m_capture->snapshot();
    m_revision = snapshot.revision;
    m_layout.setNowUs(WireCapture::nowUs());
    m_layout.setSnapshot(std::move(snapshot));
    m_canvas->layoutChanged(true);
    updateStatus();
}

void XRayView::setPaused(bool paused)
{
    m_paused = paused;
    if (m_pause->isChecked() != paused) {
        const QSignalBlocker blocker(m_pause);
        m_pause->setChecked(paused);
    }
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    updateTimer();
    refresh();
    updateStatus();
}

void XRayView::setCompact(bool on)
{
    if (m_compact->isChecked() != on) {
        const QSignalBlocker blocker(m_compact);
        m_compact->setChecked(on);
    }
    m_layout.setCompact(on);
    m_canvas->layoutChanged(true);
    updateStatus();
}

void XRayView::setFollowedId(quint64 id)
{
    if (quint64(m_follow->value()) != id) {
        const QSignalBlocker blocker(m_follow);
        m_follow->setValue(int(qMin<quint64>(id, INT_MAX)));
    }
    m_layout.setFollowedId(id);
    m_canvas->layoutChanged(false);
    updateStatus();
}

void XRayView::zoom(int steps, int anchorY)
{
    if (steps != 0)
        m_canvas->zoomAround(std::pow(1.5, steps), anchorY >= 0 ? anchorY : m_canvas->viewport()->height() / 2);
    const double pps = m_layout.pixelsPerSecond();
    m_scale->setText(pps >= 1000 ? tr("%1 px/ms").arg(pps / 1000, 0, 'g', 3) : tr("%1 px/s").arg(pps, 0, 'g', 3));
    m_scale->setToolTip(tr("The scale in time: how far apart two arrows one second apart are drawn"));
}

void XRayView::onItemClicked(const SequenceItem &item)
{
    if (item.isBurst()) {
        // Expanding keeps the burst's first record selected, so it stays in view.
        m_layout.toggleBurst(item.seq);
        m_canvas->layoutChanged(false);
    }
    if (item.seq) {
        showRecord(item.seq);
        if (!item.isBurst() && !item.messageIds.isEmpty())
            setFollowedId(item.messageIds.front());
        return;
    }
    if (const WireExchange *e = m_layout.snapshot().exchange(item.exchange)) {
        const WireDetail d = WireDetail::ofExchange(*e);
        m_canvas->setSelection(0, item.exchange);
        QString html =
                QStringLiteral("<h3>%1</h3><p><b>%2</b></p>").arg(d.title.toHtmlEscaped(), item.label.toHtmlEscaped());
        html += factsHtml(d.facts);
        html += BytesFormat::parts(d.parts, palette(), d.hexParts);
        showDetail(html);
    }
}

void XRayView::showRecord(quint64 seq)
{
    const WireRecord *r = m_layout.record(seq);
    if (!r)
        return;
    const WireDetail d = WireDetail::ofRecord(m_layout.snapshot(), *r);
    m_canvas->setSelection(seq, 0);
    QString html = QStringLiteral("<h3>%1 — %2</h3>")
                           .arg(transportKindLabel(r->transport).toHtmlEscaped(), d.title.toHtmlEscaped());
    html += factsHtml(d.facts);
    const SequenceItem *item = m_layout.itemForRecord(seq);
    if (item && item->burst)
        html += QStringLiteral("<p><a href='collapse:%1'>%2</a></p>").arg(item->burst).arg(tr("Collapse this burst"));
    html += BytesFormat::parts(d.parts, palette(), d.hexParts);
    showDetail(html);
}

void XRayView::showDetail(const QString &html)
{
    m_detail->setHtml(QStringLiteral("<style>%1</style>").arg(BytesFormat::styleSheet(palette())) + html);
}

void XRayView::updateStatus()
{
    const WireCapture::Snapshot &s = m_layout.snapshot();
    QString text = s.records.size() == 1 ? tr("1 record") : tr("%1 records").arg(s.records.size());
    text += m_layout.itemCount() == 1 ? tr(", 1 item drawn") : tr(", %1 items drawn").arg(m_layout.itemCount());
    if (s.droppedRecords > 0)
        text += (s.droppedRecords == 1 ? tr("; the oldest record is gone")
                                       : tr("; the %1 oldest records are gone").arg(s.droppedRecords))
                + tr(" (the capture keeps the newest %1)").arg(m_capture->limits().records);
    if (m_layout.followedId())
        text += tr("; following #%1: %2")
                        .arg(m_layout.followedId())
                        .arg(m_layout.highlightedCount() == 1
                                     ? tr("1 item highlighted")
                                     : tr("%1 items highlighted").arg(m_layout.highlightedCount()));
    if (m_paused)
        text += tr(". Paused: the capture keeps recording.");
    m_status->setText(text);
}

bool XRayView::exportSvg(const QString &path, QString *error) const
{
    const QSize size = m_canvas->fullSize();
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(tr("rtlab protocol X-ray"));
    svg.setDescription(tr("Sequence diagrams of what crossed the wire, %1")
                               .arg(QDateTime::currentDateTime().toString(Qt::ISODate)));
    QPainter p;
    if (!p.begin(&svg)) {
        if (error)
            *error = tr("Could not write %1").arg(path);
        return false;
    }
    m_canvas->renderAll(p);
    p.end();
    const QFileInfo written(path);
    if (!written.exists() || written.size() == 0) {
        if (error)
            *error = tr("Could not write %1").arg(path);
        return false;
    }
    return true;
}

bool XRayView::exportPng(const QString &path, QString *error) const
{
    const QSize full = m_canvas->fullSize();
    const int contentHeight = full.height() - m_canvas->headerHeight();
    const int height = qMin(contentHeight, MaxPngHeight);
    QImage image(full.width(), height + m_canvas->headerHeight(), QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Base));
    QPainter p(&image);
    m_canvas->renderAll(p, QRect(0, contentHeight - height, full.width(), height));
    p.end();
    if (!image.save(path, "PNG")) {
        if (error)
            *error = tr("Could not write %1").arg(path);
        return false;
    }
    return true;
}

} // namespace rtlab
