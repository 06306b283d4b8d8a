// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"
#include "messagelog.h"

#include <QObject>

#include <limits>

namespace rtlab {

class Hub;

// GET /poll that found nothing to send: the request is held until a message arrives, the hold
// time passes (200, no messages), the client goes away, or the server shuts down.
class PollSession : public QObject, private HttpStream::Observer
{
    Q_OBJECT
public:
    PollSession(Hub *hub, HttpStream *stream, quint64 cursor, QByteArray corsOrigin);
    ~PollSession() override;

    quint64 cursor() const { return m_cursor; }
    // When the client's token stops being accepted (Hub::nowMs()): a poll still held then is
    // answered 401 instead of an empty 200. The hub holds it no longer than that.
    void setTokenDeadline(qint64 ms) { m_tokenDeadlineMs = ms; }
    // Answers with what the log holds past the cursor.
    void wake(QByteArray body = {});
    // Answers from this resume result (the resume rule re-applied: a shared log's epoch changed).
    void answerWith(const ResumeResult &resume);
    void timeOut();
    void shutdown();

    // How many entries a reader older than the memory ring asks the store for at a time.
    static constexpr int PageEntries = 256;
    using Page = std::vector<LogEntryPtr>;

    // The answer to a poll: {"epoch", "messages": [...], "cursor"}. After the cursor (a reset
    // first, if any): at most maxMessages, and no more bytes of messages than maxBytes, except
    // that one always goes; "cursor" says where the next poll goes on. *sent, if asked, is how
    // many log messages it carries. With a page read from the store (older than the ring), its
    // entries first; a page that starts later than the cursor is a gap, told as a reset.
    static QByteArray answer(const MessageLog &log, const ResumeResult &resume, int maxMessages,
                             qint64 maxBytes = std::numeric_limits<qint64>::max(), qint64 *sent = nullptr,
                             const Page *page = nullptr);
    // The answer to a poll on this stream: as many messages as maxPollMessages allows and
    // as fit in the room its connection has under the output bound (--max-pending).
    static QByteArray answerFor(Hub *hub, const HttpStream *stream, const ResumeResult &resume, qint64 *sent,
                                const Page *page = nullptr);
    static HttpResponse response(QByteArray body, const QByteArray &corsOrigin);

private:
    void respond(HttpResponse response);
    void streamClosed() override;

    Hub *m_hub;
    HttpStream *m_stream;
    quint64 m_cursor;
    QByteArray m_corsOrigin;
    qint64 m_tokenDeadlineMs = std::numeric_limits<qint64>::max();
};

} // namespace rtlab
