// SPDX-License-Identifier: MIT
#include "procstats.h"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace rtlab::bench {

namespace {

std::string readFile(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int64_t statusField(const std::string &status, const char *name)
{
    const size_t pos = status.find(name);
    if (pos == std::string::npos)
        return 0;
    return std::strtoll(status.c_str() + pos + std::strlen(name), nullptr, 10);
}

int64_t monotonicUs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

} // namespace

ProcSample ProcSample::take(const std::vector<int> &pids)
{
    ProcSample s;
    s.atUs = monotonicUs();
    if (pids.empty())
        return s;
    s.valid = true;
    const int64_t tick = sysconf(_SC_CLK_TCK);
    for (const int pid : pids) {
        const std::string base = "/proc/" + std::to_string(pid);
        const std::string stat = readFile(base + "/stat");
        const size_t paren = stat.rfind(')');
        if (stat.empty() || paren == std::string::npos) {
            s.valid = false;
            continue;
        }
        // Fields after the command: state(3) ... utime(14) stime(15).
        std::istringstream fields(stat.substr(paren + 2));
        std::string field;
        int64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i == 14)
                utime = std::stoll(field);
            if (i == 15)
                stime = std::stoll(field);
        }
        s.cpuTicksNs += (utime + stime) * (1000000000 / tick);
        const std::string status = readFile(base + "/status");
        s.rssKiB += statusField(status, "VmRSS:");
        if (DIR *dir = opendir((base + "/fd").c_str())) {
            while (dirent *e = readdir(dir))
                s.fds += e->d_name[0] != '.';
            closedir(dir);
        }
        if (DIR *dir = opendir((base + "/task").c_str())) {
            while (dirent *e = readdir(dir)) {
                if (e->d_name[0] == '.')
                    continue;
                const std::string task = base + "/task/" + e->d_name;
                s.cpuNs += std::strtoll(readFile(task + "/schedstat").c_str(), nullptr, 10);
                const std::string tstatus = readFile(task + "/status");
                s.voluntaryCtx += statusField(tstatus, "\nvoluntary_ctxt_switches:");
                s.involuntaryCtx += statusField(tstatus, "nonvoluntary_ctxt_switches:");
            }
            closedir(dir);
        }
    }
    if (s.cpuNs == 0)
        s.cpuNs = s.cpuTicksNs; // no schedstat in this kernel
    return s;
}

QJsonObject ProcSample::toJson() const
{
    return { { QStringLiteral("cpuMs"), double(cpuNs) / 1e6 },
             { QStringLiteral("rssKiB"), qint64(rssKiB) },
             { QStringLiteral("voluntaryCtx"), qint64(voluntaryCtx) },
             { QStringLiteral("involuntaryCtx"), qint64(involuntaryCtx) },
             { QStringLiteral("fds"), qint64(fds) } };
}

int64_t ProcSample::kernelTcpKiB()
{
    const std::string text = readFile("/proc/net/sockstat");
    const size_t tcp = text.find("\nTCP:");
    if (tcp == std::string::npos)
        return -1;
    const size_t mem = text.find(" mem ", tcp);
    if (mem == std::string::npos || mem > text.find('\n', tcp + 1))
        return -1;
    return std::strtoll(text.c_str() + mem + 5, nullptr, 10) * (sysconf(_SC_PAGESIZE) / 1024);
}

} // namespace rtlab::bench
