// SPDX-License-Identifier: MIT
#include "serverconfig.h"

#include "authenticator.h"
#include "originpolicy.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>

#include <cmath>
#include <cstdio>

namespace rtlab {

static bool parseSeconds(const QString &text, double min, qint64 *ms)
{
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    if (!ok || !std::isfinite(seconds) || seconds < min || seconds > 86400.0 * 365)
        return false;
    *ms = qint64(std::llround(seconds * 1000));
    return true;
}

bool ServerConfig::fromArguments(const QStringList &arguments, ServerConfig *config, QString *errorString,
                                 bool *helpShown)
{
    const ServerConfig d;
    QCommandLineParser p;
    p.setApplicationDescription(
            QStringLiteral("rtlab-server: Long Polling, Server-Sent Events and WebSockets on one port, over one "
                           "ordered, resumable message log.\n"
                           "Endpoints: GET / · GET /events (SSE) · GET /poll (long poll) · POST /send · "
                           "GET /ws (WebSocket) · GET /stats · GET /metrics (Prometheus) · GET /healthz · POST /auth "
                           "(tokens)\n"
                           "Tokens: rtlab-server token --auth-key FILE --sub NAME [--exp 1h] [--perm "
                           "subscribe,publish,stats] prints one (rtlab-server token --help)."));
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    // An option with a value: its default is said once, in the help text and as the value taken
    // when the option is not given.
    const auto valued = [](const char *name, const QString &help, const char *valueName, const QString &byDefault) {
        return QCommandLineOption(QString::fromLatin1(name), QStringLiteral("%1 (default %2).").arg(help, byDefault),
                                  QString::fromLatin1(valueName), byDefault);
    };
    const QCommandLineOption host = valued("host", QStringLiteral("Address to listen on"), "address", d.host);
    const QCommandLineOption port =
            valued("port", QStringLiteral("TCP port; 0 takes a free one"), "port", QString::number(d.port));
    const QCommandLineOption history =
            valued("history", QStringLiteral("Messages kept for resume"), "count", QString::number(d.historyCount));
    const QCommandLineOption historyAge = valued("history-age", QStringLiteral("Seconds a message is kept for resume"),
                                                 "seconds", QString::number(d.historyAgeMs / 1000));
    const QCommandLineOption pollTimeout =
            valued("poll-timeout", QStringLiteral("Seconds a long poll is held before it answers with no messages"),
                   "seconds", QString::number(d.pollTimeoutMs / 1000));
    const QCommandLineOption heartbeat =
            valued("heartbeat",
                   QStringLiteral("Seconds between SSE comment heartbeats and WebSocket pings; a WebSocket peer "
                                  "that misses two pings is closed"),
                   "seconds", QString::number(d.heartbeatMs / 1000));
    const QCommandLineOption tickRate =
            valued("tick-rate", QStringLiteral("Dashboard tick messages per second; 0 turns them off"), "per-second",
                   QString::number(d.tickRate));
    const QCommandLineOption allowOrigin({ QStringLiteral("allow-origin") },
                                         QStringLiteral("A foreign Origin allowed to open WebSockets, publish and "
                                                        "read with CORS (repeatable; \"*\" allows any). Same-origin "
                                                        "and Origin-less clients are always allowed."),
                                         QStringLiteral("origin"));
    const QCommandLineOption sseRetry =
            valued("sse-retry", QStringLiteral("Reconnection delay sent to SSE clients as \"retry:\", in seconds"),
                   "seconds", QString::number(double(d.sseRetryMs) / 1000));
    const QCommandLineOption maxPending = valued(
            "max-pending", QStringLiteral("Unsent KiB per connection before a slow reader is cut off (it can resume)"),
            "KiB", QString::number(d.maxPendingBytes / 1024));
    const QCommandLineOption headTimeout = valued(
            "head-timeout", QStringLiteral("Seconds a request head may take from its first byte; later: 408 and close"),
            "seconds", QString::number(double(d.headTimeoutMs) / 1000));
    const QCommandLineOption bodyTimeout =
            valued("body-timeout",
                   QStringLiteral("Seconds a request body may take after its head, plus 1 s per 64 KiB it "
                                  "declares; later: 408 and close"),
                   "seconds", QString::number(double(d.bodyTimeoutMs) / 1000));
    const QCommandLineOption core =
            valued("core",
                   QStringLiteral("Connection core: qt (portable Qt sockets) or epoll (Linux: one epoll set for "
                                  "all connections)"),
                   "qt|epoll", d.core == Core::Epoll ? QStringLiteral("epoll") : QStringLiteral("qt"));
    const QCommandLineOption allowedHost(
            { QStringLiteral("allowed-host") },
            QStringLiteral("A Host name this server answers to, its port ignored (repeatable; \"*\" turns the check "
                           "off). Default: localhost, 127.0.0.1 and [::1]; bound to another address also that "
                           "address, this machine's addresses and its host name. Other Hosts get 421 (DNS "
                           "rebinding)."),
            QStringLiteral("host"));
    const QCommandLineOption publicOrigin(
            { QStringLiteral("public-origin") },
            QStringLiteral("The origin browsers load the page from, e.g. https://chat.example.org behind a TLS "
                           "proxy (repeatable): the one same-origin there is; its host is served."),
            QStringLiteral("origin"));
    const QCommandLineOption trustProxy(
            { QStringLiteral("trust-proxy") },
            QStringLiteral("Believe X-Forwarded-Proto, -Host and -For (the client is X-Forwarded-For's last hop): "
                           "only when every request comes through your reverse proxy, which sets them."));
    // Tokens: off unless a key is given.
    const QCommandLineOption authKey(
            { QStringLiteral("auth-key") },
            QStringLiteral("Turns tokens on: a file whose raw bytes (at least 32) are the HS256 secret that signs "
                           "them (docs/protocol.md, \"Authentication\")."),
            QStringLiteral("file"));
    const QCommandLineOption allowQueryToken(
            { QStringLiteral("allow-query-token") },
            QStringLiteral("Also accept a token as ?access_token= in the URL (redacted from what the server logs)."));
    const QCommandLineOption maxPublishRate =
            valued("max-publish-rate",
                   QStringLiteral("Publishes per second (burst as many) per token sub, or per client address "
                                  "without tokens; over it 429. 0 = off"),
                   "per-second", QString::number(d.maxPublishRate));
    const QCommandLineOption maxConnsPerIp =
            valued("max-conns-per-ip",
                   QStringLiteral("Open connections one client address may hold; one more is answered 503 with "
                                  "Retry-After; 0 = no cap"),
                   "count", QString::number(d.maxConnsPerIp));
    // Where the history is kept.
    const QCommandLineOption store =
            valued("store",
                   QStringLiteral("Where the history is kept: memory (gone with the process: a restart is a new "
                                  "epoch), sqlite:PATH (a file: kept across restarts, clients resume with nothing "
                                  "lost) or redis://HOST:PORT"),
                   "store", d.store.toString());
    const QCommandLineOption storeSync =
            valued("store-sync",
                   QStringLiteral("SQLite only: normal loses nothing on a process crash (a power loss may lose the "
                                  "last commits); full syncs every commit to the disk"),
                   "normal|full", QStringLiteral("normal"));
    const QCommandLineOption memoryRing =
            valued("memory-ring",
                   QStringLiteral("With a store on disk: the newest messages kept in memory for replay; an older "
                                  "resume reads the store"),
                   "count", QString::number(d.memoryRing));
    // A cluster of nodes on one Redis log.
    const QCommandLineOption logName =
            valued("log",
                   QStringLiteral("Redis only: the log's name; its keys share the hash tag {NAME}, so nodes with the "
                                  "same --store and --log share one log"),
                   "name", d.store.logName);
    const QCommandLineOption nodeName = valued(
            "node",
            QStringLiteral("Redis only: this node's name, unique among the nodes live on the log (a name "
                           "already live refuses to start); default HOSTNAME:PORT (HOSTNAME:PORT-PID with --port 0 or "
                           "--reuse-port)"),
            "name", QString());
    const QCommandLineOption stateDir =
            valued("state-dir",
                   QStringLiteral("Redis only: a directory where the node keeps the highest id it has seen, so that "
                                  "after its own restart it still notices a Redis restored from an older copy"),
                   "dir", QString());
    const QCommandLineOption reusePort(
            { QStringLiteral("reuse-port") },
            QStringLiteral("Listen with SO_REUSEPORT: several nodes on one machine share the port, the kernel "
                           "spreads connections over them"));
    p.addOptions({ host,         port,       history,    historyAge,      pollTimeout,    heartbeat,     tickRate,
                   allowOrigin,  sseRetry,   maxPending, headTimeout,     bodyTimeout,    core,          allowedHost,
                   publicOrigin, trustProxy, authKey,    allowQueryToken, maxPublishRate, maxConnsPerIp, store,
                   storeSync,    memoryRing, logName,    nodeName,        stateDir,       reusePort });

    auto failed = [&](const QString &why) {
        if (errorString)
            *errorString = why;
        return false;
    };
    if (!p.parse(arguments))
        return failed(p.errorText());
    if (p.isSet(help) || p.isSet(version)) {
        if (helpShown)
            *helpShown = true;
        const QString text = p.isSet(help) ? p.helpText()
                                           : QCoreApplication::applicationName() + QLatin1Char(' ')
                        + QCoreApplication::applicationVersion() + QLatin1Char('\n');
        std::fputs(qPrintable(text), stdout);
        return true;
    }
    if (!p.positionalArguments().isEmpty())
        return failed(QStringLiteral("unexpected argument: %1").arg(p.positionalArguments().constFirst()));

    ServerConfig c;
    c.host = p.value(host);
    if (QHostAddress(c.host).isNull() && c.host != u"localhost")
        return failed(QStringLiteral("--host: not an IP address: %1").arg(c.host));
    bool ok = false;
    const uint portValue = p.value(port).toUInt(&ok);
    if (!ok || portValue > 65535)
        return failed(QStringLiteral("--port: expected 0-65535, got %1").arg(p.value(port)));
    c.port = quint16(portValue);
    c.historyCount = p.value(history).toLongLong(&ok);
    if (!ok || c.historyCount < 1 || c.historyCount > 10000000)
        return failed(QStringLiteral("--history: expected 1-10000000, got %1").arg(p.value(history)));
    if (!parseSeconds(p.value(historyAge), 0.001, &c.historyAgeMs))
        return failed(QStringLiteral("--history-age: expected seconds > 0, got %1").arg(p.value(historyAge)));
    QString storeWhy;
    const std::optional<StoreSpec> storeSpec = StoreSpec::parse(p.value(store), &storeWhy);
    if (!storeSpec)
        return failed(QStringLiteral("--store: %1").arg(storeWhy));
    c.store = *storeSpec;
    const std::optional<StoreSpec::Sync> sync = StoreSpec::parseSync(p.value(storeSync), &storeWhy);
    if (!sync)
        return failed(QStringLiteral("--store-sync: %1").arg(storeWhy));
    if (p.isSet(storeSync) && c.store.kind != StoreSpec::Kind::Sqlite)
        return failed(QStringLiteral("--store-sync applies to --store sqlite:PATH only"));
    c.store.sync = *sync;
    for (const QCommandLineOption *redisOnly : { &logName, &nodeName, &stateDir }) {
        if (p.isSet(*redisOnly) && c.store.kind != StoreSpec::Kind::Redis)
            return failed(
                    QStringLiteral("--%1 applies to --store redis://… only").arg(redisOnly->names().constFirst()));
    }
    static const QRegularExpression nameChars(QStringLiteral("^[A-Za-z0-9._:-]{1,64}$"));
    c.store.logName = p.value(logName);
    if (!nameChars.match(c.store.logName).hasMatch())
        return failed(QStringLiteral("--log: 1-64 of A-Z a-z 0-9 . _ : -, got %1").arg(c.store.logName));
    c.store.nodeName = p.value(nodeName);
    if (p.isSet(nodeName) && !nameChars.match(c.store.nodeName).hasMatch())
        return failed(QStringLiteral("--node: 1-64 of A-Z a-z 0-9 . _ : -, got %1").arg(c.store.nodeName));
    c.store.stateDir = p.value(stateDir);
    c.reusePort = p.isSet(reusePort);
    c.memoryRing = p.value(memoryRing).toLongLong(&ok);
    if (!ok || c.memoryRing < 1 || c.memoryRing > 10000000)
        return failed(QStringLiteral("--memory-ring: expected 1-10000000, got %1").arg(p.value(memoryRing)));
    if (!parseSeconds(p.value(pollTimeout), 0, &c.pollTimeoutMs))
        return failed(QStringLiteral("--poll-timeout: expected seconds >= 0, got %1").arg(p.value(pollTimeout)));
    if (!parseSeconds(p.value(heartbeat), 0.01, &c.heartbeatMs))
        return failed(QStringLiteral("--heartbeat: expected seconds >= 0.01, got %1").arg(p.value(heartbeat)));
    c.tickRate = p.value(tickRate).toDouble(&ok);
    if (!ok || !std::isfinite(c.tickRate) || c.tickRate < 0 || c.tickRate > 1000)
        return failed(QStringLiteral("--tick-rate: expected 0-1000, got %1").arg(p.value(tickRate)));
    if (!parseSeconds(p.value(sseRetry), 0, &c.sseRetryMs))
        return failed(QStringLiteral("--sse-retry: expected seconds >= 0, got %1").arg(p.value(sseRetry)));
    const qint64 pendingKiB = p.value(maxPending).toLongLong(&ok);
    if (!ok || pendingKiB < 16 || pendingKiB > 1024 * 1024)
        return failed(QStringLiteral("--max-pending: expected 16-1048576 KiB, got %1").arg(p.value(maxPending)));
    c.maxPendingBytes = pendingKiB * 1024;
    if (!parseSeconds(p.value(headTimeout), 0.01, &c.headTimeoutMs))
        return failed(QStringLiteral("--head-timeout: expected seconds >= 0.01, got %1").arg(p.value(headTimeout)));
    if (!parseSeconds(p.value(bodyTimeout), 0.01, &c.bodyTimeoutMs))
        return failed(QStringLiteral("--body-timeout: expected seconds >= 0.01, got %1").arg(p.value(bodyTimeout)));
    c.maxConnsPerIp = p.value(maxConnsPerIp).toInt(&ok);
    if (!ok || c.maxConnsPerIp < 0 || c.maxConnsPerIp > 1000000)
        return failed(QStringLiteral("--max-conns-per-ip: expected 0-1000000, got %1").arg(p.value(maxConnsPerIp)));
    const QString coreName = p.value(core);
    if (coreName == u"qt")
        c.core = Core::Qt;
#ifdef RTLAB_HAVE_EPOLL
    else if (coreName == u"epoll")
        c.core = Core::Epoll;
#endif
    else
        return failed(QStringLiteral("--core: expected qt or epoll, got %1").arg(coreName));
    c.allowOrigins = p.values(allowOrigin);
    for (const QString &origin : std::as_const(c.allowOrigins)) {
        if (origin != u"*" && !origin.startsWith(u"http://") && !origin.startsWith(u"https://"))
            return failed(QStringLiteral("--allow-origin: expected \"*\" or scheme://host[:port], got %1").arg(origin));
    }
    c.allowedHosts = p.values(allowedHost);
    for (const QString &h : std::as_const(c.allowedHosts)) {
        if (h != u"*" && OriginPolicy::normalizeHost(h.toLatin1()).isEmpty())
            return failed(QStringLiteral("--allowed-host: expected a host name, an address or \"*\", got %1").arg(h));
    }
    for (QString origin : p.values(publicOrigin)) {
        if (origin.endsWith(u'/')) // as a browser's address bar shows it
            origin.chop(1);
        if (OriginPolicy::normalizeOrigin(origin.toLatin1()).isEmpty())
            return failed(QStringLiteral("--public-origin: expected http(s)://host[:port], got %1").arg(origin));
        c.publicOrigins.append(origin);
    }
    c.trustProxy = p.isSet(trustProxy);
    if (p.isSet(authKey)) {
        c.authKeyFile = p.value(authKey);
        QString why;
        if (!Authenticator::readKeyFile(c.authKeyFile, &c.authKey, &why))
            return failed(why);
    }
    c.allowQueryToken = p.isSet(allowQueryToken);
    if (c.allowQueryToken && c.authKey.isEmpty())
        return failed(QStringLiteral("--allow-query-token: needs --auth-key"));
    c.maxPublishRate = p.value(maxPublishRate).toDouble(&ok);
    if (!ok || !std::isfinite(c.maxPublishRate) || c.maxPublishRate < 0 || c.maxPublishRate > 1000000)
        return failed(QStringLiteral("--max-publish-rate: expected 0-1000000, got %1").arg(p.value(maxPublishRate)));
    *config = c;
    return true;
}

} // namespace rtlab
