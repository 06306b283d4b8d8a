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
    const LatencyStats *m_stats = nullptr;
    QColor m_color;
};

} // namespace rtlab
