// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>

#include <cstdint>
#include <vector>

namespace rtlab::bench {

// The figures of the server process(es) under test, read from /proc (Linux). Several pids are
// summed: nginx's master and worker, for example.
struct ProcSample
{
    bool valid = false;
    int64_t cpuNs = 0;        // on-CPU time of every thread, /proc/PID/task/*/schedstat (ns resolution)
    int64_t cpuTicksNs = 0;   // utime + stime from /proc/PID/stat (10 ms resolution), in ns
    int64_t rssKiB = 0;       // VmRSS
    int64_t voluntaryCtx = 0; // voluntary_ctxt_switches (all threads, summed)
    int64_t involuntaryCtx = 0;
    int64_t fds = 0;  // open file descriptors, the entries of /proc/PID/fd
    int64_t atUs = 0; // when it was taken (monotonic)

    static ProcSample take(const std::vector<int> &pids);
    // The kernel's TCP buffer memory, machine-wide (/proc/net/sockstat "TCP: ... mem", pages):
    // what a server leaves in socket buffers for readers that do not read. -1 if unreadable.
    static int64_t kernelTcpKiB();
    QJsonObject toJson() const;
};

} // namespace rtlab::bench
