// SPDX-License-Identifier: MIT
#include "wsendpoint.h"

#include "hub.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcWs, "rtlab.server.ws")

namespace rtlab {

WsEndpoint::WsEndpoint(Hub *hub, Wire *wire, QByteArray requestTarget)
    : m_hub(hub), m_wire(wire),
      // A frame and a message alike are bounded by the body limit: a client's frames publish JSON.
      m_parser(WsFrameParser::Role::Server, { hub->config().maxBodyBytes, hub->config().maxBodyBytes }),
      m_requestTarget(std::move(requestTarget))
{
}

void WsEndpoint::feed(QByteArrayView bytes)
{
    if (m_ended)
        return;
    m_parser.feed(bytes);
    readFrames();
    if (!m_ended && m_wire->pendingBytes() > m_hub->config().maxPendingBytes) {
        // The session's own cut (StreamSession::pump) runs only when a message is pumped.
        qCDebug(lcWs) << "cutting a slow reader:" << m_wire->pendingBytes() << "bytes unsent";
        m_hub->stats().slowReadersCut++;
        m_hub->stats().refuse(Refusal::SlowReader);
        m_ended = true;
        Observer *observer = std::exchange(m_observer, nullptr);
        m_wire->abortConnection();
        if (observer)
            observer->channelClosed();
    }
}

void WsEndpoint::readFrames()
{
    while (!m_ended) {
        const std::optional<WsFrame> frame = m_parser.next();
        if (!frame) {
            if (m_parser.error() != WsFrameParser::Error::None)
                fail(quint16(m_parser.closeCode()), m_parser.errorString());
            return;
        }
        if (m_closeSent && frame->opcode != WsFrameParser::Close)
            continue; // after our close frame, only the peer's close matters
        switch (frame->opcode) {
        case WsFrameParser::Ping: send(WsFrameParser::Pong, frame->payload); break;
        case WsFrameParser::Pong:
            if (m_observer)
                m_observer->channelPongReceived();
            break;
        case WsFrameParser::Close:
            // Echo the peer's code, or none for none (RFC 6455 §5.5.1, §7.4.1: 1005 is never sent).
            if (!m_closeSent)
                sendClose(frame->payload.size() >= 2 ? WsFrameParser::closePayload(frame->closeCode()) : QByteArray());
            finish();
            return;
        default:
            if (std::optional<WsMessage> message = m_parser.takeMessage(); message && m_observer) {
                if (message->opcode == WsFrameParser::Text)
                    m_observer->channelTextReceived(message->data);
                else
                    m_observer->channelBinaryReceived();
            }
            break;
        }
    }
}

void WsEndpoint::drained()
{
    if (m_observer)
        m_observer->channelDrained();
}

void WsEndpoint::send(quint8 opcode, QByteArrayView payload)
{
    // Server frames are never masked (RFC 6455 §5.1).
    const QByteArray frame = WsFrameParser::encodeFrame(opcode, payload);
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += frame.size();
    m_wire->writeFrame(frame);
}

void WsEndpoint::sendText(const QByteArray &utf8)
{
    if (m_closeSent || m_ended)
        return;
    send(WsFrameParser::Text, utf8);
}

void WsEndpoint::sendTextFrame(const QByteArray &utf8, const QByteArray &frame)
{
    if (m_closeSent || m_ended)
        return;
    if (frame.isEmpty()) {
        send(WsFrameParser::Text, utf8);
        return;
    }
    // Built once by the log: every subscriber's queue holds the same bytes.
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += frame.size();
    m_wire->writeFrame(frame);
}

void WsEndpoint::ping()
{
    if (m_closeSent || m_ended)
        return;
    send(WsFrameParser::Ping, {});
}

void WsEndpoint::sendClose(const QByteArray &payload)
{
    send(WsFrameParser::Close, payload);
    m_closeSent = true;
    m_closeSentMs = m_hub->nowMs();
}

void WsEndpoint::close(quint16 code, const QString &reason)
{
    m_observer = nullptr;
    if (m_closeSent || m_ended)
        return;
    sendClose(WsFrameParser::closePayload(code, reason));
    // Now the peer's close frame; the core's sweep ends a handshake left unanswered.
}

void WsEndpoint::fail(quint16 code, const QString &reason)
{
    qCDebug(lcWs) << "closing WebSocket" << code << reason;
    if (!m_closeSent)
        sendClose(WsFrameParser::closePayload(code, reason));
    finish();
}

void WsEndpoint::finish()
{
    m_ended = true;
    if (Observer *observer = std::exchange(m_observer, nullptr))
        observer->channelClosed();
    m_wire->closeAfterWrite();
}

void WsEndpoint::abort()
{
    m_observer = nullptr;
    m_ended = true;
    m_wire->abortConnection();
}

} // namespace rtlab
