// SPDX-License-Identifier: MIT
#pragma once

#include "clienttransport.h"
#include "httpclientconnection.h"
#include "httppublisher.h"
#include "sseparser.h"

#include <deque>

namespace rtlab {

// Server-Sent Events as EventSource does it (WHATWG HTML §9.2): Accept: text/event-stream,
// Last-Event-ID on reconnect, retry: honoured, reconnect after the stream ends; a 204, any
// other non-200 status or a wrong Content-Type fail the connection for good. Publishes by POST.
class SseTransport : public ClientTransport
{
    Q_OBJECT
public:
    explicit SseTransport(const Options &options, QObject *parent = nullptr);

    void publish(const PublishRequest &request) override;
    // The stream's last event ID, as a reconnect would send it.
    QString lastEventId() const { return m_lastEventId; }

protected:
    void connectNow() override;
    void disconnectNow() override;
    std::optional<int> retryDelay(int attempt) override;

private:
    void onHead();
    void onBody(const QByteArray &bytes);
    struct Block;
    // The complete blank-line-ended blocks in m_wire, taken out of it: the wire bytes of each
    // event and comment, for the byte ledger.
    QList<Block> takeBlocks();

    HttpClientConnection m_connection;
    HttpPublisher m_publisher;
    SseParser m_parser;
    QString m_lastEventId;
    std::optional<qint64> m_retryMs;
    qint64 m_comments = 0;
    qint64 m_framingSeen = 0;
    // Body bytes since the end of the last complete block (bounded: see onBody).
    QByteArray m_wire;
    // Events dispatched, waiting for their block (decoded message, or none; the data).
    std::deque<std::pair<std::optional<Message>, QByteArray>> m_awaitingBlocks;
};

} // namespace rtlab
