// SPDX-License-Identifier: MIT
#include "timeserieschart.h"

#include <QDateTime>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace rtlab {

static constexpr qint64 MinSilenceMs = 3000;

double niceCeiling(double value)
{
    if (value <= 0)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (double step : { 1.0, 2.0, 5.0, 10.0 })
        if (value <= step * magnitude)
            return step * magnitude;
    return 10 * magnitude;
}

static QString formatValue(double v)
{
    if (v >= 1e6)
        return QString::number(v / 1e6, 'g', 3) + QLatin1Char('M');
    if (v >= 1e3)
        return QString::number(v / 1e3, 'g', 3) + QLatin1Char('k');
    return QString::number(v, 'g', 3);
}

TimeSeriesChart::TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent)
    : QWidget(parent), m_title(title), m_unit(unit)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setAccessibleName(title);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void TimeSeriesChart::addLine(const TimeSeries *series, const QColor &color, Qt::PenStyle style, MarkerShape marker)
{
    m_lines.append({ series, color, style, marker });
}

QSize TimeSeriesChart::sizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.horizontalAdvance(QLatin1Char('0')) * 45, fm.height() * 10 };
}

QSize TimeSeriesChart::minimumSizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.horizontalAdvance(QLatin1Char('0')) * 26, fm.height() * 5 };
}

bool TimeSeriesChart::isSilent(int line, qint64 nowMs) const
{
    const std::deque<TimeSeries::Point> &pts = m_lines.at(line).series->points();
    if (pts.empty())
        return true;
    // The usual interval, from the last few points: a 1/s tick may be 3 s late before it counts
    // as gone, a 10/s one 3 s too.
    qint64 interval = 0;
    const size_t n = std::min<size_t>(pts.size(), 5);
    if (n >= 2)
        interval = (pts.back().timeMs - pts[pts.size() - n].timeMs) / qint64(n - 1);
    return nowMs - pts.back().timeMs > std::max(MinSilenceMs, 3 * interval);
}

QString TimeSeriesChart::statusText(qint64 nowMs) const
{
    qint64 newest = -1;
    for (int i = 0; i < m_lines.size(); ++i) {
        if (!isSilent(i, nowMs))
            return {};
        if (!m_lines[i].series->isEmpty())
            newest = std::max(newest, m_lines[i].series->points().back().timeMs);
    }
    if (newest < 0)
        return tr("no data yet");
    const int seconds = int(std::max<qint64>(0, nowMs - newest) / 1000);
    return tr("no data for %1 s").arg(seconds);
}

QStringList TimeSeriesChart::legendTexts(qint64 nowMs) const
{
    QStringList out;
    for (int i = 0; i < m_lines.size(); ++i) {
        const TimeSeries *s = m_lines[i].series;
        out.append(QStringLiteral("%1 %2").arg(s->name(),
                                               isSilent(i, nowMs) ? QStringLiteral("—") : formatValue(s->last())));
    }
    return out;
}

void TimeSeriesChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 from = now - m_windowMs;

    // Title, elided to the width.
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::Text));
    const QString title = m_title + (m_unit.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_unit));
    p.drawText(QRectF(6, 2, width() - 12, lineH), Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetrics(bold).elidedText(title, Qt::ElideRight, width() - 12));
    p.setFont(font());

    // Legend, flowed into as many rows as the width needs: a swatch with the line's pattern and
    // marker, then name and value.
    const QStringList legend = legendTexts(now);
    const qreal swatchW = 22;
    qreal x = 6;
    qreal y = lineH + 4;
    for (int i = 0; i < m_lines.size(); ++i) {
        const qreal w = swatchW + 4 + fm.horizontalAdvance(legend[i]);
        if (x > 6 && x + w > width() - 6) {
            x = 6;
            y += lineH;
        }
        const Line &l = m_lines[i];
        const qreal mid = y + lineH / 2.0;
        p.setPen(QPen(l.color, 2, l.style));
        p.drawLine(QPointF(x, mid), QPointF(x + swatchW, mid));
        p.setBrush(l.color);
        drawMarker(p, l.marker, QPointF(x + swatchW / 2.0, mid), 7);
        p.setPen(pal.color(isSilent(i, now) ? QPalette::PlaceholderText : QPalette::Text));
        p.drawText(QRectF(x + swatchW + 4, y, width() - x - swatchW - 10, lineH), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(legend[i], Qt::ElideRight, int(width() - x - swatchW - 10)));
        x += w + 14;
    }
    const qreal legendBottom = y + lineH;

    double maxValue = 0;
    for (const Line &l : m_lines)
        maxValue = qMax(maxValue, l.series->maxSince(from));
    for (const TimeSeries *other : m_scaleWith)
        maxValue = qMax(maxValue, other->maxSince(from));
    const double top = niceCeiling(maxValue * 1.1);
    int axisW = 0;
    for (int i = 0; i <= 4; ++i)
        axisW = std::max(axisW, fm.horizontalAdvance(formatValue(top * i / 4.0)));
    // The top value label is centred on the top grid line: half a line of room above it.
    const QRectF plot(axisW + 10, legendBottom + lineH / 2.0 + 2, width() - axisW - 10 - 8,
                      height() - legendBottom - lineH / 2.0 - 2 - lineH - 6);
    if (plot.width() < 20 || plot.height() < 20)
        return;

    // Grid: four horizontal lines with values (two or one when short, so that the values do
    // not overlap); time marks every 15 s.
    const int steps = plot.height() / 4 >= lineH ? 4 : plot.height() / 2 >= lineH ? 2 : 1;
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    for (int i = 0; i <= steps; ++i) {
        const qreal gy = plot.bottom() - plot.height() * i / double(steps);
        p.setPen(QPen(grid, 1));
        p.drawLine(QPointF(plot.left(), gy), QPointF(plot.right(), gy));
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(QRectF(0, gy - lineH / 2.0, plot.left() - 4, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   formatValue(top * i / double(steps)));
    }
    p.setPen(pal.color(QPalette::PlaceholderText));
    const int markW = fm.horizontalAdvance(QStringLiteral("-60 s")) + 8;
    const int stepS = plot.width() / (double(m_windowMs) / 15000.0) >= markW ? 15 : 30;
    for (int s = 0; s <= m_windowMs / 1000; s += stepS) {
        const qreal xs = plot.right() - plot.width() * (s * 1000.0) / double(m_windowMs);
        if (s == 0) // right-aligned, so that it is not cut off at the edge
            p.drawText(QRectF(xs - markW, plot.bottom() + 2, markW + 4, lineH), Qt::AlignRight, tr("now"));
        else if (xs - markW / 2.0 >= plot.left() - axisW)
            p.drawText(QRectF(xs - markW / 2.0, plot.bottom() + 2, markW, lineH), Qt::AlignHCenter,
                       QStringLiteral("-%1 s").arg(s));
    }

    // The lines, each with its pattern, and its marker on the newest point.
    p.save();
    p.setClipRect(plot.adjusted(-5, -5, 5, 5));
    for (const Line &l : m_lines) {
        QPainterPath path;
        bool started = false;
        QPointF last;
        qint64 lastMs = 0;
        for (const TimeSeries::Point &pt : l.series->points()) {
            if (pt.timeMs < from)
                continue;
            last = QPointF(plot.left() + plot.width() * double(pt.timeMs - from) / double(m_windowMs),
                           plot.bottom() - plot.height() * qMin(pt.value, top) / top);
            // A silence is not a slope: no line across a gap with no points.
            if (!started || pt.timeMs - lastMs > SilenceGapMs)
                path.moveTo(last);
            else
                path.lineTo(last);
            started = true;
            lastMs = pt.timeMs;
        }
        p.setPen(QPen(l.color, 1.6, l.style));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        if (started) {
            p.setBrush(l.color);
            drawMarker(p, l.marker, last, 7);
        }
    }
    p.restore();

    // A silent chart says so over the plot.
    const QString status = statusText(now);
    if (!status.isEmpty()) {
        QFont big = font();
        big.setBold(true);
        p.setFont(big);
        const QFontMetrics bfm(big);
        const QRectF box(plot.center().x() - bfm.horizontalAdvance(status) / 2.0 - 8,
                         plot.center().y() - bfm.height() / 2.0 - 4, bfm.horizontalAdvance(status) + 16,
                         bfm.height() + 8);
        QColor bg = pal.color(QPalette::Base);
        bg.setAlpha(220);
        p.setPen(pal.color(QPalette::Mid));
        p.setBrush(bg);
        p.drawRoundedRect(box, 4, 4);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(box, Qt::AlignCenter, status);
    }
}

} // namespace rtlab
