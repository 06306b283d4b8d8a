// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace rtlab {

// The kinds of message on the wire (docs/protocol.md). Chat, tick and system messages
// are entries of the server's log and carry an id; a reset is said to one client only.
enum class MessageType { Chat, Tick, System, Reset };

QString messageTypeName(MessageType type);
std::optional<MessageType> messageTypeFromName(QStringView name);

struct Message
{
    quint64 id = 0; // +1 per message in one log; 0 for a reset
    QString epoch;  // random per log instance
    MessageType type = MessageType::Chat;
    qint64 ts = 0;                                 // server send time, microseconds since the Unix epoch
    QString from;                                  // chat
    QString text;                                  // chat and system
    QJsonObject data;                              // tick
    QJsonValue clientTs { QJsonValue::Undefined }; // chat: a number echoed from the publisher (undefined if absent)
    QString clientMsgId;                           // chat: the publisher's own id for it, echoed (empty if absent)
    qint64 lost = 0;                               // reset: messages that are gone, -1 if unknown
    quint64 cursor = 0;                            // reset: the id after which the stream goes on

    bool operator==(const Message &) const = default;
};

// Microseconds since the Unix epoch, from the system clock.
qint64 nowMicros();

} // namespace rtlab
