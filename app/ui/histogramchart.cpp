// SPDX-License-Identifier: MIT
#include "histogramchart.h"

#include "latencystats.h"
#include "timeserieschart.h"

#include <QPainter>

#include <cmath>

namespace rtlab {

HistogramChart::HistogramChart(const QString &title, QWidget *parent) : QWidget(parent), m_title(title)
{
    setAccessibleName(title);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void HistogramChart::setStats(const LatencyStats *stats, const QColor &color)
{
    if (!stats) {
        clear();
        return;
    }
    m_buckets = stats->histogram();
    m_count = stats->count();
    m_color = color;
    update();
}

void HistogramChart::clear()
{
    m_buckets.clear();
    m_count = 0;
    update();
}

QString HistogramChart::titleText() const
{
    return m_count == 1 ? tr("%1 — 1 sample").arg(m_title) : tr("%1 — %2 samples").arg(m_title).arg(m_count);
}

QSize HistogramChart::sizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.horizontalAdvance(QLatin1Char('0')) * 40, fm.height() * 8 };
}

QSize HistogramChart::minimumSizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.horizontalAdvance(QLatin1Char('0')) * 24, fm.height() * 4 };
}

// A bucket edge in ms, short enough to sit under a bar: 0.1, 0.8, 6.4, 26, 410, 1.6k.
static QString edgeLabel(qint64 us)
{
    const double ms = double(us) / 1000.0;
    if (ms >= 1000)
        return QString::number(ms / 1000.0, 'f', 1) + QLatin1Char('k');
    return QString::number(ms, 'f', ms < 10 ? 1 : 0);
}

void HistogramChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QRectF(6, 2, width() - 12, lineH), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(titleText(), Qt::ElideRight, width() - 12));
    p.setFont(font());

    qint64 peak = 0;
    for (qint64 n : m_buckets)
        peak = qMax(peak, n);
    const double top = niceCeiling(double(qMax<qint64>(peak, 1)));
    // Whole, round steps: 1, 2 and 5 × 10^n split into 5, 4 and 5 (0, 10, 20 … 50), and an
    // axis of 1 or 2 gets one line per count.
    const double lead = top / std::pow(10.0, std::floor(std::log10(top)));
    int steps = int(std::min(top, lead < 1.5 ? 5.0 : lead < 3 ? 4.0 : 5.0));
    const QString unit = tr("ms");
    const int axisW = std::max(fm.horizontalAdvance(QString::number(qint64(top))), fm.horizontalAdvance(unit)) + 10;
    // Room below for the edge labels and on the right for half a label (the last edge sits at
    // the right end of its bar, so nothing is cut off).
    const QRectF plot(axisW, lineH + 8, width() - axisW - fm.horizontalAdvance(QStringLiteral("0000")) / 2.0 - 6,
                      height() - lineH * 2 - 14);
    if (plot.width() < 30 || plot.height() < 10)
        return;
    // Fewer lines when short, so that their values do not overlap.
    if (plot.height() / steps < lineH)
        steps = steps % 2 == 0 && plot.height() / (steps / 2) >= lineH ? steps / 2 : 1;

    // Count axis: horizontal grid lines with their values.
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    for (int i = 0; i <= steps; ++i) {
        const qreal y = plot.bottom() - plot.height() * i / double(steps);
        p.setPen(QPen(grid, 1));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(QRectF(0, y - lineH / 2.0, plot.left() - 4, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(qint64(top * i / steps)));
    }
    if (m_buckets.isEmpty())
        return;

    const qreal barW = plot.width() / qreal(m_buckets.size());
    for (int i = 0; i < m_buckets.size(); ++i) {
        const qreal barH = plot.height() * double(m_buckets[i]) / top;
        p.fillRect(QRectF(plot.left() + i * barW + 1, plot.bottom() - barH, qMax<qreal>(1, barW - 2), barH), m_color);
    }
    // Edge labels at bar boundaries, as many as fit without touching; the unit at the end.
    const int labelW = fm.horizontalAdvance(QStringLiteral("0.0k")) + 6;
    const int every = qMax(1, int(std::ceil(labelW / qMax<qreal>(1, barW))));
    p.setPen(pal.color(QPalette::PlaceholderText));
    qreal lastRight = plot.left() - 1;
    for (int i = 0; i + 1 < m_buckets.size(); i += every) {
        const qint64 edge = LatencyStats::bucketUpperEdge(i);
        if (edge < 0)
            break;
        const qreal x = plot.left() + (i + 1) * barW;
        const QString label = edgeLabel(edge);
        const QRectF r(x - labelW / 2.0, plot.bottom() + 2, labelW, lineH);
        if (r.left() <= lastRight || r.right() > width())
            continue;
        p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 2));
        p.drawText(r, Qt::AlignHCenter | Qt::AlignTop, label);
        lastRight = r.right();
    }
    p.drawText(QRectF(0, plot.bottom() + 2, plot.left() - 4, lineH), Qt::AlignRight | Qt::AlignTop, unit);
}

} // namespace rtlab
