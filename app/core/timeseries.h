// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>

#include <deque>

namespace rtlab {

// A bounded series of (time, value) points for the charts: the oldest points go first.
class TimeSeries
{
public:
    struct Point
    {
        qint64 timeMs;
        double value;
    };

    explicit TimeSeries(QString name = {}, qsizetype capacity = 1200);

    QString name() const { return m_name; }
    void append(qint64 timeMs, double value);
    void clear() { m_points.clear(); }
    const std::deque<Point> &points() const { return m_points; }
    bool isEmpty() const { return m_points.empty(); }
    double last() const { return m_points.empty() ? 0 : m_points.back().value; }
    // Largest value at or after fromMs (0 if none): the charts' y scale.
    double maxSince(qint64 fromMs) const;

private:
    QString m_name;
    qsizetype m_capacity;
    std::deque<Point> m_points;
};

} // namespace rtlab
