// SPDX-License-Identifier: MIT
#include "authrefusal.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rtlab::AuthRefusal {

bool refusesToken(int httpStatus, bool sentToken)
{
    return httpStatus == 401 || (httpStatus == 403 && sentToken);
}

QString errorDescription(QByteArrayView wwwAuthenticate)
{
    static constexpr QByteArrayView Key = "error_description=\"";
    const qsizetype at = wwwAuthenticate.indexOf(Key);
    if (at < 0)
        return {};
    const QByteArrayView rest = wwwAuthenticate.sliced(at + Key.size());
    const qsizetype end = rest.indexOf('"');
    return QString::fromUtf8(end < 0 ? rest : rest.first(end)).trimmed();
}

// The server's own words: an rtlab error body is {"error": "…"}; a proxy's may be plain text.
// Cut short: it goes on one line of a status bar.
static QString bodyText(QByteArrayView body)
{
    const QJsonObject o = QJsonDocument::fromJson(body.toByteArray()).object();
    QString text = o.contains(QLatin1String("error")) ? o.value(QLatin1String("error")).toString()
                                                      : QString::fromUtf8(body).simplified();
    if (text.size() > 120)
        text = text.left(119) + QChar(0x2026);
    return text;
}

static bool saysExpired(const QString &text)
{
    return text.contains(QLatin1String("expired"), Qt::CaseInsensitive);
}

QString describe(int httpStatus, QByteArrayView wwwAuthenticate, QByteArrayView body, QStringView permission)
{
    const QString server = bodyText(body);
    if (httpStatus == 403) {
        const QString why = server.isEmpty() ? QStringLiteral("the token lacks \"%1\"").arg(permission) : server;
        return QStringLiteral("not allowed to %1 (%2)").arg(permission, why);
    }
    QString why = errorDescription(wwwAuthenticate);
    if (why.isEmpty())
        why = server;
    // A 401 with no `error` attribute answers a request that carried no token (RFC 6750 §3.1).
    if (!wwwAuthenticate.contains("error=") && !saysExpired(why))
        return QStringLiteral("this server needs a token: connect with one");
    if (saysExpired(why))
        return QStringLiteral("token expired — get a new one");
    return why.isEmpty() ? QStringLiteral("token refused — get a new one")
                         : QStringLiteral("token refused (%1) — get a new one").arg(why);
}

QString describeClose(const QString &reason)
{
    if (saysExpired(reason))
        return QStringLiteral("token expired — get a new one (WebSocket closed with 1008)");
    return reason.isEmpty() ? QStringLiteral("closed by the server (1008: policy violation) — check the token")
                            : QStringLiteral("closed by the server (1008): %1 — check the token").arg(reason);
}

} // namespace rtlab::AuthRefusal
