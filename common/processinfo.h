// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

namespace rtlab {

// Figures about this process, read from the OS (/proc on Linux; -1 where unknown).
class ProcessInfo
{
public:
    static qint64 residentBytes();
    // User + system CPU time consumed so far, in microseconds.
    static qint64 cpuMicros();
};

} // namespace rtlab
