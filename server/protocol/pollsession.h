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
    void timeOut();
    void shutdown();

    // The answer to a poll: {"epoch", "messages": [...], "cursor"}. At most maxMessages after
    // the cursor (a reset first, if any); "cursor" says where the next poll goes on.
    static QByteArray answer(const MessageLog &log, const ResumeResult &resume, int maxMessages);
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
