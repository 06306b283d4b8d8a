// SPDX-License-Identifier: MIT
#include "pollsession.h"

#include "hub.h"
#include "wirecontract.h"

namespace rtlab {

PollSession::PollSession(Hub *hub, HttpStream *stream, quint64 cursor, QByteArray corsOrigin)
    : m_hub(hub), m_stream(stream), m_cursor(cursor), m_corsOrigin(std::move(corsOrigin))
{
    m_stream->setObserver(this);
    m_hub->stats().at(TransportKind::LongPoll).held++;
}

PollSession::~PollSession()
{
    if (m_stream)
        m_stream->setObserver(nullptr);
}

QByteArray PollSession::answer(const MessageLog &log, const ResumeResult &resume, int maxMessages)
{
    QList<QByteArray> messages;
    quint64 cursor = resume.cursor;
    if (resume.reset)
        messages.append(resume.resetEntry->json);
    for (int n = 0; n < maxMessages && cursor < log.lastId(); ++n) {
        const LogEntryPtr entry = log.entry(cursor + 1);
        if (!entry)
            break;
        messages.append(entry->json);
        cursor = entry->message.id;
    }
    return PollAnswer::encode(log.epoch(), messages, cursor);
}

HttpResponse PollSession::response(QByteArray body, const QByteArray &corsOrigin)
{
    HttpResponse r = HttpResponse::jsonBytes(200, body);
    r.allowOrigin(corsOrigin);
    return r;
}

void PollSession::respond(QByteArray body, bool close)
{
    if (!m_stream)
        return;
    HttpStream *stream = std::exchange(m_stream, nullptr);
    stream->setObserver(nullptr);
    HttpResponse r = response(std::move(body), m_corsOrigin);
    r.closeConnection = close;
    m_hub->stats().at(TransportKind::LongPoll).held--;
    m_hub->detach(this);
    stream->respond(r);
    deleteLater();
}

void PollSession::wake(QByteArray body)
{
    if (!m_stream)
        return;
    const MessageLog &log = m_hub->log();
    ResumeResult resume;
    resume.cursor = m_cursor;
    if (body.isEmpty())
        body = answer(log, resume, m_hub->config().maxPollMessages);
    m_hub->countPollAnswer(TransportKind::LongPoll, m_stream, m_cursor);
    respond(std::move(body), false);
}

void PollSession::timeOut()
{
    if (!m_stream)
        return;
    m_hub->stats().pollTimeouts++;
    ResumeResult resume;
    resume.cursor = m_cursor;
    respond(answer(m_hub->log(), resume, 0), false);
}

void PollSession::shutdown()
{
    ResumeResult resume;
    resume.cursor = m_cursor;
    respond(answer(m_hub->log(), resume, 0), true);
}

void PollSession::streamClosed()
{
    m_stream = nullptr;
    m_hub->stats().at(TransportKind::LongPoll).held--;
    m_hub->detach(this);
    deleteLater();
}

} // namespace rtlab
