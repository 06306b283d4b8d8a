// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"
#include "streamsession.h"

namespace rtlab {

// GET /ws: every log message after the resume point as one JSON text frame; text frames from
// the client publish. Pings every heartbeat; a peer that misses two is closed.
class WsSession : public StreamSession, private WsChannel::Observer
{
    Q_OBJECT
public:
    WsSession(Hub *hub, WsChannel *channel);
    ~WsSession() override;

    void heartbeat(qint64 nowMs) override;
    void shutdown() override;
    void tokenExpired() override;
    void logReset() override;
    // With tokens: the sender every publish frame is sent as (the token's sub, whatever the frame
    // says), and whether the token may publish.
    void setPublisher(const QString &sub, bool mayPublish);
    QByteArray peerAddress() const override { return m_channel ? m_channel->peerAddress() : QByteArray(); }

private:
    void deliver(const LogEntry &entry) override;
    qint64 pendingBytes() const override;
    void cutOff() override;
    void historyUnavailable(const QString &why) override;
    void close(quint16 code, const QString &reason);
    void channelTextReceived(const QByteArray &utf8) override;
    void channelBinaryReceived() override;
    void channelPongReceived() override;
    void channelDrained() override;
    void channelClosed() override;

    void sendError(int status, const QString &why, const QByteArray &frame);

    WsChannel *m_channel;
    int m_unansweredPings = 0;
    QString m_sub; // empty: no tokens, the frame's "from" is taken
    bool m_mayPublish = true;
};

} // namespace rtlab
