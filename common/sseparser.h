// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

namespace rtlab {

struct SseEvent
{
    QString type; // "message" when the stream named none
    QString data;
    QString lastEventId; // the stream's last event ID when this event was dispatched

    bool operator==(const SseEvent &) const = default;
};

// Incremental parser for text/event-stream, following WHATWG HTML "Interpreting an event
// stream". I/O-free: feed() any split of the bytes; takeEvents() returns what was dispatched.
// Lines are decoded as UTF-8 only once complete, so a code point split across reads is kept.
class SseParser
{
public:
    enum class Error { None, LineTooLong };

    explicit SseParser(qsizetype maxLineBytes = 1024 * 1024);

    void feed(QByteArrayView bytes);
    // End of stream: per the spec an event without its final blank line is discarded.
    void finish();
    void reset();

    QList<SseEvent> takeEvents();
    bool hasEvents() const { return !m_events.isEmpty(); }

    // The stream's last event ID (kept across events, as EventSource does).
    QString lastEventId() const { return m_lastEventId; }
    // The last valid "retry:" value, in milliseconds.
    std::optional<qint64> retry() const { return m_retry; }
    qint64 commentCount() const { return m_comments; }
    Error error() const { return m_error; }

private:
    void processLine(QByteArrayView line);
    void dispatch();

    QByteArray m_line;
    QList<SseEvent> m_events;
    QString m_data;
    QString m_eventType;
    QString m_idBuffer;
    QString m_lastEventId;
    std::optional<qint64> m_retry;
    qint64 m_comments = 0;
    qsizetype m_maxLineBytes;
    qsizetype m_bomMatched = 0;
    bool m_bomDone = false;
    bool m_lastWasCR = false;
    bool m_dataSeen = false;
    Error m_error = Error::None;
};

} // namespace rtlab
