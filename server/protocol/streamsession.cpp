// SPDX-License-Identifier: MIT
#include "streamsession.h"

#include "hub.h"

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
    if (m_finished || m_pumping)
        return;
    m_pumping = true;
    const MessageLog &log = m_hub->log();
    qint64 nowNs = -1; // at most one clock read per pump, and only when it writes a message
    while (m_cursor < log.lastId()) {
        if (!m_live && pendingBytes() >= replayHighWater(m_hub->config().maxPendingBytes))
            break; // go on when the connection drains
        LogEntryPtr next = log.entry(m_cursor + 1);
        if (!next) {
            // The history moved past us while we caught up: say so, never a silent gap.
            const quint64 restart = log.firstId() - 1;
            deliver(*MessageLog::makeResetEntry(log.epoch(), qint64(restart - m_cursor), restart));
            m_hub->stats().resumesReset++;
            m_cursor = restart;
            continue;
        }
        deliver(*next);
        m_cursor = next->message.id;
        if (nowNs < 0)
            nowNs = m_hub->writeClockNs();
        m_hub->stats().delivered(m_transport, next->appendedNs, nowNs);
        m_delivered++;
    }
    if (m_cursor == log.lastId())
        m_live = true;
    m_pumping = false;
    if (m_live && pendingBytes() > m_hub->config().maxPendingBytes) {
        m_hub->stats().slowReadersCut++;
        m_hub->stats().refuse(Refusal::SlowReader);
        cutOff();
    }
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
