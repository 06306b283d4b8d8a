// SPDX-License-Identifier: MIT
#pragma once

#include "benchconfig.h"
#include "epollloop.h"
#include "procstats.h"
#include "promtext.h"
#include "publisher.h"
#include "subscriber.h"
#include "tally.h"
#include "wirecontract.h"

#include <QJsonObject>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rtlab::bench {

// Runs one benchmark: connect, then publish (rate, count or ramp) or hold idle, then report.
// Single-threaded over one epoll set; every phase is bounded in time, so it always ends.
class BenchRunner
{
public:
    explicit BenchRunner(BenchConfig config);

    // Returns the process exit code: 0 done, 1 the run could not be made (nothing connected,
    // fd limit), 2 bad setup. The report goes to stderr (table) and stdout (JSON, with --json).
    int run();

private:
    bool checkFdLimit(QString *error);
    void connectAll();
    void publishFixed();
    void publishRamp();
    void publishSaturated();
    void awaitAcksAndDeliveries();
    void readMetrics(promtext::Series *into);
    void holdIdle();
    QJsonObject idleReport(size_t idleOpen) const;
    std::optional<StatsSnapshot> readStats(); // nullopt: not asked for, or not read (m_statsError)
    bool publishDue(uint64_t due, uint16_t step);
    void storm();
    void watchStorm();
    void stormReport();
    void readRedis(std::map<std::string, uint64_t> *into);
    QJsonObject redisDelta(const std::map<std::string, uint64_t> &from,
                           const std::map<std::string, uint64_t> &to) const;
    QJsonObject nodesReport() const;
    void drainSlowReaders();
    void sampleRss();
    uint64_t acked() const;
    uint64_t failedPublishes() const;
    size_t openSubscribers() const;
    // Runs the loop until done() or the deadline (monotonic µs); returns done().
    bool runUntil(const std::function<bool()> &done, int64_t deadlineUs, int timeoutMs = 5);
    QJsonObject report();
    void printTable(const QJsonObject &r);

    BenchConfig m_config;
    EpollLoop m_loop;
    Tally m_tally;
    Tally m_slowTally; // the slow readers' deliveries, apart from the others'
    std::vector<std::unique_ptr<Subscriber>> m_idle;
    std::vector<std::unique_ptr<Subscriber>> m_subscribers;
    std::vector<std::unique_ptr<Subscriber>> m_slow;
    std::vector<std::unique_ptr<PublishChannel>> m_publishers;
    Tally m_pubTally;              // what WebSocket publishers read: acknowledgements, not deliveries
    LatencyHistogram m_ackLatency; // publish → acknowledgement (202, or the message back on the socket)
    uint64_t m_ackedInWindow = 0;  // --saturate: acknowledged by the end of --duration
    double m_saturateS = 0;
    promtext::Series m_metricsStart, m_metricsEnd;
    std::string m_metricsError;
    size_t m_nextPublisher = 0;
    uint64_t m_seq = 0;
    uint64_t m_openAtPublish = 0;
    uint64_t m_expected = 0;

    ProcSample m_before, m_connected, m_runStart, m_runEnd;
    int64_t m_connectStartUs = 0, m_connectEndUs = 0;
    int64_t m_publishStartUs = 0, m_publishEndUs = 0;
    uint64_t m_idleBytes = 0, m_idleHeartbeats = 0, m_idlePollRequests = 0;
    double m_idleSeconds = 0;
    // Idle mode's steady-state window: the server's settings and its own counters at the edges.
    double m_warmupS = 0;
    int64_t m_heartbeatMs = -1, m_serverPollTimeoutMs = -1, m_holdMs = -1; // -1: unknown / no long polls
    double m_tickRate = -1;
    std::optional<StatsSnapshot> m_statsStart, m_statsEnd;
    std::string m_statsError;
    size_t m_openAtWindowEnd = 0;
    QJsonObject m_rampReport;
    QJsonObject m_stormReport, m_slowReport;
    int64_t m_stormStartUs = 0, m_stormIssueUs = 0;
    int64_t m_stormResumedUs = 0, m_lastStormScanUs = 0;
    uint64_t m_stormSeq = 0; // published before the storm: what a resumed subscriber holds
    // Redis's commands by name (INFO commandstats) at the run's and the storm's edges.
    std::map<std::string, uint64_t> m_redisStart, m_redisEnd, m_redisStormStart, m_redisStormEnd;
    std::string m_redisError;
    size_t m_stormStarted = 0;
    int64_t m_rssPeakKiB = 0, m_lastRssSampleUs = 0;
    int64_t m_kernelTcpConnectedKiB = -1, m_kernelTcpPeakKiB = -1;
    int m_fdSoft = 0;
    int64_t m_selfCpuStartUs = 0, m_selfCpuEndUs = 0;
    int64_t m_connectSelfCpuUs = 0; // the bench's own CPU while connecting
};

} // namespace rtlab::bench
