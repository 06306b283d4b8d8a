// SPDX-License-Identifier: MIT
#include "streamsession.h"

#include "hub.h"
#include "pollsession.h"

#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcStream, "rtlab.server.stream")

namespace rtlab {

// While replaying, write more only when the connection has drained below this; well under the
// slow-reader bound, so that a client that has just caught up is not mistaken for a slow one.
static qint64 replayHighWater(qint64 maxPending)
{
    return qMin<qint64>(64 * 1024, maxPending / 4);
}

StreamSession::StreamSession(Hub *hub, TransportKind transport) : m_hub(hub), m_transport(transport)
{
    m_lastWriteMs = hub->nowMs();
    m_sinceMs = m_lastWriteMs;
}

StreamSession::~StreamSession() = default;

void StreamSession::noteWrite()
{
    m_lastWriteMs = m_hub->nowMs();
}

void StreamSession::start(const ResumeResult &resume)
{
    if (resume.reset)
        deliver(*resume.resetEntry);
    m_cursor = resume.cursor;
    pump();
}

void StreamSession::pump()
{
    if (m_finished || m_pumping || m_reading)
        return;
    m_pumping = true;
    const MessageLog &log = m_hub->log();
    qint64 nowNs = -1; // at most one clock read per pump, and only when it writes a message
    while (m_cursor < log.lastId()) {
        if (!m_live && pendingBytes() >= replayHighWater(m_hub->config().maxPendingBytes))
            break; // go on when the connection drains
        LogEntryPtr next = nextEntry(log);
        if (!next) {
            if (m_cursor + 1 < log.firstId()) {
                // The history moved past us while we caught up: say so, never a silent gap.
                skipTo(log.firstId() - 1);
                continue;
            }
            // Kept, but older than the ring: a page from the store, then on from there.
            requestPage();
            if (m_reading || m_finished)
                break;
            continue;
        }
        if (next->message.id > m_cursor + 1)
            skipTo(next->message.id - 1); // the page starts later than asked: the store moved past us
        if (m_finished)
            break;
        deliver(*next);
        m_cursor = next->message.id;
        if (nowNs < 0)
            nowNs = m_hub->writeClockNs();
        m_hub->stats().delivered(m_transport, next->appendedNs, nowNs);
        m_delivered++;
    }
    if (m_cursor >= log.lastId()) // ahead: a shared log's client that read further on another node
        m_live = true;
    m_pumping = false;
    if (m_live && pendingBytes() > m_hub->config().maxPendingBytes) {
        m_hub->stats().slowReadersCut++;
        m_hub->stats().refuse(Refusal::SlowReader);
        cutOff();
    }
}

void StreamSession::skipTo(quint64 restart)
{
    const MessageLog &log = m_hub->log();
    deliver(*makeResetEntry(log.epoch(), qint64(restart - m_cursor), restart));
    m_hub->stats().resumesReset++;
    m_cursor = restart;
}

LogEntryPtr StreamSession::nextEntry(const MessageLog &log)
{
    while (m_pageNext < m_page.size() && m_page[m_pageNext]->message.id <= m_cursor)
        ++m_pageNext;
    if (m_pageNext == m_page.size()) {
        if (!m_page.empty()) {
            m_page.clear();
            m_pageNext = 0;
        }
        return log.entry(m_cursor + 1);
    }
    return std::move(m_page[m_pageNext++]);
}

void StreamSession::requestPage()
{
    m_reading = true;
    QPointer<StreamSession> self(this);
    // The session may be gone when the page comes back: the pointer says so.
    m_hub->log().read(m_cursor, PollSession::PageEntries, [self](ReadResult page) {
        if (self && !self->m_finished)
            self->pageArrived(std::move(page));
    });
}

void StreamSession::pageArrived(ReadResult page)
{
    m_reading = false;
    if (!page.error.isEmpty()) {
        qCWarning(lcStream) << "cannot read the history after" << m_cursor << ":" << page.error;
        historyUnavailable(page.error);
        return;
    }
    const MessageLog &log = m_hub->log();
    if (page.entries.empty()) {
        // Nothing kept after the cursor below the ring any more: the ring is where it goes on.
        const quint64 restart = qMax(log.firstId(), log.ringFirstId()) - 1;
        if (restart > m_cursor)
            skipTo(restart);
    }
    m_page = std::move(page.entries);
    m_pageNext = 0;
    if (!m_pumping)
        pump();
}

void StreamSession::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_hub->detach(this);
    deleteLater();
}

} // namespace rtlab
