// SPDX-License-Identifier: MIT
#include "connectionevent.h"

namespace rtlab {

QString transportKindKey(TransportKind kind)
{
    switch (kind) {
    case TransportKind::LongPoll: return QStringLiteral("lp");
    case TransportKind::Sse: return QStringLiteral("sse");
    case TransportKind::WebSocket: return QStringLiteral("ws");
    case TransportKind::Poll: return QStringLiteral("poll");
    }
    return {};
}

QString transportKindLabel(TransportKind kind)
{
    switch (kind) {
    case TransportKind::LongPoll: return QStringLiteral("Long Polling");
    case TransportKind::Sse: return QStringLiteral("SSE");
    case TransportKind::WebSocket: return QStringLiteral("WebSocket");
    case TransportKind::Poll: return QStringLiteral("Short Polling");
    }
    return {};
}

bool transportKindFromKey(QStringView key, TransportKind *kind)
{
    // "poll" is traditional (short) polling, not long polling.
    if (key == u"lp" || key == u"longpoll")
        *kind = TransportKind::LongPoll;
    else if (key == u"poll" || key == u"shortpoll")
        *kind = TransportKind::Poll;
    else if (key == u"sse")
        *kind = TransportKind::Sse;
    else if (key == u"ws" || key == u"websocket")
        *kind = TransportKind::WebSocket;
    else
        return false;
    return true;
}

QString ConnectionEvent::typeName(Type type)
{
    switch (type) {
    case Type::Connecting: return QStringLiteral("connecting");
    case Type::Opened: return QStringLiteral("opened");
    case Type::Closed: return QStringLiteral("closed");
    case Type::RetryScheduled: return QStringLiteral("retry");
    case Type::GaveUp: return QStringLiteral("gave-up");
    case Type::Reset: return QStringLiteral("reset");
    case Type::HoldTimeout: return QStringLiteral("hold-timeout");
    case Type::Heartbeat: return QStringLiteral("heartbeat");
    case Type::DeadPeer: return QStringLiteral("dead-peer");
    case Type::Switched: return QStringLiteral("switched");
    case Type::FellBack: return QStringLiteral("fell-back");
    case Type::Error: return QStringLiteral("error");
    case Type::Moved: return QStringLiteral("moved");
    }
    return {};
}

} // namespace rtlab
