// SPDX-License-Identifier: MIT
#pragma once

#include "storespec.h"

#include <QByteArray>
#include <QHostAddress>
#include <QStringList>

namespace rtlab {

// Everything rtlab-server can be told on its command line (docs/protocol.md gives the defaults).
struct ServerConfig
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8080;
    qsizetype historyCount = 10000;
    qint64 historyAgeMs = 300000;
    qint64 pollTimeoutMs = 25000; // the longest a poll is held
    qint64 heartbeatMs = 15000;
    double tickRate = 5;      // tick messages per second; 0 = off
    qint64 sseRetryMs = 1000; // the "retry:" an SSE stream starts with
    QStringList allowOrigins; // "*" allows any
    qsizetype maxHeadBytes = 16 * 1024;
    qsizetype maxBodyBytes = 64 * 1024;
    qsizetype maxTextBytes = 16 * 1024;
    qint64 maxPendingBytes = 1024 * 1024; // unsent bytes per connection before a slow reader is cut
    int maxPollMessages = 1000;           // messages in one poll answer; the cursor says where to go on
    // Slow clients: deadlines independent of the keep-alive timer, which any byte restarts.
    qint64 headTimeoutMs = 10000; // a request head, from its first byte
    qint64 bodyTimeoutMs = 10000; // a body, from the end of its head (plus 1 s per 64 KiB it declares)
    // Open connections one client address may hold (0 = no cap: rtlab-bench holds 19,000 from
    // loopback); one more is answered 503 + Retry-After and closed.
    int maxConnsPerIp = 0;
    // The connection layer: Qt's portable sockets, or the Linux epoll core (one epoll set,
    // one notifier, our own HTTP and WebSocket I/O).
    enum class Core { Qt, Epoll };
#ifdef RTLAB_HAVE_EPOLL
    static constexpr Core DefaultCore = Core::Epoll; // Linux: measured in docs/benchmarks.md
#else
    static constexpr Core DefaultCore = Core::Qt;
#endif
    Core core = DefaultCore;

    // Who may ask, and through what (docs/protocol.md, "Host and Origin").
    QStringList allowedHosts;  // Host names served; empty: OriginPolicy's defaults for `host`; "*" any
    QStringList publicOrigins; // the page's origin(s) as browsers see them (behind a TLS proxy)
    bool trustProxy = false;   // X-Forwarded-Proto/-Host/-For are believed only with this
    // Tokens (docs/protocol.md, "Authentication"): off unless --auth-key is given.
    QString authKeyFile;          // --auth-key FILE: its raw bytes are the HS256 secret
    QByteArray authKey;           // those bytes, read when the arguments are parsed (>= 32)
    bool allowQueryToken = false; // --allow-query-token: ?access_token= accepted (browsers only)
    double maxPublishRate = 0;    // --max-publish-rate: per token sub or client address, per second; 0 = off
    // Where the history is kept (docs/architecture.md, "The log and its stores"): --store, --store-sync.
    StoreSpec store;
    // With a store on disk: the newest messages kept in memory for replay and fan-out (--memory-ring);
    // an older resume reads the store, off the event loop. The memory store keeps its whole history.
    qsizetype memoryRing = 4096;
    // --reuse-port: listen with SO_REUSEPORT, so several nodes on one machine share the port and
    // the kernel spreads connections over them (with --store redis://…: one log, a node per core).
    bool reusePort = false;

    // Parses rtlab-server's arguments (argv[0] first). On failure returns false with the reason;
    // --help and --version are handled by the caller through the parser it is given.
    static bool fromArguments(const QStringList &arguments, ServerConfig *config, QString *errorString,
                              bool *helpShown = nullptr);
};

} // namespace rtlab
