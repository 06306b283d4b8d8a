// SPDX-License-Identifier: MIT
#include "benchconfig.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <algorithm>

namespace rtlab::bench {

namespace {
bool endpoint(const QString &url, Endpoint *out, QString *error)
{
    std::string why;
    if (!Endpoint::parse(url.toStdString(), out, &why)) {
        *error = QString::fromStdString(why);
        return false;
    }
    return true;
}
} // namespace

bool BenchConfig::fromArguments(const QStringList &arguments, BenchConfig *config, QString *errorString, bool *exitNow)
{
    *exitNow = false;
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
            "Load generator for rtlab-server and its peers (nginx+nchan, Node ws): N subscribers over WebSocket, "
            "SSE or long polling, a publisher at a set rate or a ramp, delivery latency, loss, duplicates and "
            "the server's CPU and memory from /proc. Loopback only."));
    p.addHelpOption();
    p.addVersionOption();
    const auto opt = [&](const char *name, const char *description, const char *value = nullptr,
                         const char *def = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(description));
        if (value)
            o.setValueName(QString::fromLatin1(value));
        if (def)
            o.setDefaultValue(QString::fromLatin1(def));
        p.addOption(o);
        return o;
    };
    const auto url = opt("url",
                         "rtlab base URL: /ws, /events, /poll, /send and /healthz below it. Repeatable: the nodes "
                         "of one log (a cluster); subscribers and publishers are dealt over them round robin.",
                         "URL", "http://127.0.0.1:8080");
    const auto subNode = opt("sub-node",
                             "A base URL for subscribers only (repeatable; default every --url): with --pub-node, "
                             "every delivery crosses nodes.",
                             "URL");
    const auto pubNode = opt("pub-node", "A base URL for publishers only (repeatable; default every --url).", "URL");
    const auto nchanChannel = opt("nchan-channel",
                                  "The nodes are nginx + nchan (bench/peers/nchan.conf): subscribers on each --url's "
                                  "/sub/CHANNEL, publishers on /pub/CHANNEL, long polls by nchan's headers.",
                                  "CHANNEL");
    const auto stormMove =
            opt("storm-move",
                "The storm sends each subscriber to the next subscriber node, resuming there with its (epoch, id): "
                "a failover, as a client with a URL list does.");
    const auto redis = opt("redis",
                           "redis://127.0.0.1:PORT the nodes share: its INFO commandstats is read at the run's and "
                           "the storm's edges (Redis commands in all and per node).",
                           "URL");
    const auto wsUrl = opt("ws-url", "WebSocket subscriber URL (ws://...).", "URL");
    const auto sseUrl = opt("sse-url", "SSE subscriber URL.", "URL");
    const auto lpUrl = opt("lp-url", "Long-poll subscriber URL.", "URL");
    const auto pubUrl = opt("pub-url", "Publish URL (HTTP POST).", "URL");
    const auto idleUrl = opt("idle-url", "URL an idle keep-alive connection requests once.", "URL");
    const auto statsUrl =
            opt("stats-url",
                "rtlab's /stats, read at the idle window's edges for requests, bytes out and the server's "
                "settings; 'none' for servers without it.",
                "URL");
    const auto transport = opt("transport", "ws, sse, lp, or a list (ws,sse,lp) dealt round robin.", "LIST", "ws");
    const auto lpStyle =
            opt("lp-style", "Long-poll cursor: 'cursor' (rtlab, node) or 'headers' (nchan).", "STYLE", "cursor");
    const auto pubFormat = opt("pub-format",
                               "'rtlab' (/send JSON) or 'envelope' (a JSON message body for "
                               "peers that relay it as is). Default: rtlab if the publish path is /send.",
                               "FORMAT");
    const auto subscribers = opt("subscribers", "Subscriber connections.", "N", "100");
    const auto idleConns =
            opt("idle-conns", "Extra idle keep-alive HTTP connections (scenario 1:1 with N idle).", "N", "0");
    const auto idle = opt("idle",
                          "Idle mode: open the connections, wait --warmup, then measure the server over --duration "
                          "(steady state) and report the cost per client.");
    const auto pollHold =
            opt("poll-hold",
                "Seconds each long poll asks to be held (timeout=, capped by the server's --poll-timeout); "
                "0: the server's hold.",
                "S", "0");
    const auto warmup =
            opt("warmup",
                "Idle mode: seconds between set-up and the window; default one cycle, the longer of the hold "
                "and the heartbeat (from /stats).",
                "S");
    const auto rate = opt("rate", "Messages published per second.", "R", "100");
    const auto messages = opt("messages", "Messages to publish (default: rate x duration).", "M", "0");
    const auto duration = opt("duration", "Seconds to publish (or to hold, in idle mode).", "S", "0");
    const auto size = opt("size", "Payload bytes per message (the text; servers add their envelope).", "BYTES", "64");
    const auto publishers = opt("publishers", "Publisher connections (one request in flight each).", "P", "2");
    const auto pubTransport =
            opt("pub-transport",
                "How the publishers publish: 'http' (POST to --pub-url, one request in flight, acknowledged by "
                "its 2xx) or 'ws' (text frames on --ws-url, acknowledged when the message comes back on the "
                "publisher's socket).",
                "T", "http");
    const auto window = opt("window",
                            "WebSocket publishers: messages each may have unacknowledged (default 64). HTTP "
                            "publishers have one.",
                            "N");
    const auto saturate = opt("saturate",
                              "Publish as fast as the acknowledgements allow for --duration seconds (no --rate); "
                              "reports acknowledged publishes per second.");
    const auto metricsUrl =
            opt("metrics-url",
                "rtlab's /metrics, read before and after the run: the change in its rtlab_store_* series "
                "(the commit batch size and commit time histograms) goes into the report.",
                "URL");
    const auto ramp = opt("ramp", "Ramp the rate by --ramp-factor every --ramp-step until p99 > --ramp-p99.");
    const auto rampStart = opt("ramp-start", "First ramp rate, messages/s.", "R", "1");
    const auto rampFactor = opt("ramp-factor", "Rate multiplier per step.", "F", "1.5");
    const auto rampStep = opt("ramp-step", "Seconds per ramp step.", "S", "3");
    const auto rampP99 = opt("ramp-p99", "Stop when a step's p99 exceeds this, ms.", "MS", "100");
    const auto rampSteps = opt("ramp-max-steps", "Most ramp steps.", "N", "16");
    const auto concurrency = opt("connect-concurrency", "Handshakes in flight at once.", "N", "256");
    const auto connectTimeout = opt("connect-timeout", "Seconds allowed for all connections to open.", "S", "60");
    const auto connectSpread =
            opt("connect-spread",
                "Seconds over which the connections start, evenly (clients that arrive over time; in idle "
                "mode a spread of one hold keeps the long polls out of step). 0: all at once.",
                "S", "0");
    const auto settle = opt("settle", "Seconds between the last connection and the first publish.", "S", "0.5");
    const auto drain = opt("drain", "Seconds without any delivery after which the run stops waiting.", "S", "3");
    const auto slowFraction =
            opt("slow-fraction",
                "Share of the subscribers (0 to 0.5) that stop reading once open (receive window clamped "
                "to 4 KiB); reported apart from the others.",
                "F", "0");
    const auto stormAt = opt("storm-at",
                             "Seconds into publishing at which every subscriber drops its connection and reconnects at "
                             "once, resuming (SSE: Last-Event-ID; long poll: its cursor; WebSocket: rtlab's "
                             "after= and epoch= from the last message it had).",
                             "S", "0");
    const auto serverPid =
            opt("server-pid", "Server process to measure from /proc (repeatable, or a comma list).", "PID");
    const auto json = opt("json", "Print one JSON object on stdout.");
    const auto label = opt("label", "A label copied into the JSON.", "TEXT");
    if (!p.parse(arguments)) {
        *errorString = p.errorText();
        return false;
    }
    if (p.isSet(QStringLiteral("help")) || p.isSet(QStringLiteral("version"))) {
        *exitNow = true;
        if (p.isSet(QStringLiteral("version")))
            p.showVersion();
        p.showHelp(0);
    }
    if (!p.positionalArguments().isEmpty()) {
        *errorString = QStringLiteral("unexpected argument: ") + p.positionalArguments().constFirst();
        return false;
    }

    BenchConfig c;
    const auto pick = [&](const QCommandLineOption &o, const QString &def, Endpoint *out) {
        return endpoint(p.isSet(o) ? p.value(o) : def, out, errorString);
    };
    // A node's URLs below its base; the explicit per-path URLs (--ws-url, ...) only go with one node.
    const auto node = [&](const QString &base, NodeUrls *out) {
        if (!base.startsWith(QLatin1String("http://"))) {
            *errorString = QStringLiteral("--url must be http://127.0.0.1:PORT");
            return false;
        }
        QString wsBase = base;
        wsBase.replace(0, 4, QStringLiteral("ws")); // http → ws
        out->base = base;
        if (p.isSet(nchanChannel)) {
            const QString sub = QStringLiteral("/sub/") + p.value(nchanChannel);
            return endpoint(wsBase + sub, &out->ws, errorString) && endpoint(base + sub, &out->sse, errorString)
                    && endpoint(base + sub, &out->lp, errorString)
                    && endpoint(base + QStringLiteral("/pub/") + p.value(nchanChannel), &out->pub, errorString);
        }
        return pick(wsUrl, wsBase + QStringLiteral("/ws"), &out->ws)
                && pick(sseUrl, base + QStringLiteral("/events"), &out->sse)
                && pick(lpUrl, base + QStringLiteral("/poll"), &out->lp)
                && pick(pubUrl, base + QStringLiteral("/send"), &out->pub);
    };
    const auto bases = [&](const QCommandLineOption &o) {
        QStringList list = p.values(o);
        for (QString &b : list)
            while (b.endsWith(u'/'))
                b.chop(1);
        return list;
    };
    const QStringList urls = bases(url);
    const QStringList subBases = p.isSet(subNode) ? bases(subNode) : urls;
    const QStringList pubBases = p.isSet(pubNode) ? bases(pubNode) : urls;
    QStringList distinct = subBases + pubBases;
    distinct.removeDuplicates();
    c.nodeCount = size_t(distinct.size());
    if ((c.nodeCount > 1 || p.isSet(nchanChannel))
        && (p.isSet(wsUrl) || p.isSet(sseUrl) || p.isSet(lpUrl) || p.isSet(pubUrl))) {
        *errorString = QStringLiteral(
                "--ws-url, --sse-url, --lp-url and --pub-url go with one node (one --url) and no --nchan-channel");
        return false;
    }
    for (const auto &[bases, into] : { std::pair { &subBases, &c.subNodes }, std::pair { &pubBases, &c.pubNodes } })
        for (const QString &b : *bases) {
            into->emplace_back();
            if (!node(b, &into->back()))
                return false;
        }
    c.wsUrl = c.subNodes.front().ws;
    c.sseUrl = c.subNodes.front().sse;
    c.lpUrl = c.subNodes.front().lp;
    c.pubUrl = c.pubNodes.front().pub;
    const QString base = c.subNodes.front().base;
    if (!pick(idleUrl, base + QStringLiteral("/healthz"), &c.idleUrl))
        return false;
    if (p.value(statsUrl) == u"none" || p.isSet(nchanChannel))
        c.readStats = false;
    else if (!pick(statsUrl, base + QStringLiteral("/stats"), &c.statsUrl))
        return false;
    c.stormMove = p.isSet(stormMove);
    if (p.isSet(redis)) {
        // redis://127.0.0.1:PORT[/DB]: INFO is server-wide, so the database does not matter.
        const QString r = p.value(redis);
        Endpoint e;
        QString why;
        if (!r.startsWith(QLatin1String("redis://")) || r.contains(u'@')
            || !endpoint(QStringLiteral("http://") + r.mid(8), &e, &why)) {
            *errorString = QStringLiteral("--redis must be redis://127.0.0.1:PORT (no password): ")
                    + (why.isEmpty() ? r : why);
            return false;
        }
        c.redisPort = e.port;
    }

    c.transports.clear();
    for (const QString &t : p.value(transport).split(u',', Qt::SkipEmptyParts)) {
        // The bench speaks the three real-time transports, not short polling.
        TransportKind kind;
        if (transportKindFromKey(t, &kind) && kind != TransportKind::Poll)
            c.transports.push_back(kind);
        else {
            *errorString = QStringLiteral("unknown transport: ") + t;
            return false;
        }
    }
    if (c.transports.empty()) {
        *errorString = QStringLiteral("--transport is empty");
        return false;
    }
    if (p.value(lpStyle) == u"headers" || p.isSet(nchanChannel))
        c.pollStyle = Subscriber::PollStyle::Headers;
    else if (p.value(lpStyle) != u"cursor") {
        *errorString = QStringLiteral("--lp-style is cursor or headers");
        return false;
    }
    if (p.isSet(pubFormat)) {
        if (p.value(pubFormat) == u"envelope")
            c.pubFormat = payload::Format::Envelope;
        else if (p.value(pubFormat) != u"rtlab") {
            *errorString = QStringLiteral("--pub-format is rtlab or envelope");
            return false;
        }
    } else {
        c.pubFormat = c.pubUrl.target.starts_with("/send") ? payload::Format::Rtlab : payload::Format::Envelope;
    }

    bool ok = true;
    const auto number = [&](const QCommandLineOption &o, double min, double max) {
        bool good = false;
        const double v = p.value(o).toDouble(&good);
        if (!good || v < min || v > max) {
            *errorString =
                    QStringLiteral("--%1 must be a number from %2 to %3").arg(o.names().constFirst()).arg(min).arg(max);
            ok = false;
        }
        return v;
    };
    c.subscribers = int(number(subscribers, 0, 19000));
    c.idleConnections = int(number(idleConns, 0, 19000));
    c.idleMode = p.isSet(idle);
    c.rate = number(rate, 0.01, 1e6);
    c.messages = qint64(number(messages, 0, 1e8));
    c.durationS = number(duration, 0, 3600);
    c.pollHoldS = number(pollHold, 0, 3600);
    if (p.isSet(warmup))
        c.warmupS = number(warmup, 0, 3600);
    c.size = int(number(size, 24, 1024 * 1024));
    c.publishers = int(number(publishers, 1, 64));
    if (p.value(pubTransport) == u"ws")
        c.pubTransport = PubTransport::WebSocket;
    else if (p.value(pubTransport) != u"http") {
        *errorString = QStringLiteral("--pub-transport is http or ws");
        return false;
    }
    if (p.isSet(window)) {
        c.window = int(number(window, 1, 4096));
        if (ok && c.pubTransport == PubTransport::Http && c.window != 1) {
            *errorString = QStringLiteral("--window goes with --pub-transport ws (an HTTP publisher has one "
                                          "request in flight)");
            return false;
        }
    } else {
        c.window = c.pubTransport == PubTransport::WebSocket ? 64 : 1;
    }
    c.saturate = p.isSet(saturate);
    if (p.isSet(metricsUrl)) {
        Endpoint e;
        if (!endpoint(p.value(metricsUrl), &e, errorString))
            return false;
        c.metricsUrl = e;
    }
    c.ramp = p.isSet(ramp);
    c.rampStart = number(rampStart, 0.01, 1e6);
    c.rampFactor = number(rampFactor, 1.01, 100);
    c.rampStepS = number(rampStep, 0.1, 600);
    c.rampP99Ms = number(rampP99, 0.001, 1e6);
    c.rampMaxSteps = int(number(rampSteps, 1, 60));
    c.connectConcurrency = int(number(concurrency, 1, 19000));
    c.connectTimeoutS = number(connectTimeout, 0.1, 3600);
    c.connectSpreadS = number(connectSpread, 0, 600);
    c.settleS = number(settle, 0, 600);
    c.drainS = number(drain, 0.1, 600);
    c.slowFraction = number(slowFraction, 0, 0.5);
    c.stormAtS = number(stormAt, 0, 3600);
    if (!ok)
        return false;
    if (c.subscribers + c.idleConnections > 19000) {
        *errorString = QStringLiteral("at most 19,000 connections in all (the fd limit is 20,000)");
        return false;
    }
    if (c.stormMove && c.stormAtS <= 0) {
        *errorString = QStringLiteral("--storm-move goes with --storm-at");
        return false;
    }
    if ((c.stormAtS > 0 || c.slowFraction > 0) && (c.idleMode || c.ramp)) {
        *errorString = QStringLiteral("--storm-at and --slow-fraction go with a fixed-rate run");
        return false;
    }
    if (c.saturate && (c.idleMode || c.ramp || c.stormAtS > 0 || c.slowFraction > 0)) {
        *errorString = QStringLiteral("--saturate is a run of its own (no --idle, --ramp, --storm-at or "
                                      "--slow-fraction)");
        return false;
    }
    if (c.saturate && c.durationS <= 0) {
        *errorString = QStringLiteral("--saturate needs --duration");
        return false;
    }
    if (c.idleMode && c.durationS <= 0) {
        *errorString = QStringLiteral("--idle needs --duration");
        return false;
    }
    if (!c.idleMode && !c.ramp && !c.saturate && c.messages == 0) {
        if (c.durationS <= 0) {
            *errorString = QStringLiteral("give --messages or --duration");
            return false;
        }
        c.messages = qint64(c.rate * c.durationS + 0.5);
    }
    if (c.stormAtS > 0 && double(c.messages) / c.rate <= c.stormAtS) {
        *errorString = QStringLiteral("--storm-at must come before the last publish (%1 s in)")
                               .arg(double(c.messages) / c.rate);
        return false;
    }
    for (const QString &list : p.values(serverPid))
        for (const QString &pid : list.split(u',', Qt::SkipEmptyParts)) {
            const int v = pid.toInt(&ok);
            if (!ok || v <= 0) {
                *errorString = QStringLiteral("bad --server-pid: ") + pid;
                return false;
            }
            c.serverPids.push_back(v);
        }
    c.json = p.isSet(json);
    c.label = p.value(label);
    *config = c;
    return true;
}

} // namespace rtlab::bench
