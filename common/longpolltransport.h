// SPDX-License-Identifier: MIT
#pragma once

#include "clienttransport.h"
#include "httpclientconnection.h"
#include "httppublisher.h"

#include <QElapsedTimer>

namespace rtlab {

// Long polling: GET /poll?after=N&epoch=E, held by the server until a message arrives or its
// hold time passes; re-poll at once after every answer, following the answer's cursor. The
// client gives up on a poll 5 s after the hold it asked for. Publishes by POST /send.
//
// Made with kind TransportKind::Poll it is traditional (short) polling instead: every poll asks
// timeout=0, so the server answers at once with what it has (often nothing), and the next poll
// starts Options::pollIntervalMs after the previous one started (at once if that answer took
// longer). An empty answer is an idle poll (TransportStats::idlePolls), not a hold timeout.
// Resume, duplicates, resets and the cursor follow the same rules as long polling.
class LongPollTransport : public ClientTransport
{
    Q_OBJECT
public:
    explicit LongPollTransport(const Options &options, QObject *parent = nullptr,
                               TransportKind kind = TransportKind::LongPoll);

    void publish(const PublishRequest &request) override;

protected:
    void connectNow() override;
    void disconnectNow() override;

private:
    void poll();
    void onFinished();
    // After an answer: long polling polls again at once, short polling when its interval is up.
    void pollAgain();
    bool isShort() const { return kind() == TransportKind::Poll; }

    HttpClientConnection m_connection;
    HttpPublisher m_publisher;
    QTimer m_clientTimeout;
    QTimer m_intervalTimer;        // short polling: until the next poll
    QElapsedTimer m_sinceLastPoll; // short polling: since the current poll was sent
    QByteArray m_body;
    bool m_opened = false;
};

} // namespace rtlab
