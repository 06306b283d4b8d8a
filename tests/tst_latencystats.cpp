// SPDX-License-Identifier: MIT
// LatencyStats: nearest-rank percentiles (the smallest sample with at least p % of the samples at
// or below it), a sliding window of the most recent samples, and a log-scale histogram.
// ClockOffset: the NTP-style estimate from round trips (RFC 5905 §8: offset from the midpoint,
// error at most half the round trip), taking the recent sample with the smallest round trip.

#include "latencystats.h"

#include <QTest>

#include <algorithm>
#include <limits>
#include <numeric>

using rtlab::ClockOffset;
using rtlab::LatencyStats;

namespace {

QList<qint64> range(qint64 from, qint64 to)
{
    QList<qint64> v;
    for (qint64 i = from; i <= to; ++i)
        v.append(i);
    return v;
}

QList<qint64> reversed(QList<qint64> v)
{
    std::reverse(v.begin(), v.end());
    return v;
}

LatencyStats statsOf(const QList<qint64> &samples, qsizetype window = 2048)
{
    LatencyStats stats(window);
    for (qint64 s : samples)
        stats.add(s);
    return stats;
}

qint64 sum(const QList<qint64> &values)
{
    return std::accumulate(values.begin(), values.end(), qint64(0));
}

} // namespace

class tst_LatencyStats : public QObject
{
    Q_OBJECT

private slots:
    void percentile_data();
    void percentile();
    void windowDropsTheOldest();
    void minimumMaximumMean_data();
    void minimumMaximumMean();
    void bucketEdges();
    void histogramBucket_data();
    void histogramBucket();
    void histogramSumsToCount();
    void clear();

    void clockOffsetUnknown();
    void clockOffsetSymmetricRoundTrip();
    void clockOffsetSmallestRoundTripWins_data();
    void clockOffsetSmallestRoundTripWins();
    void clockOffsetKeepsTheLast32();
    void clockOffsetIgnoresNegativeRoundTrips();
};

void tst_LatencyStats::percentile_data()
{
    QTest::addColumn<QList<qint64>>("samples");
    QTest::addColumn<double>("p");
    QTest::addColumn<qint64>("expected");

    const QList<qint64> hundred = range(1, 100);
    QTest::newRow("1..100, p50") << hundred << 50.0 << qint64(50);
    QTest::newRow("1..100, p95") << hundred << 95.0 << qint64(95);
    QTest::newRow("1..100, p99") << hundred << 99.0 << qint64(99);
    QTest::newRow("1..100, p100") << hundred << 100.0 << qint64(100);
    QTest::newRow("1..100, p0") << hundred << 0.0 << qint64(1);
    QTest::newRow("1..100, p99.5 rounds up") << hundred << 99.5 << qint64(100);
    QTest::newRow("1..100, p0.5 rounds up") << hundred << 0.5 << qint64(1);
    QTest::newRow("100..1, p50: order does not matter") << reversed(hundred) << 50.0 << qint64(50);
    QTest::newRow("100..1, p95") << reversed(hundred) << 95.0 << qint64(95);

    // The classic nearest-rank example: 15, 20, 35, 40, 50.
    const QList<qint64> five { 40, 15, 50, 35, 20 };
    QTest::newRow("five samples, p5") << five << 5.0 << qint64(15);
    QTest::newRow("five samples, p30") << five << 30.0 << qint64(20);
    QTest::newRow("five samples, p40") << five << 40.0 << qint64(20);
    QTest::newRow("five samples, p50") << five << 50.0 << qint64(35);
    QTest::newRow("five samples, p100") << five << 100.0 << qint64(50);

    QTest::newRow("repeated values") << QList<qint64> { 7, 7, 7, 9 } << 75.0 << qint64(7);
    QTest::newRow("one sample, p0") << QList<qint64> { 1234 } << 0.0 << qint64(1234);
    QTest::newRow("one sample, p50") << QList<qint64> { 1234 } << 50.0 << qint64(1234);
    QTest::newRow("one sample, p100") << QList<qint64> { 1234 } << 100.0 << qint64(1234);
    QTest::newRow("empty, p50") << QList<qint64>() << 50.0 << qint64(-1);
    QTest::newRow("empty, p0") << QList<qint64>() << 0.0 << qint64(-1);
    QTest::newRow("empty, p100") << QList<qint64>() << 100.0 << qint64(-1);
}

void tst_LatencyStats::percentile()
{
    QFETCH(QList<qint64>, samples);
    QFETCH(double, p);
    QFETCH(qint64, expected);

    const LatencyStats stats = statsOf(samples);
    QCOMPARE(stats.percentile(p), expected);
    QCOMPARE(stats.count(), samples.size());
    QCOMPARE(stats.total(), qint64(samples.size()));
}

void tst_LatencyStats::windowDropsTheOldest()
{
    const LatencyStats stats = statsOf(range(1, 10), 4);
    QCOMPARE(stats.count(), 4);
    QCOMPARE(stats.total(), 10);
    QCOMPARE(stats.percentile(0), 7);
    QCOMPARE(stats.percentile(25), 7);
    QCOMPARE(stats.percentile(50), 8);
    QCOMPARE(stats.percentile(75), 9);
    QCOMPARE(stats.percentile(100), 10);
    QCOMPARE(stats.minimum(), 7);
    QCOMPARE(stats.maximum(), 10);
    QCOMPARE(stats.mean(), 8.5);
    QCOMPARE(sum(stats.histogram()), 4);

    // Exactly full: nothing dropped yet; one more drops exactly one.
    LatencyStats full = statsOf({ 5, 6, 7, 8 }, 4);
    QCOMPARE(full.count(), 4);
    QCOMPARE(full.minimum(), 5);
    full.add(100);
    QCOMPARE(full.count(), 4);
    QCOMPARE(full.total(), 5);
    QCOMPARE(full.minimum(), 6);
    QCOMPARE(full.maximum(), 100);

    // A window of one keeps the latest sample only.
    const LatencyStats one = statsOf({ 3, 1, 2 }, 1);
    QCOMPARE(one.count(), 1);
    QCOMPARE(one.total(), 3);
    QCOMPARE(one.percentile(50), 2);
}

void tst_LatencyStats::minimumMaximumMean_data()
{
    QTest::addColumn<QList<qint64>>("samples");
    QTest::addColumn<qint64>("minimum");
    QTest::addColumn<qint64>("maximum");
    QTest::addColumn<double>("mean");

    QTest::newRow("three samples") << QList<qint64> { 300, 100, 200 } << qint64(100) << qint64(300) << 200.0;
    QTest::newRow("one sample") << QList<qint64> { 42 } << qint64(42) << qint64(42) << 42.0;
    QTest::newRow("mean that is not whole") << QList<qint64> { 1, 2 } << qint64(1) << qint64(2) << 1.5;
    QTest::newRow("1..100") << range(1, 100) << qint64(1) << qint64(100) << 50.5;
    QTest::newRow("zero latency") << QList<qint64> { 0, 0, 10 } << qint64(0) << qint64(10) << 10.0 / 3;
}

void tst_LatencyStats::minimumMaximumMean()
{
    QFETCH(QList<qint64>, samples);
    QFETCH(qint64, minimum);
    QFETCH(qint64, maximum);
    QFETCH(double, mean);

    const LatencyStats stats = statsOf(samples);
    QCOMPARE(stats.minimum(), minimum);
    QCOMPARE(stats.maximum(), maximum);
    QCOMPARE(stats.mean(), mean);
}

void tst_LatencyStats::bucketEdges()
{
    // Edges double from 100 µs; the last bucket is open-ended.
    qint64 edge = 100;
    for (int bucket = 0; bucket < LatencyStats::BucketCount - 1; ++bucket, edge *= 2)
        QCOMPARE(LatencyStats::bucketUpperEdge(bucket), edge);
    QCOMPARE(LatencyStats::bucketUpperEdge(LatencyStats::BucketCount - 1), -1);
    QCOMPARE(LatencyStats().histogram().size(), LatencyStats::BucketCount);
}

void tst_LatencyStats::histogramBucket_data()
{
    QTest::addColumn<qint64>("sample");
    QTest::addColumn<int>("bucket");

    const int last = LatencyStats::BucketCount - 1;
    const qint64 lastEdge = LatencyStats::bucketUpperEdge(last - 1); // 100 µs · 2^14
    QTest::newRow("0 µs") << qint64(0) << 0;
    QTest::newRow("99 µs") << qint64(99) << 0;
    QTest::newRow("100 µs, on the first edge, goes up") << qint64(100) << 1;
    QTest::newRow("101 µs") << qint64(101) << 1;
    QTest::newRow("199 µs") << qint64(199) << 1;
    QTest::newRow("200 µs, on an edge") << qint64(200) << 2;
    QTest::newRow("1 ms") << qint64(1000) << 4; // [800, 1600)
    QTest::newRow("1.6 ms, on an edge") << qint64(1600) << 5;
    QTest::newRow("just under the last edge") << lastEdge - 1 << last - 1;
    QTest::newRow("on the last edge") << lastEdge << last;
    QTest::newRow("ten minutes") << qint64(600'000'000) << last;
    QTest::newRow("the largest qint64") << std::numeric_limits<qint64>::max() << last;
}

void tst_LatencyStats::histogramBucket()
{
    QFETCH(qint64, sample);
    QFETCH(int, bucket);

    LatencyStats stats;
    stats.add(sample);
    QList<qint64> expected(LatencyStats::BucketCount, 0);
    expected[bucket] = 1;
    QCOMPARE(stats.histogram(), expected);
}

void tst_LatencyStats::histogramSumsToCount()
{
    // More samples than the window, spread over every bucket.
    LatencyStats stats(100);
    qint64 sample = 1;
    for (int i = 0; i < 250; ++i) {
        stats.add(sample);
        sample = sample * 3 % 10'000'019; // wanders over 0.. ~10 s
    }
    const QList<qint64> h = stats.histogram();
    QCOMPARE(h.size(), LatencyStats::BucketCount);
    QCOMPARE(sum(h), qint64(stats.count()));
    QCOMPARE(stats.count(), 100);
    for (qint64 n : h)
        QVERIFY(n >= 0);

    QCOMPARE(sum(statsOf(range(0, 999)).histogram()), 1000);
    QCOMPARE(sum(LatencyStats().histogram()), 0);
}

void tst_LatencyStats::clear()
{
    LatencyStats stats = statsOf(range(1, 10), 4);
    stats.clear();
    QCOMPARE(stats.count(), 0);
    QCOMPARE(stats.total(), 0);
    QCOMPARE(stats.percentile(50), -1);
    QCOMPARE(stats.histogram(), QList<qint64>(LatencyStats::BucketCount, 0));

    // The window is reused as it was, and old samples do not come back.
    for (qint64 s : { 500, 600 })
        stats.add(s);
    QCOMPARE(stats.count(), 2);
    QCOMPARE(stats.total(), 2);
    QCOMPARE(stats.minimum(), 500);
    QCOMPARE(stats.maximum(), 600);
    QCOMPARE(stats.percentile(0), 500);
    QCOMPARE(stats.mean(), 550.0);
    for (qint64 s : { 700, 800, 900 })
        stats.add(s);
    QCOMPARE(stats.count(), 4);
    QCOMPARE(stats.minimum(), 600);
}

void tst_LatencyStats::clockOffsetUnknown()
{
    const ClockOffset clock;
    QVERIFY(!clock.known());
    QCOMPARE(clock.offsetUs(), 0);
}

void tst_LatencyStats::clockOffsetSymmetricRoundTrip()
{
    // Sent at 1000, back at 2000: the server stamped 5500 at the local midpoint 1500.
    ClockOffset clock;
    clock.addRoundTrip(1000, 5500, 2000);
    QVERIFY(clock.known());
    QCOMPARE(clock.offsetUs(), 4000);
    QCOMPARE(clock.uncertaintyUs(), 500);

    // A server clock behind ours gives a negative offset.
    ClockOffset behind;
    behind.addRoundTrip(10'000, 7'000, 12'000);
    QCOMPARE(behind.offsetUs(), -4000);
    QCOMPARE(behind.uncertaintyUs(), 1000);

    // A round trip too short to measure is exact.
    ClockOffset instant;
    instant.addRoundTrip(1000, 1500, 1000);
    QVERIFY(instant.known());
    QCOMPARE(instant.offsetUs(), 500);
    QCOMPARE(instant.uncertaintyUs(), 0);
}

void tst_LatencyStats::clockOffsetSmallestRoundTripWins_data()
{
    // Each row: round trips as (sent, server, received); the best has a 200 µs round trip and
    // says the offset is 14900.
    QTest::addColumn<QList<qint64>>("trips");

    const QList<qint64> slow { 0, 10'000, 1'000 };     // rtt 1000, offset 9500
    const QList<qint64> best { 5'000, 20'000, 5'200 }; // rtt 200, offset 14900
    const QList<qint64> slower { 10'000, 0, 12'000 };  // rtt 2000, offset -11000
    QTest::newRow("best first") << best + slow + slower;
    QTest::newRow("best in the middle") << slow + best + slower;
    QTest::newRow("best last") << slower + slow + best;
}

void tst_LatencyStats::clockOffsetSmallestRoundTripWins()
{
    QFETCH(QList<qint64>, trips);

    ClockOffset clock;
    for (qsizetype i = 0; i + 2 < trips.size(); i += 3)
        clock.addRoundTrip(trips[i], trips[i + 1], trips[i + 2]);
    QCOMPARE(clock.offsetUs(), 14900);
    QCOMPARE(clock.uncertaintyUs(), 100);
}

void tst_LatencyStats::clockOffsetKeepsTheLast32()
{
    // One excellent sample (rtt 10, offset 777), then ordinary ones (rtt 100, offset 4950).
    auto afterOrdinary = [](int ordinary) {
        ClockOffset clock;
        clock.addRoundTrip(1000, 1782, 1010);
        for (int i = 0; i < ordinary; ++i)
            clock.addRoundTrip(qint64(i) * 1000, qint64(i) * 1000 + 5000, qint64(i) * 1000 + 100);
        return clock;
    };

    ClockOffset clock = afterOrdinary(31); // 32 samples: the excellent one is still among them
    QCOMPARE(clock.offsetUs(), 777);
    QCOMPARE(clock.uncertaintyUs(), 5);

    clock = afterOrdinary(32); // 33 samples: the oldest, the excellent one, is gone
    QCOMPARE(clock.offsetUs(), 4950);
    QCOMPARE(clock.uncertaintyUs(), 50);

    clock = afterOrdinary(1000);
    QCOMPARE(clock.offsetUs(), 4950);
}

void tst_LatencyStats::clockOffsetIgnoresNegativeRoundTrips()
{
    // Received before it was sent: a clock step, not a measurement.
    ClockOffset clock;
    clock.addRoundTrip(2000, 99'999, 1000);
    QVERIFY(!clock.known());
    QCOMPARE(clock.offsetUs(), 0);

    clock.addRoundTrip(1000, 5500, 2000);
    clock.addRoundTrip(3000, 99'999, 2999); // would be the "smallest" round trip if it counted
    QCOMPARE(clock.offsetUs(), 4000);
    QCOMPARE(clock.uncertaintyUs(), 500);

    // Nor does it push a good sample out of the 32.
    ClockOffset full;
    full.addRoundTrip(1000, 1782, 1010); // rtt 10, offset 777
    for (int i = 0; i < 31; ++i)
        full.addRoundTrip(0, 5000, 100);
    for (int i = 0; i < 100; ++i)
        full.addRoundTrip(100, 0, 0);
    QCOMPARE(full.offsetUs(), 777);
}

QTEST_APPLESS_MAIN(tst_LatencyStats)
#include "tst_latencystats.moc"
