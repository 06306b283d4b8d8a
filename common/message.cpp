// SPDX-License-Identifier: MIT
#include "message.h"

#include <chrono>

namespace rtlab {

QString messageTypeName(MessageType type)
{
    switch (type) {
    case MessageType::Chat: return QStringLiteral("chat");
    case MessageType::Tick: return QStringLiteral("tick");
    case MessageType::System: return QStringLiteral("system");
    case MessageType::Reset: return QStringLiteral("reset");
    }
    return {};
}

std::optional<MessageType> messageTypeFromName(QStringView name)
{
    if (name == u"chat")
        return MessageType::Chat;
    if (name == u"tick")
        return MessageType::Tick;
    if (name == u"system")
        return MessageType::System;
    if (name == u"reset")
        return MessageType::Reset;
    return std::nullopt;
}

qint64 nowMicros()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace rtlab
