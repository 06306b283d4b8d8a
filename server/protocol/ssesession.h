// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"
#include "streamsession.h"

namespace rtlab {

// GET /events: a text/event-stream of every log message after the resume point, with a
// comment heartbeat when the stream has been quiet.
class SseSession : public StreamSession, private HttpStream::Observer
{
    Q_OBJECT
public:
    SseSession(Hub *hub, HttpStream *stream, const HttpResponse &head);
    ~SseSession() override;

    void heartbeat(qint64 nowMs) override;
    void shutdown() override;
    void tokenExpired() override;
    void logReset() override;
    QByteArray peerAddress() const override { return m_stream ? m_stream->peerAddress() : QByteArray(); }

private:
    void deliver(const LogEntry &entry) override;
    qint64 pendingBytes() const override;
    void cutOff() override;
    void historyUnavailable(const QString &why) override;
    void streamDrained() override;
    void streamClosed() override;

    HttpStream *m_stream;
};

} // namespace rtlab
