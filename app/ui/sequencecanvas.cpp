// SPDX-License-Identifier: MIT
#include "sequencecanvas.h"

#include "palette.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>
#include <optional>
#include <vector>

namespace rtlab {

SequenceCanvas::SequenceCanvas(SequenceLayout *layout, QWidget *parent) : QAbstractScrollArea(parent), m_layout(layout)
{
    setFocusPolicy(Qt::StrongFocus);
    viewport()->setBackgroundRole(QPalette::Base);
    viewport()->setAutoFillBackground(true);
    setMinimumSize(200, 120);
    setAccessibleName(tr("Sequence diagrams"));
    updateScrollBars();
}

int SequenceCanvas::headerHeight() const
{
    return fontMetrics().height() * 2 + 10;
}

int SequenceCanvas::gutterWidth() const
{
    return fontMetrics().horizontalAdvance(QStringLiteral("+0000.00 s")) + 10;
}

int SequenceCanvas::columnWidth() const
{
    const int lanes = qMax(1, int(m_layout->lanes().size()));
    const int minimum = fontMetrics().horizontalAdvance(QLatin1Char('0')) * 18;
    return qMax(minimum, (viewport()->width() - gutterWidth()) / lanes);
}

int SequenceCanvas::contentWidth() const
{
    return gutterWidth() + columnWidth() * qMax(1, int(m_layout->lanes().size()));
}

int SequenceCanvas::contentHeight() const
{
    const int fh = fontMetrics().height();
    return int(std::ceil(m_layout->height())) + fh * 2 + fh * 2;
}

SequenceCanvas::Geometry SequenceCanvas::column(int lane) const
{
    Geometry g;
    g.width = columnWidth();
    g.x = gutterWidth() + lane * g.width;
    // The server lifeline leaves room on its right for a hold's length.
    g.client = g.x + g.width * 0.10;
    g.server = g.x + g.width * 0.78;
    return g;
}

double SequenceCanvas::itemY(qint64 timeUs) const
{
    return fontMetrics().height() * 2 + m_layout->y(timeUs);
}

QSize SequenceCanvas::fullSize() const
{
    return { contentWidth(), contentHeight() + headerHeight() };
}

void SequenceCanvas::updateScrollBars()
{
    const int visibleHeight = qMax(0, viewport()->height() - headerHeight());
    verticalScrollBar()->setRange(0, qMax(0, contentHeight() - visibleHeight));
    verticalScrollBar()->setPageStep(visibleHeight);
    verticalScrollBar()->setSingleStep(fontMetrics().height() * 2);
    horizontalScrollBar()->setRange(0, qMax(0, contentWidth() - viewport()->width()));
    horizontalScrollBar()->setPageStep(viewport()->width());
}

void SequenceCanvas::layoutChanged(bool keepBottom)
{
    QScrollBar *v = verticalScrollBar();
    const bool atBottom = v->value() >= v->maximum() - 2;
    updateScrollBars();
    if (keepBottom && atBottom)
        v->setValue(v->maximum());
    viewport()->update();
}

void SequenceCanvas::zoomAround(double factor, int anchorY)
{
    // Following the newest: keep following it.
    if (verticalScrollBar()->value() >= verticalScrollBar()->maximum() - 2) {
        m_layout->setPixelsPerSecond(m_layout->pixelsPerSecond() * factor);
        layoutChanged(false);
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
        return;
    }
    const double contentY = verticalScrollBar()->value() + anchorY - headerHeight() - fontMetrics().height() * 2;
    const qint64 anchor = m_layout->timeAt(contentY);
    m_layout->setPixelsPerSecond(m_layout->pixelsPerSecond() * factor);
    updateScrollBars();
    const double after = m_layout->y(anchor) + fontMetrics().height() * 2;
    verticalScrollBar()->setValue(int(after - anchorY + headerHeight()));
    viewport()->update();
}

void SequenceCanvas::setSelection(quint64 seq, quint64 exchange)
{
    m_selectedSeq = seq;
    m_selectedExchange = seq ? 0 : exchange;
    viewport()->update();
}

void SequenceCanvas::clearSelection()
{
    setSelection(0, 0);
}

void SequenceCanvas::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void SequenceCanvas::scrollContentsBy(int, int)
{
    // Repaint rather than scroll the pixels: the header stays where it is.
    viewport()->update();
}

QRectF SequenceCanvas::itemRect(const SequenceItem &item, const Geometry &g) const
{
    const double y0 = itemY(item.timeUs);
    const double y1 = itemY(item.endUs);
    const double grab = fontMetrics().height() * 0.5;
    switch (item.shape) {
    case SequenceItem::Shape::Arrow:
        return QRectF(g.client, y0 - grab, g.server - g.client, qMax(y1 - y0, 0.0) + 2 * grab);
    case SequenceItem::Shape::HoldBar: return QRectF(g.server - 5, y0, 10, qMax(y1 - y0, 2.0));
    case SequenceItem::Shape::StreamSpan: return QRectF(g.client, y0, g.server - g.client, qMax(y1 - y0, 2.0));
    case SequenceItem::Shape::Mark: return QRectF(g.x, y0 - grab, g.width, 2 * grab);
    }
    return {};
}

std::optional<SequenceItem> SequenceCanvas::itemAt(QPoint viewportPos) const
{
    const QPointF content(viewportPos.x() + horizontalScrollBar()->value(),
                          viewportPos.y() - headerHeight() + verticalScrollBar()->value());
    const auto &lanes = m_layout->lanes();
    for (int lane = 0; lane < int(lanes.size()); ++lane) {
        const Geometry g = column(lane);
        if (content.x() < g.x || content.x() >= g.x + g.width)
            continue;
        // Arrows and marks first (the nearest in time), then holds, then spans.
        const SequenceItem *best = nullptr;
        double bestDistance = 0;
        for (const SequenceItem &item : lanes[size_t(lane)].items) {
            if (item.shape != SequenceItem::Shape::Arrow && item.shape != SequenceItem::Shape::Mark)
                continue;
            const QRectF r = itemRect(item, g);
            if (!r.adjusted(-4, 0, 4, 0).contains(content))
                continue;
            const double d = std::abs(r.center().y() - content.y());
            if (!best || d < bestDistance) {
                best = &item;
                bestDistance = d;
            }
        }
        if (best)
            return *best;
        for (auto shape : { SequenceItem::Shape::HoldBar, SequenceItem::Shape::StreamSpan })
            for (const SequenceItem &item : lanes[size_t(lane)].items)
                if (item.shape == shape && itemRect(item, g).adjusted(-3, 0, 3, 0).contains(content))
                    return item;
    }
    return std::nullopt;
}

std::optional<QPoint> SequenceCanvas::revealRecord(quint64 seq)
{
    const SequenceItem *item = m_layout->itemForRecord(seq);
    if (!item)
        return std::nullopt;
    int lane = 0;
    for (const SequenceLayout::Lane &l : m_layout->lanes()) {
        if (l.transport == item->transport)
            break;
        ++lane;
    }
    const Geometry g = column(lane);
    const QRectF r = itemRect(*item, g);
    // A point on the arrow, away from both lifelines and the marker at its start.
    const QPointF at(item->shape == SequenceItem::Shape::Mark ? r.center().x() : g.client + (g.server - g.client) * 0.4,
                     itemY(item->timeUs));
    const int visibleHeight = viewport()->height() - headerHeight();
    QScrollBar *v = verticalScrollBar();
    if (at.y() < v->value() + 4 || at.y() > v->value() + visibleHeight - 4)
        v->setValue(int(at.y() - visibleHeight / 2));
    QScrollBar *h = horizontalScrollBar();
    if (at.x() < h->value() || at.x() > h->value() + viewport()->width())
        h->setValue(int(at.x() - viewport()->width() / 2));
    return QPoint(int(at.x()) - h->value(), int(at.y()) - v->value() + headerHeight());
}

void SequenceCanvas::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QAbstractScrollArea::mousePressEvent(event);
    if (const std::optional<SequenceItem> item = itemAt(event->position().toPoint()))
        emit itemClicked(*item);
}

void SequenceCanvas::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        const int steps = event->angleDelta().y() / 120;
        if (steps != 0)
            emit zoomRequested(steps, int(event->position().y()));
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void SequenceCanvas::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Up || event->key() == Qt::Key_Down) {
        emit stepRequested(event->key() == Qt::Key_Up ? -1 : 1);
        event->accept();
        return;
    }
    QAbstractScrollArea::keyPressEvent(event);
}

void SequenceCanvas::paintEvent(QPaintEvent *)
{
    QPainter p(viewport());
    p.setRenderHint(QPainter::Antialiasing);
    p.setFont(font());
    if (m_layout->lanes().empty()) {
        paintEmpty(p, viewport()->rect());
        return;
    }
    const int dx = horizontalScrollBar()->value();
    const int dy = verticalScrollBar()->value();
    const int header = headerHeight();
    p.save();
    p.setClipRect(QRect(0, header, viewport()->width(), viewport()->height() - header));
    p.translate(-dx, header - dy);
    paintContent(p, QRectF(dx, dy, viewport()->width(), viewport()->height() - header));
    p.restore();
    p.save();
    p.translate(-dx, 0);
    paintHeader(p, contentWidth());
    p.restore();
}

void SequenceCanvas::renderAll(QPainter &p, std::optional<QRect> contentClip) const
{
    p.setRenderHint(QPainter::Antialiasing);
    p.setFont(font());
    const QRect clip = contentClip.value_or(QRect(0, 0, contentWidth(), contentHeight()));
    p.fillRect(QRect(0, 0, clip.width(), clip.height() + headerHeight()), palette().color(QPalette::Base));
    if (m_layout->lanes().empty()) {
        paintEmpty(p, QRect(0, 0, clip.width(), clip.height() + headerHeight()));
        return;
    }
    p.save();
    p.translate(-clip.x(), headerHeight() - clip.y());
    p.setClipRect(clip);
    paintContent(p, clip);
    p.restore();
    p.save();
    p.translate(-clip.x(), 0);
    paintHeader(p, contentWidth());
    p.restore();
}

void SequenceCanvas::paintEmpty(QPainter &p, const QRect &area) const
{
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(area.adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
               tr("Nothing captured yet. The Compare lanes record every request, answer, event and frame they "
                  "send and receive: turn on Transport ▸ Compare every transport (Ctrl+T), and their sequence "
                  "diagrams are drawn here as the bytes cross the wire."));
}

void SequenceCanvas::paintHeader(QPainter &p, double width) const
{
    const QPalette &pal = palette();
    const int h = headerHeight();
    const QFontMetrics fm = fontMetrics();
    p.fillRect(QRectF(0, 0, width, h), pal.color(QPalette::Window));
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(QPointF(0, h - 0.5), QPointF(width, h - 0.5));
    p.setPen(pal.color(QPalette::PlaceholderText));
    p.drawText(QRectF(4, fm.height() + 4, gutterWidth() - 8, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               tr("time"));
    const auto &lanes = m_layout->lanes();
    for (int lane = 0; lane < int(lanes.size()); ++lane) {
        const Geometry g = column(lane);
        const TransportKind kind = lanes[size_t(lane)].transport;
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.setPen(transportColor(kind, pal));
        p.drawText(QRectF(g.x + 4, 3, g.width - 8, fm.height()), Qt::AlignCenter, transportKindLabel(kind));
        p.setFont(font());
        p.setPen(pal.color(QPalette::PlaceholderText));
        const double w = fm.horizontalAdvance(tr("server")) + 8;
        p.drawText(QRectF(g.client - w / 2, fm.height() + 4, w, fm.height()), Qt::AlignCenter, tr("client"));
        p.drawText(QRectF(g.server - w / 2, fm.height() + 4, w, fm.height()), Qt::AlignCenter, tr("server"));
    }
}

// The time axis: a step that leaves at least three lines between ticks.
static double tickStep(double pps, int lineHeight)
{
    static const double steps[] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,  0.5,  1,    2,     5,
                                    10,    15,    30,    60,   120,  300,  600, 1800, 3600, 7200, 21600, 86400 };
    for (double s : steps)
        if (s * pps >= lineHeight * 3)
            return s;
    return 86400;
}

void SequenceCanvas::paintContent(QPainter &p, const QRectF &clip) const
{
    const QPalette &pal = palette();
    const QFontMetrics fm = fontMetrics();
    const auto &lanes = m_layout->lanes();
    const double top = itemY(m_layout->originUs());
    const double bottom = itemY(m_layout->newestUs());

    // Time axis, relative to the oldest record drawn.
    const double pps = m_layout->effectivePixelsPerSecond();
    const double step = tickStep(pps, fm.height());
    const int decimals = qMax(0, int(std::ceil(-std::log10(step) - 1e-9)));
    const double firstTick = std::floor(qMax(0.0, (clip.top() - top) / pps) / step) * step;
    p.setPen(pal.color(QPalette::PlaceholderText));
    for (double s = firstTick; top + s * pps <= qMin(clip.bottom() + fm.height(), bottom + fm.height() * 2);
         s += step) {
        const double y = top + s * pps;
        p.drawLine(QPointF(gutterWidth() - 5, y), QPointF(gutterWidth() - 1, y));
        p.drawText(QRectF(0, y - fm.height() / 2.0, gutterWidth() - 7, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   QStringLiteral("+%1 s").arg(s, 0, 'f', decimals));
    }

    for (int lane = 0; lane < int(lanes.size()); ++lane) {
        const Geometry g = column(lane);
        if (g.x > clip.right() || g.x + g.width < clip.left())
            continue;
        if (lane % 2 == 1)
            p.fillRect(QRectF(g.x, clip.top(), g.width, clip.height()), pal.color(QPalette::AlternateBase));
        p.setPen(QPen(pal.color(QPalette::Mid), 1));
        p.drawLine(QPointF(g.x, clip.top()), QPointF(g.x, clip.bottom()));
        // Lifelines.
        QPen life(pal.color(QPalette::PlaceholderText), 1, Qt::DashLine);
        p.setPen(life);
        p.drawLine(QPointF(g.client, qMax(top - fm.height(), clip.top())),
                   QPointF(g.client, qMin(bottom + fm.height(), clip.bottom())));
        p.drawLine(QPointF(g.server, qMax(top - fm.height(), clip.top())),
                   QPointF(g.server, qMin(bottom + fm.height(), clip.bottom())));
        // Spans under holds under arrows; labels only where they do not overlap the one above.
        const auto &items = lanes[size_t(lane)].items;
        for (auto shape : { SequenceItem::Shape::StreamSpan, SequenceItem::Shape::HoldBar }) {
            double lastLabel = -1e18;
            for (const SequenceItem &item : items) {
                if (item.shape != shape)
                    continue;
                const QRectF r = itemRect(item, g);
                const bool label = r.top() >= lastLabel;
                if (label)
                    lastLabel = r.top() + fm.height();
                if (r.bottom() < clip.top() - fm.height() || r.top() > clip.bottom() + fm.height())
                    continue;
                paintItem(p, item, g, label);
            }
        }
        struct Placed
        {
            const SequenceItem *item;
            double y;
            bool label;
            bool forced;
        };
        std::vector<Placed> placed;
        double lastLabel = -1e18;
        std::optional<size_t> last;
        for (const SequenceItem &item : items) {
            if (item.shape != SequenceItem::Shape::Arrow && item.shape != SequenceItem::Shape::Mark)
                continue;
            const double y = itemY(item.timeUs);
            // A burst, a followed message and the selection always say what they are.
            // A little more than a line apart, so that a dense lane keeps readable labels.
            const bool forced = item.highlighted || item.isBurst() || (m_selectedSeq && item.seq == m_selectedSeq);
            const bool near = y - fm.height() * 1.3 < lastLabel;
            // A label that must show takes the place of an ordinary one it would be written over
            // (a short poll's answer on its request's line).
            if (forced && near && last && !placed[*last].forced)
                placed[*last].label = false;
            const bool label = !near || forced;
            if (label) {
                lastLabel = y;
                last = placed.size();
            }
            placed.push_back({ &item, y, label, forced });
        }
        for (const Placed &pl : placed) {
            if (itemY(pl.item->endUs) < clip.top() - fm.height() || pl.y > clip.bottom() + fm.height() * 2)
                continue;
            paintItem(p, *pl.item, g, pl.label);
        }
    }
}

QString SequenceCanvas::displayLabel(const SequenceItem &item)
{
    if (!item.isBurst())
        return item.label;
    using Style = SequenceItem::Style;
    switch (item.style) {
    case Style::Event: return tr("%1 events").arg(item.label);
    case Style::Heartbeat: return tr("%1 heartbeats").arg(item.label);
    case Style::Frame:
    case Style::MaskedFrame: return tr("%1 frames").arg(item.label);
    case Style::ControlFrame: return tr("%1 pings/pongs").arg(item.label);
    default: return item.label;
    }
}

bool SequenceCanvas::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        if (const std::optional<SequenceItem> item = itemAt(help->pos())) {
            const QString what = displayLabel(*item);
            QToolTip::showText(help->globalPos(),
                               item->isBurst() ? tr("%1: click to expand, then click any one for its bytes").arg(what)
                                               : tr("%1: click for its exact bytes").arg(what),
                               viewport());
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

static void arrowHead(QPainter &p, QPointF tip, double dir, double size, bool filled)
{
    QPainterPath path;
    path.moveTo(tip);
    path.lineTo(tip.x() - dir * size, tip.y() - size * 0.5);
    if (filled) {
        path.lineTo(tip.x() - dir * size, tip.y() + size * 0.5);
        path.closeSubpath();
        p.save();
        p.setBrush(p.pen().color());
        p.drawPath(path);
        p.restore();
    } else {
        path.moveTo(tip);
        path.lineTo(tip.x() - dir * size, tip.y() + size * 0.5);
        p.drawPath(path);
    }
}

void SequenceCanvas::paintItem(QPainter &p, const SequenceItem &item, const Geometry &g, bool drawLabel) const
{
    using Style = SequenceItem::Style;
    const QPalette &pal = palette();
    const QFontMetrics fm = fontMetrics();
    const QColor text = pal.color(QPalette::Text);
    const QColor quiet = pal.color(QPalette::PlaceholderText);
    const QColor lane = transportColor(item.transport, pal);
    const QColor highlight = pal.color(QPalette::Highlight);
    const QRectF r = itemRect(item, g);
    const bool selected = (m_selectedSeq && item.seq && item.seq <= m_selectedSeq && m_selectedSeq <= item.lastSeq
                           && m_layout->itemForRecord(m_selectedSeq) == &item)
            || (m_selectedExchange && !item.seq && item.exchange == m_selectedExchange);
    p.save();
    if (selected) {
        QColor c = highlight;
        c.setAlpha(70);
        p.fillRect(r.adjusted(-3, -2, 3, 2), c);
    }
    switch (item.shape) {
    case SequenceItem::Shape::StreamSpan: {
        QColor fill = lane;
        fill.setAlpha(28);
        p.fillRect(r, fill);
        QColor edge = lane;
        edge.setAlpha(120);
        p.setPen(QPen(edge, 1));
        p.drawLine(r.topLeft(), r.topRight());
        if (!item.open)
            p.drawLine(r.bottomLeft(), r.bottomRight());
        if (drawLabel) {
            p.setPen(quiet);
            p.drawText(QRectF(g.client + 4, r.top() + 2, g.server - g.client - 8, fm.height()),
                       Qt::AlignLeft | Qt::AlignTop,
                       fm.elidedText(item.label, Qt::ElideRight, int(g.server - g.client - 8)));
        }
        break;
    }
    case SequenceItem::Shape::HoldBar: {
        QColor fill = lane;
        fill.setAlpha(item.open ? 90 : 160);
        p.setPen(QPen(lane, 1));
        p.setBrush(fill);
        p.drawRect(r);
        if (drawLabel) {
            p.setPen(text);
            if (r.height() > fm.height() * 4) {
                // A long hold: nothing else crosses the lane meanwhile, so the label sits inside,
                // left of the bar, halfway down.
                const double w = g.server - g.client - 12;
                p.drawText(QRectF(g.client + 4, r.center().y() - fm.height() / 2.0, w, fm.height()),
                           Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(item.label, Qt::ElideRight, int(w)));
            } else {
                // A short hold beside the bar: its length alone when "held" does not fit.
                const double w = g.x + g.width - g.server - 9;
                const QString seconds = QStringLiteral("%1 s").arg(double(item.endUs - item.timeUs) / 1e6, 0, 'f', 2);
                const QString label = fm.horizontalAdvance(item.label) <= w ? item.label : seconds;
                p.drawText(QRectF(g.server + 7, r.top(), w, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                           fm.elidedText(label, Qt::ElideRight, int(w)));
            }
        }
        break;
    }
    case SequenceItem::Shape::Mark: {
        const QColor c = item.style == Style::Fault ? QColor(0xcc, 0x79, 0xa7) : quiet;
        p.setPen(QPen(c, item.style == Style::Fault ? 2 : 1, Qt::DashLine));
        const double y = itemY(item.timeUs);
        p.drawLine(QPointF(g.x + 2, y), QPointF(g.x + g.width - 2, y));
        if (drawLabel) {
            const QString label = (item.style == Style::Fault ? QStringLiteral("⚠ ") : QString()) + item.label;
            const QString shown = fm.elidedText(label, Qt::ElideRight, int(g.width - 16));
            const QRectF box(g.x + (g.width - fm.horizontalAdvance(shown)) / 2 - 3, y - fm.height() / 2.0,
                             fm.horizontalAdvance(shown) + 6, fm.height());
            p.fillRect(box, pal.color(QPalette::Base));
            p.setPen(item.style == Style::Fault ? text : quiet);
            p.drawText(box, Qt::AlignCenter, shown);
        }
        break;
    }
    case SequenceItem::Shape::Arrow: {
        const bool toServer = item.direction == WireDirection::ToServer;
        const double from = toServer ? g.client : g.server;
        const double to = toServer ? g.server : g.client;
        const double dir = toServer ? 1 : -1;
        const double y0 = itemY(item.timeUs);
        const double y1 = itemY(item.endUs);
        QPen pen(text, 1.5);
        bool filled = true;
        QColor labelColor = text;
        switch (item.style) {
        case Style::Request: pen = QPen(text, 1.5); break;
        case Style::Response: pen = QPen(lane, 2); break;
        case Style::EmptyAnswer:
            pen = QPen(quiet, 1.5, Qt::DashLine);
            filled = false;
            labelColor = quiet;
            break;
        case Style::Event: pen = QPen(lane, 1.5); break;
        case Style::Heartbeat:
        case Style::Retry:
            pen = QPen(quiet, 1, Qt::DotLine);
            filled = false;
            labelColor = quiet;
            break;
        case Style::Frame: pen = QPen(lane, 1.5); break;
        case Style::MaskedFrame: pen = QPen(text, 1.5); break;
        case Style::ControlFrame:
            pen = QPen(quiet, 1, Qt::DashDotLine);
            filled = false;
            labelColor = quiet;
            break;
        case Style::Close: pen = QPen(text, 2.5); break;
        default: break;
        }
        if (item.highlighted) {
            QColor c = highlight;
            c.setAlpha(150);
            p.setPen(QPen(c, pen.widthF() + 5, Qt::SolidLine, Qt::RoundCap));
            p.drawLine(QPointF(from, y0), QPointF(to, y0));
            if (item.isBurst())
                p.drawLine(QPointF(from, y1), QPointF(to, y1));
        }
        if (item.isBurst()) {
            // A burst: its first and last arrows, the band between them.
            QColor band = pen.color();
            band.setAlpha(40);
            p.fillRect(QRectF(qMin(from, to), y0, std::abs(to - from), qMax(y1 - y0, 1.0)), band);
            p.setPen(pen);
            p.drawLine(QPointF(from, y1), QPointF(to, y1));
            arrowHead(p, QPointF(to, y1), dir, 8, filled);
        }
        p.setPen(pen);
        p.drawLine(QPointF(from, y0), QPointF(to, y0));
        arrowHead(p, QPointF(to, y0), dir, 8, filled);
        if (item.style == Style::Close)
            p.drawLine(QPointF(to - dir * 2, y0 - 6), QPointF(to - dir * 2, y0 + 6));
        if (item.style == Style::MaskedFrame || (item.style == Style::Close && toServer)
            || (item.style == Style::ControlFrame && toServer)) {
            // The client masks what it sends: a diamond where the masked frame leaves.
            p.setBrush(text);
            drawMarker(p, MarkerShape::Diamond, QPointF(from + dir * 7, y0), 8);
        }
        if (drawLabel) {
            QFont f = font();
            f.setBold(item.highlighted);
            p.setFont(f);
            const QFontMetrics lfm(f);
            const double w = std::abs(to - from) - 16;
            const QString label = lfm.elidedText(displayLabel(item), Qt::ElideRight, int(w));
            // On a backing of the base colour: lines of a dense lane never strike through it.
            const double tw = lfm.horizontalAdvance(label) + 6;
            const QRectF box(qMin(from, to) + 8 + (w - tw) / 2, y0 - lfm.height() - 1, tw, lfm.height());
            QColor backing = pal.color(QPalette::Base);
            backing.setAlpha(210);
            p.fillRect(box, backing);
            p.setPen(labelColor);
            p.drawText(box, Qt::AlignCenter, label);
        }
        break;
    }
    }
    p.restore();
}

} // namespace rtlab
