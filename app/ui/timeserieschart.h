// SPDX-License-Identifier: MIT
#pragma once

#include "palette.h"
#include "timeseries.h"

#include <QColor>
#include <QWidget>

namespace rtlab {

// A small line chart of TimeSeries over the last minute, drawn with QPainter: cheap enough to
// repaint several times a second with thousands of points, and it follows the palette.
// A series that stopped getting points is shown as silent ("no data for N s"), never with its
// last value as if it were current.
class TimeSeriesChart : public QWidget
{
    Q_OBJECT
public:
    explicit TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent = nullptr);

    // The series must outlive the chart (AppController's series do).
    void addLine(const TimeSeries *series, const QColor &color, Qt::PenStyle style = Qt::SolidLine,
                 MarkerShape marker = MarkerShape::None);
    void setWindowMs(qint64 ms) { m_windowMs = ms; }
    // Scale the y axis to these series too (not drawn): charts side by side share one scale.
    void setScaleWith(const QList<const TimeSeries *> &series) { m_scaleWith = series; }
    // Points further apart than this are not joined: the series was silent in between.
    static constexpr qint64 SilenceGapMs = 3000;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // A series is silent when its newest point is older than 3 s or 3 of its own intervals,
    // whichever is longer. Both take the time to judge at (ms since the epoch).
    bool isSilent(int line, qint64 nowMs) const;
    // "" while data flows; "no data yet" or "no data for N s" when every line is silent.
    QString statusText(qint64 nowMs) const;
    // The legend entries as painted ("messages/s 5", or "messages/s —" when silent).
    QStringList legendTexts(qint64 nowMs) const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    struct Line
    {
        const TimeSeries *series;
        QColor color;
        Qt::PenStyle style;
        MarkerShape marker;
    };
    QString m_title;
    QString m_unit;
    QList<Line> m_lines;
    qint64 m_windowMs = 60000;
    QList<const TimeSeries *> m_scaleWith;
};

// A rounded-up axis maximum: 1, 2, 5 × 10^n.
double niceCeiling(double value);

} // namespace rtlab
