#pragma once

#include "timeseries.h"

#include <QColor>
#include <QWidget>

namespace rtlab {

// A small line chart of TimeSeries over the last minute, drawn with QPainter: cheap enough to
// repaint several times a second with thousands of points, and it follows the palette.
class TimeSeriesChart : public QWidget
{
    Q_OBJECT
public:
    explicit TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent = nullptr);

    void addLine(const TimeSeries *series, const QColor &color);
    void setWindowMs(qint64 ms) { m_windowMs = ms; }
    QSize sizeHint() const override { return { 360, 180 }; }
    QSize minimumSizeHint() const override { return { 200, 110 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Line
    {
        const TimeSeries *series;
        QColor color;
    };
    QString m_title;
    QString m_unit;
    QList<Line> m_lines;
    qint64 m_windowMs = 60000;
};

// A rounded-up axis maximum: 1, 2, 5 × 10^n.
double niceCeiling(double value);

} // namespace rtlab
