// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QString>

namespace rtlab {

// What an rtlab server with tokens (`--auth-key`, docs/protocol.md "Authentication") means when
// it refuses a client, in words the user can act on. A refused token is not a network fault: the
// same token would be refused again, so the client stops retrying and says this instead.
namespace AuthRefusal {

// An HTTP answer that refuses the client's credentials: a 401 always (RFC 9110 §15.5.2); a 403
// when the client sent a token (the token lacks a permission). A 403 to a client without a token
// refuses something else (an Origin, a proxy or the lab's relay blocking an upgrade) and keeps its
// meaning: a blocked path, which Auto falls back from.
bool refusesToken(int httpStatus, bool sentToken);

// A WebSocket close that refuses the token: 1008 (policy violation), which rtlab sends when the
// token of an open WebSocket expires.
inline constexpr int PolicyViolation = 1008;
inline bool refusesToken(int closeCode)
{
    return closeCode == PolicyViolation;
}

// `error_description` of a `WWW-Authenticate: Bearer …` value (RFC 6750 §3), empty if none.
QString errorDescription(QByteArrayView wwwAuthenticate);

// The sentence for a refusal of `permission` ("subscribe", "publish") with `httpStatus` 401 or
// 403: "token expired — get a new one", "this server needs a token: connect with one", "not
// allowed to publish: …". `wwwAuthenticate` and `body` are the answer's (either may be empty).
QString describe(int httpStatus, QByteArrayView wwwAuthenticate, QByteArrayView body, QStringView permission);

// The sentence for a WebSocket closed with 1008 and `reason`.
QString describeClose(const QString &reason);

} // namespace AuthRefusal
} // namespace rtlab
