// SPDX-License-Identifier: MIT
#pragma once

#include "serverprocess.h"
#include "wirecontract.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace rtlab {

// What idle clients cost the server, in steady state: N connections of one transport held by
// rtlab-bench in its idle mode (a separate process, so this window stays free). The window opens
// only after every client is connected and one full hold/heartbeat cycle has passed, and covers
// several of them; the figures per client come from the server's /proc (memory, descriptors,
// wake-ups) and its /stats (requests, bytes out), with the hold, heartbeat and tick rate in force.
//
// By default the meter runs its own rtlab-server for the measurement, started fresh for each
// transport with ticks off and a short heartbeat (a lab cannot wait 2 x 25 s), and says so in the
// result; it can also be given a running server (its settings are then read from its /stats).
class IdleCostMeter : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int clients = 500;
        double windowSeconds = 20; // the steady-state window: several holds and heartbeats
        // Each long poll asks for this hold (timeout=); the clients of every transport connect
        // spread over one hold, so the long polls' re-polls are not all in step.
        double pollHoldSeconds = 5;
        double heartbeatSeconds = 5; // the meter's own server only
        // The server to measure; empty: the meter starts its own (ticks off, the heartbeat above).
        QUrl server;
        qint64 serverPid = 0; // for /proc; 0: no memory, descriptors or wake-ups
    };

    explicit IdleCostMeter(QObject *parent = nullptr);
    ~IdleCostMeter() override;

    static QString defaultProgram(); // rtlab-bench next to this executable
    void setProgram(const QString &program) { m_program = program; }
    // The rtlab-server the meter starts when it is given none.
    void setServerProgram(const QString &program) { m_serverProgram = program; }

    // One transport ("lp", "sse", "ws") against a running server: the window is `seconds` long.
    bool start(const QUrl &server, qint64 serverPid, const QString &transport, int clients, int seconds);
    bool start(const QString &transport, const Options &options);
    // Several transports one after another (each on a fresh server of its own, when the meter
    // runs it): finished() for each, then seriesFinished() with all the summaries in order.
    bool startSeries(const QStringList &transports, const Options &options);
    void cancel();
    bool isRunning() const { return m_running; }
    QJsonObject result() const { return m_result; }  // the last transport's summary
    QJsonArray results() const { return m_results; } // this series' summaries so far

    // About how long a measurement takes: set-up, the warm-up cycle and the window, per transport.
    static int estimatedSeconds(const Options &options, int transports);

    // The figures per client from rtlab-bench's --idle --json report, with what they say about
    // the claims (notes) and the conditions they were measured in. result() and results() hold
    // these as JSON (IdleCostResult::toJson()).
    static IdleCostResult summarize(const QJsonObject &bench);
    // What a series says about the claims, transport against transport (texts).
    static QStringList compare(const QList<IdleCostResult> &results);
    static QStringList compare(const QJsonArray &summaries); // results() or seriesFinished()'s, read first

signals:
    void started();
    void measuring(const QString &transport, int seconds);
    void finished(const QJsonObject &summary);
    void seriesFinished(const QJsonArray &summaries);
    void failed(const QString &why);

private:
    void next();
    void launchBench(const QUrl &server, qint64 serverPid);
    void fail(const QString &why);
    void stopOwnServer();

    QString m_program;
    QProcess m_process;
    QString m_serverProgram;
    std::unique_ptr<ServerProcess> m_server; // the meter's own, one per transport
    Options m_options;
    QStringList m_queue;
    QString m_transport;
    bool m_running = false;
    bool m_ownServer = false;
    QJsonObject m_result;
    QJsonArray m_results;
};

} // namespace rtlab
