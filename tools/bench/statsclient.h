// SPDX-License-Identifier: MIT
#pragma once

#include "endpoint.h"

#include <QJsonObject>

#include <map>
#include <string>

namespace rtlab::bench {

// One blocking GET of a server's figures (or Redis's INFO) (rtlab's /stats; /metrics), at a run's edges: the idle
// mode's window, a publishing run's start and end. Blocking is fine there: nothing is measured
// while it waits, and the whole exchange is bounded by the timeout. Loopback only, like every Endpoint.
class StatsClient
{
public:
    // False (with the reason) if the answer is not a 200 with a JSON object within timeoutMs.
    static bool get(const Endpoint &endpoint, int timeoutMs, QJsonObject *out, std::string *error);
    // The body of a 200 answer as it is (rtlab's /metrics, for the store's histograms).
    static bool getText(const Endpoint &endpoint, int timeoutMs, std::string *body, std::string *error);

    // Redis's INFO commandstats on 127.0.0.1:port: calls by command ("xadd" → 1234), and under
    // CpuKey the CPU time Redis has used, µs. Same blocking exchange, RESP instead of HTTP.
    static constexpr const char *CpuKey = "(cpu µs)";
    static bool redisCommandStats(uint16_t port, int timeoutMs, std::map<std::string, uint64_t> *calls,
                                  std::string *error);

    static constexpr size_t MaxBodyBytes = 256 * 1024;
};

} // namespace rtlab::bench
