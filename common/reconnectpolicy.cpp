// SPDX-License-Identifier: MIT
#include "reconnectpolicy.h"

#include <QRandomGenerator>

#include <cmath>
#include <limits>

namespace rtlab {

ReconnectPolicy ReconnectPolicy::exponential(int initialMs, int maxMs, double jitter)
{
    ReconnectPolicy p;
    p.m_preset = Preset::Exponential;
    p.m_initialMs = qMax(0, initialMs);
    p.m_maxMs = qMax(p.m_initialMs, maxMs);
    p.m_jitter = qBound(0.0, jitter, 1.0);
    return p;
}

ReconnectPolicy ReconnectPolicy::fixed(QList<int> delaysMs)
{
    ReconnectPolicy p;
    p.m_preset = Preset::SignalR;
    p.m_fixed = std::move(delaysMs);
    return p;
}

ReconnectPolicy ReconnectPolicy::none()
{
    ReconnectPolicy p;
    p.m_preset = Preset::None;
    return p;
}

ReconnectPolicy ReconnectPolicy::preset(Preset preset)
{
    switch (preset) {
    case Preset::Exponential: return exponential(500, 15000, 0.5);
    case Preset::SignalR: return fixed({ 0, 2000, 10000, 30000 });
    case Preset::None: return none();
    }
    return {};
}

std::optional<ReconnectPolicy::Preset> ReconnectPolicy::presetFromName(QStringView name)
{
    if (name == u"default" || name == u"exponential")
        return Preset::Exponential;
    if (name == u"signalr")
        return Preset::SignalR;
    if (name == u"none")
        return Preset::None;
    return std::nullopt;
}

QString ReconnectPolicy::presetName(Preset preset)
{
    switch (preset) {
    case Preset::Exponential: return QStringLiteral("default");
    case Preset::SignalR: return QStringLiteral("signalr");
    case Preset::None: return QStringLiteral("none");
    }
    return {};
}

std::optional<int> ReconnectPolicy::nextDelay(int attempt, QRandomGenerator *random) const
{
    if (attempt < 1)
        attempt = 1;
    switch (m_preset) {
    case Preset::None: return std::nullopt;
    case Preset::SignalR:
        if (attempt > m_fixed.size())
            return std::nullopt;
        return m_fixed.at(attempt - 1);
    case Preset::Exponential: {
        // base = initial · 2^(attempt-1), capped; then a uniform factor in [1-j, 1+j].
        const double base = std::min(double(m_maxMs), double(m_initialMs) * std::pow(2.0, std::min(attempt - 1, 30)));
        QRandomGenerator *r = random ? random : QRandomGenerator::global();
        const double factor = 1.0 + m_jitter * (2.0 * r->generateDouble() - 1.0);
        return int(std::min(std::round(base * factor), double(std::numeric_limits<int>::max())));
    }
    }
    return std::nullopt;
}

} // namespace rtlab
