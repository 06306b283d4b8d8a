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

QByteArray PollSession::answer(const MessageLog &log, const ResumeResult &resume, int maxMessages, qint64 maxBytes,
                               qint64 *sent, const Page *page)
{
    QList<QByteArray> messages;
    quint64 cursor = resume.cursor;
    qint64 bytes = 0;
    LogEntryPtr reset = resume.resetEntry;
    quint64 pageFirst = 0;
    if (page) {
        // Where what the store kept goes on (the ring's start after an empty page): past the
        // cursor is a gap, the exact count lost on top of what the resume already lost.
        pageFirst = page->empty() ? log.ringFirstId() : page->front()->message.id;
        if (pageFirst > cursor + 1) {
            const qint64 gap = qint64(pageFirst - 1 - cursor);
            const qint64 lost = resume.reset ? (resume.lost < 0 ? -1 : resume.lost + gap) : gap;
            cursor = pageFirst - 1;
            reset = makeResetEntry(log.epoch(), lost, cursor);
        }
    }
    if (reset) {
        messages.append(reset->json);
        bytes += reset->json.size();
    }
    int n = 0;
    for (; n < maxMessages && cursor < log.lastId(); ++n) {
        const quint64 id = cursor + 1;
        const LogEntryPtr entry = page && id >= pageFirst && id - pageFirst < page->size()
                ? (*page)[size_t(id - pageFirst)]
                : log.entry(id);
        if (!entry || (n > 0 && bytes + entry->json.size() > maxBytes))
            break;
        messages.append(entry->json);
        bytes += entry->json.size();
        cursor = entry->message.id;
    }
    if (sent)
        *sent = n;
    return PollAnswer::encode(log.epoch(), messages, cursor);
}

QByteArray PollSession::answerFor(Hub *hub, const HttpStream *stream, const ResumeResult &resume, qint64 *sent,
                                  const Page *page)
{
    // An answer the size of the history would sit whole in the connection's queue: cut it by bytes
    // as by count, and the client goes on from the cursor (docs/protocol.md, "Long poll").
    const qint64 room = hub->config().maxPendingBytes - stream->pendingBytes();
    return answer(hub->log(), resume, hub->config().maxPollMessages, room, sent, page);
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
    // Still ahead of what arrived (a shared log's client that read further on another node): held on.
    if (!m_stream || m_cursor >= m_hub->log().lastId())
        return;
    // A shared answer (Hub::onAppended) carries the one message after the live end.
    qint64 sent = qint64(qMin<quint64>(m_hub->log().lastId() - m_cursor, quint64(m_hub->config().maxPollMessages)));
    ResumeResult resume;
    resume.cursor = m_cursor;
    if (body.isEmpty()) {
        // The history may have moved past the cursor meanwhile (a shared log's tail that missed
        // trimmed entries): the resume rule says so, never a silent gap.
        ResumePoint point;
        point.after = m_cursor;
        resume = m_hub->log().resume(point);
        if (resume.reset)
            m_hub->stats().resumesReset++;
        body = answerFor(m_hub, m_stream, resume, &sent);
    }
    m_hub->countPollAnswer(TransportKind::LongPoll, m_stream, resume.cursor, sent);
    respond(response(std::move(body), m_corsOrigin));
}

void PollSession::answerWith(const ResumeResult &resume)
{
    if (!m_stream)
        return;
    qint64 sent = 0;
    QByteArray body = answerFor(m_hub, m_stream, resume, &sent);
    m_hub->countPollAnswer(TransportKind::LongPoll, m_stream, resume.cursor, sent);
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
