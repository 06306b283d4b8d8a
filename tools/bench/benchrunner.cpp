// SPDX-License-Identifier: MIT
#include "benchrunner.h"

#include "statsclient.h"
#include "wspublisher.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rtlab::bench {

namespace {

constexpr int64_t Second = 1000000;

// A subscriber's transport as the report names it; an idle HTTP connection has none.
QString kindName(std::optional<TransportKind> kind)
{
    return kind ? transportKindKey(*kind) : QStringLiteral("idle-http");
}

int64_t wallUs()
{
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The bench's own CPU time (all threads), to show it was not the bottleneck.
int64_t selfCpuUs()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return int64_t(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

double round1(double v)
{
    return std::round(v * 10) / 10;
}

// Where a subscriber of this transport connects on a node.
const Endpoint &nodeEndpoint(const NodeUrls &node, TransportKind kind)
{
    return kind == TransportKind::WebSocket ? node.ws : kind == TransportKind::Sse ? node.sse : node.lp;
}

} // namespace

BenchRunner::BenchRunner(BenchConfig config) : m_config(std::move(config)) { }

bool BenchRunner::checkFdLimit(QString *error)
{
    // The server and the bench are separate processes, each holding one fd per connection;
    // the hard limit here is 20,000 and cannot be raised, so take all of it and check.
    rlimit lim {};
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    m_fdSoft = int(std::min<rlim_t>(lim.rlim_cur, 1 << 30));
    const int need = m_config.subscribers + m_config.idleConnections + m_config.publishers + 32;
    if (need > m_fdSoft) {
        *error = QStringLiteral("%1 connections need about %2 fds; the limit is %3 (ulimit -n)")
                         .arg(m_config.subscribers + m_config.idleConnections)
                         .arg(need)
                         .arg(m_fdSoft);
        return false;
    }
    return true;
}

bool BenchRunner::runUntil(const std::function<bool()> &done, int64_t deadlineUs, int timeoutMs)
{
    while (!done()) {
        if (monotonicUs() >= deadlineUs)
            return false;
        m_loop.runOnce(timeoutMs);
    }
    return true;
}

size_t BenchRunner::openSubscribers() const
{
    return size_t(std::count_if(m_subscribers.begin(), m_subscribers.end(),
                                [](const auto &s) { return s->state() == Subscriber::State::Open; }));
}

uint64_t BenchRunner::acked() const
{
    uint64_t n = 0;
    for (const auto &p : m_publishers)
        n += p->acked();
    return n;
}

uint64_t BenchRunner::failedPublishes() const
{
    uint64_t n = 0;
    for (const auto &p : m_publishers)
        n += p->failed();
    return n;
}

void BenchRunner::connectAll()
{
    // Idle connections first (they are the background), then the subscribers.
    std::vector<Subscriber *> all;
    for (int i = 0; i < m_config.idleConnections; ++i) {
        m_idle.push_back(
                std::make_unique<Subscriber>(&m_loop, m_config.idleUrl, std::nullopt, &m_tally, uint64_t(i) + 1));
        all.push_back(m_idle.back().get());
    }
    const size_t nodes = m_config.subNodes.size();
    if (nodes > 1) {
        m_tally.nodeLatency.resize(nodes);
        m_tally.nodeDeliveries.resize(nodes);
    }
    for (int i = 0; i < m_config.subscribers; ++i) {
        const size_t t = m_config.transports.size();
        const auto kind = m_config.transports[size_t(i) % t];
        // Nodes dealt by rounds of the transports, so every node gets every transport alike.
        const size_t node = size_t(i) / t % nodes;
        const Endpoint &e = nodeEndpoint(m_config.subNodes[node], kind);
        // Slow readers spread evenly over each transport: the k-th subscriber of a transport is
        // slow when the running share crosses a step.
        const double k = double(size_t(i) / m_config.transports.size());
        const bool slow = std::floor((k + 1) * m_config.slowFraction) > std::floor(k * m_config.slowFraction);
        auto &group = slow ? m_slow : m_subscribers;
        group.push_back(std::make_unique<Subscriber>(&m_loop, e, kind, slow ? &m_slowTally : &m_tally,
                                                     uint64_t(m_config.idleConnections + i) + 1));
        group.back()->setPollStyle(m_config.pollStyle);
        group.back()->setPollHoldMs(int(std::lround(m_config.pollHoldS * 1000)));
        group.back()->setSlow(slow);
        group.back()->setNode(node);
        all.push_back(group.back().get());
    }
    size_t started = 0;
    size_t settled = 0;
    m_connectStartUs = monotonicUs();
    const int64_t spreadUs = int64_t(m_config.connectSpreadS * Second);
    const int64_t deadline = m_connectStartUs + spreadUs + int64_t(m_config.connectTimeoutS * Second);
    int64_t lastScan = 0;
    // Bounded concurrency: at most connectConcurrency handshakes in flight, below every
    // server's listen backlog (rtlab 1024, nginx and Node 511). With a spread, connection i
    // starts no sooner than i/N of the spread in: clients that arrive over time, so their
    // cycles (a long poll's re-poll) are not all in step because they all connected at once.
    const auto due = [&](size_t i) {
        return spreadUs == 0
                || monotonicUs() - m_connectStartUs >= int64_t(double(spreadUs) * double(i) / double(all.size()));
    };
    while (settled < all.size() && monotonicUs() < deadline) {
        const int64_t now = monotonicUs();
        if (now - lastScan > 2000) {
            lastScan = now;
            settled = size_t(std::count_if(all.begin(), all.begin() + ptrdiff_t(started),
                                           [](Subscriber *s) { return s->settled(); }));
        }
        while (started < all.size() && started - settled < size_t(m_config.connectConcurrency) && due(started)) {
            all[started]->begin();
            ++started;
        }
        m_loop.runOnce(1);
    }
    m_connectEndUs = monotonicUs();
}

bool BenchRunner::publishDue(uint64_t due, uint16_t step)
{
    // Returns false when no publisher was free for a due message (the publisher is the limit).
    while (m_seq < due) {
        PublishChannel *free = nullptr;
        for (size_t i = 0; i < m_publishers.size() && !free; ++i) {
            PublishChannel *p = m_publishers[(m_nextPublisher + i) % m_publishers.size()].get();
            if (p->canPublish())
                free = p;
        }
        if (!free)
            return false;
        ++m_nextPublisher;
        ++m_seq;
        m_tally.maxSeq = m_seq;
        m_slowTally.maxSeq = m_seq;
        if (m_config.ramp) {
            m_tally.stepOfSeq.resize(m_seq + 1, step);
            m_tally.stepOfSeq[m_seq] = step;
        }
        const std::string text = payload::make(m_seq, monotonicUs(), size_t(m_config.size));
        free->publish(m_seq, payload::publishBody(m_config.pubFormat, m_seq, wallUs(), text));
    }
    return true;
}

void BenchRunner::publishFixed()
{
    const uint64_t total = uint64_t(m_config.messages);
    m_publishStartUs = monotonicUs();
    const double perUs = m_config.rate / double(Second);
    const int64_t publishDeadline = m_publishStartUs + int64_t(double(total) / m_config.rate * Second) + 60 * Second;
    while (m_seq < total && monotonicUs() < publishDeadline) {
        const uint64_t due = std::min<uint64_t>(total, uint64_t(double(monotonicUs() - m_publishStartUs) * perUs) + 1);
        publishDue(due, 0);
        if (m_config.stormAtS > 0 && !m_stormStartUs
            && monotonicUs() >= m_publishStartUs + int64_t(m_config.stormAtS * Second))
            storm();
        watchStorm();
        sampleRss();
        m_loop.runOnce(1);
    }
    awaitAcksAndDeliveries();
}

void BenchRunner::publishSaturated()
{
    // As fast as the acknowledgements allow: every free slot (an HTTP publisher without a request
    // in flight, a WebSocket publisher below its window) gets the next message at once, so the
    // rate is the server's (and, with a store on disk, its commits'). Acknowledged publishes
    // per second count over --duration exactly; what is still unacknowledged then is waited
    // for (bounded), for the loss and delivery counts.
    const uint64_t cap = m_config.messages > 0 ? uint64_t(m_config.messages) : UINT64_MAX;
    m_publishStartUs = monotonicUs();
    const int64_t end = m_publishStartUs + int64_t(m_config.durationS * Second);
    while (monotonicUs() < end && m_seq < cap) {
        publishDue(cap, 0);
        sampleRss();
        m_loop.runOnce(1);
    }
    m_ackedInWindow = acked();
    m_saturateS = double(monotonicUs() - m_publishStartUs) / double(Second);
    awaitAcksAndDeliveries();
}

void BenchRunner::awaitAcksAndDeliveries()
{
    // Every publish answered (bounded), then the deliveries drain.
    runUntil(
            [&] {
                sampleRss();
                return acked() + failedPublishes() >= m_seq;
            },
            monotonicUs() + 30 * Second);
    m_publishEndUs = monotonicUs();
    m_expected = acked() * m_openAtPublish;
    int64_t lastProgressUs = monotonicUs();
    uint64_t lastDeliveries = m_tally.deliveries;
    const int64_t hardDeadline = monotonicUs() + 120 * Second;
    runUntil(
            [&] {
                sampleRss();
                watchStorm();
                if (m_tally.deliveries != lastDeliveries) {
                    lastDeliveries = m_tally.deliveries;
                    lastProgressUs = monotonicUs();
                }
                return m_tally.deliveries >= m_expected
                        || monotonicUs() - lastProgressUs > int64_t(m_config.drainS * Second);
            },
            hardDeadline);
}

void BenchRunner::sampleRss()
{
    // The server's memory while slow readers hold data back: sampled 4 times a second.
    const int64_t now = monotonicUs();
    if (m_config.serverPids.empty() || now - m_lastRssSampleUs < 250000)
        return;
    m_lastRssSampleUs = now;
    const ProcSample s = ProcSample::take(m_config.serverPids);
    if (s.valid)
        m_rssPeakKiB = std::max(m_rssPeakKiB, s.rssKiB);
    m_kernelTcpPeakKiB = std::max(m_kernelTcpPeakKiB, ProcSample::kernelTcpKiB());
}

void BenchRunner::storm()
{
    // Every subscriber at once: reset, reconnect, resume (with --storm-move on the next node).
    // The connects go out in one burst, so the servers' accept backlogs and accept rates decide
    // how long the storm takes; publishing goes on meanwhile (stormReport() counts the result at
    // the end of the run). A subscriber has resumed once it holds every message published
    // before the storm (watchStorm()).
    readRedis(&m_redisStormStart);
    m_stormSeq = m_seq;
    m_stormStartUs = monotonicUs();
    size_t started = 0;
    const size_t nodes = m_config.subNodes.size();
    for (auto &s : m_subscribers) {
        if (m_config.stormMove) {
            const size_t next = (s->node() + 1) % nodes;
            s->setNode(next);
            started += s->reconnectNow(&nodeEndpoint(m_config.subNodes[next], *s->kind())) ? 1 : 0;
        } else {
            started += s->reconnectNow() ? 1 : 0;
        }
    }
    m_stormIssueUs = monotonicUs() - m_stormStartUs;
    m_stormStarted = started;
}

void BenchRunner::watchStorm()
{
    // Every 5 ms at most (a scan of every subscriber), from the storm until all have resumed.
    const int64_t now = monotonicUs();
    if (!m_stormStartUs || m_stormResumedUs || now - m_lastStormScanUs < 5000)
        return;
    m_lastStormScanUs = now;
    const bool all = std::all_of(m_subscribers.begin(), m_subscribers.end(), [&](const auto &s) {
        return s->lastOpenUs() >= m_stormStartUs && s->seen().unique() >= m_stormSeq;
    });
    if (!all)
        return;
    m_stormResumedUs = now;
    readRedis(&m_redisStormEnd);
}

void BenchRunner::readRedis(std::map<std::string, uint64_t> *into)
{
    if (!m_config.redisPort)
        return;
    std::string why;
    if (!StatsClient::redisCommandStats(*m_config.redisPort, 5000, into, &why))
        m_redisError = why;
}

QJsonObject BenchRunner::redisDelta(const std::map<std::string, uint64_t> &from,
                                    const std::map<std::string, uint64_t> &to) const
{
    // Commands in all and by command, and the mean per node (INFO cannot tell the nodes apart).
    // The bench's own INFO is left out (a node sends none).
    QJsonObject byCommand;
    uint64_t total = 0;
    for (const auto &[command, calls] : to) {
        if (command == "info" || command == StatsClient::CpuKey)
            continue;
        const auto before = from.find(command);
        const uint64_t d = calls - (before == from.end() ? 0 : std::min(before->second, calls));
        if (d) {
            byCommand.insert(QString::fromStdString(command), qint64(d));
            total += d;
        }
    }
    const auto cpu = [](const std::map<std::string, uint64_t> &m) {
        const auto it = m.find(StatsClient::CpuKey);
        return it == m.end() ? uint64_t(0) : it->second;
    };
    return { { QStringLiteral("commands"), qint64(total) },
             { QStringLiteral("cpuMs"), round1(double(cpu(to) - std::min(cpu(from), cpu(to))) / 1000.0) },
             { QStringLiteral("perNode"), std::round(double(total) / double(std::max<size_t>(m_config.nodeCount, 1))) },
             { QStringLiteral("byCommand"), byCommand } };
}

void BenchRunner::stormReport()
{
    if (!m_stormStartUs)
        return;
    int64_t lastOpen = 0;
    size_t reopened = 0, failed = 0;
    for (const auto &s : m_subscribers) {
        if (s->lastOpenUs() >= m_stormStartUs) {
            ++reopened;
            lastOpen = std::max(lastOpen, s->lastOpenUs());
        } else if (s->state() == Subscriber::State::Failed) {
            ++failed;
        }
    }
    const double spanMs = double(lastOpen - m_stormStartUs) / 1000.0;
    if (m_stormResumedUs) {
        m_stormReport.insert(QStringLiteral("allResumedMs"),
                             round1(double(m_stormResumedUs - m_stormStartUs) / 1000.0));
        if (m_config.redisPort && m_redisError.empty())
            m_stormReport.insert(QStringLiteral("redis"), redisDelta(m_redisStormStart, m_redisStormEnd));
    } else {
        m_stormReport.insert(QStringLiteral("allResumedMs"), -1.0);
    }
    m_stormReport.insert(QStringLiteral("messagesBefore"), qint64(m_stormSeq));
    m_stormReport.insert(QStringLiteral("moved"), m_config.stormMove);
    const QJsonObject head = {
        { QStringLiteral("dropped"), qint64(m_subscribers.size()) },
        { QStringLiteral("started"), qint64(m_stormStarted) },
        { QStringLiteral("reopened"), qint64(reopened) },
        { QStringLiteral("failed"), qint64(failed) },
        { QStringLiteral("issueMs"), round1(double(m_stormIssueUs) / 1000.0) },
        { QStringLiteral("allOpenMs"), reopened == m_subscribers.size() ? round1(spanMs) : -1.0 },
        { QStringLiteral("reopenedPerSec"), std::round(double(reopened) / std::max(spanMs / 1000.0, 1e-6)) }
    };
    for (auto it = head.begin(); it != head.end(); ++it)
        m_stormReport.insert(it.key(), it.value());
    std::fprintf(stderr,
                 "  storm         %zu of %zu reopened in %.1f ms, all resumed in %.1f ms (-1: not all), %zu failed\n",
                 reopened, m_subscribers.size(), spanMs, m_stormReport.value(QLatin1String("allResumedMs")).toDouble(),
                 failed);
    const QJsonObject redis = m_stormReport.value(QLatin1String("redis")).toObject();
    if (!redis.isEmpty())
        std::fprintf(stderr, "  storm redis   %lld commands meanwhile, %.0f per node\n",
                     redis.value(QLatin1String("commands")).toInteger(),
                     redis.value(QLatin1String("perNode")).toDouble());
}

void BenchRunner::drainSlowReaders()
{
    // The slow readers read again: each either gets everything the server kept for it, or finds
    // that the server cut it off (it can resume with its id). Bounded by the drain time.
    if (m_slow.empty())
        return;
    for (auto &s : m_slow)
        s->resumeReading();
    const uint64_t ack = acked();
    int64_t lastProgressUs = monotonicUs();
    uint64_t last = m_slowTally.deliveries;
    const int64_t hardDeadline = monotonicUs() + 60 * Second;
    int64_t lastScanUs = 0;
    runUntil(
            [&] {
                const int64_t now = monotonicUs();
                if (m_slowTally.deliveries != last) {
                    last = m_slowTally.deliveries;
                    lastProgressUs = now;
                }
                if (now - lastProgressUs > int64_t(m_config.drainS * Second))
                    return true;
                if (now - lastScanUs < 2000) // a scan of every slow reader, at most every 2 ms
                    return false;
                lastScanUs = now;
                return std::all_of(m_slow.begin(), m_slow.end(),
                                   [&](const auto &s) { return !s->hasSocket() || s->seen().unique() >= ack; });
            },
            hardDeadline);
    size_t complete = 0, cut = 0, open = 0, everOpen = 0;
    for (const auto &s : m_slow) {
        everOpen += s->openedAtUs() > 0;
        if (s->seen().unique() >= ack)
            ++complete;
        else if (!s->hasSocket())
            ++cut;
        else
            ++open;
    }
    m_slowReport = { { QStringLiteral("subscribers"), qint64(m_slow.size()) },
                     { QStringLiteral("opened"), qint64(everOpen) },
                     { QStringLiteral("complete"), qint64(complete) },
                     { QStringLiteral("cutByServer"), qint64(cut) },
                     { QStringLiteral("openIncomplete"), qint64(open) },
                     { QStringLiteral("deliveries"), qint64(m_slowTally.deliveries) } };
}

void BenchRunner::publishRamp()
{
    QJsonArray steps;
    double best = 0;
    double bestRate = 0;
    QString stopReason = QStringLiteral("max steps");
    const int64_t graceUs = std::max<int64_t>(int64_t(m_config.rampP99Ms * 1000), 200000);
    m_publishStartUs = monotonicUs();
    for (int k = 0; k < m_config.rampMaxSteps; ++k) {
        const double rate = m_config.rampStart * std::pow(m_config.rampFactor, k);
        m_tally.stepLatency.emplace_back();
        m_tally.stepDeliveries.push_back(0);
        m_tally.stepLastDeliveryUs.push_back(0);
        const ProcSample cpu0 = ProcSample::take(m_config.serverPids);
        const uint64_t seq0 = m_seq;
        const int64_t start = monotonicUs();
        const int64_t end = start + int64_t(m_config.rampStepS * Second);
        bool publisherLimited = false;
        while (monotonicUs() < end) {
            const uint64_t due = seq0 + uint64_t(double(monotonicUs() - start) * rate / double(Second)) + 1;
            if (!publishDue(due, uint16_t(k)))
                publisherLimited = true;
            m_loop.runOnce(1);
        }
        const uint64_t published = m_seq - seq0;
        const uint64_t expected = published * m_openAtPublish;
        // Give the step's last messages the threshold's time to arrive, publishing nothing.
        runUntil([&] { return m_tally.stepDeliveries[size_t(k)] >= expected; }, monotonicUs() + graceUs);
        const ProcSample cpu1 = ProcSample::take(m_config.serverPids);
        const uint64_t delivered = m_tally.stepDeliveries[size_t(k)];
        const LatencyHistogram &h = m_tally.stepLatency[size_t(k)];
        const bool missing = expected > 0 && double(expected - std::min(expected, delivered)) > 0.01 * double(expected);
        const int64_t spanUs = std::max<int64_t>(m_tally.stepLastDeliveryUs[size_t(k)] - start, 1);
        const double dps = double(delivered) / (double(spanUs) / double(Second));
        const double p99Ms = double(h.valueAt(0.99)) / 1000.0;
        QJsonObject step { { QStringLiteral("rate"), round1(rate) },
                           { QStringLiteral("published"), qint64(published) },
                           { QStringLiteral("achievedRate"), round1(double(published) / m_config.rampStepS) },
                           { QStringLiteral("publisherLimited"), publisherLimited },
                           { QStringLiteral("expected"), qint64(expected) },
                           { QStringLiteral("deliveries"), qint64(delivered) },
                           { QStringLiteral("deliveriesPerSec"), std::round(dps) },
                           { QStringLiteral("latencyUs"), h.toJson() } };
        if (cpu0.valid && cpu1.valid && delivered)
            step.insert(QStringLiteral("serverCpuUsPerDelivery"),
                        round1(double(cpu1.cpuNs - cpu0.cpuNs) / 1000.0 / double(delivered)));
        steps.append(step);
        std::fprintf(stderr, "  ramp step %2d: %8.1f msg/s  %10.0f deliveries/s  p99 %9.1f ms%s\n", k, rate, dps, p99Ms,
                     missing ? "  (deliveries missing)" : "");
        if (missing || p99Ms > m_config.rampP99Ms) {
            stopReason = missing ? QStringLiteral("deliveries missing after the grace time")
                                 : QStringLiteral("p99 over the threshold");
            break;
        }
        if (dps > best) {
            best = dps;
            bestRate = rate;
        }
    }
    m_publishEndUs = monotonicUs();
    m_expected = acked() * m_openAtPublish;
    m_rampReport = { { QStringLiteral("steps"), steps },
                     { QStringLiteral("p99ThresholdMs"), m_config.rampP99Ms },
                     { QStringLiteral("stopReason"), stopReason },
                     { QStringLiteral("maxDeliveriesPerSec"), std::round(best) },
                     { QStringLiteral("maxRateUnderThreshold"), round1(bestRate) } };
}

void BenchRunner::readMetrics(promtext::Series *into)
{
    // Outside the /proc samples, so the server's work answering is not counted in the run.
    if (!m_config.metricsUrl)
        return;
    std::string body, why;
    if (!StatsClient::getText(*m_config.metricsUrl, 5000, &body, &why)) {
        m_metricsError = why;
        return;
    }
    *into = promtext::parse(body, "rtlab_store_");
}

std::optional<StatsSnapshot> BenchRunner::readStats()
{
    if (!m_config.readStats)
        return std::nullopt;
    std::string why;
    QJsonObject json;
    if (!StatsClient::get(m_config.statsUrl, 5000, &json, &why)) {
        m_statsError = why;
        return std::nullopt;
    }
    QString error;
    std::optional<StatsSnapshot> stats = StatsSnapshot::fromJson(json, &error);
    if (!stats)
        m_statsError = "not rtlab's /stats: " + error.toStdString();
    return stats;
}

void BenchRunner::holdIdle()
{
    // Steady state, not set-up: every connection is open (connectAll) and the server has
    // settled; now wait one full cycle (the longer of the poll hold and the heartbeat), so the
    // window starts with each client in its repeating pattern, then measure over --duration.
    if (const std::optional<StatsSnapshot> stats = readStats()) {
        m_heartbeatMs = stats->config.heartbeatMs;
        m_serverPollTimeoutMs = stats->config.pollTimeoutMs;
        m_tickRate = stats->config.tickRate;
    } else {
        m_heartbeatMs = m_serverPollTimeoutMs = -1;
        m_tickRate = -1;
    }
    const bool longPolls = std::any_of(m_config.transports.begin(), m_config.transports.end(),
                                       [](TransportKind k) { return k == TransportKind::LongPoll; });
    if (longPolls) {
        // The hold in force: what each poll asks for, capped by the server's own limit.
        const int64_t asked = std::llround(m_config.pollHoldS * 1000);
        m_holdMs = asked > 0 && m_serverPollTimeoutMs >= 0 ? std::min(asked, m_serverPollTimeoutMs)
                : asked > 0                                ? asked
                                                           : m_serverPollTimeoutMs;
    }
    const int64_t cycleMs = std::max(m_holdMs, m_heartbeatMs);
    m_warmupS = m_config.warmupS >= 0 ? m_config.warmupS : cycleMs > 0 ? double(cycleMs) / 1000.0 + 0.5 : 0;
    runUntil([] { return false; }, monotonicUs() + int64_t(m_warmupS * Second), 100);

    // The window's edges: /stats outside the /proc samples, so its own request is not counted.
    m_statsStart = readStats();
    m_runStart = ProcSample::take(m_config.serverPids);
    m_selfCpuStartUs = selfCpuUs();
    m_openAtPublish = openSubscribers();
    uint64_t bytes0 = 0;
    for (const auto &s : m_subscribers)
        bytes0 += s->bytesIn();
    for (const auto &s : m_idle)
        bytes0 += s->bytesIn();
    const uint64_t hb0 = m_tally.heartbeats;
    const uint64_t polls0 = m_tally.pollRequests;
    const int64_t start = monotonicUs();
    runUntil([] { return false; }, start + int64_t(m_config.durationS * Second), 100);
    m_runEnd = ProcSample::take(m_config.serverPids);
    m_selfCpuEndUs = selfCpuUs();
    m_idleSeconds = double(monotonicUs() - start) / double(Second);
    m_statsEnd = readStats();
    uint64_t bytes1 = 0;
    for (const auto &s : m_subscribers)
        bytes1 += s->bytesIn();
    for (const auto &s : m_idle)
        bytes1 += s->bytesIn();
    m_idleBytes = bytes1 - bytes0;
    m_idleHeartbeats = m_tally.heartbeats - hb0;
    m_idlePollRequests = m_tally.pollRequests - polls0;
    m_openAtWindowEnd = openSubscribers();
}

QJsonObject BenchRunner::idleReport(size_t idleOpen) const
{
    const double window = std::max(m_idleSeconds, 1e-6);
    const size_t clients = m_openAtPublish + idleOpen; // every connection the bench holds open
    const double perClient = 1.0 / double(std::max<size_t>(clients, 1));
    QJsonObject r { { QStringLiteral("seconds"), round1(m_idleSeconds) },
                    { QStringLiteral("windowSeconds"), std::round(m_idleSeconds * 1000) / 1000 },
                    { QStringLiteral("warmupSeconds"), round1(m_warmupS) },
                    { QStringLiteral("connectSpreadSeconds"), m_config.connectSpreadS },
                    { QStringLiteral("clients"), qint64(clients) },
                    { QStringLiteral("closedInWindow"),
                      qint64(m_openAtPublish - std::min(m_openAtPublish, m_openAtWindowEnd)) },
                    { QStringLiteral("bytesPerSec"), round1(double(m_idleBytes) / window) },
                    { QStringLiteral("bytesPerSecPerConnection"),
                      std::round(double(m_idleBytes) / window * perClient * 1000) / 1000 },
                    { QStringLiteral("heartbeats"), qint64(m_idleHeartbeats) },
                    { QStringLiteral("pollRequests"), qint64(m_idlePollRequests) },
                    { QStringLiteral("heartbeatMs"), qint64(m_heartbeatMs) },
                    { QStringLiteral("holdMs"), qint64(m_holdMs) },
                    { QStringLiteral("serverPollTimeoutMs"), qint64(m_serverPollTimeoutMs) },
                    { QStringLiteral("tickRate"), m_tickRate } };
    const int64_t cycleMs = std::max(m_holdMs, m_heartbeatMs);
    if (cycleMs > 0)
        r.insert(QStringLiteral("cycles"), round1(m_idleSeconds * 1000.0 / double(cycleMs)));
    const auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
    QJsonObject per;
    if (m_runStart.valid && m_runEnd.valid && m_before.valid) {
        // Memory and descriptors: steady state (the window's end) against the server before set-up.
        per.insert(QStringLiteral("rssBytes"),
                   std::round(double(m_runEnd.rssKiB - m_before.rssKiB) * 1024.0 * perClient));
        per.insert(QStringLiteral("fds"), round3(double(m_runEnd.fds - m_before.fds) * perClient));
        // A wake-up is the server going to sleep (epoll_wait, a timer) and being woken: a
        // voluntary switch. Involuntary ones are preemptions, here mostly the server's own write
        // waking a reader on the same core, and with other load on the machine, that load.
        const int64_t woken = m_runEnd.voluntaryCtx - m_runStart.voluntaryCtx;
        const int64_t preempted = m_runEnd.involuntaryCtx - m_runStart.involuntaryCtx;
        per.insert(QStringLiteral("wakeupsPerSec"), std::round(double(woken) / window * perClient * 1e6) / 1e6);
        per.insert(QStringLiteral("preemptionsPerSec"), std::round(double(preempted) / window * perClient * 1e6) / 1e6);
        r.insert(QStringLiteral("serverWakeupsPerSec"), round1(double(woken) / window));
        per.insert(QStringLiteral("cpuUsPerSec"),
                   round3(double(m_runEnd.cpuNs - m_runStart.cpuNs) / 1000.0 / window * perClient));
        r.insert(QStringLiteral("serverFdsBefore"), qint64(m_before.fds));
        r.insert(QStringLiteral("serverFdsAfter"), qint64(m_runEnd.fds));
    }
    per.insert(QStringLiteral("bytesInPerSec"), round3(double(m_idleBytes) / window * perClient));
    if (m_statsStart && m_statsEnd) {
        // The server's own counts, by transport: requests (WebSocket: handshakes) and bytes out.
        QJsonObject byTransport;
        qint64 requests = 0, bytesOut = 0;
        size_t subscribers = 0;
        for (auto k : m_config.transports) {
            const QString name = kindName(k);
            if (byTransport.contains(name))
                continue;
            const size_t n = size_t(std::count_if(m_subscribers.begin(), m_subscribers.end(), [k](const auto &s) {
                return s->kind() == k && s->state() == Subscriber::State::Open;
            }));
            const qint64 req = m_statsEnd->at(k).requests - m_statsStart->at(k).requests;
            const qint64 out = m_statsEnd->at(k).bytesOut - m_statsStart->at(k).bytesOut;
            requests += req;
            bytesOut += out;
            subscribers += n;
            const double each = 1.0 / double(std::max<size_t>(n, 1));
            byTransport.insert(
                    name,
                    QJsonObject { { QStringLiteral("clients"), qint64(n) },
                                  { QStringLiteral("requests"), req },
                                  { QStringLiteral("bytesOut"), out },
                                  { QStringLiteral("requestsPerSecPerClient"),
                                    std::round(double(req) / window * each * 1e5) / 1e5 },
                                  { QStringLiteral("bytesPerSecPerClient"), round3(double(out) / window * each) } });
        }
        const double each = 1.0 / double(std::max<size_t>(subscribers, 1));
        per.insert(QStringLiteral("requestsPerSec"), std::round(double(requests) / window * each * 1e5) / 1e5);
        per.insert(QStringLiteral("bytesPerSec"), round3(double(bytesOut) / window * each));
        r.insert(QStringLiteral("byTransport"), byTransport);
        // Idle means nothing published: the log's growth over the window says whether it was.
        r.insert(QStringLiteral("messagesInWindow"), m_statsEnd->history.lastId - m_statsStart->history.lastId);
    } else if (m_config.readStats) {
        r.insert(QStringLiteral("statsError"), QString::fromStdString(m_statsError));
    }
    r.insert(QStringLiteral("perClient"), per);
    return r;
}

int BenchRunner::run()
{
    QString error;
    if (!m_loop.isValid()) {
        std::fprintf(stderr, "rtlab-bench: epoll_create1 failed\n");
        return 1;
    }
    if (!checkFdLimit(&error)) {
        std::fprintf(stderr, "rtlab-bench: %s\n", qPrintable(error));
        return 1;
    }
    m_before = ProcSample::take(m_config.serverPids);
    if (!m_config.idleMode) {
        for (int i = 0; i < m_config.publishers; ++i) {
            const NodeUrls &node = m_config.pubNodes[size_t(i) % m_config.pubNodes.size()];
            if (m_config.pubTransport == BenchConfig::PubTransport::WebSocket)
                // Ids above every subscriber's, for distinct handshake keys.
                m_publishers.push_back(std::make_unique<WsPublisher>(
                        &m_loop, node.ws, &m_pubTally,
                        uint64_t(m_config.idleConnections + m_config.subscribers + i) + 1, m_config.window));
            else
                m_publishers.push_back(std::make_unique<Publisher>(&m_loop, node.pub));
            m_publishers.back()->setAckLatency(&m_ackLatency);
            m_publishers.back()->connectChannel();
        }
    }
    const int64_t cpuBeforeConnect = selfCpuUs();
    connectAll();
    m_connectSelfCpuUs = selfCpuUs() - cpuBeforeConnect;
    // Let the server finish registering what it just accepted before measuring it.
    runUntil([] { return false; }, monotonicUs() + int64_t(m_config.settleS * Second), 10);
    m_connected = ProcSample::take(m_config.serverPids);
    m_kernelTcpConnectedKiB = ProcSample::kernelTcpKiB();
    if (!m_config.idleMode) {
        runUntil(
                [&] {
                    return std::all_of(m_publishers.begin(), m_publishers.end(),
                                       [](const auto &p) { return p->canPublish(); });
                },
                monotonicUs() + 10 * Second);
    }
    m_openAtPublish = openSubscribers();
    if (!m_config.idleMode) { // idle mode opens its window after a warm-up (holdIdle)
        readMetrics(&m_metricsStart);
        readRedis(&m_redisStart);
        m_runStart = ProcSample::take(m_config.serverPids);
        m_selfCpuStartUs = selfCpuUs();
    }
    m_tally.counting = true;
    m_slowTally.counting = true;
    if (m_config.idleMode)
        holdIdle();
    else if (m_config.ramp)
        publishRamp();
    else if (m_config.saturate)
        publishSaturated();
    else
        publishFixed();
    m_tally.counting = false;
    stormReport();
    if (!m_config.idleMode) {
        m_runEnd = ProcSample::take(m_config.serverPids);
        m_selfCpuEndUs = selfCpuUs();
        readMetrics(&m_metricsEnd);
        readRedis(&m_redisEnd);
    }
    drainSlowReaders();
    m_slowTally.counting = false;
    const QJsonObject r = report();
    printTable(r);
    if (m_config.json)
        std::printf("%s\n", QJsonDocument(r).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
    for (auto &s : m_subscribers)
        s->close();
    for (auto &s : m_slow)
        s->close();
    for (auto &s : m_idle)
        s->close();
    for (auto &p : m_publishers)
        p->closeChannel();
    return (m_openAtPublish == 0 && m_config.subscribers > 0) ? 1 : 0;
}

QJsonObject BenchRunner::report()
{
    QJsonObject r;
    QJsonArray transports;
    for (auto k : m_config.transports)
        transports.append(kindName(k));
    r.insert(QStringLiteral("label"), m_config.label);
    r.insert(QStringLiteral("mode"),
             m_config.idleMode           ? QStringLiteral("idle")
                     : m_config.ramp     ? QStringLiteral("ramp")
                     : m_config.saturate ? QStringLiteral("saturate")
                                         : QStringLiteral("broadcast"));
    r.insert(QStringLiteral("transports"), transports);
    r.insert(QStringLiteral("size"), m_config.size);
    r.insert(QStringLiteral("fdLimit"), m_fdSoft);

    // Connections.
    size_t idleOpen = 0;
    for (const auto &s : m_idle)
        idleOpen += s->openedAtUs() > 0;
    size_t opened = 0;
    QJsonObject byKind;
    std::vector<const Subscriber *> everyone;
    for (const auto &s : m_subscribers)
        everyone.push_back(s.get());
    for (const auto &s : m_slow)
        everyone.push_back(s.get());
    for (const Subscriber *s : everyone) {
        if (s->openedAtUs() > 0)
            ++opened;
        const QString k = kindName(s->kind());
        QJsonObject o = byKind.value(k).toObject();
        o.insert(QStringLiteral("subscribers"), o.value(QStringLiteral("subscribers")).toInteger() + 1);
        o.insert(QStringLiteral("open"),
                 o.value(QStringLiteral("open")).toInteger() + (s->state() == Subscriber::State::Open ? 1 : 0));
        byKind.insert(k, o);
    }
    const double connectS = double(m_connectEndUs - m_connectStartUs) / double(Second);
    const size_t allOpened = opened + idleOpen;
    r.insert(QStringLiteral("connections"),
             QJsonObject { { QStringLiteral("subscribers"), m_config.subscribers },
                           { QStringLiteral("idle"), m_config.idleConnections },
                           { QStringLiteral("opened"), qint64(allOpened) },
                           { QStringLiteral("openAtPublish"), qint64(m_openAtPublish) },
                           { QStringLiteral("slow"), qint64(m_slow.size()) }, // not in openAtPublish, expected or lost
                           { QStringLiteral("failed"),
                             qint64(size_t(m_config.subscribers + m_config.idleConnections) - allOpened) },
                           { QStringLiteral("seconds"), std::round(connectS * 1000) / 1000 },
                           { QStringLiteral("perSec"), std::round(double(allOpened) / std::max(connectS, 1e-6)) },
                           { QStringLiteral("byTransport"), byKind } });

    // Deliveries, loss, duplicates.
    uint64_t lost = 0;
    const uint64_t ack = acked();
    for (const auto &s : m_subscribers)
        if (s->openedAtUs() > 0 && s->openedAtUs() <= m_publishStartUs)
            lost += ack - std::min<uint64_t>(ack, s->seen().unique());
    if (!m_config.idleMode) {
        const double spanS = double(std::max<int64_t>(m_tally.lastDeliveryUs - m_publishStartUs, 1)) / double(Second);
        const double publishS = double(std::max<int64_t>(m_publishEndUs - m_publishStartUs, 1)) / double(Second);
        r.insert(QStringLiteral("published"), qint64(m_seq));
        r.insert(QStringLiteral("acked"), qint64(ack));
        r.insert(QStringLiteral("publishErrors"), qint64(failedPublishes()));
        r.insert(QStringLiteral("publishRate"), round1(double(m_seq) / publishS));
        r.insert(QStringLiteral("expected"), qint64(m_expected));
        r.insert(QStringLiteral("deliveries"), qint64(m_tally.deliveries));
        r.insert(QStringLiteral("deliveriesPerSec"), std::round(double(m_tally.deliveries) / spanS));
        r.insert(QStringLiteral("lost"), qint64(lost));
        r.insert(QStringLiteral("duplicates"), qint64(m_tally.duplicates));
        r.insert(QStringLiteral("foreign"), qint64(m_tally.foreign));
        r.insert(QStringLiteral("latencyUs"), m_tally.latency.toJson());
        r.insert(QStringLiteral("pollRequests"), qint64(m_tally.pollRequests));
        QJsonObject pub { { QStringLiteral("transport"),
                            m_config.pubTransport == BenchConfig::PubTransport::WebSocket ? QStringLiteral("ws")
                                                                                          : QStringLiteral("http") },
                          { QStringLiteral("count"), m_config.publishers },
                          { QStringLiteral("window"), m_config.window },
                          { QStringLiteral("ackLatencyUs"), m_ackLatency.toJson() },
                          { QStringLiteral("errors"), qint64(m_pubTally.errors) } };
        if (m_config.saturate) {
            pub.insert(QStringLiteral("saturate"), true);
            pub.insert(QStringLiteral("windowSeconds"), std::round(m_saturateS * 1000) / 1000);
            pub.insert(QStringLiteral("ackedInWindow"), qint64(m_ackedInWindow));
            pub.insert(QStringLiteral("ackedPerSec"),
                       std::round(double(m_ackedInWindow) / std::max(m_saturateS, 1e-6)));
        }
        r.insert(QStringLiteral("publishers"), pub);
        if (m_config.redisPort) {
            if (m_redisError.empty())
                r.insert(QStringLiteral("redis"), redisDelta(m_redisStart, m_redisEnd));
            else
                r.insert(QStringLiteral("redisError"), QString::fromStdString(m_redisError));
        }
        if (m_config.nodeCount > 1)
            r.insert(QStringLiteral("nodes"), nodesReport());
        if (m_config.metricsUrl) {
            if (m_metricsError.empty())
                r.insert(QStringLiteral("storeMetrics"), promtext::delta(m_metricsStart, m_metricsEnd));
            else
                r.insert(QStringLiteral("storeMetricsError"), QString::fromStdString(m_metricsError));
        }
    }
    r.insert(QStringLiteral("errors"), qint64(m_tally.errors));
    r.insert(QStringLiteral("closedByServer"), qint64(m_tally.closedByServer));
    r.insert(QStringLiteral("reconnects"), qint64(m_tally.reconnects));
    if (m_config.ramp)
        r.insert(QStringLiteral("ramp"), m_rampReport);
    if (!m_stormReport.isEmpty())
        r.insert(QStringLiteral("storm"), m_stormReport);
    if (!m_slowReport.isEmpty())
        r.insert(QStringLiteral("slow"), m_slowReport);
    {
        const double runS = double(std::max<int64_t>(m_runEnd.atUs - m_runStart.atUs, 1)) / double(Second);
        const double cpuMs = double(m_selfCpuEndUs - m_selfCpuStartUs) / 1000.0;
        r.insert(QStringLiteral("bench"),
                 QJsonObject { { QStringLiteral("cpuMs"), round1(cpuMs) },
                               { QStringLiteral("connectCpuPercent"),
                                 round1(double(m_connectSelfCpuUs) / 10.0 / std::max(connectS * 1000.0, 1e-3)) },
                               { QStringLiteral("cpuPercent"), round1(cpuMs / 10.0 / runS) } });
    }

    // The server, from /proc.
    if (m_before.valid && m_runEnd.valid) {
        QJsonObject s;
        s.insert(QStringLiteral("pids"), [&] {
            QJsonArray a;
            for (int p : m_config.serverPids)
                a.append(p);
            return a;
        }());
        s.insert(QStringLiteral("before"), m_before.toJson());
        s.insert(QStringLiteral("connected"), m_connected.toJson());
        s.insert(QStringLiteral("after"), m_runEnd.toJson());
        const double runCpuMs = double(m_runEnd.cpuNs - m_runStart.cpuNs) / 1e6;
        s.insert(QStringLiteral("connectCpuMs"), round1(double(m_connected.cpuNs - m_before.cpuNs) / 1e6));
        s.insert(QStringLiteral("runCpuMs"), round1(runCpuMs));
        if (m_rssPeakKiB) {
            s.insert(QStringLiteral("rssPeakKiB"), qint64(std::max(m_rssPeakKiB, m_runEnd.rssKiB)));
            s.insert(QStringLiteral("rssGrowthKiB"),
                     qint64(std::max(m_rssPeakKiB, m_runEnd.rssKiB) - m_connected.rssKiB));
        }
        if (m_kernelTcpPeakKiB >= 0 && m_kernelTcpConnectedKiB >= 0)
            s.insert(QStringLiteral("kernelTcpGrowthKiB"), qint64(m_kernelTcpPeakKiB - m_kernelTcpConnectedKiB));
        if (allOpened)
            s.insert(QStringLiteral("rssPerConnectionBytes"),
                     std::round(double(m_connected.rssKiB - m_before.rssKiB) * 1024.0 / double(allOpened)));
        if (!m_config.idleMode && m_tally.deliveries)
            s.insert(QStringLiteral("cpuUsPerDelivery"),
                     std::round(runCpuMs * 1000.0 / double(m_tally.deliveries) * 100) / 100);
        const double runS = double(m_runEnd.atUs - m_runStart.atUs) / double(Second);
        const int64_t ctx = (m_runEnd.voluntaryCtx + m_runEnd.involuntaryCtx)
                - (m_runStart.voluntaryCtx + m_runStart.involuntaryCtx);
        s.insert(QStringLiteral("contextSwitches"), qint64(ctx));
        s.insert(QStringLiteral("wakeupsPerSec"), round1(double(ctx) / std::max(runS, 1e-6)));
        s.insert(QStringLiteral("cpuPercent"), round1(runCpuMs / 10.0 / std::max(runS, 1e-6)));
        r.insert(QStringLiteral("server"), s);
    }
    if (m_config.idleMode)
        r.insert(QStringLiteral("idle"), idleReport(idleOpen));
    return r;
}

QJsonObject BenchRunner::nodesReport() const
{
    // Each subscriber node's deliveries and latency (by the node a subscriber is on at the end),
    // and which nodes published: a node that subscribes and does not publish sees only
    // deliveries that crossed nodes.
    QJsonArray subs, pubs;
    for (size_t i = 0; i < m_config.subNodes.size(); ++i) {
        const size_t n = size_t(std::count_if(m_subscribers.begin(), m_subscribers.end(),
                                              [i](const auto &s) { return s->node() == i; }));
        QJsonObject o { { QStringLiteral("url"), m_config.subNodes[i].base },
                        { QStringLiteral("subscribers"), qint64(n) } };
        if (i < m_tally.nodeLatency.size()) {
            o.insert(QStringLiteral("deliveries"), qint64(m_tally.nodeDeliveries[i]));
            o.insert(QStringLiteral("latencyUs"), m_tally.nodeLatency[i].toJson());
        }
        subs.append(o);
    }
    for (const NodeUrls &n : m_config.pubNodes)
        pubs.append(n.base);
    bool crossOnly = true;
    for (const NodeUrls &s : m_config.subNodes)
        for (const NodeUrls &p : m_config.pubNodes)
            crossOnly = crossOnly && s.base != p.base;
    return { { QStringLiteral("count"), qint64(m_config.nodeCount) },
             { QStringLiteral("subscriberNodes"), subs },
             { QStringLiteral("publisherNodes"), pubs },
             { QStringLiteral("crossNodeOnly"), crossOnly } };
}

void BenchRunner::printTable(const QJsonObject &r)
{
    const auto obj = [&](const char *k) { return r.value(QLatin1String(k)).toObject(); };
    const QJsonObject c = obj("connections");
    std::fprintf(
            stderr, "rtlab-bench %s  %s  transports %s  size %d B\n", qPrintable(m_config.label),
            qPrintable(r.value(QLatin1String("mode")).toString()),
            QJsonDocument(r.value(QLatin1String("transports")).toArray()).toJson(QJsonDocument::Compact).constData(),
            m_config.size);
    std::fprintf(stderr, "  connections   %lld opened of %lld (+%d idle) in %.3f s = %.0f/s, %lld failed\n",
                 c.value(QLatin1String("opened")).toInteger(), qint64(m_config.subscribers + m_config.idleConnections),
                 m_config.idleConnections, c.value(QLatin1String("seconds")).toDouble(),
                 c.value(QLatin1String("perSec")).toDouble(), c.value(QLatin1String("failed")).toInteger());
    if (!m_config.idleMode) {
        const QJsonObject l = obj("latencyUs");
        std::fprintf(stderr, "  published     %lld (acked %lld, errors %lld) at %.1f/s\n",
                     r.value(QLatin1String("published")).toInteger(), r.value(QLatin1String("acked")).toInteger(),
                     r.value(QLatin1String("publishErrors")).toInteger(),
                     r.value(QLatin1String("publishRate")).toDouble());
        const QJsonObject pub = obj("publishers");
        const QJsonObject ackL = pub.value(QLatin1String("ackLatencyUs")).toObject();
        std::fprintf(stderr, "  publishers    %d over %s, window %d: ack µs p50 %lld p99 %lld", m_config.publishers,
                     qPrintable(pub.value(QLatin1String("transport")).toString()), m_config.window,
                     ackL.value(QLatin1String("p50")).toInteger(), ackL.value(QLatin1String("p99")).toInteger());
        if (m_config.saturate)
            std::fprintf(stderr, "; %.0f acknowledged/s over %.3f s",
                         pub.value(QLatin1String("ackedPerSec")).toDouble(),
                         pub.value(QLatin1String("windowSeconds")).toDouble());
        std::fprintf(stderr, "\n");
        std::fprintf(stderr, "  deliveries    %lld of %lld expected, %.0f/s; lost %lld, duplicates %lld\n",
                     r.value(QLatin1String("deliveries")).toInteger(), r.value(QLatin1String("expected")).toInteger(),
                     r.value(QLatin1String("deliveriesPerSec")).toDouble(), r.value(QLatin1String("lost")).toInteger(),
                     r.value(QLatin1String("duplicates")).toInteger());
        std::fprintf(stderr, "  latency µs    p50 %lld  p90 %lld  p99 %lld  p99.9 %lld  max %lld\n",
                     l.value(QLatin1String("p50")).toInteger(), l.value(QLatin1String("p90")).toInteger(),
                     l.value(QLatin1String("p99")).toInteger(), l.value(QLatin1String("p999")).toInteger(),
                     l.value(QLatin1String("max")).toInteger());
        const QJsonObject nodes = obj("nodes");
        for (const QJsonValue v : nodes.value(QLatin1String("subscriberNodes")).toArray()) {
            const QJsonObject n = v.toObject();
            const QJsonObject nl = n.value(QLatin1String("latencyUs")).toObject();
            std::fprintf(stderr, "  node          %s: %lld subscribers, %lld deliveries, µs p50 %lld p99 %lld%s\n",
                         qPrintable(n.value(QLatin1String("url")).toString()),
                         n.value(QLatin1String("subscribers")).toInteger(),
                         n.value(QLatin1String("deliveries")).toInteger(), nl.value(QLatin1String("p50")).toInteger(),
                         nl.value(QLatin1String("p99")).toInteger(),
                         nodes.value(QLatin1String("crossNodeOnly")).toBool() ? " (every delivery crossed nodes)" : "");
        }
        const QJsonObject redis = obj("redis");
        if (!redis.isEmpty())
            std::fprintf(stderr, "  redis         %lld commands over the run, %.0f per node; Redis's CPU %.1f ms\n",
                         redis.value(QLatin1String("commands")).toInteger(),
                         redis.value(QLatin1String("perNode")).toDouble(),
                         redis.value(QLatin1String("cpuMs")).toDouble());
    }
    const QJsonObject storeMetrics = obj("storeMetrics");
    for (auto it = storeMetrics.begin(); it != storeMetrics.end(); ++it)
        if (it.value().isObject()) { // a histogram: how many, and their mean if it has a _sum
            const QJsonObject h = it.value().toObject();
            std::fprintf(stderr, "  /metrics      %s: %.0f", qPrintable(it.key()),
                         h.value(QLatin1String("count")).toDouble());
            if (h.contains(QLatin1String("mean")))
                std::fprintf(stderr, ", mean %.4g", h.value(QLatin1String("mean")).toDouble());
            std::fprintf(stderr, "\n");
        } else {
            std::fprintf(stderr, "  /metrics      %s: %.0f\n", qPrintable(it.key()), it.value().toDouble());
        }
    if (r.contains(QLatin1String("storeMetricsError")))
        std::fprintf(stderr, "  /metrics      unreadable (%s)\n",
                     qPrintable(r.value(QLatin1String("storeMetricsError")).toString()));
    std::fprintf(stderr, "  bench         cpu %.1f ms (%.1f %% of one core)\n",
                 obj("bench").value(QLatin1String("cpuMs")).toDouble(),
                 obj("bench").value(QLatin1String("cpuPercent")).toDouble());
    std::fprintf(stderr, "  errors        %lld, closed by server %lld, reconnects %lld\n",
                 r.value(QLatin1String("errors")).toInteger(), r.value(QLatin1String("closedByServer")).toInteger(),
                 r.value(QLatin1String("reconnects")).toInteger());
    if (r.contains(QLatin1String("server"))) {
        const QJsonObject s = obj("server");
        std::fprintf(stderr,
                     "  server        cpu %.1f ms (%.1f %%), %.2f µs/delivery (0: none), RSS %lld → %lld → %lld KiB "
                     "(%.0f B/connection), %.1f wake-ups/s\n",
                     s.value(QLatin1String("runCpuMs")).toDouble(), s.value(QLatin1String("cpuPercent")).toDouble(),
                     s.value(QLatin1String("cpuUsPerDelivery")).toDouble(), qint64(m_before.rssKiB),
                     qint64(m_connected.rssKiB), qint64(m_runEnd.rssKiB),
                     s.value(QLatin1String("rssPerConnectionBytes")).toDouble(),
                     s.value(QLatin1String("wakeupsPerSec")).toDouble());
    }
    if (m_config.idleMode) {
        const QJsonObject i = obj("idle");
        const QJsonObject per = i.value(QLatin1String("perClient")).toObject();
        const auto ms = [&](const char *k) { return i.value(QLatin1String(k)).toInteger(); };
        std::fprintf(
                stderr,
                "  idle          steady state over %.1f s after a %.1f s warm-up: hold %lld ms, heartbeat %lld ms, "
                "tick rate %.1f/s (-1: unknown), %lld messages in the window\n",
                i.value(QLatin1String("windowSeconds")).toDouble(), i.value(QLatin1String("warmupSeconds")).toDouble(),
                ms("holdMs"), ms("heartbeatMs"), i.value(QLatin1String("tickRate")).toDouble(),
                i.value(QLatin1String("messagesInWindow")).toInteger());
        std::fprintf(stderr,
                     "  per client    %.0f B RSS, %.3f fds, %.4f wake-ups/s (+%.4f preemptions/s), %.4f requests/s, "
                     "%.3f B/s out (%.3f B/s received), %lld heartbeats in all\n",
                     per.value(QLatin1String("rssBytes")).toDouble(), per.value(QLatin1String("fds")).toDouble(),
                     per.value(QLatin1String("wakeupsPerSec")).toDouble(),
                     per.value(QLatin1String("preemptionsPerSec")).toDouble(),
                     per.value(QLatin1String("requestsPerSec")).toDouble(),
                     per.value(QLatin1String("bytesPerSec")).toDouble(),
                     per.value(QLatin1String("bytesInPerSec")).toDouble(),
                     i.value(QLatin1String("heartbeats")).toInteger());
        if (i.contains(QLatin1String("statsError")))
            std::fprintf(stderr, "  /stats        unreadable (%s): no requests or bytes out\n",
                         qPrintable(i.value(QLatin1String("statsError")).toString()));
    }
    if (r.value(QLatin1String("server")).toObject().contains(QLatin1String("rssGrowthKiB")))
        std::fprintf(stderr,
                     "  memory        server RSS grew %lld KiB at most; kernel TCP buffers (all sockets) %lld KiB\n",
                     obj("server").value(QLatin1String("rssGrowthKiB")).toInteger(),
                     obj("server").value(QLatin1String("kernelTcpGrowthKiB")).toInteger());
    if (!m_slowReport.isEmpty())
        std::fprintf(stderr, "  slow readers  %lld: %lld got everything, %lld cut by the server, %lld open short\n",
                     m_slowReport.value(QLatin1String("subscribers")).toInteger(),
                     m_slowReport.value(QLatin1String("complete")).toInteger(),
                     m_slowReport.value(QLatin1String("cutByServer")).toInteger(),
                     m_slowReport.value(QLatin1String("openIncomplete")).toInteger());
    if (m_config.ramp) {
        const QJsonObject ramp = obj("ramp");
        std::fprintf(stderr, "  ramp          max %.0f deliveries/s at %.1f msg/s (stopped: %s)\n",
                     ramp.value(QLatin1String("maxDeliveriesPerSec")).toDouble(),
                     ramp.value(QLatin1String("maxRateUnderThreshold")).toDouble(),
                     qPrintable(ramp.value(QLatin1String("stopReason")).toString()));
    }
}

} // namespace rtlab::bench
