// SPDX-License-Identifier: MIT
#include "processinfo.h"

#include <QFile>

#include <sys/resource.h>
#include <unistd.h>

namespace rtlab {

qint64 ProcessInfo::residentBytes()
{
#ifdef Q_OS_LINUX
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (statm.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> fields = statm.readAll().split(' ');
        if (fields.size() > 1)
            return fields.at(1).toLongLong() * sysconf(_SC_PAGESIZE);
    }
#endif
    return -1;
}

qint64 ProcessInfo::cpuMicros()
{
    rusage usage {};
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        return -1;
    auto micros = [](const timeval &tv) { return qint64(tv.tv_sec) * 1000000 + tv.tv_usec; };
    return micros(usage.ru_utime) + micros(usage.ru_stime);
}

} // namespace rtlab
