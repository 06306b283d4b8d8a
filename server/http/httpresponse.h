// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>

#include <utility>

namespace rtlab {

// An HTTP/1.1 response head and body. I/O-free: encode() gives the bytes to write.
struct HttpResponse
{
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    // A streamed response (SSE) has no Content-Length: its body ends when the connection closes.
    bool streamed = false;
    bool closeConnection = false;
    // An answer to HEAD: the head says the length (none when streamed), no body follows, and the
    // connection stays open even for a streamed head.
    bool omitBody = false;

    HttpResponse &setHeader(const QByteArray &name, const QByteArray &value);
    QByteArray encode() const; // head (and body, unless streamed)
    // CORS for an allowed origin (Fetch standard): the origin echoed, and Vary: Origin so that a
    // cache keeps one answer per origin. Nothing for an empty origin.
    HttpResponse &allowOrigin(const QByteArray &origin);

    static HttpResponse json(int status, const QJsonObject &body);
    static HttpResponse jsonBytes(int status, const QByteArray &body);
    // {"error": why, "status": status}
    static HttpResponse error(int status, const QString &why);
    static QByteArray reasonPhrase(int status);
};

} // namespace rtlab
