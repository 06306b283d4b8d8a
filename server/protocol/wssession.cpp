// SPDX-License-Identifier: MIT
#include "wssession.h"

#include "hub.h"

#include <QJsonDocument>
#include <QPointer>

namespace rtlab {

// RFC 6455 §7.4.1
enum : quint16 {
    CloseGoingAway = 1001,
    ClosePolicyViolation = 1008,
    CloseUnsupportedData = 1003,
    CloseTooBig = 1009,
    CloseInternalError = 1011,
    CloseServiceRestart = 1012,
};

WsSession::WsSession(Hub *hub, WsChannel *channel) : StreamSession(hub, TransportKind::WebSocket), m_channel(channel)
{
    m_channel->setObserver(this);
}

WsSession::~WsSession()
{
    if (m_channel)
        m_channel->setObserver(nullptr);
}

void WsSession::deliver(const LogEntry &entry)
{
    m_channel->sendTextFrame(entry.json, entry.wsFrame);
    noteWrite();
}

qint64 WsSession::pendingBytes() const
{
    return m_channel ? m_channel->pendingBytes() : 0;
}

void WsSession::heartbeat(qint64)
{
    if (!m_channel)
        return;
    if (m_unansweredPings >= 2) {
        // Two pings unanswered: the peer (or the path to it) is dead; a close frame would
        // wait for an answer that is not coming.
        m_hub->stats().heartbeatTimeouts++;
        cutOff();
        return;
    }
    ++m_unansweredPings;
    m_channel->ping();
}

void WsSession::close(quint16 code, const QString &reason)
{
    if (!m_channel)
        return;
    WsChannel *channel = std::exchange(m_channel, nullptr);
    channel->setObserver(nullptr);
    channel->close(code, reason);
    finish();
}

void WsSession::shutdown()
{
    close(CloseGoingAway, QStringLiteral("server shutting down"));
}

void WsSession::tokenExpired()
{
    close(ClosePolicyViolation, QStringLiteral("token expired"));
}

void WsSession::logReset()
{
    close(CloseServiceRestart, QStringLiteral("log reset"));
}

void WsSession::setPublisher(const QString &sub, bool mayPublish)
{
    m_sub = sub;
    m_mayPublish = mayPublish;
}

void WsSession::historyUnavailable(const QString &)
{
    // The client reconnects and resumes from its last id: nothing is skipped.
    close(CloseInternalError, QStringLiteral("cannot read the history"));
}

void WsSession::cutOff()
{
    WsChannel *channel = std::exchange(m_channel, nullptr);
    channel->setObserver(nullptr);
    channel->abort();
    finish();
}

// A bad message costs the client nothing already accepted: it is told why, and stays. The error
// names the refused message when it named itself, so that its sender can tell which one.
void WsSession::sendError(int status, const QString &why, const QByteArray &frame)
{
    QJsonObject o;
    o.insert(QLatin1String("type"), QLatin1String("error"));
    o.insert(QLatin1String("status"), status);
    o.insert(QLatin1String("error"), why);
    const QJsonValue clientMsgId = QJsonDocument::fromJson(frame).object().value(MessageCodec::clientMsgIdKey());
    // Not a lone surrogate: the refusal must not carry back what it refused.
    if (clientMsgId.isString() && clientMsgId.toString().size() <= PublishLimits::MaxClientMsgIdChars
        && QStringView(clientMsgId.toString()).isValidUtf16())
        o.insert(MessageCodec::clientMsgIdKey(), clientMsgId);
    m_channel->sendText(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void WsSession::channelTextReceived(const QByteArray &utf8)
{
    m_unansweredPings = 0;
    if (m_hub->nowMs() >= m_tokenDeadlineMs) {
        // Expired since the last sweep: nothing more is published on it.
        tokenExpired();
        return;
    }
    PublishRequest request;
    QString why;
    const auto error =
            MessageCodec::decodePublish(utf8, PublishLimits { m_hub->config().maxTextBytes, 64 }, &request, &why);
    if (error != MessageCodec::Error::None) {
        m_hub->stats().badRequests++;
        m_hub->stats().refuse(refusalFor(MessageCodec::httpStatus(error)));
    }
    if (error == MessageCodec::Error::TextTooLong) {
        close(CloseTooBig, why);
        return;
    }
    if (error != MessageCodec::Error::None) {
        sendError(MessageCodec::httpStatus(error), why, utf8);
        return;
    }
    if (!m_mayPublish) {
        m_hub->stats().refuse(Refusal::Forbidden);
        sendError(403, QStringLiteral("token lacks the \"publish\" permission"), utf8);
        return;
    }
    if (!m_sub.isEmpty())
        request.from = m_sub; // a client cannot post as someone else
    if (const std::optional<int> wait = m_hub->admitPublish(m_sub.isEmpty() ? peerAddress() : QByteArray(), m_sub)) {
        m_hub->stats().refuse(Refusal::RateLimited);
        sendError(429, QStringLiteral("publishing too fast; retry in %1 s").arg(*wait), utf8);
        return;
    }
    // The answer is the message itself, arriving through the log like every other once its commit
    // is back; the socket may have closed by then (the pointer says so).
    QPointer<WsSession> self(this);
    m_hub->publish(request, [self, frame = utf8](const PublishResult &result) {
        if (!self || !self->m_channel)
            return;
        if (result.status) {
            // Nothing was kept: the client may send it again.
            self->sendError(result.status, result.error, frame);
            return;
        }
        // A repeat of a clientMsgId is answered like the original was: with the original message
        // on this socket. A stream that has not reached it yet carries it in order anyway; one
        // that has passed it gets it again (the client drops it by id if it has it: never out of
        // order).
        if (!result.duplicate || result.id() > self->cursor())
            return;
        if (result.entry) {
            self->deliver(*result.entry);
            return;
        }
        // A shared log's duplicate older than this node's ring: its entry is read from the store.
        self->m_hub->log().read(result.id() - 1, 1, [self, id = result.id()](ReadResult page) {
            if (self && self->m_channel && !page.entries.empty() && page.entries.front()->message.id == id)
                self->deliver(*page.entries.front());
        });
    });
}

void WsSession::channelBinaryReceived()
{
    m_unansweredPings = 0;
    close(CloseUnsupportedData, QStringLiteral("binary frames are not supported; send JSON text"));
}

void WsSession::channelPongReceived()
{
    m_unansweredPings = 0;
}

void WsSession::channelDrained()
{
    pump();
}

void WsSession::channelClosed()
{
    m_channel = nullptr;
    finish();
}

} // namespace rtlab
