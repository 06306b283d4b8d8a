#pragma once

#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QUrl>

namespace rtlab {

// What idle clients cost the server: N connections of one transport held by rtlab-bench in
// its idle mode (a separate process, so this window stays free), measured from the server's
// own figures in /proc: memory and wake-ups per client, heartbeat bytes, requests.
class IdleCostMeter : public QObject
{
    Q_OBJECT
public:
    explicit IdleCostMeter(QObject *parent = nullptr);
    ~IdleCostMeter() override;

    static QString defaultProgram(); // rtlab-bench next to this executable
    void setProgram(const QString &program) { m_program = program; }

    // Starts N idle clients of transport ("lp", "sse", "ws") against the server (pid: for /proc).
    bool start(const QUrl &server, qint64 serverPid, const QString &transport, int clients, int seconds);
    void cancel();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    QJsonObject result() const { return m_result; }

    // The figures that matter, per client: {"clients","transport","rssBytesPerClient","wakeupsPerSec",
    // "heartbeatBytesPerSecPerClient","serverCpuPercent","seconds"}
    static QJsonObject summarize(const QJsonObject &bench);

signals:
    void started();
    void finished(const QJsonObject &summary);
    void failed(const QString &why);

private:
    QString m_program;
    QProcess m_process;
    QJsonObject m_result;
};

} // namespace rtlab
