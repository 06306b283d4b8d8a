// SPDX-License-Identifier: MIT
#include "latencystats.h"

#include "message.h"

#include <algorithm>
#include <cmath>

namespace rtlab {

LatencyStats::LatencyStats(qsizetype window) : m_samples(size_t(qMax<qsizetype>(1, window)), 0) { }

void LatencyStats::add(qint64 micros)
{
    m_samples[m_next] = micros;
    m_next = (m_next + 1) % m_samples.size();
    m_filled = std::min(m_filled + 1, m_samples.size());
    ++m_total;
}

void LatencyStats::clear()
{
    m_next = m_filled = 0;
    m_total = 0;
}

qint64 LatencyStats::percentile(double p) const
{
    if (m_filled == 0)
        return -1;
    std::vector<qint64> v(m_samples.begin(), m_samples.begin() + qsizetype(m_filled));
    // Nearest rank: the smallest value with at least p % of the samples at or below it.
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * double(v.size()));
    const size_t index = size_t(std::max(1.0, rank)) - 1;
    std::nth_element(v.begin(), v.begin() + qsizetype(index), v.end());
    return v[index];
}

qint64 LatencyStats::minimum() const
{
    if (m_filled == 0)
        return -1;
    return *std::min_element(m_samples.begin(), m_samples.begin() + qsizetype(m_filled));
}

qint64 LatencyStats::maximum() const
{
    if (m_filled == 0)
        return -1;
    return *std::max_element(m_samples.begin(), m_samples.begin() + qsizetype(m_filled));
}

double LatencyStats::mean() const
{
    if (m_filled == 0)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < m_filled; ++i)
        sum += double(m_samples[i]);
    return sum / double(m_filled);
}

qint64 LatencyStats::bucketUpperEdge(int bucket)
{
    if (bucket >= BucketCount - 1)
        return -1;
    return qint64(100) << bucket;
}

QList<qint64> LatencyStats::histogram() const
{
    QList<qint64> h(BucketCount, 0);
    for (size_t i = 0; i < m_filled; ++i) {
        int b = 0;
        while (b < BucketCount - 1 && m_samples[i] >= bucketUpperEdge(b))
            ++b;
        ++h[b];
    }
    return h;
}

void ClockOffset::addRoundTrip(qint64 sentLocalUs, qint64 serverUs, qint64 receivedLocalUs)
{
    const qint64 rtt = receivedLocalUs - sentLocalUs;
    if (rtt < 0)
        return;
    if (m_samples.size() == 32)
        m_samples.erase(m_samples.begin());
    m_samples.push_back({ rtt, serverUs - (sentLocalUs + receivedLocalUs) / 2 });
}

qint64 ClockOffset::offsetUs() const
{
    if (m_samples.empty())
        return 0;
    return std::min_element(m_samples.begin(), m_samples.end(),
                            [](const Sample &a, const Sample &b) { return a.rtt < b.rtt; })
            ->offset;
}

qint64 ClockOffset::uncertaintyUs() const
{
    if (m_samples.empty())
        return -1;
    return std::min_element(m_samples.begin(), m_samples.end(),
                            [](const Sample &a, const Sample &b) { return a.rtt < b.rtt; })
                   ->rtt
            / 2;
}

qint64 oneWayLatencyUs(qint64 serverTsUs, const ClockOffset &clock)
{
    return qMax<qint64>(0, nowMicros() + clock.offsetUs() - serverTsUs);
}

} // namespace rtlab
