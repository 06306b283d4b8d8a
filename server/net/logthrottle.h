// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>

namespace rtlab {

// At most one log line per interval for each kind of error, and how many were held back: a
// server out of descriptors meets the same error on every accept, and wrote ten lines a second
// of it. I/O-free, on the caller's clock, so its rule is tested with exact times.
class LogThrottle
{
public:
    explicit LogThrottle(qint64 intervalMs = 1000) : m_intervalMs(intervalMs) { }

    // Whether a line of this kind may be written at nowMs. When it may, *suppressed is how many
    // lines of the kind were held back since the last one written.
    bool admit(const QByteArray &kind, qint64 nowMs, qint64 *suppressed)
    {
        const auto it = m_kinds.find(kind);
        if (it != m_kinds.end() && nowMs - it->lastMs < m_intervalMs) {
            ++it->suppressed;
            return false;
        }
        // Kinds are a handful (an operation and an errno), so the hash stays small.
        Entry &e = m_kinds[kind];
        *suppressed = e.suppressed;
        e = { nowMs, 0 };
        return true;
    }

private:
    struct Entry
    {
        qint64 lastMs = 0;
        qint64 suppressed = 0;
    };
    qint64 m_intervalMs;
    QHash<QByteArray, Entry> m_kinds;
};

} // namespace rtlab
