#include "histogramchart.h"

#include "latencystats.h"

#include <QPainter>

namespace rtlab {

HistogramChart::HistogramChart(const QString &title, QWidget *parent) : QWidget(parent), m_title(title)
{
    setAccessibleName(title);
}

void HistogramChart::setStats(const LatencyStats *stats, const QColor &color)
{
    m_hasStats = stats != nullptr;
    m_buckets = stats ? stats->histogram() : QList<qint64> {};
    m_count = stats ? stats->count() : 0;
    m_color = color;
    update();
}

static QString edgeLabel(qint64 us)
{
    const double ms = double(us) / 1000.0;
    return QString::number(ms, 'f', ms < 10 ? 1 : 0);
}

void HistogramChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    p.setPen(pal.color(QPalette::Text));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QPointF(6, fm.height()), m_title + tr(" (ms; last %1)").arg(m_count));
    p.setFont(font());
    if (!m_hasStats)
        return;
    const QList<qint64> &h = m_buckets;
    qint64 peak = 1;
    for (qint64 n : h)
        peak = qMax(peak, n);
    const QRectF plot(6, fm.height() + 6, width() - 12, height() - fm.height() * 2 - 10);
    const qreal barW = plot.width() / qreal(h.size());
    for (int i = 0; i < h.size(); ++i) {
        const qreal barH = plot.height() * double(h[i]) / double(peak);
        p.fillRect(QRectF(plot.left() + i * barW + 1, plot.bottom() - barH, barW - 2, barH), m_color);
        if (i % 3 == 0) {
            const qint64 edge = LatencyStats::bucketUpperEdge(i);
            p.setPen(pal.color(QPalette::PlaceholderText));
            p.drawText(QRectF(plot.left() + i * barW - 10, plot.bottom() + 2, barW * 3, fm.height()), Qt::AlignLeft,
                       edge < 0 ? tr("more") : QStringLiteral("<%1").arg(edgeLabel(edge)));
        }
    }
}

} // namespace rtlab
