// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace rtlab {

// What a client may do with a token: the "rtlab" claim, an array of these names.
enum class Permission : quint8 {
    None = 0,
    Subscribe = 1, // "subscribe": /events, /poll, /ws
    Publish = 2,   // "publish": POST /send, WebSocket publish frames
    Stats = 4,     // "stats": /stats, /metrics
};
using Permissions = quint8;
inline constexpr Permissions permissionBit(Permission p)
{
    return Permissions(p);
}
// The claim's name of a permission ("subscribe"), and back (nullopt for a name we do not know).
QLatin1String permissionName(Permission p);
std::optional<Permission> permissionFromName(QStringView name);

// The claims rtlab reads from a verified token (RFC 7519 §4.1).
struct TokenClaims
{
    QString sub;
    std::optional<qint64> exp; // NumericDate, seconds since the epoch
    std::optional<qint64> nbf;
    Permissions permissions = 0;
};

// JSON Web Tokens in the compact JWS form (RFC 7515 §7.1), HMAC-SHA-256 only (RFC 7518 §3.2).
// I/O-free: the key and the time are given. The verifier is strict: three base64url parts with
// no padding, JSON objects, the algorithm pinned by the key (the header must say HS256; "none"
// or any other is refused, never followed), no "crit", the MAC compared in constant time, then
// exp/nbf with a leeway and a valid sub.
class Jwt
{
public:
    enum class Error {
        None,
        Malformed,    // not three base64url parts of JSON objects
        Algorithm,    // the header names another algorithm than the key's
        BadSignature, // signed with another key, or altered
        Expired,
        NotYetValid,
        BadClaims, // sub missing or not a valid sender name, exp/nbf/rtlab of the wrong type
    };

    // RFC 7519 §4.1.4 allows "some small leeway" for clock skew; the contract says 30 s.
    static constexpr qint64 LeewaySecs = 30;
    // The longest token read: more is refused before any decoding (a header line is bounded
    // anyway; this keeps the JSON parser's work small).
    static constexpr qsizetype MaxTokenBytes = 4096;
    // RFC 7518 §3.2: an HS256 key at least as long as the hash.
    static constexpr qsizetype MinKeyBytes = 32;

    static std::optional<TokenClaims> verify(QByteArrayView token, const QByteArray &key, qint64 nowSecs,
                                             Error *error = nullptr, QString *why = nullptr);
    // A token for these claims, signed with HS256 (rtlab-server token, tests).
    static QByteArray sign(const TokenClaims &claims, const QByteArray &key);
    // A token for any payload and header (tests: a wrong alg, a foreign claim).
    static QByteArray signPayload(const QJsonObject &header, const QJsonObject &payload, const QByteArray &key);
    // HMAC-SHA-256 of the signing input "header.payload".
    static QByteArray hs256(QByteArrayView signingInput, const QByteArray &key);
    // Base64url without padding, strictly: nullopt on any other character, on padding, on a length
    // that no encoding has, or on stray bits in the last character (one text per byte string).
    static std::optional<QByteArray> decodeBase64Url(QByteArrayView text);
    static QByteArray encodeBase64Url(const QByteArray &bytes);
};

} // namespace rtlab
