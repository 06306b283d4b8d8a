#pragma once

#include <QColor>
#include <QList>
#include <QWidget>

namespace rtlab {

class LatencyStats;

// Bars of a LatencyStats histogram (log-scale buckets from 100 µs).
class HistogramChart : public QWidget
{
    Q_OBJECT
public:
    explicit HistogramChart(const QString &title, QWidget *parent = nullptr);
    void setStats(const LatencyStats *stats, const QColor &color);
    QSize sizeHint() const override { return { 320, 140 }; }
    QSize minimumSizeHint() const override { return { 200, 100 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    // Values, never a pointer: the statistics they came from may be gone by the next paint.
    QList<qint64> m_buckets;
    qsizetype m_count = 0;
    bool m_hasStats = false;
    QColor m_color;
};

} // namespace rtlab
