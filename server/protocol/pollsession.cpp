// SPDX-License-Identifier: MIT
#include "pollsession.h"

#include "authenticator.h"
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

void PollSession::respond(HttpResponse r)
{
    if (!m_stream)
        return;
    HttpStream *stream = std::exchange(m_stream, nullptr);
    stream->setObserver(nullptr);
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
    const qint64 sent = qint64(qMin<quint64>(log.lastId() - m_cursor, quint64(m_hub->config().maxPollMessages)));
    m_hub->stats().at(TransportKind::LongPoll).messages += sent;
    m_hub->pollDelivered(m_stream, sent);
    respond(response(std::move(body), m_corsOrigin));
}

void PollSession::timeOut()
{
    if (!m_stream)
        return;
    if (m_hub->nowMs() >= m_tokenDeadlineMs) {
        // The contract's answer to an expired token: 401, so that the client stops and says so.
        HttpResponse r = Authenticator::expiredResponse();
        r.allowOrigin(m_corsOrigin);
        respond(r);
        return;
    }
    m_hub->stats().pollTimeouts++;
    ResumeResult resume;
    resume.cursor = m_cursor;
    respond(response(answer(m_hub->log(), resume, 0), m_corsOrigin));
}

void PollSession::shutdown()
{
    ResumeResult resume;
    resume.cursor = m_cursor;
    HttpResponse r = response(answer(m_hub->log(), resume, 0), m_corsOrigin);
    r.closeConnection = true;
    respond(r);
}

void PollSession::streamClosed()
{
    m_stream = nullptr;
    m_hub->stats().at(TransportKind::LongPoll).held--;
    m_hub->detach(this);
    deleteLater();
}

} // namespace rtlab
