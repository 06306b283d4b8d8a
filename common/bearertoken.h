// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace rtlab {

// A token as the clients take it from a user (rtlab-cli --token/--token-file, rtlab --token, the
// Connect dialog) before it goes into an `Authorization: Bearer` header line.
namespace BearerToken {

// Printable ASCII with no spaces, not empty: what can stand in a header line as it is (a JWT is
// three base64url parts joined by dots). Anything else could end the line or forge another.
bool isValid(QByteArrayView token);

// The first line of `path` ("-": standard input), trimmed: a token file written with a newline
// after it (`rtlab-server token … > FILE`) reads as the token alone. False with *error if it cannot
// be read, or what it holds is not a valid token.
bool readFile(const QString &path, QByteArray *token, QString *error);

} // namespace BearerToken
} // namespace rtlab
