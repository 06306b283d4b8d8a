// SPDX-License-Identifier: MIT
#pragma once

#include "endpoint.h"
#include "payload.h"
#include "subscriber.h"

#include <QStringList>

#include <optional>

#include <vector>

namespace rtlab::bench {

// One server's URLs (a node of a cluster, or the one server): where its subscribers and
// publishers connect.
struct NodeUrls
{
    QString base; // the --url it came from, for the report
    Endpoint ws, sse, lp, pub;
};

// Everything rtlab-bench can be told on its command line (rtlab-bench --help).
struct BenchConfig
{
    // The first subscriber node's (idle connections and /stats go there), and the first
    // publisher node's publish URL.
    Endpoint wsUrl, sseUrl, lpUrl, pubUrl, idleUrl, statsUrl;
    // Subscriber i connects to subNodes[i % size], publisher j to pubNodes[j % size]: several
    // nodes of one log, so a delivery may cross nodes (publishers on A, subscribers on B and C).
    std::vector<NodeUrls> subNodes, pubNodes;
    size_t nodeCount = 1; // distinct nodes over both lists
    // The storm: each subscriber reconnects to the next subscriber node (a failover), not its own.
    bool stormMove = false;
    // A Redis the nodes share (redis://127.0.0.1:PORT): its INFO commandstats is read at the
    // run's and the storm's edges, so the report says what the cluster asked of it.
    std::optional<uint16_t> redisPort;
    std::vector<TransportKind> transports { TransportKind::WebSocket }; // round robin over subscribers
    Subscriber::PollStyle pollStyle = Subscriber::PollStyle::Cursor;
    payload::Format pubFormat = payload::Format::Rtlab;
    int subscribers = 100;
    int idleConnections = 0; // extra keep-alive HTTP connections that only hold a socket
    bool idleMode = false;   // hold the connections, publish nothing, report the idle cost
    double pollHoldS = 0;    // long polls ask for this hold (timeout=); 0: the server's
    double warmupS = -1;     // idle mode: after set-up, before the window; < 0: one hold/heartbeat cycle
    bool readStats = true;   // idle mode: read the server's /stats at the window's edges
    double rate = 100;       // messages per second
    qint64 messages = 0;     // 0: rate × duration
    double durationS = 0;
    int size = 64;
    int publishers = 2;
    // How the publishers publish: HTTP POST (one request in flight each) or WebSocket text
    // frames (up to `window` unacknowledged each; acknowledged when the message comes back).
    enum class PubTransport { Http, WebSocket };
    PubTransport pubTransport = PubTransport::Http;
    int window = 1;
    bool saturate = false;              // publish as fast as the acknowledgements allow, for durationS
    std::optional<Endpoint> metricsUrl; // rtlab's /metrics, read at the run's edges (store figures)
    bool ramp = false;
    double rampStart = 1;
    double rampFactor = 1.5;
    double rampStepS = 3;
    double rampP99Ms = 100;
    int rampMaxSteps = 16;
    int connectConcurrency = 256;
    double connectTimeoutS = 60;
    double connectSpreadS = 0; // connections start evenly over this long (0: as fast as they go)
    double settleS = 0.5;
    double drainS = 3;       // stop waiting for stragglers after this long without a delivery
    double slowFraction = 0; // this share of the subscribers stops reading once open
    double stormAtS = 0;     // > 0: this long into publishing, every subscriber drops and reconnects at once
    std::vector<int> serverPids;
    bool json = false;
    QString label;

    // Parses rtlab-bench's arguments (argv[0] first); false with the reason on failure.
    static bool fromArguments(const QStringList &arguments, BenchConfig *config, QString *errorString, bool *exitNow);
};

} // namespace rtlab::bench
