// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>

#include <optional>

class QRandomGenerator;

namespace rtlab {

// When to try again after a connection is lost. A value class: nextDelay() is pure given the
// random source, so tests can check every preset.
class ReconnectPolicy
{
public:
    enum class Preset {
        Exponential, // the default: 0.5 s doubling to 15 s, ±50 % jitter
        SignalR,     // ASP.NET SignalR's default: 0, 2, 10, 30 s, then give up
        None,        // never reconnect
    };

    ReconnectPolicy() = default;
    static ReconnectPolicy preset(Preset preset);
    static ReconnectPolicy exponential(int initialMs, int maxMs, double jitter);
    static ReconnectPolicy fixed(QList<int> delaysMs);
    static ReconnectPolicy none();
    static std::optional<Preset> presetFromName(QStringView name); // "default", "signalr", "none"
    static QString presetName(Preset preset);

    // The delay before attempt number `attempt` (1 for the first retry after a loss), or
    // nothing if the policy gives up.
    std::optional<int> nextDelay(int attempt, QRandomGenerator *random = nullptr) const;

    Preset kind() const { return m_preset; }

private:
    Preset m_preset = Preset::Exponential;
    int m_initialMs = 500;
    int m_maxMs = 15000;
    double m_jitter = 0.5;
    QList<int> m_fixed;
};

} // namespace rtlab
