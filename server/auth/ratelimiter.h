// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QString>

#include <optional>

namespace rtlab {

// A token bucket per key (a token's sub, or a client address): `perSecond` admissions a second
// with a burst of as many. I/O-free: the caller gives the time, so its tests say exact times.
// Bounded: a key's bucket refills in one second, and a full bucket is the same as none, so the
// table holds only keys heard from in the last second; past MaxKeys of those, new keys are
// refused until some refill (a flood of names must not grow memory).
class RateLimiter
{
public:
    static constexpr qsizetype MaxKeys = 100000;

    explicit RateLimiter(double perSecond = 0) : m_perSecond(perSecond) { }

    bool isEnabled() const { return m_perSecond > 0; }
    // Admits one event for the key at nowMs: nullopt, or the whole seconds to wait (>= 1), the
    // Retry-After of a 429.
    std::optional<int> admit(const QString &key, qint64 nowMs);
    qsizetype keyCount() const { return m_buckets.size(); }

private:
    struct Bucket
    {
        double tokens;
        qint64 atMs;
    };
    double refilled(const Bucket &bucket, qint64 nowMs) const;
    void prune(qint64 nowMs);

    double m_perSecond;
    QHash<QString, Bucket> m_buckets;
};

} // namespace rtlab
