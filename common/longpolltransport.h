#pragma once

#include "clienttransport.h"
#include "httpclientconnection.h"
#include "httppublisher.h"

namespace rtlab {

// Long polling: GET /poll?after=N&epoch=E, held by the server until a message arrives or its
// hold time passes; re-poll at once after every answer, following the answer's cursor. The
// client gives up on a poll 5 s after the hold it asked for. Publishes by POST /send.
class LongPollTransport : public ClientTransport
{
    Q_OBJECT
public:
    explicit LongPollTransport(const Options &options, QObject *parent = nullptr);

    void publish(const PublishRequest &request) override;

protected:
    void connectNow() override;
    void disconnectNow() override;

private:
    void poll();
    void onFinished();

    HttpClientConnection m_connection;
    HttpPublisher m_publisher;
    QTimer m_clientTimeout;
    QByteArray m_body;
    bool m_opened = false;
};

} // namespace rtlab
