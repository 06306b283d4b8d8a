// SPDX-License-Identifier: MIT
#include "bearertoken.h"

#include <QFile>

#include <algorithm>
#include <cstdio>

namespace rtlab::BearerToken {

bool isValid(QByteArrayView token)
{
    return !token.isEmpty()
            && std::all_of(token.begin(), token.end(), [](char c) { return uchar(c) > 0x20 && uchar(c) < 0x7f; });
}

bool readFile(const QString &path, QByteArray *token, QString *error)
{
    QFile f(path);
    const bool opened = path == u"-" ? f.open(stdin, QIODevice::ReadOnly) : f.open(QIODevice::ReadOnly);
    if (!opened) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    // A token is a few hundred bytes: a bound, not a limit anyone meets.
    *token = f.read(64 * 1024).split('\n').value(0).trimmed();
    if (!isValid(*token)) {
        *error = token->isEmpty()
                ? QStringLiteral("%1 holds no token (it is empty)").arg(path)
                : QStringLiteral("%1 does not hold a token: printable ASCII with no spaces").arg(path);
        return false;
    }
    return true;
}

} // namespace rtlab::BearerToken
