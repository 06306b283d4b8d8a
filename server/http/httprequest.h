// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QUrlQuery>

#include <utility>

namespace rtlab {

// One parsed HTTP/1.x request. Header names are kept lower-cased.
struct HttpRequest
{
    QByteArray method;
    QByteArray target; // as sent: path and query
    QByteArray path;   // percent-decoded path
    QUrlQuery query;
    int versionMajor = 1;
    int versionMinor = 1;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool keepAlive = true;
    bool upgrade = false; // the parser stopped at an Upgrade request

    QByteArray header(QByteArrayView lowerName) const;
    bool hasHeader(QByteArrayView lowerName) const;
    qsizetype headerCount(QByteArrayView lowerName) const;
    // True for a WebSocket opening handshake (RFC 6455 §4.2.1): GET, Upgrade: websocket.
    bool isWebSocketUpgrade() const;
    // Whether the connection stays open after the answer. HTTP/1.0 keep-alive is an old
    // extension we do not speak: one request, then close.
    bool persistent() const { return keepAlive && versionMajor == 1 && versionMinor >= 1; }
};

} // namespace rtlab
