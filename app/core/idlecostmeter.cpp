#include "idlecostmeter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace rtlab {

IdleCostMeter::IdleCostMeter(QObject *parent) : QObject(parent), m_program(defaultProgram())
{
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        const QByteArray out = m_process.readAllStandardOutput();
        const QJsonObject bench = QJsonDocument::fromJson(out.trimmed()).object();
        if (status != QProcess::NormalExit || bench.isEmpty()) {
            emit failed(tr("rtlab-bench stopped (exit %1): %2")
                                .arg(code)
                                .arg(QString::fromUtf8(m_process.readAllStandardError().right(300)).trimmed()));
            return;
        }
        m_result = summarize(bench);
        emit finished(m_result);
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            emit failed(tr("cannot start %1: %2").arg(m_program, m_process.errorString()));
    });
}

IdleCostMeter::~IdleCostMeter()
{
    cancel();
}

QString IdleCostMeter::defaultProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString &candidate : { dir + QStringLiteral("/rtlab-bench"), dir + QStringLiteral("/../bin/rtlab-bench") })
        if (QFileInfo(candidate).isExecutable())
            return QDir::cleanPath(candidate);
    return QStringLiteral("rtlab-bench");
}

bool IdleCostMeter::start(const QUrl &server, qint64 serverPid, const QString &transport, int clients, int seconds)
{
    if (isRunning())
        return false;
    QStringList args { QStringLiteral("--url"), server.toString(QUrl::RemovePath | QUrl::StripTrailingSlash),
                       QStringLiteral("--transport"), transport, QStringLiteral("--subscribers"),
                       QString::number(qBound(1, clients, 5000)), QStringLiteral("--idle"), QStringLiteral("--duration"),
                       QString::number(qBound(1, seconds, 600)), QStringLiteral("--json") };
    if (serverPid > 0)
        args += { QStringLiteral("--server-pid"), QString::number(serverPid) };
    m_result = {};
    m_process.start(m_program, args);
    emit started();
    return true;
}

void IdleCostMeter::cancel()
{
    if (!isRunning())
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(2000))
        m_process.kill();
}

QJsonObject IdleCostMeter::summarize(const QJsonObject &b)
{
    const QJsonObject server = b.value(QLatin1String("server")).toObject();
    const QJsonObject idle = b.value(QLatin1String("idle")).toObject();
    const QJsonObject connections = b.value(QLatin1String("connections")).toObject();
    QJsonObject s;
    s.insert(QLatin1String("transport"), b.value(QLatin1String("transports")).toArray().first().toString());
    s.insert(QLatin1String("clients"), connections.value(QLatin1String("opened")).toInteger());
    s.insert(QLatin1String("failed"), connections.value(QLatin1String("failed")).toInteger());
    s.insert(QLatin1String("connectPerSec"), connections.value(QLatin1String("perSec")).toDouble());
    s.insert(QLatin1String("rssBytesPerClient"), server.value(QLatin1String("rssPerConnectionBytes")).toDouble());
    s.insert(QLatin1String("wakeupsPerSec"), server.value(QLatin1String("wakeupsPerSec")).toDouble());
    s.insert(QLatin1String("serverCpuPercent"), server.value(QLatin1String("cpuPercent")).toDouble());
    s.insert(QLatin1String("heartbeatBytesPerSecPerClient"),
             idle.value(QLatin1String("bytesPerSecPerConnection")).toDouble());
    s.insert(QLatin1String("seconds"), idle.value(QLatin1String("seconds")).toDouble());
    return s;
}

} // namespace rtlab
