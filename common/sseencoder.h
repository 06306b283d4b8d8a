// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace rtlab {

// Builds text/event-stream bytes (WHATWG HTML, "Server-sent events"). I/O-free.
// Every line terminator inside data (CR, LF or CRLF) starts a new "data:" line, so the
// text of a message can never inject a field of its own.
class SseEncoder
{
public:
    static QByteArray event(QByteArrayView id, QByteArrayView type, QByteArrayView data);
    static QByteArray retry(int milliseconds);
    // Sets the client's last event ID without dispatching anything (an id and a blank line, no
    // data): a stream that starts at the live end tells the client where that is.
    static QByteArray lastEventId(QByteArrayView id);
    // A comment line; heartbeats use it because a comment dispatches nothing.
    static QByteArray comment(QByteArrayView text);

private:
    static void appendField(QByteArray &out, QByteArrayView name, QByteArrayView value);
};

} // namespace rtlab
