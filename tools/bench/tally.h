// SPDX-License-Identifier: MIT
#pragma once

#include "latencyhistogram.h"

#include <cstdint>
#include <vector>

namespace rtlab::bench {

// What every subscriber adds to during a run: one latency histogram for the whole run and one per
// ramp step, and the counters of the report.
struct Tally
{
    LatencyHistogram latency;
    std::vector<LatencyHistogram> stepLatency; // ramp: by the step a message was published in
    std::vector<uint64_t> stepDeliveries;
    std::vector<int64_t> stepLastDeliveryUs;
    std::vector<uint16_t> stepOfSeq; // seq → step; empty when not ramping
    // By the subscriber's node (sized to the subscriber nodes; empty with one node).
    std::vector<LatencyHistogram> nodeLatency;
    std::vector<uint64_t> nodeDeliveries;
    bool counting = false; // deliveries count only while a run measures
    uint64_t deliveries = 0;
    uint64_t duplicates = 0;
    uint64_t foreign = 0;    // markers with a seq this run never published
    uint64_t maxSeq = 0;     // the highest seq published so far
    uint64_t events = 0;     // WS text messages, SSE data lines, poll answers
    uint64_t heartbeats = 0; // SSE comments, WebSocket pings
    uint64_t pollRequests = 0;
    uint64_t reconnects = 0;
    uint64_t closedByServer = 0;
    uint64_t errors = 0;
    int64_t firstDeliveryUs = 0;
    int64_t lastDeliveryUs = 0;
};

} // namespace rtlab::bench
