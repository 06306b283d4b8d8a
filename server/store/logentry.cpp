// SPDX-License-Identifier: MIT
#include "logentry.h"

#include "messagecodec.h"
#include "sseencoder.h"
#include "wsframeparser.h"

namespace rtlab {

static LogEntryPtr encoded(Message message, qint64 appendedMs, qint64 appendedNs)
{
    auto entry = std::make_shared<LogEntry>();
    entry->json = MessageCodec::encode(message);
    const quint64 position = message.type == MessageType::Reset ? message.cursor : message.id;
    entry->sse = SseEncoder::event(MessageCodec::eventId(message.epoch, position).toUtf8(),
                                   messageTypeName(message.type).toUtf8(), entry->json);
    entry->wsFrame = WsFrameParser::encodeFrame(WsFrameParser::Text, entry->json);
    entry->appendedMs = appendedMs;
    entry->appendedNs = appendedNs;
    entry->message = std::move(message);
    return entry;
}

LogEntryPtr makeLogEntry(Message message, qint64 appendedMs, qint64 appendedNs)
{
    return encoded(std::move(message), appendedMs, appendedNs);
}

LogEntryPtr makeResetEntry(const QString &epoch, qint64 lost, quint64 cursor)
{
    Message m;
    m.type = MessageType::Reset;
    m.epoch = epoch;
    m.ts = nowMicros();
    m.lost = lost;
    m.cursor = cursor;
    return encoded(std::move(m), 0, 0);
}

} // namespace rtlab
