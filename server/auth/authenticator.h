// SPDX-License-Identifier: MIT
#pragma once

#include "httprequest.h"
#include "httpresponse.h"
#include "jwt.h"

#include <functional>
#include <optional>

namespace rtlab {

// Who sent a request and what they may do: the one question the Hub asks per request (and per
// WebSocket handshake). With no key every request is anonymous and allowed, as before tokens.
// With a key (rtlab-server --auth-key) the token is read from, in this order, the Authorization
// header (Bearer), the rtlab_token cookie that POST /auth sets, and the access_token query
// parameter when the server allows it; the first one present decides (docs/protocol.md,
// "Authentication").
class Authenticator
{
public:
    // Milliseconds since the epoch: tokens carry wall-clock dates.
    using WallClock = std::function<qint64()>;

    struct Identity
    {
        QString sub;
        Permissions permissions = 0;
        // When the token stops being accepted (exp plus the leeway), ms since the epoch.
        std::optional<qint64> expiresAtMs;
        bool may(Permission p) const { return (permissions & permissionBit(p)) != 0; }
    };
    // Refused: the answer to give (401 or 403). Otherwise the identity, absent without tokens.
    struct Access
    {
        std::optional<Identity> identity;
        std::optional<HttpResponse> refusal;
    };

    Authenticator(QByteArray key, bool allowQueryToken, WallClock wallClock = {});

    // Reads --auth-key's file: its raw bytes, at least Jwt::MinKeyBytes. False with the reason
    // (naming the option) when it cannot be read or is too short.
    static bool readKeyFile(const QString &path, QByteArray *key, QString *why);

    bool isEnabled() const { return !m_key.isEmpty(); }
    qint64 wallNowMs() const { return m_wallClock(); }

    Access check(const HttpRequest &request, Permission needed) const;
    // POST /auth: the Bearer token of the request becomes the HttpOnly cookie (204), or 401.
    // `secure` marks the cookie Secure (the public origin is https).
    HttpResponse login(const HttpRequest &request, bool secure) const;
    // DELETE /auth: the cookie cleared (204).
    static HttpResponse logout(bool secure);
    // The 401 a held poll gets when its token expires while it waits.
    static HttpResponse expiredResponse();

    static constexpr QLatin1String CookieName { "rtlab_token" };
    static constexpr QLatin1String QueryName { "access_token" };
    // A request target with the query token's value replaced by REDACTED, for anything the server
    // logs or shows: a token in a URL is a password in every log line that prints it.
    static QByteArray redactTarget(QByteArrayView target);

private:
    // Where the token came from, and the token ("" when none was sent).
    enum class Source { None, Header, Cookie, Query };
    Source findToken(const HttpRequest &request, QByteArray *token) const;
    std::optional<Identity> verify(const QByteArray &token, QString *why) const;

    QByteArray m_key;
    bool m_allowQueryToken;
    WallClock m_wallClock;
};

} // namespace rtlab
