// SPDX-License-Identifier: MIT
#include "idlecostmeter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMap>

#include <cmath>

namespace rtlab {

namespace {

const QStringList Transports { QStringLiteral("lp"), QStringLiteral("sse"), QStringLiteral("ws") };

// Below this, a per-client request rate is "none": one request per client in a 1,000 s window.
constexpr double NoRequests = 0.001;

QString transportName(const QString &key)
{
    if (key == u"lp")
        return IdleCostMeter::tr("Long Polling");
    if (key == u"sse")
        return IdleCostMeter::tr("SSE");
    if (key == u"ws")
        return IdleCostMeter::tr("WebSocket");
    return key;
}

QString seconds(qint64 ms)
{
    return QString::number(double(ms) / 1000.0, 'g', 3);
}

} // namespace

IdleCostMeter::IdleCostMeter(QObject *parent) : QObject(parent), m_program(defaultProgram())
{
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        if (!m_running)
            return; // cancelled
        const QByteArray out = m_process.readAllStandardOutput();
        const QJsonObject bench = QJsonDocument::fromJson(out.trimmed()).object();
        if (status != QProcess::NormalExit || bench.isEmpty()) {
            fail(tr("rtlab-bench stopped (exit %1): %2")
                         .arg(code)
                         .arg(QString::fromUtf8(m_process.readAllStandardError().right(300)).trimmed()));
            return;
        }
        IdleCostResult result = summarize(bench);
        if (m_ownServer) {
            result.server = QStringLiteral("own");
            result.conditions = tr("%1; on a fresh rtlab-server of the meter's, its heartbeat and hold shortened "
                                   "for the lesson (the bundled server's defaults: heartbeat 15 s, hold 25 s)")
                                        .arg(result.conditions);
        } else {
            result.server = QStringLiteral("given");
        }
        m_result = result.toJson();
        m_results.append(m_result);
        emit finished(m_result);
        next();
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart && m_running)
            fail(tr("cannot start %1: %2").arg(m_program, m_process.errorString()));
    });
}

IdleCostMeter::~IdleCostMeter()
{
    cancel();
}

QString IdleCostMeter::defaultProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         { dir + QStringLiteral("/rtlab-bench"), dir + QStringLiteral("/../bin/rtlab-bench") })
        if (QFileInfo(candidate).isExecutable())
            return QDir::cleanPath(candidate);
    return QStringLiteral("rtlab-bench");
}

int IdleCostMeter::estimatedSeconds(const Options &o, int transports)
{
    // Set-up (a server start, the connections spread over one hold, the settle), one cycle of
    // warm-up (the longer of the hold and the heartbeat, plus half a second), the window.
    const double setup = 1.0 + o.pollHoldSeconds + 0.5;
    const double warmup = qMax(o.pollHoldSeconds, o.heartbeatSeconds) + 0.5;
    return int(std::ceil((setup + warmup + o.windowSeconds) * qMax(1, transports)));
}

bool IdleCostMeter::start(const QUrl &server, qint64 serverPid, const QString &transport, int clients, int seconds)
{
    Options o;
    o.server = server;
    o.serverPid = serverPid;
    o.clients = clients;
    o.windowSeconds = seconds;
    return start(transport, o);
}

bool IdleCostMeter::start(const QString &transport, const Options &options)
{
    return startSeries({ transport }, options);
}

bool IdleCostMeter::startSeries(const QStringList &transports, const Options &options)
{
    if (m_running || transports.isEmpty())
        return false;
    for (const QString &t : transports)
        if (!Transports.contains(t))
            return false;
    m_options = options;
    m_options.clients = qBound(1, options.clients, 5000);
    m_options.windowSeconds = qBound(1.0, options.windowSeconds, 600.0);
    m_options.pollHoldSeconds = qBound(0.0, options.pollHoldSeconds, 600.0);
    m_options.heartbeatSeconds = qBound(0.1, options.heartbeatSeconds, 600.0);
    m_ownServer = !options.server.isValid();
    m_queue = transports;
    m_results = {};
    m_result = {};
    m_running = true;
    emit started();
    next();
    return true;
}

void IdleCostMeter::next()
{
    if (!m_running)
        return;
    if (m_queue.isEmpty()) {
        m_running = false;
        stopOwnServer();
        emit seriesFinished(m_results);
        return;
    }
    m_transport = m_queue.takeFirst();
    emit measuring(m_transport, estimatedSeconds(m_options, 1));
    if (!m_ownServer) {
        launchBench(m_options.server, m_options.serverPid);
        return;
    }
    // A fresh server per transport: each starts from the same empty heap, so the memory one
    // transport's clients cost is not hidden in what the one before left allocated.
    stopOwnServer();
    m_server = std::make_unique<ServerProcess>();
    if (!m_serverProgram.isEmpty())
        m_server->setProgram(m_serverProgram);
    const QString heartbeat = QString::number(m_options.heartbeatSeconds);
    // Ticks off: idle means nothing published. The hold itself is asked for by each poll.
    m_server->setExtraArguments(
            { QStringLiteral("--tick-rate"), QStringLiteral("0"), QStringLiteral("--heartbeat"), heartbeat });
    ServerProcess *server = m_server.get();
    connect(server, &ServerProcess::started, this, [this, server](const QUrl &url) {
        if (m_running && server == m_server.get())
            launchBench(url, server->pid());
    });
    connect(server, &ServerProcess::errorOccurred, this, [this, server](const QString &message) {
        if (!m_running || server != m_server.get())
            return;
        // Queued: failing deletes the server, which may be the one emitting this (from start()).
        QMetaObject::invokeMethod(
                this, [this, message] { fail(tr("the meter's rtlab-server: %1").arg(message)); }, Qt::QueuedConnection);
    });
    server->start();
}

void IdleCostMeter::launchBench(const QUrl &server, qint64 serverPid)
{
    QStringList args { QStringLiteral("--url"),
                       server.toString(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::StripTrailingSlash),
                       QStringLiteral("--transport"),
                       m_transport,
                       QStringLiteral("--subscribers"),
                       QString::number(m_options.clients),
                       QStringLiteral("--idle"),
                       QStringLiteral("--duration"),
                       QString::number(m_options.windowSeconds),
                       QStringLiteral("--poll-hold"),
                       QString::number(m_options.pollHoldSeconds),
                       QStringLiteral("--connect-spread"),
                       QString::number(m_options.pollHoldSeconds),
                       QStringLiteral("--json") };
    if (serverPid > 0)
        args += { QStringLiteral("--server-pid"), QString::number(serverPid) };
    m_process.start(m_program, args);
}

void IdleCostMeter::fail(const QString &why)
{
    cancel();
    emit failed(why);
}

void IdleCostMeter::stopOwnServer()
{
    if (!m_server)
        return;
    m_server->disconnect(this);
    m_server->stopAndWait();
    m_server.reset();
}

void IdleCostMeter::cancel()
{
    m_running = false;
    m_queue.clear();
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(2000))
            m_process.kill();
        m_process.waitForFinished(1000);
    }
    stopOwnServer();
}

IdleCostResult IdleCostMeter::summarize(const QJsonObject &b)
{
    const QJsonObject server = b.value(QLatin1String("server")).toObject();
    const QJsonObject idle = b.value(QLatin1String("idle")).toObject();
    const QJsonObject per = idle.value(QLatin1String("perClient")).toObject();
    const QJsonObject connections = b.value(QLatin1String("connections")).toObject();
    QStringList transports;
    for (const QJsonValue &t : b.value(QLatin1String("transports")).toArray())
        transports += t.toString();
    const QString transport = transports.join(u',');
    IdleCostResult s;
    s.transport = transport;
    s.clients = idle.value(QLatin1String("clients")).toInteger();
    s.failed = connections.value(QLatin1String("failed")).toInteger();
    const double window = idle.value(QLatin1String("windowSeconds")).toDouble();
    const qint64 holdMs = idle.value(QLatin1String("holdMs")).toInteger(-1);
    const qint64 heartbeatMs = idle.value(QLatin1String("heartbeatMs")).toInteger(-1);
    const double tickRate = idle.value(QLatin1String("tickRate")).toDouble(-1);
    const qint64 published = idle.value(QLatin1String("messagesInWindow")).toInteger(-1);
    s.windowSeconds = window;
    s.warmupSeconds = idle.value(QLatin1String("warmupSeconds")).toDouble();
    s.holdMs = holdMs;
    s.heartbeatMs = heartbeatMs;
    s.tickRate = tickRate;
    s.messagesInWindow = published;
    s.heartbeats = idle.value(QLatin1String("heartbeats")).toInteger();
    // Per client; a figure the run could not measure (no server pid, no /stats) is left out.
    const auto copy = [&](const char *from) {
        return per.contains(QLatin1String(from)) ? std::optional(per.value(QLatin1String(from)).toDouble())
                                                 : std::nullopt;
    };
    s.rssBytesPerClient = copy("rssBytes");
    s.fdsPerClient = copy("fds");
    s.wakeupsPerSecPerClient = copy("wakeupsPerSec");
    s.requestsPerSecPerClient = copy("requestsPerSec");
    s.bytesPerSecPerClient = copy("bytesPerSec");
    s.bytesInPerSecPerClient = copy("bytesInPerSec");
    s.cpuUsPerSecPerClient = copy("cpuUsPerSec");
    s.preemptionsPerSecPerClient = copy("preemptionsPerSec");
    if (idle.contains(QLatin1String("serverWakeupsPerSec"))) {
        s.serverWakeupsPerSec = idle.value(QLatin1String("serverWakeupsPerSec")).toDouble();
        s.serverCpuPercent = server.value(QLatin1String("cpuPercent")).toDouble();
    }

    const QString hold = holdMs >= 0 ? tr("hold %1 s").arg(seconds(holdMs)) : tr("no long polls");
    const QString beat = heartbeatMs >= 0 ? tr("heartbeat %1 s").arg(seconds(heartbeatMs)) : tr("heartbeat unknown");
    const QString ticks = tickRate == 0 ? tr("no ticks")
            : tickRate > 0              ? tr("%1 ticks/s").arg(tickRate)
                                        : tr("tick rate unknown");
    const double spread = idle.value(QLatin1String("connectSpreadSeconds")).toDouble();
    const QString arrivals =
            spread > 0 ? tr("clients connected over %1 s").arg(spread) : tr("clients connected at once");
    s.conditions = tr("steady state over %1 s after a %2 s warm-up, %3, %4, %5, %6")
                           .arg(window, 0, 'f', 1)
                           .arg(idle.value(QLatin1String("warmupSeconds")).toDouble(), 0, 'f', 1)
                           .arg(arrivals, hold, beat, ticks);

    // What the figures say about the claims, and whether the conditions held.
    QStringList notes;
    const qint64 failed = connections.value(QLatin1String("failed")).toInteger();
    if (failed > 0)
        notes += tr("%n client(s) did not connect; the figures are per connected client.", "", int(failed));
    if (published > 0)
        notes += tr("Not idle: %n message(s) were published during the window, and their delivery is in the "
                    "figures.",
                    "", int(published));
    else if (tickRate > 0)
        notes += tr("The server publishes ticks (%1/s): not an idle server.").arg(tickRate);
    const double cycles = idle.value(QLatin1String("cycles")).toDouble(-1);
    if (cycles >= 0 && cycles < 2)
        notes += tr("The window covers fewer than two holds or heartbeats: it is closer to set-up than to steady "
                    "state.");
    if (idle.contains(QLatin1String("statsError")))
        notes += tr("The server's /stats could not be read (%1): no requests or bytes out.")
                         .arg(idle.value(QLatin1String("statsError")).toString());
    if (!per.contains(QLatin1String("fds")))
        notes += tr("No server process to read /proc from: no memory, descriptors or wake-ups.");
    const double requests = per.value(QLatin1String("requestsPerSec")).toDouble(-1);
    const double bytes = per.value(QLatin1String("bytesPerSec")).toDouble(-1);
    if (requests >= 0 && transports.size() == 1) {
        if (transport == u"lp") {
            if (requests > 0)
                notes += tr("As the claim says: each idle long-poll client still makes %1 requests/s (a re-poll "
                            "every %2 s), and each answer costs the server %3 B/s.")
                                 .arg(requests, 0, 'f', 3)
                                 .arg(1.0 / requests, 0, 'f', 1)
                                 .arg(bytes, 0, 'f', 1);
            else
                notes += tr("Contradicts the claim: no long-poll request was counted in the window (is the hold "
                            "longer than the window?).");
        } else if (requests < NoRequests) {
            notes += tr("As the claim says: no request after set-up; only heartbeats cross (%1 B/s per client).")
                             .arg(bytes, 0, 'f', 2);
        } else {
            notes += tr("Contradicts the claim: %1 requests/s per client after set-up (reconnects?).")
                             .arg(requests, 0, 'f', 3);
        }
    }
    const double fds = per.value(QLatin1String("fds")).toDouble(-1);
    if (fds >= 0 && (fds < 0.8 || fds > 1.3))
        notes += tr("%1 descriptors per client where one socket each was expected.").arg(fds, 0, 'f', 2);
    s.notes = notes;
    return s;
}

QStringList IdleCostMeter::compare(const QJsonArray &summaries)
{
    return compare(IdleCostResult::fromJsonArray(summaries));
}

QStringList IdleCostMeter::compare(const QList<IdleCostResult> &results)
{
    QMap<QString, IdleCostResult> by;
    for (const IdleCostResult &r : results)
        by.insert(r.transport, r);
    // A figure of one transport, -1 when that transport or that figure was not measured.
    const auto figure = [&](const QString &t, std::optional<double> IdleCostResult::*member) {
        const auto it = by.constFind(t);
        return it == by.cend() ? -1.0 : ((*it).*member).value_or(-1.0);
    };
    QStringList out;
    // "Long polling is resource intensive": requests, wake-ups and bytes, against each push transport.
    for (const QString &other : { QStringLiteral("ws"), QStringLiteral("sse") }) {
        if (!by.contains(QStringLiteral("lp")) || !by.contains(other))
            continue;
        for (const auto &[key, what] : { std::pair { &IdleCostResult::wakeupsPerSecPerClient, tr("server wake-ups") },
                                         std::pair { &IdleCostResult::requestsPerSecPerClient, tr("requests") },
                                         std::pair { &IdleCostResult::bytesPerSecPerClient, tr("bytes out") } }) {
            const double a = figure(QStringLiteral("lp"), key), b = figure(other, key);
            if (a < 0 || b < 0)
                continue;
            if (a > b)
                out += b > 0 ? tr("Long Polling: %1× the %2 per client of %3 (%4 vs %5 per second), as the claim says.")
                                       .arg(a / b, 0, 'f', a / b >= 10 ? 0 : 1)
                                       .arg(what, transportName(other))
                                       .arg(a, 0, 'g', 3)
                                       .arg(b, 0, 'g', 3)
                             : tr("Long Polling: %1 %2 per client per second, %3 none, as the claim says.")
                                       .arg(a, 0, 'g', 3)
                                       .arg(what, transportName(other));
            else
                out += tr("Contradicts the claim: Long Polling cost no more %1 per client than %2 (%3 vs %4 per "
                          "second).")
                               .arg(what, transportName(other))
                               .arg(a, 0, 'g', 3)
                               .arg(b, 0, 'g', 3);
        }
    }
    // "WebSockets need many open connections": one socket per client, like the others.
    QStringList sockets;
    double othersFds = -1;
    for (const QString &t : Transports) {
        const double fds = figure(t, &IdleCostResult::fdsPerClient);
        if (fds < 0)
            continue;
        sockets += tr("%1 %2 fds and %3 B of memory")
                           .arg(transportName(t))
                           .arg(fds, 0, 'f', 2)
                           .arg(figure(t, &IdleCostResult::rssBytesPerClient), 0, 'f', 0);
        if (t != u"ws")
            othersFds = qMax(othersFds, fds);
    }
    const double wsFds = figure(QStringLiteral("ws"), &IdleCostResult::fdsPerClient);
    if (sockets.size() > 1 && wsFds >= 0 && othersFds >= 0)
        out += (wsFds <= othersFds + 0.05
                        ? tr("Per idle client the server holds %1. A WebSocket client does need an open connection, "
                             "but so does every idle SSE or long-poll client: one socket each.")
                        : tr("Per idle client the server holds %1: WebSocket needs more descriptors per client than "
                             "the others."))
                       .arg(sockets.join(QStringLiteral("; ")));
    return out;
}

} // namespace rtlab
