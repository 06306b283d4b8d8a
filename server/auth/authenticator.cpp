// SPDX-License-Identifier: MIT
#include "authenticator.h"

#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>

Q_LOGGING_CATEGORY(lcAuth, "rtlab.server.auth")

namespace rtlab {

// The HS256 secret: the file's raw bytes, at least as long as the hash (RFC 7518 §3.2).
bool Authenticator::readKeyFile(const QString &path, QByteArray *key, QString *why)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("--auth-key: cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    constexpr qint64 maxKeyBytes = 64 * 1024;
    *key = file.read(maxKeyBytes + 1);
    if (key->size() > maxKeyBytes) {
        *why = QStringLiteral("--auth-key: %1 is larger than %2 bytes: not a key file").arg(path).arg(maxKeyBytes);
        return false;
    }
    if (key->size() < Jwt::MinKeyBytes) {
        *why = QStringLiteral("--auth-key: %1 holds %2 bytes; an HS256 key needs at least %3 (make one with: "
                              "head -c 32 /dev/urandom > %1)")
                       .arg(path)
                       .arg(key->size())
                       .arg(Jwt::MinKeyBytes);
        return false;
    }
    return true;
}

Authenticator::Authenticator(QByteArray key, bool allowQueryToken, WallClock wallClock)
    : m_key(std::move(key)), m_allowQueryToken(allowQueryToken), m_wallClock(std::move(wallClock))
{
    if (!m_wallClock)
        m_wallClock = [] { return QDateTime::currentMSecsSinceEpoch(); };
}

// A quoted-string of RFC 9110 §5.6.4 must not end early: the reason may quote a token's header.
static QByteArray quotedSafe(const QString &text)
{
    QByteArray out = text.toUtf8();
    for (char &c : out) {
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            c = '?';
    }
    return out;
}

// RFC 6750 §3: 401 with a Bearer challenge; a request with no token gets the bare challenge.
static HttpResponse unauthorized(const QString &why, bool tokenPresent)
{
    HttpResponse r = HttpResponse::error(401, tokenPresent ? QStringLiteral("invalid token: %1").arg(why) : why);
    QByteArray challenge = "Bearer realm=\"rtlab\"";
    if (tokenPresent)
        challenge += ", error=\"invalid_token\", error_description=\"" + quotedSafe(why) + '"';
    r.setHeader("WWW-Authenticate", challenge);
    return r;
}

static HttpResponse forbidden(Permission needed)
{
    HttpResponse r =
            HttpResponse::error(403, QStringLiteral("token lacks the \"%1\" permission").arg(permissionName(needed)));
    r.setHeader("WWW-Authenticate",
                "Bearer realm=\"rtlab\", error=\"insufficient_scope\", scope=\""
                        + QByteArray(permissionName(needed).data()) + '"');
    return r;
}

static QByteArray cookieValue(const QByteArray &cookies, QByteArrayView name)
{
    for (const QByteArray &pair : cookies.split(';')) {
        const QByteArray trimmed = pair.trimmed();
        const qsizetype eq = trimmed.indexOf('=');
        if (eq > 0 && QByteArrayView(trimmed).first(eq) == name)
            return trimmed.sliced(eq + 1);
    }
    return {};
}

Authenticator::Source Authenticator::findToken(const HttpRequest &request, QByteArray *token) const
{
    if (request.hasHeader("authorization")) {
        const QByteArray value = request.header("authorization").trimmed();
        // RFC 6750 §2.1: the scheme is case-insensitive.
        *token = value.size() > 7 && value.first(7).compare("bearer ", Qt::CaseInsensitive) == 0
                ? value.sliced(7).trimmed()
                : QByteArray();
        return Source::Header;
    }
    if (const QByteArray cookie = cookieValue(request.header("cookie"), CookieName.latin1()); !cookie.isEmpty()) {
        *token = cookie;
        return Source::Cookie;
    }
    if (request.query.hasQueryItem(QueryName)) {
        *token = request.query.queryItemValue(QueryName, QUrl::FullyDecoded).toUtf8();
        return Source::Query;
    }
    return Source::None;
}

std::optional<Authenticator::Identity> Authenticator::verify(const QByteArray &token, QString *why) const
{
    const qint64 nowMs = m_wallClock();
    const std::optional<TokenClaims> claims = Jwt::verify(token, m_key, nowMs / 1000, nullptr, why);
    if (!claims)
        return std::nullopt;
    Identity identity { claims->sub, claims->permissions, std::nullopt };
    if (claims->exp)
        identity.expiresAtMs = (*claims->exp + Jwt::LeewaySecs) * 1000;
    return identity;
}

Authenticator::Access Authenticator::check(const HttpRequest &request, Permission needed) const
{
    if (!isEnabled())
        return {};
    const auto refuse = [&](HttpResponse r) {
        qCDebug(lcAuth) << "refused" << r.status << request.method << redactTarget(request.target);
        return Access { std::nullopt, std::move(r) };
    };
    QByteArray token;
    const Source source = findToken(request, &token);
    if (source == Source::None) {
        if (needed == Permission::None)
            return {};
        return refuse(unauthorized(QStringLiteral("missing token: send Authorization: Bearer <token>"), false));
    }
    if (source == Source::Header && token.isEmpty())
        return refuse(unauthorized(QStringLiteral("Authorization must be \"Bearer <token>\""), true));
    if (source == Source::Query && !m_allowQueryToken) {
        return refuse(unauthorized(QStringLiteral("access_token in the URL is not allowed on this server; send "
                                                  "Authorization: Bearer or use the cookie of POST /auth"),
                                   true));
    }
    QString why;
    std::optional<Identity> identity = verify(token, &why);
    if (!identity)
        return refuse(unauthorized(why, true));
    if (needed != Permission::None && !identity->may(needed))
        return refuse(forbidden(needed));
    return { std::move(identity), std::nullopt };
}

static QByteArray cookieAttributes(bool secure)
{
    return QByteArrayLiteral("; HttpOnly; SameSite=Strict; Path=/") + (secure ? "; Secure" : "");
}

HttpResponse Authenticator::login(const HttpRequest &request, bool secure) const
{
    if (!isEnabled())
        return HttpResponse::error(404, QStringLiteral("tokens are off on this server (no --auth-key)"));
    QByteArray token;
    // Only the header: the exchange turns a token the page holds into a cookie, not a cookie into itself.
    if (findToken(request, &token) != Source::Header)
        return unauthorized(QStringLiteral("missing token: POST /auth needs Authorization: Bearer <token>"), false);
    QString why;
    const std::optional<Identity> identity = verify(token, &why);
    if (!identity)
        return unauthorized(token.isEmpty() ? QStringLiteral("Authorization must be \"Bearer <token>\"") : why, true);
    HttpResponse r;
    r.status = 204;
    QByteArray cookie = CookieName.latin1() + QByteArray("=") + token + cookieAttributes(secure);
    if (identity->expiresAtMs) {
        // Until exp itself: the leeway is for clock skew, not a longer life.
        const qint64 maxAge = qMax<qint64>(0, (*identity->expiresAtMs - m_wallClock()) / 1000 - Jwt::LeewaySecs);
        cookie += "; Max-Age=" + QByteArray::number(maxAge);
    }
    r.setHeader("Set-Cookie", cookie);
    r.setHeader("Cache-Control", "no-store");
    return r;
}

HttpResponse Authenticator::logout(bool secure)
{
    HttpResponse r;
    r.status = 204;
    r.setHeader("Set-Cookie", CookieName.latin1() + QByteArray("=") + cookieAttributes(secure) + "; Max-Age=0");
    r.setHeader("Cache-Control", "no-store");
    return r;
}

HttpResponse Authenticator::expiredResponse()
{
    return unauthorized(QStringLiteral("token expired"), true);
}

QByteArray Authenticator::redactTarget(QByteArrayView target)
{
    static const QRegularExpression token(QStringLiteral("([?&]access_token=)[^&#]*"));
    QString text = QString::fromUtf8(target);
    text.replace(token, QStringLiteral("\\1REDACTED"));
    return text.toUtf8();
}

} // namespace rtlab
