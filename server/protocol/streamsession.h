// SPDX-License-Identifier: MIT
#pragma once

#include "messagelog.h"
#include "serverstats.h"

#include <QObject>

#include <limits>
#include <vector>

namespace rtlab {

class Hub;

// A subscriber that is sent every log message after its cursor, in order: the common part of
// the SSE and WebSocket sessions. A resume replays from the history as the connection drains
// (so a replay of the whole history never piles up in memory); once caught up it is live and
// each new message is written at once. A live reader whose unsent bytes pass the bound is cut
// off: it can come back and resume. A reader older than the log's memory ring reads pages from
// the store, off the event loop, and writes nothing more until its page is back.
class StreamSession : public QObject
{
    Q_OBJECT
public:
    StreamSession(Hub *hub, TransportKind transport);
    ~StreamSession() override;

    TransportKind transport() const { return m_transport; }
    quint64 cursor() const { return m_cursor; }
    bool isLive() const { return m_live; }
    // For the client list of /stats?clients=1: when it opened (Hub::nowMs()), the log messages
    // it was sent, and the client's address.
    qint64 sinceMs() const { return m_sinceMs; }
    qint64 delivered() const { return m_delivered; }
    virtual QByteArray peerAddress() const = 0;
    // The client's address as Hub::clientAddress() found it in the opening request, when that
    // is not the peer's (behind a trusted proxy); the peer's otherwise.
    QByteArray clientAddress() const { return m_forwardedFor.isEmpty() ? peerAddress() : m_forwardedFor; }
    void setForwardedFor(const QByteArray &address) { m_forwardedFor = address; }

    void start(const ResumeResult &resume);
    // Writes what the log holds past the cursor.
    void pump();
    // Waiting for a page of history from the store.
    bool isReading() const { return m_reading; }
    virtual void heartbeat(qint64 nowMs) = 0;
    virtual void shutdown() = 0;
    // When the client's token stops being accepted (Hub::nowMs()); the hub's sweep then calls
    // tokenExpired(), which ends the stream as docs/protocol.md says for its transport.
    void setTokenDeadline(qint64 ms) { m_tokenDeadlineMs = ms; }
    qint64 tokenDeadlineMs() const { return m_tokenDeadlineMs; }
    virtual void tokenExpired() = 0;
    // The shared log's epoch changed: end so that the client reconnects with its (epoch, id) and
    // gets the reset (the resume rule), on whichever node it reaches.
    virtual void logReset() = 0;

protected:
    // Write one message (or a reset) to the connection.
    virtual void deliver(const LogEntry &entry) = 0;
    virtual qint64 pendingBytes() const = 0;
    virtual void cutOff() = 0;
    // The history could not be read: end the stream as a server error (never a silent gap).
    virtual void historyUnavailable(const QString &why) = 0;
    // Leave the hub; the session is deleted later. Safe to call more than once.
    void finish();
    bool isFinished() const { return m_finished; }
    void noteWrite();

    Hub *m_hub;
    qint64 m_lastWriteMs = 0;
    qint64 m_tokenDeadlineMs = std::numeric_limits<qint64>::max();

private:
    TransportKind m_transport;
    quint64 m_cursor = 0;
    qint64 m_sinceMs = 0;
    qint64 m_delivered = 0;
    QByteArray m_forwardedFor;
    bool m_live = false;
    bool m_finished = false;
    bool m_pumping = false;
    bool m_reading = false;
    // Read from the store: the entries after the cursor, older than the ring. A vector, empty
    // without an allocation: a std::deque allocates on construction, in each of 10,000 sessions.
    std::vector<LogEntryPtr> m_page;
    size_t m_pageNext = 0;

    LogEntryPtr nextEntry(const MessageLog &log);
    void requestPage();
    void pageArrived(ReadResult page);
    void skipTo(quint64 restart);
};

} // namespace rtlab
