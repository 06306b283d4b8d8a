// SPDX-License-Identifier: MIT
#include "messagecodec.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>

namespace rtlab {

QJsonObject MessageCodec::toJsonObject(const Message &m)
{
    QJsonObject o;
    o.insert(QLatin1String("type"), messageTypeName(m.type));
    o.insert(QLatin1String("epoch"), m.epoch);
    o.insert(QLatin1String("ts"), m.ts);
    switch (m.type) {
    case MessageType::Chat:
        o.insert(QLatin1String("id"), qint64(m.id));
        o.insert(QLatin1String("from"), m.from);
        o.insert(QLatin1String("text"), m.text);
        if (m.clientTs.isDouble())
            o.insert(QLatin1String("clientTs"), m.clientTs);
        if (!m.clientMsgId.isEmpty())
            o.insert(clientMsgIdKey(), m.clientMsgId);
        break;
    case MessageType::Tick:
        o.insert(QLatin1String("id"), qint64(m.id));
        o.insert(QLatin1String("data"), m.data);
        break;
    case MessageType::System:
        o.insert(QLatin1String("id"), qint64(m.id));
        o.insert(QLatin1String("text"), m.text);
        break;
    case MessageType::Reset:
        o.insert(QLatin1String("lost"), m.lost);
        o.insert(QLatin1String("cursor"), qint64(m.cursor));
        break;
    }
    return o;
}

QByteArray MessageCodec::encode(const Message &message)
{
    return QJsonDocument(toJsonObject(message)).toJson(QJsonDocument::Compact);
}

static bool fail(QString *errorString, const QString &text)
{
    if (errorString)
        *errorString = text;
    return false;
}

std::optional<Message> MessageCodec::fromJsonObject(const QJsonObject &o, QString *errorString)
{
    Message m;
    const auto type = messageTypeFromName(o.value(QLatin1String("type")).toString());
    if (!type) {
        fail(errorString, QStringLiteral("unknown or missing \"type\""));
        return std::nullopt;
    }
    m.type = *type;
    m.epoch = o.value(QLatin1String("epoch")).toString();
    m.ts = o.value(QLatin1String("ts")).toInteger();
    const QJsonValue id = o.value(QLatin1String("id"));
    if (m.type != MessageType::Reset) {
        if (!id.isDouble() || id.toInteger(-1) < 0) {
            fail(errorString, QStringLiteral("missing or invalid \"id\""));
            return std::nullopt;
        }
        m.id = quint64(id.toInteger());
    }
    m.from = o.value(QLatin1String("from")).toString();
    m.text = o.value(QLatin1String("text")).toString();
    m.data = o.value(QLatin1String("data")).toObject();
    m.clientTs = o.value(QLatin1String("clientTs"));
    if (!m.clientTs.isDouble())
        m.clientTs = QJsonValue(QJsonValue::Undefined);
    m.clientMsgId = o.value(clientMsgIdKey()).toString();
    m.lost = o.value(QLatin1String("lost")).toInteger();
    m.cursor = quint64(o.value(QLatin1String("cursor")).toInteger());
    return m;
}

std::optional<Message> MessageCodec::decode(QByteArrayView json, QString *errorString)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError) {
        fail(errorString, error.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        fail(errorString, QStringLiteral("not a JSON object"));
        return std::nullopt;
    }
    return fromJsonObject(doc.object(), errorString);
}

QByteArray MessageCodec::encodePublish(const PublishRequest &request)
{
    QJsonObject o;
    o.insert(QLatin1String("type"), QLatin1String("chat"));
    o.insert(QLatin1String("from"), request.from);
    o.insert(QLatin1String("text"), request.text);
    if (request.clientTs.isDouble())
        o.insert(QLatin1String("clientTs"), request.clientTs);
    if (!request.clientMsgId.isEmpty())
        o.insert(clientMsgIdKey(), request.clientMsgId);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// What a name may not hold: C0 and C1 controls and DEL (they cut, hide or recolour it), the line and
// paragraph separators, and the bidi embeddings, overrides and isolates (U+202A-U+202E,
// U+2066-U+2069), with which a name shown beside a message turns the text after it around
// ("Trojan Source", CVE-2021-42574).
static bool refusedInFrom(char16_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e)
            || (c >= 0x2066 && c <= 0x2069);
}

// What a message text may not hold: the controls but tab, LF and CR, which are writing. Bidi
// controls stay: a right-to-left writer needs them, and every client shows a text as a paragraph
// of its own, so an override cannot reach past it.
static bool refusedInText(char16_t c)
{
    return (c < 0x20 && c != u'\t' && c != u'\n' && c != u'\r') || (c >= 0x7f && c <= 0x9f);
}

// The first character `refused` names, as "U+0000 at 3", or nothing.
template<typename Refused>
static QString firstRefused(QStringView s, Refused refused)
{
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (refused(s[i].unicode()))
            return QStringLiteral("U+%1 at %2")
                    .arg(QString::number(s[i].unicode(), 16).rightJustified(4, QLatin1Char('0')).toUpper())
                    .arg(i);
    }
    return {};
}

MessageCodec::Error MessageCodec::decodePublish(QByteArrayView json, const PublishLimits &limits,
                                                PublishRequest *request, QString *errorString)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        fail(errorString,
             QStringLiteral("malformed JSON: %1 at offset %2").arg(parseError.errorString()).arg(parseError.offset));
        return Error::InvalidJson;
    }
    if (!doc.isObject()) {
        fail(errorString, QStringLiteral("expected a JSON object"));
        return Error::NotAnObject;
    }
    const QJsonObject o = doc.object();
    const QJsonValue type = o.value(QLatin1String("type"));
    if (!type.isUndefined() && type.toString() != u"chat") {
        fail(errorString, QStringLiteral("\"type\" must be \"chat\""));
        return Error::WrongType;
    }
    const QJsonValue from = o.value(QLatin1String("from"));
    if (!from.isString() || from.toString().trimmed().isEmpty()) {
        fail(errorString, QStringLiteral("\"from\" must be a non-empty string"));
        return Error::MissingFrom;
    }
    if (from.toString().size() > limits.maxFromChars) {
        fail(errorString, QStringLiteral("\"from\" is longer than %1 characters").arg(limits.maxFromChars));
        return Error::FromTooLong;
    }
    const QJsonValue text = o.value(QLatin1String("text"));
    if (!text.isString() || text.toString().isEmpty()) {
        fail(errorString, QStringLiteral("\"text\" must be a non-empty string"));
        return Error::MissingText;
    }
    if (text.toString().toUtf8().size() > limits.maxTextBytes) {
        fail(errorString, QStringLiteral("\"text\" is longer than %1 bytes").arg(limits.maxTextBytes));
        return Error::TextTooLong;
    }
    const QJsonValue clientTs = o.value(QLatin1String("clientTs"));
    if (!clientTs.isUndefined() && !clientTs.isDouble()) {
        fail(errorString, QStringLiteral("\"clientTs\" must be a number"));
        return Error::BadClientTs;
    }
    const QJsonValue clientMsgId = o.value(clientMsgIdKey());
    if (!clientMsgId.isUndefined()
        && (!clientMsgId.isString() || clientMsgId.toString().isEmpty()
            || clientMsgId.toString().size() > PublishLimits::MaxClientMsgIdChars)) {
        fail(errorString,
             QStringLiteral("\"clientMsgId\" must be a string of 1 to %1 characters")
                     .arg(PublishLimits::MaxClientMsgIdChars));
        return Error::BadClientMsgId;
    }
    // An escape for half a surrogate pair ("\ud800") is valid JSON syntax, and Qt keeps it as a lone
    // UTF-16 unit that its writer escapes again: stored, it would reach every subscriber, and a
    // strict reader (Python's json in strict mode, serde, Go's encoding/json) cannot take it.
    for (const auto &[key, value] :
         { std::pair { QLatin1String("from"), from }, std::pair { QLatin1String("text"), text },
           std::pair { clientMsgIdKey(), clientMsgId } }) {
        if (value.isString() && !QStringView(value.toString()).isValidUtf16()) {
            fail(errorString,
                 QStringLiteral("\"%1\" holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF)").arg(key));
            return Error::InvalidUnicode;
        }
    }
    if (const QString at = firstRefused(from.toString(), refusedInFrom); !at.isEmpty()) {
        fail(errorString, QStringLiteral("\"from\" must not hold control or bidi characters (%1)").arg(at));
        return Error::BadFrom;
    }
    if (const QString at = firstRefused(text.toString(), refusedInText); !at.isEmpty()) {
        fail(errorString,
             QStringLiteral("\"text\" must not hold control characters other than tab and line breaks (%1)").arg(at));
        return Error::BadText;
    }
    if (request) {
        request->from = from.toString();
        request->text = text.toString();
        request->clientTs = clientTs;
        request->clientMsgId = clientMsgId.toString();
    }
    return Error::None;
}

int MessageCodec::httpStatus(Error error)
{
    switch (error) {
    case Error::None: return 202;
    case Error::TextTooLong: return 413;
    default: return 400;
    }
}

QString MessageCodec::eventId(const QString &epoch, quint64 id)
{
    return epoch + QLatin1Char(':') + QString::number(id);
}

bool MessageCodec::parseEventId(QStringView eventId, QString *epoch, quint64 *id)
{
    const qsizetype colon = eventId.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    const std::optional<quint64> value = parseMessageId(eventId.mid(colon + 1));
    if (!value)
        return false;
    if (epoch)
        *epoch = eventId.left(colon).toString();
    if (id)
        *id = *value;
    return true;
}

std::optional<quint64> MessageCodec::parseMessageId(QStringView text)
{
    if (text.isEmpty() || !std::all_of(text.begin(), text.end(), [](QChar c) { return c >= u'0' && c <= u'9'; }))
        return std::nullopt;
    bool ok = false;
    const quint64 value = text.toULongLong(&ok, 10); // fails past 2^64 - 1
    return ok ? std::optional(value) : std::nullopt;
}

} // namespace rtlab
