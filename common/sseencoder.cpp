// SPDX-License-Identifier: MIT
#include "sseencoder.h"

namespace rtlab {

// A single-line field value: CR, LF and NUL would end the line or (in an id) be ignored by
// the client, so they are dropped.
void SseEncoder::appendField(QByteArray &out, QByteArrayView name, QByteArrayView value)
{
    out.append(name);
    out.append(": ");
    for (char c : value) {
        if (c != '\r' && c != '\n' && c != '\0')
            out.append(c);
    }
    out.append('\n');
}

QByteArray SseEncoder::event(QByteArrayView id, QByteArrayView type, QByteArrayView data)
{
    QByteArray out;
    out.reserve(data.size() + id.size() + type.size() + 24);
    if (!id.isNull())
        appendField(out, "id", id);
    if (!type.isEmpty())
        appendField(out, "event", type);
    qsizetype start = 0;
    const qsizetype n = data.size();
    for (qsizetype i = 0; i <= n; ++i) {
        if (i < n && data[i] != '\r' && data[i] != '\n')
            continue;
        out.append("data: ");
        out.append(data.sliced(start, i - start));
        out.append('\n');
        if (i + 1 < n && data[i] == '\r' && data[i + 1] == '\n')
            ++i;
        start = i + 1;
    }
    out.append('\n');
    return out;
}

QByteArray SseEncoder::retry(int milliseconds)
{
    return "retry: " + QByteArray::number(qMax(0, milliseconds)) + "\n\n";
}

QByteArray SseEncoder::lastEventId(QByteArrayView id)
{
    QByteArray out;
    appendField(out, "id", id);
    out.append('\n');
    return out;
}

QByteArray SseEncoder::comment(QByteArrayView text)
{
    QByteArray out(":");
    if (!text.isEmpty()) {
        out.append(' ');
        for (char c : text) {
            if (c != '\r' && c != '\n')
                out.append(c);
        }
    }
    out.append("\n\n");
    return out;
}

} // namespace rtlab
