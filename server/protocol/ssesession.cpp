// SPDX-License-Identifier: MIT
#include "ssesession.h"

#include "hub.h"
#include "sseencoder.h"

namespace rtlab {

SseSession::SseSession(Hub *hub, HttpStream *stream, const HttpResponse &head)
    : StreamSession(hub, TransportKind::Sse), m_stream(stream)
{
    m_stream->setObserver(this);
    m_stream->beginStream(head);
    m_stream->write(SseEncoder::retry(int(hub->config().sseRetryMs)));
}

SseSession::~SseSession()
{
    if (m_stream)
        m_stream->setObserver(nullptr);
}

void SseSession::deliver(const LogEntry &entry)
{
    m_stream->write(entry.sse);
    noteWrite();
}

qint64 SseSession::pendingBytes() const
{
    return m_stream ? m_stream->pendingBytes() : 0;
}

void SseSession::heartbeat(qint64 nowMs)
{
    // Only a quiet stream needs one: a stream that carries data proves itself alive.
    if (!m_stream || nowMs - m_lastWriteMs < m_hub->config().heartbeatMs / 2)
        return;
    static const QByteArray beat = SseEncoder::comment("hb");
    m_stream->write(beat);
    noteWrite();
}

void SseSession::shutdown()
{
    if (!m_stream)
        return;
    HttpStream *stream = std::exchange(m_stream, nullptr);
    stream->setObserver(nullptr);
    stream->end();
    finish();
}

void SseSession::tokenExpired()
{
    if (!m_stream)
        return;
    // Said before the end, for a reader that shows comments; EventSource then reconnects, and
    // its next attempt gets the 401 that stops it.
    static const QByteArray expired = SseEncoder::comment("token expired");
    m_stream->write(expired);
    shutdown();
}

void SseSession::logReset()
{
    // EventSource reconnects with its Last-Event-ID, which names the old epoch.
    shutdown();
}

void SseSession::historyUnavailable(const QString &)
{
    // The stream ends; EventSource reconnects with its Last-Event-ID and resumes from there.
    shutdown();
}

void SseSession::cutOff()
{
    HttpStream *stream = std::exchange(m_stream, nullptr);
    stream->setObserver(nullptr);
    stream->abort();
    finish();
}

void SseSession::streamDrained()
{
    pump();
}

void SseSession::streamClosed()
{
    m_stream = nullptr;
    finish();
}

} // namespace rtlab
