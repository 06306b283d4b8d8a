// SPDX-License-Identifier: MIT
#include "messagecodec.h"

#include <QJsonDocument>
#include <QJsonParseError>

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
    bool ok = false;
    const quint64 value = eventId.mid(colon + 1).toULongLong(&ok);
    if (!ok)
        return false;
    if (epoch)
        *epoch = eventId.left(colon).toString();
    if (id)
        *id = value;
    return true;
}

} // namespace rtlab
