// SPDX-License-Identifier: MIT
#pragma once

#include "clienttransport.h"
#include "realtimeclient.h"

#include <QList>
#include <QPointer>

#include <optional>

namespace rtlab {

// A ClientTransport with no connection beneath: the base class runs its state machine (states,
// events, reconnect scheduling, duplicate dropping) and the test plays the network — the attempt
// opens, is refused with an HTTP status, or drops; messages arrive. Its dead-peer watchdog is
// off (no bytes ever come), and its back-off is what the test says: an hour by default, so that
// only retryNow() starts another attempt while a test runs.
class FakeTransport : public ClientTransport
{
    Q_OBJECT
public:
    FakeTransport(TransportKind kind, const Options &options, QObject *parent = nullptr);

    void publish(const PublishRequest &request) override { m_published.append(request); }

    // The network's side, for the attempt in flight.
    void open() { attemptOpened(); }
    // An HTTP answer instead of the transport (a 4xx blocks it; a 5xx is an outage).
    void refuse(int httpStatus, const QString &reason = QStringLiteral("refused"));
    // The connection (or the attempt) is gone with no HTTP answer.
    void drop(const QString &reason = QStringLiteral("connection reset")) { connectionLost(reason); }
    // A WebSocket the server closed with 1008 because the token expired.
    void closeForPolicy(const QString &reason = QStringLiteral("token expired")) { tokenRefused(reason, 0, 1008); }
    // The upstream's answer about one published message.
    void answerPublish(const QString &clientMsgId, const QString &why, bool retryable)
    {
        emit publishFailed(clientMsgId, why, retryable);
    }
    void receive(const Message &message) { deliver(message); }
    // What retryDelay() says from now on; nullopt: the policy gives up.
    void setRetryDelay(std::optional<int> ms) { m_retryDelay = ms; }

    // How many attempts started (start() and every reconnect), and the position each started from.
    int attempts() const { return int(m_attemptsFrom.size()); }
    const QList<StreamPosition> &attemptsFrom() const { return m_attemptsFrom; }
    bool isConnected() const { return m_connected; }
    const QList<PublishRequest> &published() const { return m_published; }

protected:
    void connectNow() override;
    void disconnectNow() override { m_connected = false; }
    std::optional<int> retryDelay(int attempt) override;

private:
    QList<StreamPosition> m_attemptsFrom;
    QList<PublishRequest> m_published;
    std::optional<int> m_retryDelay = 3600 * 1000;
    bool m_connected = false;
};

// Hands a RealtimeClient FakeTransports and keeps them, newest last, for the test to drive.
// Retired transports are deleted by the client later: their entries then read null.
class FakeTransportFactory
{
public:
    RealtimeClient::TransportFactory factory();
    const QList<QPointer<FakeTransport>> &made() const { return m_made; }
    FakeTransport *last() const { return m_made.isEmpty() ? nullptr : m_made.last().data(); }

private:
    QList<QPointer<FakeTransport>> m_made;
};

} // namespace rtlab
