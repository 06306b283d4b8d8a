// SPDX-License-Identifier: MIT
// The reconnect presets: the default exponential backoff with jitter, ASP.NET SignalR's fixed
// schedule (HubConnectionBuilder.withAutomaticReconnect(): 0, 2, 10, 30 s) and "never". Random
// draws come from seeded generators, so every run sees the same numbers; the statistical checks
// have loose bounds and no check depends on time.

#include "reconnectpolicy.h"

#include <QRandomGenerator>
#include <QSet>
#include <QTest>

#include <limits>

#include <algorithm>
#include <climits>
#include <optional>

using rtlab::ReconnectPolicy;
using Preset = rtlab::ReconnectPolicy::Preset;

Q_DECLARE_METATYPE(rtlab::ReconnectPolicy::Preset)
Q_DECLARE_METATYPE(std::optional<rtlab::ReconnectPolicy::Preset>)

namespace rtlab {

// Found by QTest through ADL, so a failed QCOMPARE names the preset.
char *toString(ReconnectPolicy::Preset preset)
{
    return qstrdup(qPrintable(ReconnectPolicy::presetName(preset)));
}

} // namespace rtlab

namespace {

constexpr int DefaultInitialMs = 500;
constexpr int DefaultMaxMs = 15000;
constexpr double DefaultJitter = 0.5;
constexpr int Draws = 2000;

// The default preset's delay before jitter: 0.5 s doubling, capped at 15 s.
int defaultBase(int attempt)
{
    qint64 base = DefaultInitialMs;
    for (int i = 1; i < attempt && base < DefaultMaxMs; ++i)
        base *= 2;
    return int(std::min<qint64>(base, DefaultMaxMs));
}

} // namespace

class tst_ReconnectPolicy : public QObject
{
    Q_OBJECT

private slots:
    void defaultPresetJitter_data();
    void defaultPresetJitter();
    void defaultPresetUsesTheGlobalGeneratorByDefault();
    void exponentialWithoutJitterIsExact_data();
    void exponentialWithoutJitterIsExact();
    void signalRPreset();
    void nonePreset();
    void presetFromName_data();
    void presetFromName();
    void presetNameRoundTrip_data();
    void presetNameRoundTrip();
    void attemptBelowOneIsTheFirst_data();
    void attemptBelowOneIsTheFirst();
    void hugeMaximumNeverGoesNegative();
    void largeAttemptsStayCapped_data();
    void largeAttemptsStayCapped();
};

void tst_ReconnectPolicy::defaultPresetJitter_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<int>("base");

    for (int attempt = 1; attempt <= 12; ++attempt) {
        const QByteArray name =
                "attempt " + QByteArray::number(attempt) + ", base " + QByteArray::number(defaultBase(attempt)) + " ms";
        QTest::newRow(name.constData()) << attempt << defaultBase(attempt);
    }
}

void tst_ReconnectPolicy::defaultPresetJitter()
{
    QFETCH(int, attempt);
    QFETCH(int, base);

    const ReconnectPolicy policy = ReconnectPolicy::preset(Preset::Exponential);
    QCOMPARE(policy.kind(), Preset::Exponential);
    QRandomGenerator random(quint32(0x5eed0000 + attempt));

    const int low = int(base * (1.0 - DefaultJitter));
    const int high = int(base * (1.0 + DefaultJitter));
    QSet<int> distinct;
    double sum = 0;
    int smallest = INT_MAX;
    int largest = INT_MIN;
    for (int i = 0; i < Draws; ++i) {
        const std::optional<int> delay = policy.nextDelay(attempt, &random);
        QVERIFY(delay.has_value());
        QVERIFY2(*delay >= low && *delay <= high,
                 qPrintable(QStringLiteral("draw %1: %2 ms outside [%3, %4]").arg(i).arg(*delay).arg(low).arg(high)));
        distinct.insert(*delay);
        sum += *delay;
        smallest = std::min(smallest, *delay);
        largest = std::max(largest, *delay);
    }

    // A uniform factor in [0.5, 1.5]: the draws vary, reach towards both ends, and average to
    // the base (the standard error of the mean is about 0.65 % of it here; 5 % is loose).
    QVERIFY2(distinct.size() > Draws / 10, qPrintable(QStringLiteral("%1 distinct delays").arg(distinct.size())));
    QVERIFY2(smallest < base * 0.6, qPrintable(QString::number(smallest)));
    QVERIFY2(largest > base * 1.4, qPrintable(QString::number(largest)));
    const double mean = sum / Draws;
    QVERIFY2(std::abs(mean - base) < base * 0.05, qPrintable(QStringLiteral("mean %1").arg(mean)));
}

void tst_ReconnectPolicy::defaultPresetUsesTheGlobalGeneratorByDefault()
{
    // No generator given: the process-wide one is used; the bounds hold all the same.
    const ReconnectPolicy policy = ReconnectPolicy::preset(Preset::Exponential);
    for (int attempt = 1; attempt <= 12; ++attempt) {
        const int base = defaultBase(attempt);
        for (int i = 0; i < 50; ++i) {
            const std::optional<int> delay = policy.nextDelay(attempt);
            QVERIFY(delay.has_value());
            QVERIFY(*delay >= base / 2 && *delay <= base + base / 2);
        }
    }
}

void tst_ReconnectPolicy::exponentialWithoutJitterIsExact_data()
{
    QTest::addColumn<int>("initialMs");
    QTest::addColumn<int>("maxMs");
    QTest::addColumn<QList<int>>("delays"); // for attempts 1, 2, ...

    QTest::newRow("the default schedule without jitter")
            << DefaultInitialMs << DefaultMaxMs
            << QList<int> { 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000, 15000, 15000 };
    QTest::newRow("100 ms to 1 s") << 100 << 1000 << QList<int> { 100, 200, 400, 800, 1000, 1000 };
    QTest::newRow("cap equal to the start") << 250 << 250 << QList<int> { 250, 250, 250 };
    QTest::newRow("cap below the start is raised to it") << 300 << 100 << QList<int> { 300, 300 };
    QTest::newRow("zero start stays zero") << 0 << 1000 << QList<int> { 0, 0, 0 };
}

void tst_ReconnectPolicy::exponentialWithoutJitterIsExact()
{
    QFETCH(int, initialMs);
    QFETCH(int, maxMs);
    QFETCH(QList<int>, delays);

    const ReconnectPolicy policy = ReconnectPolicy::exponential(initialMs, maxMs, 0.0);
    QCOMPARE(policy.kind(), Preset::Exponential);
    QRandomGenerator random(42);
    for (int attempt = 1; attempt <= delays.size(); ++attempt) {
        // Whatever the generator says, a zero jitter leaves the base alone.
        for (int i = 0; i < 20; ++i)
            QCOMPARE(policy.nextDelay(attempt, &random), std::optional<int>(delays[attempt - 1]));
        QCOMPARE(policy.nextDelay(attempt), std::optional<int>(delays[attempt - 1]));
    }
}

void tst_ReconnectPolicy::signalRPreset()
{
    const ReconnectPolicy policy = ReconnectPolicy::preset(Preset::SignalR);
    QCOMPARE(policy.kind(), Preset::SignalR);
    QRandomGenerator random(7);
    QCOMPARE(policy.nextDelay(1, &random), std::optional<int>(0));
    QCOMPARE(policy.nextDelay(2, &random), std::optional<int>(2000));
    QCOMPARE(policy.nextDelay(3, &random), std::optional<int>(10000));
    QCOMPARE(policy.nextDelay(4, &random), std::optional<int>(30000));
    QCOMPARE(policy.nextDelay(5, &random), std::nullopt);
    QCOMPARE(policy.nextDelay(6), std::nullopt);
    QCOMPARE(policy.nextDelay(INT_MAX), std::nullopt);
    // No jitter: asking again gives the same answer.
    QCOMPARE(policy.nextDelay(2), std::optional<int>(2000));

    const ReconnectPolicy custom = ReconnectPolicy::fixed({ 100, 200 });
    QCOMPARE(custom.nextDelay(1), std::optional<int>(100));
    QCOMPARE(custom.nextDelay(2), std::optional<int>(200));
    QCOMPARE(custom.nextDelay(3), std::nullopt);
    QCOMPARE(ReconnectPolicy::fixed({}).nextDelay(1), std::nullopt);
}

void tst_ReconnectPolicy::nonePreset()
{
    QRandomGenerator random(7);
    for (const ReconnectPolicy &policy : { ReconnectPolicy::none(), ReconnectPolicy::preset(Preset::None) }) {
        QCOMPARE(policy.kind(), Preset::None);
        for (int attempt : { INT_MIN, -1, 0, 1, 2, 3, 4, 5, 100, INT_MAX }) {
            QCOMPARE(policy.nextDelay(attempt), std::nullopt);
            QCOMPARE(policy.nextDelay(attempt, &random), std::nullopt);
        }
    }
}

void tst_ReconnectPolicy::presetFromName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<std::optional<Preset>>("preset");

    QTest::newRow("default") << QStringLiteral("default") << std::optional(Preset::Exponential);
    QTest::newRow("signalr") << QStringLiteral("signalr") << std::optional(Preset::SignalR);
    QTest::newRow("none") << QStringLiteral("none") << std::optional(Preset::None);
    QTest::newRow("unknown name") << QStringLiteral("fibonacci") << std::optional<Preset>();
    QTest::newRow("empty name") << QString() << std::optional<Preset>();
    QTest::newRow("name with a trailing space") << QStringLiteral("none ") << std::optional<Preset>();
}

void tst_ReconnectPolicy::presetFromName()
{
    QFETCH(QString, name);
    QFETCH(std::optional<Preset>, preset);

    QCOMPARE(ReconnectPolicy::presetFromName(name), preset);
}

void tst_ReconnectPolicy::presetNameRoundTrip_data()
{
    QTest::addColumn<Preset>("preset");
    QTest::addColumn<QString>("name");

    QTest::newRow("exponential is \"default\"") << Preset::Exponential << QStringLiteral("default");
    QTest::newRow("signalr") << Preset::SignalR << QStringLiteral("signalr");
    QTest::newRow("none") << Preset::None << QStringLiteral("none");
}

void tst_ReconnectPolicy::presetNameRoundTrip()
{
    QFETCH(Preset, preset);
    QFETCH(QString, name);

    QCOMPARE(ReconnectPolicy::presetName(preset), name);
    QCOMPARE(ReconnectPolicy::presetFromName(ReconnectPolicy::presetName(preset)), std::optional(preset));
    QCOMPARE(ReconnectPolicy::preset(preset).kind(), preset);
}

void tst_ReconnectPolicy::attemptBelowOneIsTheFirst_data()
{
    QTest::addColumn<int>("attempt");

    QTest::newRow("zero") << 0;
    QTest::newRow("minus one") << -1;
    QTest::newRow("INT_MIN") << INT_MIN;
}

void tst_ReconnectPolicy::attemptBelowOneIsTheFirst()
{
    QFETCH(int, attempt);

    // The same seed gives the same draw, so the jittered default must match attempt 1 exactly.
    const ReconnectPolicy exponential = ReconnectPolicy::preset(Preset::Exponential);
    for (quint32 seed = 1; seed <= 20; ++seed) {
        QRandomGenerator a(seed);
        QRandomGenerator b(seed);
        QCOMPARE(exponential.nextDelay(attempt, &a), exponential.nextDelay(1, &b));
    }
    QCOMPARE(ReconnectPolicy::exponential(500, 15000, 0.0).nextDelay(attempt), std::optional<int>(500));
    QCOMPARE(ReconnectPolicy::preset(Preset::SignalR).nextDelay(attempt), std::optional<int>(0));
}

void tst_ReconnectPolicy::largeAttemptsStayCapped_data()
{
    QTest::addColumn<int>("attempt");

    QTest::newRow("31 (2^30 times the start)") << 31;
    QTest::newRow("32") << 32;
    QTest::newRow("33 (2^32 times the start)") << 33;
    QTest::newRow("64") << 64;
    QTest::newRow("1000") << 1000;
    QTest::newRow("one million") << 1000000;
    QTest::newRow("INT_MAX") << INT_MAX;
}

void tst_ReconnectPolicy::largeAttemptsStayCapped()
{
    QFETCH(int, attempt);

    QCOMPARE(ReconnectPolicy::exponential(DefaultInitialMs, DefaultMaxMs, 0.0).nextDelay(attempt),
             std::optional<int>(DefaultMaxMs));

    const ReconnectPolicy policy = ReconnectPolicy::preset(Preset::Exponential);
    QRandomGenerator random { quint32(attempt) };
    for (int i = 0; i < 200; ++i) {
        const std::optional<int> delay = policy.nextDelay(attempt, &random);
        QVERIFY(delay.has_value());
        QVERIFY2(*delay >= DefaultMaxMs / 2 && *delay <= DefaultMaxMs + DefaultMaxMs / 2,
                 qPrintable(QString::number(*delay)));
    }
}

void tst_ReconnectPolicy::hugeMaximumNeverGoesNegative()
{
    // base · jitter past INT_MAX must saturate, not wrap around to a negative delay.
    const ReconnectPolicy policy = ReconnectPolicy::exponential(1000, std::numeric_limits<int>::max(), 0.5);
    QRandomGenerator random { 7u };
    for (int i = 0; i < 200; ++i) {
        const std::optional<int> delay = policy.nextDelay(40, &random);
        QVERIFY(delay.has_value());
        QVERIFY2(*delay > 0, qPrintable(QString::number(*delay)));
    }
}

QTEST_APPLESS_MAIN(tst_ReconnectPolicy)
#include "tst_reconnectpolicy.moc"
