// SPDX-License-Identifier: MIT
#include "logentry.h"

#include "messagecodec.h"
#include "sseencoder.h"
#include "wsframeparser.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

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

QByteArray storedBody(const Message &m)
{
    QJsonObject o = MessageCodec::toJsonObject(m);
    o.remove(QLatin1String("id"));
    o.remove(QLatin1String("epoch"));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<Message> messageFromStoredBody(const QByteArray &body, quint64 id, const QString &epoch, QString *why)
{
    QJsonObject o = QJsonDocument::fromJson(body).object();
    o.insert(QLatin1String("id"), qint64(id));
    o.insert(QLatin1String("epoch"), epoch);
    return MessageCodec::fromJsonObject(o, why);
}

QByteArray HighWaterMark::toText() const
{
    char line[96];
    const int n = std::snprintf(line, sizeof line, "rtlab-hwm 1 %-32s %020llu\n", epoch.toLatin1().constData(),
                                static_cast<unsigned long long>(lastId));
    return QByteArray(line, n);
}

std::optional<HighWaterMark> HighWaterMark::parse(const QByteArray &text)
{
    const QList<QByteArray> parts = text.simplified().split(' ');
    bool ok = false;
    if (parts.size() != 4 || parts[0] != "rtlab-hwm" || parts[1] != "1")
        return std::nullopt;
    HighWaterMark mark { QString::fromLatin1(parts[2]), parts[3].toULongLong(&ok) };
    return ok ? std::optional<HighWaterMark>(mark) : std::nullopt;
}

} // namespace rtlab
