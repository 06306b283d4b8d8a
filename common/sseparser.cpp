// SPDX-License-Identifier: MIT
#include "sseparser.h"

#include <QStringDecoder>

namespace rtlab {

SseParser::SseParser(qsizetype maxLineBytes) : m_maxLineBytes(maxLineBytes) { }

void SseParser::reset()
{
    *this = SseParser(m_maxLineBytes);
}

void SseParser::feed(QByteArrayView bytes)
{
    if (m_error != Error::None)
        return;
    qsizetype i = 0;
    // One leading U+FEFF (EF BB BF) is skipped, even when it arrives split across reads.
    static constexpr char bom[] = "\xEF\xBB\xBF";
    while (!m_bomDone && i < bytes.size()) {
        if (bytes[i] == bom[m_bomMatched]) {
            ++i;
            if (++m_bomMatched == 3)
                m_bomDone = true;
        } else {
            m_bomDone = true;
            // A partial BOM was not a BOM after all: those bytes belong to the first line.
            m_line.append(bom, m_bomMatched);
        }
    }
    qsizetype start = i;
    for (; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (c != '\n' && c != '\r') {
            m_lastWasCR = false;
            continue;
        }
        if (c == '\n' && m_lastWasCR && i == start && m_line.isEmpty()) {
            // The LF of a CRLF whose CR ended the previous read.
            m_lastWasCR = false;
            start = i + 1;
            continue;
        }
        m_line.append(bytes.sliced(start, i - start));
        if (m_line.size() > m_maxLineBytes) {
            m_error = Error::LineTooLong;
            return;
        }
        processLine(m_line);
        m_line.clear();
        if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n')
            ++i;
        // Only a CR that ends this read may still pair with an LF at the start of the next one;
        // a complete CRLF must not also swallow the next read's LF (that LF is a blank line).
        m_lastWasCR = (bytes[i] == '\r' && i + 1 == bytes.size());
        start = i + 1;
    }
    m_line.append(bytes.sliced(start));
    if (m_line.size() > m_maxLineBytes)
        m_error = Error::LineTooLong;
}

void SseParser::finish()
{
    // "Once the end of the file is reached, any pending data must be discarded."
    m_line.clear();
    m_data.clear();
    m_dataSeen = false;
    m_eventType.clear();
    // The id of the event that was cut off is pending data too: it never became the last event ID.
    m_idBuffer = m_lastEventId;
    m_lastWasCR = false;
}

void SseParser::processLine(QByteArrayView lineBytes)
{
    if (lineBytes.isEmpty()) {
        dispatch();
        return;
    }
    if (lineBytes.front() == ':') {
        ++m_comments;
        return;
    }
    // Not QString::fromUtf8(), which drops a leading U+FEFF: only the stream's first BOM is
    // skipped (in feed()), any other one is part of its line (WPT eventsource/format-bom-2).
    QStringDecoder decoder(QStringDecoder::Utf8,
                           QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    const QString line = decoder.decode(lineBytes);
    const qsizetype colon = line.indexOf(QLatin1Char(':'));
    QStringView field = line;
    QStringView value;
    if (colon >= 0) {
        field = QStringView(line).left(colon);
        value = QStringView(line).mid(colon + 1);
        if (value.startsWith(QLatin1Char(' ')))
            value = value.mid(1);
    }
    if (field == u"event") {
        m_eventType = value.toString();
    } else if (field == u"data") {
        m_data.append(value);
        m_data.append(QLatin1Char('\n'));
        m_dataSeen = true;
    } else if (field == u"id") {
        if (!value.contains(QChar(u'\0')))
            m_idBuffer = value.toString();
    } else if (field == u"retry") {
        bool digits = !value.isEmpty();
        for (QChar ch : value)
            digits = digits && ch >= u'0' && ch <= u'9';
        if (digits) {
            bool ok = false;
            const qint64 ms = value.toLongLong(&ok);
            if (ok)
                m_retry = ms;
        }
    }
    // Any other field is ignored.
}

void SseParser::dispatch()
{
    m_lastEventId = m_idBuffer;
    if (!m_dataSeen) {
        m_eventType.clear();
        return;
    }
    if (m_data.endsWith(QLatin1Char('\n')))
        m_data.chop(1);
    SseEvent event;
    event.type = m_eventType.isEmpty() ? QStringLiteral("message") : m_eventType;
    event.data = m_data;
    event.lastEventId = m_lastEventId;
    m_events.append(event);
    m_data.clear();
    m_dataSeen = false;
    m_eventType.clear();
}

QList<SseEvent> SseParser::takeEvents()
{
    return std::exchange(m_events, {});
}

} // namespace rtlab
