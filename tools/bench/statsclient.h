// SPDX-License-Identifier: MIT
#pragma once

#include "endpoint.h"

#include <QJsonObject>

#include <string>

namespace rtlab::bench {

// One blocking GET of a server's JSON figures (rtlab's /stats), for the idle mode's window
// edges. Blocking is fine there: the connections it measures are idle, and the whole exchange
// is bounded by the timeout. Loopback only, like every Endpoint.
class StatsClient
{
public:
    // False (with the reason) if the answer is not a 200 with a JSON object within timeoutMs.
    static bool get(const Endpoint &endpoint, int timeoutMs, QJsonObject *out, std::string *error);

    static constexpr size_t MaxBodyBytes = 256 * 1024;
};

} // namespace rtlab::bench
