// SPDX-License-Identifier: MIT
#include "httpresponse.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>

namespace rtlab {

HttpResponse &HttpResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    for (auto &header : headers) {
        if (header.first.compare(name, Qt::CaseInsensitive) == 0) {
            header.second = value;
            return *this;
        }
    }
    headers.append({ name, value });
    return *this;
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

// RFC 9110 §6.6.1: an origin server with a clock sends Date. Formatted once per second.
static QByteArray httpDate()
{
    static qint64 cachedSecond = -1;
    static QByteArray cached;
    const qint64 second = QDateTime::currentSecsSinceEpoch(); // cheap; the formatting is not
    if (second != cachedSecond) {
        cachedSecond = second;
        cached = QLocale::c()
                         .toString(QDateTime::fromSecsSinceEpoch(second, Qt::UTC),
                                   QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
                         .toLatin1();
    }
    return cached;
}

HttpResponse &HttpResponse::allowOrigin(const QByteArray &origin)
{
    if (!origin.isEmpty()) {
        setHeader("Access-Control-Allow-Origin", origin);
        setHeader("Vary", "Origin");
    }
    return *this;
}

QByteArray HttpResponse::encode() const
{
    QByteArray out;
    out.reserve(160 + body.size());
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(status));
    out.append(' ');
    out.append(reasonPhrase(status));
    out.append("\r\nServer: rtlab-server\r\nX-Content-Type-Options: nosniff\r\nDate: ");
    out.append(httpDate());
    out.append("\r\n");
    for (const auto &[name, value] : headers) {
        out.append(name);
        out.append(": ");
        out.append(value);
        out.append("\r\n");
    }
    if (!streamed)
        out.append("Content-Length: " + QByteArray::number(body.size()) + "\r\n");
    if (closeConnection || streamed)
        out.append("Connection: close\r\n");
    out.append("\r\n");
    if (!streamed && !omitBody)
        out.append(body);
    return out;
}

HttpResponse HttpResponse::jsonBytes(int status, const QByteArray &body)
{
    HttpResponse r;
    r.status = status;
    r.setHeader("Content-Type", "application/json");
    r.setHeader("Cache-Control", "no-store");
    r.body = body;
    return r;
}

HttpResponse HttpResponse::json(int status, const QJsonObject &body)
{
    return jsonBytes(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

HttpResponse HttpResponse::error(int status, const QString &why)
{
    QJsonObject o;
    o.insert(QLatin1String("error"), why);
    o.insert(QLatin1String("status"), status);
    return json(status, o);
}

} // namespace rtlab
