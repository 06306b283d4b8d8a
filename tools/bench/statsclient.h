// SPDX-License-Identifier: MIT
#pragma once

#include "endpoint.h"

#include <QJsonObject>

#include <string>

namespace rtlab::bench {

// One blocking GET of a server's figures (rtlab's /stats; /metrics), at a run's edges: the idle
// mode's window, a publishing run's start and end. Blocking is fine there: nothing is measured
// while it waits, and the whole exchange is bounded by the timeout. Loopback only, like every Endpoint.
class StatsClient
{
public:
    // False (with the reason) if the answer is not a 200 with a JSON object within timeoutMs.
    static bool get(const Endpoint &endpoint, int timeoutMs, QJsonObject *out, std::string *error);
    // The body of a 200 answer as it is (rtlab's /metrics, for the store's histograms).
    static bool getText(const Endpoint &endpoint, int timeoutMs, std::string *body, std::string *error);

    static constexpr size_t MaxBodyBytes = 256 * 1024;
};

} // namespace rtlab::bench
