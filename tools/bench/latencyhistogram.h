// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>

#include <cstdint>
#include <vector>

namespace rtlab::bench {

// A log-linear histogram in the manner of HdrHistogram: values below 2^SubBits µs are exact;
// above, each power of two is split into 2^(SubBits-1) equal buckets, so a value is known to
// within 1/64 (1.6 %) of itself. A fixed array of counters, no allocation per value.
class LatencyHistogram
{
public:
    static constexpr int SubBits = 7;

    LatencyHistogram();

    void record(int64_t valueUs);
    void merge(const LatencyHistogram &other);
    void clear();

    uint64_t count() const { return m_count; }
    int64_t max() const { return m_max; }
    int64_t min() const { return m_count ? m_min : 0; }
    double mean() const { return m_count ? double(m_sum) / double(m_count) : 0.0; }
    // The value at quantile q (0..1): the upper edge of the bucket that holds it, capped by max().
    int64_t valueAt(double q) const;

    // {"count","min","mean","p50","p90","p99","p999","max"} in microseconds.
    QJsonObject toJson() const;

private:
    static int bucketOf(int64_t v);
    static int64_t upperEdge(int bucket);

    std::vector<uint64_t> m_buckets;
    uint64_t m_count = 0;
    int64_t m_sum = 0;
    int64_t m_min = 0;
    int64_t m_max = 0;
};

} // namespace rtlab::bench
