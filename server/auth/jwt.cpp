// SPDX-License-Identifier: MIT
#include "jwt.h"

#include "messagecodec.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>

#include <cmath>

namespace rtlab {

QLatin1String permissionName(Permission p)
{
    switch (p) {
    case Permission::Subscribe: return QLatin1String("subscribe");
    case Permission::Publish: return QLatin1String("publish");
    case Permission::Stats: return QLatin1String("stats");
    case Permission::None: break;
    }
    return QLatin1String("none");
}

std::optional<Permission> permissionFromName(QStringView name)
{
    for (const Permission p : { Permission::Subscribe, Permission::Publish, Permission::Stats }) {
        if (name == permissionName(p))
            return p;
    }
    return std::nullopt;
}

static bool isBase64UrlChar(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::optional<QByteArray> Jwt::decodeBase64Url(QByteArrayView text)
{
    if (text.size() % 4 == 1)
        return std::nullopt;
    for (const char c : text) {
        if (!isBase64UrlChar(c))
            return std::nullopt;
    }
    QByteArray bytes = QByteArray::fromBase64(text.toByteArray(), QByteArray::Base64UrlEncoding);
    // Stray bits in the last character would let several texts carry one value.
    if (encodeBase64Url(bytes) != text)
        return std::nullopt;
    return bytes;
}

QByteArray Jwt::encodeBase64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray Jwt::hs256(QByteArrayView signingInput, const QByteArray &key)
{
    return QMessageAuthenticationCode::hash(signingInput.toByteArray(), key, QCryptographicHash::Sha256);
}

// Every byte is compared whatever the earlier ones were: the time taken says nothing about how
// much of a forged MAC was right. The length is public (32 bytes for HS256).
static bool equalConstantTime(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    volatile unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff = diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    return diff == 0;
}

static std::optional<QJsonObject> decodeJsonObject(QByteArrayView part)
{
    const std::optional<QByteArray> json = Jwt::decodeBase64Url(part);
    if (!json)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(*json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

// A NumericDate (RFC 7519 §2): seconds, possibly fractional; absent is fine, another type is not.
static bool readNumericDate(const QJsonObject &payload, QLatin1String name, std::optional<qint64> *date)
{
    const QJsonValue v = payload.value(name);
    if (v.isUndefined())
        return true;
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        return false;
    // Beyond 2^53 s (285 million years) is "never" for us: clamped, not overflowed.
    const double limit = 9007199254740992.0;
    *date = qint64(std::floor(std::clamp(v.toDouble(), -limit, limit)));
    return true;
}

std::optional<TokenClaims> Jwt::verify(QByteArrayView token, const QByteArray &key, qint64 nowSecs, Error *error,
                                       QString *why)
{
    const auto fail = [&](Error e, const QString &reason) -> std::optional<TokenClaims> {
        if (error)
            *error = e;
        if (why)
            *why = reason;
        return std::nullopt;
    };
    if (token.size() > MaxTokenBytes)
        return fail(Error::Malformed, QStringLiteral("token longer than %1 bytes").arg(MaxTokenBytes));
    const qsizetype dot1 = token.indexOf('.');
    const qsizetype dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot1 < 0 || dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0)
        return fail(Error::Malformed, QStringLiteral("not a compact JWS (three base64url parts)"));
    const std::optional<QJsonObject> header = decodeJsonObject(token.first(dot1));
    if (!header)
        return fail(Error::Malformed, QStringLiteral("header is not base64url JSON"));
    // The key decides the algorithm (RFC 8725 §3.1): a header asking for "none" or for another
    // algorithm is refused, never obeyed.
    const QString alg = header->value(QLatin1String("alg")).toString();
    if (alg != u"HS256")
        return fail(Error::Algorithm,
                    QStringLiteral("algorithm %1 not accepted; the server's key is HS256")
                            .arg(alg.isEmpty() ? QStringLiteral("(none given)") : alg));
    // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
    if (header->contains(QLatin1String("crit")))
        return fail(Error::Malformed, QStringLiteral("\"crit\" header parameters are not supported"));
    const std::optional<QByteArray> signature = decodeBase64Url(token.sliced(dot2 + 1));
    if (!signature)
        return fail(Error::Malformed, QStringLiteral("signature is not base64url"));
    if (!equalConstantTime(hs256(token.first(dot2), key), *signature))
        return fail(Error::BadSignature, QStringLiteral("bad signature"));
    const std::optional<QJsonObject> payload = decodeJsonObject(token.sliced(dot1 + 1, dot2 - dot1 - 1));
    if (!payload)
        return fail(Error::Malformed, QStringLiteral("payload is not base64url JSON"));

    TokenClaims claims;
    if (!readNumericDate(*payload, QLatin1String("exp"), &claims.exp)
        || !readNumericDate(*payload, QLatin1String("nbf"), &claims.nbf))
        return fail(Error::BadClaims, QStringLiteral("exp and nbf must be numbers (seconds since 1970)"));
    if (claims.exp && nowSecs >= *claims.exp + LeewaySecs)
        return fail(Error::Expired, QStringLiteral("token expired"));
    if (claims.nbf && nowSecs + LeewaySecs < *claims.nbf)
        return fail(Error::NotYetValid, QStringLiteral("token not valid yet"));
    // The sender's name comes from sub: the same rules as a message's "from".
    const QJsonValue sub = payload->value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().trimmed().isEmpty())
        return fail(Error::BadClaims, QStringLiteral("sub missing"));
    if (sub.toString().size() > PublishLimits::DefaultMaxFromChars)
        return fail(Error::BadClaims,
                    QStringLiteral("sub longer than %1 characters").arg(PublishLimits::DefaultMaxFromChars));
    claims.sub = sub.toString();
    const QJsonValue rtlab = payload->value(QLatin1String("rtlab"));
    if (rtlab.isUndefined()) {
        claims.permissions = permissionBit(Permission::Subscribe) | permissionBit(Permission::Publish);
    } else if (!rtlab.isArray()) {
        return fail(Error::BadClaims, QStringLiteral("rtlab must be an array of permission names"));
    } else {
        for (const QJsonValue &v : rtlab.toArray()) {
            if (!v.isString())
                return fail(Error::BadClaims, QStringLiteral("rtlab must be an array of permission names"));
            // A name this server does not know grants nothing and costs nothing: a token minted
            // for a newer server still works for what this one offers.
            if (const auto p = permissionFromName(v.toString()))
                claims.permissions |= permissionBit(*p);
        }
    }
    if (error)
        *error = Error::None;
    return claims;
}

QByteArray Jwt::signPayload(const QJsonObject &header, const QJsonObject &payload, const QByteArray &key)
{
    const QByteArray input = encodeBase64Url(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
            + encodeBase64Url(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    return input + '.' + encodeBase64Url(hs256(input, key));
}

QByteArray Jwt::sign(const TokenClaims &claims, const QByteArray &key)
{
    QJsonObject header;
    header.insert(QLatin1String("alg"), QLatin1String("HS256"));
    header.insert(QLatin1String("typ"), QLatin1String("JWT"));
    QJsonObject payload;
    payload.insert(QLatin1String("sub"), claims.sub);
    if (claims.exp)
        payload.insert(QLatin1String("exp"), *claims.exp);
    if (claims.nbf)
        payload.insert(QLatin1String("nbf"), *claims.nbf);
    QJsonArray permissions;
    for (const Permission p : { Permission::Subscribe, Permission::Publish, Permission::Stats }) {
        if (claims.permissions & permissionBit(p))
            permissions.append(permissionName(p));
    }
    payload.insert(QLatin1String("rtlab"), permissions);
    return signPayload(header, payload, key);
}

} // namespace rtlab
