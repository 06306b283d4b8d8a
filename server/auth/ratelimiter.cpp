// SPDX-License-Identifier: MIT
#include "ratelimiter.h"

#include <cmath>

namespace rtlab {

double RateLimiter::refilled(const Bucket &bucket, qint64 nowMs) const
{
    const double elapsed = double(qMax<qint64>(0, nowMs - bucket.atMs)) / 1000.0;
    return qMin(m_perSecond, bucket.tokens + elapsed * m_perSecond);
}

void RateLimiter::prune(qint64 nowMs)
{
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (refilled(*it, nowMs) >= m_perSecond)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

std::optional<int> RateLimiter::admit(const QString &key, qint64 nowMs)
{
    if (!isEnabled())
        return std::nullopt;
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= MaxKeys) {
            prune(nowMs);
            if (m_buckets.size() >= MaxKeys)
                return 1;
        }
        it = m_buckets.insert(key, Bucket { m_perSecond, nowMs });
    }
    it->tokens = refilled(*it, nowMs);
    it->atMs = nowMs;
    if (it->tokens >= 1) {
        it->tokens -= 1;
        return std::nullopt;
    }
    return qMax(1, int(std::ceil((1 - it->tokens) / m_perSecond)));
}

} // namespace rtlab
