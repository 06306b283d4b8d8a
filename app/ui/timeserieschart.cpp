#include "timeserieschart.h"

#include <QDateTime>
#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace rtlab {

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
}

void TimeSeriesChart::addLine(const TimeSeries *series, const QColor &color)
{
    m_lines.append({ series, color });
}

void TimeSeriesChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    const int lineH = fm.height();
    const QRectF plot(fm.horizontalAdvance(QStringLiteral("0000.0")) + 8, lineH * 2 + 4,
                      width() - fm.horizontalAdvance(QStringLiteral("0000.0")) - 16, height() - lineH * 3 - 10);
    if (plot.width() < 20 || plot.height() < 20)
        return;

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 from = now - m_windowMs;
    double maxValue = 0;
    for (const Line &l : m_lines)
        maxValue = qMax(maxValue, l.series->maxSince(from));
    const double top = niceCeiling(maxValue * 1.1);

    // Title and legend.
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::Text));
    p.drawText(QPointF(6, lineH), m_title + (m_unit.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_unit)));
    p.setFont(font());
    qreal x = 6;
    for (const Line &l : m_lines) {
        const QString label = QStringLiteral("%1 %2").arg(l.series->name(), formatValue(l.series->last()));
        p.fillRect(QRectF(x, lineH * 1.35, 10, 4), l.color);
        p.drawText(QPointF(x + 14, lineH * 1.35 + fm.ascent() / 2.0), label);
        x += 14 + fm.horizontalAdvance(label) + 14;
    }

    // Grid: four horizontal lines with values; time marks every 15 s.
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(90);
    p.setPen(QPen(grid, 1));
    for (int i = 0; i <= 4; ++i) {
        const qreal y = plot.bottom() - plot.height() * i / 4.0;
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.save();
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(QRectF(0, y - lineH / 2.0, plot.left() - 4, lineH), Qt::AlignRight | Qt::AlignVCenter,
                   formatValue(top * i / 4.0));
        p.restore();
    }
    p.setPen(pal.color(QPalette::PlaceholderText));
    for (int s = 0; s <= m_windowMs / 1000; s += 15) {
        const qreal xs = plot.right() - plot.width() * (s * 1000.0) / double(m_windowMs);
        if (s == 0) // right-aligned, so that it is not cut off at the edge
            p.drawText(QRectF(xs - 60, plot.bottom() + 2, 64, lineH), Qt::AlignRight, tr("now"));
        else
            p.drawText(QRectF(xs - 30, plot.bottom() + 2, 60, lineH), Qt::AlignHCenter, QStringLiteral("-%1 s").arg(s));
    }

    // The lines.
    p.setClipRect(plot.adjusted(-1, -1, 1, 1));
    for (const Line &l : m_lines) {
        QPainterPath path;
        bool started = false;
        for (const TimeSeries::Point &pt : l.series->points()) {
            if (pt.timeMs < from)
                continue;
            const QPointF xy(plot.left() + plot.width() * double(pt.timeMs - from) / double(m_windowMs),
                             plot.bottom() - plot.height() * qMin(pt.value, top) / top);
            if (!started) {
                path.moveTo(xy);
                started = true;
            } else {
                path.lineTo(xy);
            }
        }
        p.setPen(QPen(l.color, 1.6));
        p.drawPath(path);
    }
}

} // namespace rtlab
