// SPDX-License-Identifier: MIT
#include "timeseries.h"

namespace rtlab {

TimeSeries::TimeSeries(QString name, qsizetype capacity)
    : m_name(std::move(name)), m_capacity(qMax<qsizetype>(2, capacity))
{
}

void TimeSeries::append(qint64 timeMs, double value)
{
    m_points.push_back({ timeMs, value });
    while (qsizetype(m_points.size()) > m_capacity)
        m_points.pop_front();
}

double TimeSeries::maxSince(qint64 fromMs) const
{
    double m = 0;
    for (auto it = m_points.rbegin(); it != m_points.rend() && it->timeMs >= fromMs; ++it)
        m = qMax(m, it->value);
    return m;
}

} // namespace rtlab
