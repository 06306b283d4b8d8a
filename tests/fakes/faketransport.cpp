// SPDX-License-Identifier: MIT
#include "faketransport.h"

namespace rtlab {

FakeTransport::FakeTransport(TransportKind kind, const Options &options, QObject *parent)
    : ClientTransport(kind, options, parent)
{
    setWatchdogEnabled(false);
}

void FakeTransport::refuse(int httpStatus, const QString &reason)
{
    attemptRefused(reason, httpStatus, true);
}

void FakeTransport::connectNow()
{
    m_connected = true;
    m_attemptsFrom.append(m_position);
}

std::optional<int> FakeTransport::retryDelay(int attempt)
{
    Q_UNUSED(attempt);
    return m_retryDelay;
}

RealtimeClient::TransportFactory FakeTransportFactory::factory()
{
    return [this](TransportKind kind, const ClientTransport::Options &options, QObject *parent) -> ClientTransport * {
        auto *t = new FakeTransport(kind, options, parent);
        m_made.append(t);
        return t;
    };
}

} // namespace rtlab
