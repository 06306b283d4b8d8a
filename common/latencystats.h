// SPDX-License-Identifier: MIT
#pragma once

#include <QList>

#include <vector>

namespace rtlab {

// Latency samples (microseconds) over a sliding window of the most recent ones: percentiles
// and a log-scale histogram. Bounded: the window never grows past its capacity.
class LatencyStats
{
public:
    explicit LatencyStats(qsizetype window = 2048);

    void add(qint64 micros);
    void clear();

    qsizetype count() const { return qsizetype(m_filled); } // samples in the window
    qint64 total() const { return m_total; }                // samples ever
    // The p-th percentile (0..100) of the window, nearest-rank; -1 when empty.
    qint64 percentile(double p) const;
    qint64 minimum() const;
    qint64 maximum() const;
    double mean() const;

    // Histogram of the window: bucket i counts samples in [edge(i-1), edge(i)); edges double
    // from 100 µs; the last bucket holds everything above.
    static constexpr int BucketCount = 16;
    static qint64 bucketUpperEdge(int bucket); // exclusive, µs; -1 for the last
    QList<qint64> histogram() const;

private:
    std::vector<qint64> m_samples;
    size_t m_next = 0;
    size_t m_filled = 0;
    qint64 m_total = 0;
};

// Estimates (server clock − local clock) from round trips, NTP-style: for a message sent at
// local t0 and seen back at local t1 with server time ts, offset ≈ ts − (t0 + t1) / 2, with an
// error of at most half the round trip. The sample with the smallest round trip among the
// recent ones wins.
class ClockOffset
{
public:
    void addRoundTrip(qint64 sentLocalUs, qint64 serverUs, qint64 receivedLocalUs);
    bool known() const { return !m_samples.empty(); }
    qint64 offsetUs() const;
    qint64 uncertaintyUs() const; // half the best round trip

private:
    struct Sample
    {
        qint64 rtt;
        qint64 offset;
    };
    std::vector<Sample> m_samples; // at most 32
};

// One-way latency of a message the server stamped at serverTsUs, received now: local receive
// time − server ts, in the server's clock (corrected by the estimated offset); never negative.
// The one formula every latency figure in rtlab uses.
qint64 oneWayLatencyUs(qint64 serverTsUs, const ClockOffset &clock);

} // namespace rtlab
