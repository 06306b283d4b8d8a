// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <QByteArray>
#include <QByteArrayView>

namespace rtlab {

// What a client sends to publish a chat message:
// {"type":"chat","from":...,"text":...[,"clientTs":N][,"clientMsgId":"..."]}
struct PublishRequest
{
    QString from;
    QString text;
    QJsonValue clientTs { QJsonValue::Undefined }; // undefined if absent
    // The publisher's id for this message, so that a retry is not published twice (empty if absent).
    QString clientMsgId = {};
};

struct PublishLimits
{
    // The nickname limit every client's input field repeats (the desktop chat, the browser page's
    // maxlength, which tst_webpage holds to this number).
    static constexpr qsizetype DefaultMaxFromChars = 64;
    qsizetype maxTextBytes = 16 * 1024; // UTF-8 bytes
    qsizetype maxFromChars = DefaultMaxFromChars;
    static constexpr qsizetype MaxClientMsgIdChars = 64;
};

// The JSON codec of the wire contract. I/O-free; all functions are pure.
class MessageCodec
{
public:
    enum class Error {
        None,
        InvalidJson,
        NotAnObject,
        WrongType,
        MissingFrom,
        FromTooLong,
        MissingText,
        TextTooLong,
        BadClientTs,
        BadClientMsgId,
        InvalidUnicode, // a lone surrogate in any string
        BadFrom,        // a control or bidi character in `from`
        BadText,        // a control character other than tab, CR and LF in `text`
    };

    // One message as compact UTF-8 JSON (no newline inside: JSON escapes control characters).
    static QByteArray encode(const Message &message);
    static QJsonObject toJsonObject(const Message &message);
    static std::optional<Message> decode(QByteArrayView json, QString *errorString = nullptr);
    static std::optional<Message> fromJsonObject(const QJsonObject &object, QString *errorString = nullptr);

    static QByteArray encodePublish(const PublishRequest &request);
    static Error decodePublish(QByteArrayView json, const PublishLimits &limits, PublishRequest *request,
                               QString *errorString = nullptr);
    // The HTTP status that answers a publish error: 413 for a text over the limit, else 400.
    static int httpStatus(Error error);

    // The JSON keys of the wire contract that more than one place reads or writes.
    static QLatin1String clientMsgIdKey() { return QLatin1String("clientMsgId"); }
    static QLatin1String duplicateKey() { return QLatin1String("duplicate"); }

    // The SSE event id carries the epoch and the message id: "<epoch>:<id>".
    static QString eventId(const QString &epoch, quint64 id);
    static bool parseEventId(QStringView eventId, QString *epoch, quint64 *id);
    // A message id as every reader of one takes it (the event id, `after`, a bare Last-Event-ID):
    // ASCII decimal digits and nothing else, at most 2^64 - 1. QString::toULongLong would also take
    // a sign and surrounding spaces.
    static std::optional<quint64> parseMessageId(QStringView text);
};

} // namespace rtlab
