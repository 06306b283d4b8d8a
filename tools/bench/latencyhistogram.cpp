// SPDX-License-Identifier: MIT
#include "latencyhistogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rtlab::bench {

namespace {
constexpr int SubCount = 1 << LatencyHistogram::SubBits;
constexpr int Magnitudes = 41;
} // namespace

LatencyHistogram::LatencyHistogram() : m_buckets(size_t(Magnitudes) * SubCount, 0) { }

// Values below SubCount get a bucket each; above, the bucket is (magnitude, top SubBits bits).
int LatencyHistogram::bucketOf(int64_t v)
{
    if (v < SubCount)
        return int(std::max<int64_t>(v, 0));
    const int magnitude = std::bit_width(uint64_t(v)) - SubBits;  // >= 1
    const int sub = int(uint64_t(v) >> magnitude) - SubCount / 2; // 0 .. SubCount/2-1
    const int bucket = SubCount + (magnitude - 1) * (SubCount / 2) + sub;
    return std::min(bucket, Magnitudes * SubCount - 1);
}

int64_t LatencyHistogram::upperEdge(int bucket)
{
    if (bucket < SubCount)
        return bucket;
    const int rel = bucket - SubCount;
    const int magnitude = rel / (SubCount / 2) + 1;
    const int64_t sub = rel % (SubCount / 2) + SubCount / 2;
    return ((sub + 1) << magnitude) - 1;
}

void LatencyHistogram::record(int64_t valueUs)
{
    valueUs = std::max<int64_t>(valueUs, 0);
    ++m_buckets[size_t(bucketOf(valueUs))];
    m_min = m_count ? std::min(m_min, valueUs) : valueUs;
    m_max = std::max(m_max, valueUs);
    m_sum += valueUs;
    ++m_count;
}

void LatencyHistogram::merge(const LatencyHistogram &other)
{
    if (!other.m_count)
        return;
    for (size_t i = 0; i < m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    m_min = m_count ? std::min(m_min, other.m_min) : other.m_min;
    m_max = std::max(m_max, other.m_max);
    m_sum += other.m_sum;
    m_count += other.m_count;
}

void LatencyHistogram::clear()
{
    std::fill(m_buckets.begin(), m_buckets.end(), 0);
    m_count = 0;
    m_sum = m_min = m_max = 0;
}

int64_t LatencyHistogram::valueAt(double q) const
{
    if (!m_count)
        return 0;
    const auto rank = uint64_t(std::ceil(std::clamp(q, 0.0, 1.0) * double(m_count)));
    uint64_t seen = 0;
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        seen += m_buckets[i];
        if (seen >= std::max<uint64_t>(rank, 1))
            return std::min(upperEdge(int(i)), m_max);
    }
    return m_max;
}

QJsonObject LatencyHistogram::toJson() const
{
    return { { QStringLiteral("count"), qint64(m_count) },
             { QStringLiteral("min"), qint64(min()) },
             { QStringLiteral("mean"), std::round(mean() * 10) / 10 },
             { QStringLiteral("p50"), qint64(valueAt(0.5)) },
             { QStringLiteral("p90"), qint64(valueAt(0.9)) },
             { QStringLiteral("p99"), qint64(valueAt(0.99)) },
             { QStringLiteral("p999"), qint64(valueAt(0.999)) },
             { QStringLiteral("max"), qint64(m_max) } };
}

} // namespace rtlab::bench
