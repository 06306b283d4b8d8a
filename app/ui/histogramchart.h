// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QList>
#include <QWidget>

namespace rtlab {

class LatencyStats;

// Bars of a LatencyStats histogram (log-scale buckets from 100 µs), with a count axis.
// It keeps a copy of the figures, never a pointer to the statistics: the statistics belong
// to clients that come and go (the compare lanes restart), and a chart may paint at any time.
class HistogramChart : public QWidget
{
    Q_OBJECT
public:
    explicit HistogramChart(const QString &title, QWidget *parent = nullptr);
    // Copies the buckets and the count; nullptr shows an empty chart.
    void setStats(const LatencyStats *stats, const QColor &color);
    void clear();

    qsizetype count() const { return m_count; }
    const QList<qint64> &buckets() const { return m_buckets; }
    // The title line as painted, e.g. "Latency histogram — 27 samples".
    QString titleText() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    QList<qint64> m_buckets;
    qsizetype m_count = 0;
    QColor m_color;
};

} // namespace rtlab
