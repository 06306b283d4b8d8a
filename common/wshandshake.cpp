// SPDX-License-Identifier: MIT
#include "wshandshake.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QRandomGenerator>

#include <algorithm>

namespace rtlab {

QByteArray WsHandshake::generateKey()
{
    QByteArray nonce(16, Qt::Uninitialized);
    QRandomGenerator::system()->generate(nonce.begin(), nonce.end());
    return nonce.toBase64();
}

QByteArray WsHandshake::acceptFor(QByteArrayView key)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(key);
    sha1.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return sha1.result().toBase64();
}

bool WsHandshake::isValidKey(QByteArrayView key)
{
    if (key.size() != 24)
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(key.toByteArray(), QByteArray::AbortOnBase64DecodingErrors);
    return decoded.decodingStatus == QByteArray::Base64DecodingStatus::Ok && decoded.decoded.size() == 16;
}

QByteArray WsHandshake::acceptResponse(QByteArrayView key)
{
    return QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: ")
            + acceptFor(key) + QByteArrayLiteral("\r\n\r\n");
}

WsHandshake::WsHandshake(const QUrl &url, const QByteArray &key, const QString &origin, Limits limits,
                         const Headers &extraHeaders)
    : m_limits(limits), m_key(key)
{
    QByteArray target = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (target.isEmpty())
        target = "/";
    // The authority as the URL gives it: IPv6 hosts in brackets, the port when there is one.
    const QByteArray host = url.authority(QUrl::RemoveUserInfo | QUrl::FullyEncoded).toUtf8();
    m_request = "GET " + target + " HTTP/1.1\r\nHost: " + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + m_key
            + "\r\nSec-WebSocket-Version: 13\r\n";
    if (!origin.isEmpty())
        m_request += "Origin: " + origin.toUtf8() + "\r\n";
    for (const auto &[name, value] : extraHeaders)
        m_request += name + ": " + value + "\r\n";
    m_request += "\r\n";
}

qsizetype WsHandshake::feed(QByteArrayView bytes)
{
    if (m_state != State::Reading)
        return 0;
    const qsizetype before = m_head.size();
    // Never more than the limit (and the two bytes of an empty line) held.
    const qsizetype room = m_limits.maxHeadBytes + 2 - before;
    m_head.append(bytes.first(qMin(bytes.size(), qMax<qsizetype>(room, 0))));
    // Line by line: a line that is empty (LF or CRLF alone) ends the head.
    while (!m_complete) {
        const qsizetype start = m_lineStart;
        const qsizetype nl = m_head.indexOf('\n', start);
        if (nl < 0)
            break;
        const qsizetype length = nl - start - (nl > start && m_head[nl - 1] == '\r' ? 1 : 0);
        m_lineStart = nl + 1;
        if (length == 0 && start == 0) {
            invalid(Error::BadStatusLine); // an empty line where the status line should be
            m_head.truncate(m_lineStart);
            return m_lineStart - before;
        }
        m_complete = length == 0;
    }
    if (!m_complete) {
        if (m_head.size() > m_limits.maxHeadBytes)
            invalid(Error::HeadTooLarge);
        return bytes.size();
    }
    m_head.truncate(m_lineStart);
    parseHead();
    return m_head.size() - before;
}

void WsHandshake::invalid(Error error)
{
    m_state = State::Invalid;
    m_error = error;
}

void WsHandshake::parseHead()
{
    const QList<QByteArray> lines = m_head.split('\n');
    // Status line: HTTP/1.x SP 3DIGIT SP reason (the reason may be empty).
    QByteArray status = lines.first();
    if (status.endsWith('\r'))
        status.chop(1);
    if (!status.startsWith("HTTP/1.") || status.size() < 12 || status[8] != ' ') {
        invalid(Error::BadStatusLine);
        return;
    }
    bool ok = false;
    const QByteArray code = status.mid(9, 3);
    m_status = code.toInt(&ok);
    const bool digits = std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok || !digits || (status.size() > 12 && status[12] != ' ')) {
        m_status = 0;
        invalid(Error::BadStatusLine);
        return;
    }
    m_reason = status.mid(13).trimmed();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue; // the end (and the split's empty tail)
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || line[0] == ' ' || line[0] == '\t' || line.left(colon).contains(' ')) {
            invalid(Error::BadHeaderLine);
            return;
        }
        m_headers.append({ line.left(colon).toLower(), line.mid(colon + 1).trimmed() });
    }
    if (m_status != 101) {
        m_state = State::Refused;
        return;
    }
    const auto hasToken = [](const QByteArray &value, QByteArrayView token) {
        for (const QByteArray &t : value.split(','))
            if (t.trimmed().compare(token, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    };
    if (!hasToken(header("upgrade"), "websocket"))
        invalid(Error::NoUpgradeHeader);
    else if (!hasToken(header("connection"), "upgrade"))
        invalid(Error::NoConnectionUpgrade);
    else if (header("sec-websocket-accept") != expectedAccept())
        invalid(Error::WrongAccept);
    else if (!header("sec-websocket-extensions").isEmpty())
        invalid(Error::UnrequestedExtension);
    else if (!header("sec-websocket-protocol").isEmpty())
        invalid(Error::UnrequestedProtocol);
    else
        m_state = State::Upgraded;
}

QByteArray WsHandshake::header(QByteArrayView name) const
{
    QByteArray value;
    for (const auto &[n, v] : m_headers) {
        if (n.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        if (!value.isEmpty())
            value += ", ";
        value += v;
    }
    return value;
}

QString WsHandshake::errorString() const
{
    const auto tr = [](const char *s) { return QCoreApplication::translate("rtlab::WsHandshake", s); };
    switch (m_error) {
    case Error::None: return {};
    case Error::HeadTooLarge: return tr("the answer's head is larger than %1 bytes").arg(m_limits.maxHeadBytes);
    case Error::BadStatusLine: return tr("the answer does not begin with an HTTP/1.x status line");
    case Error::BadHeaderLine: return tr("the answer has a malformed header line");
    case Error::NoUpgradeHeader: return tr("the 101 answer has no “Upgrade: websocket”");
    case Error::NoConnectionUpgrade: return tr("the 101 answer has no “Connection: Upgrade”");
    case Error::WrongAccept: return tr("the 101 answer's Sec-WebSocket-Accept is not the one for our key");
    case Error::UnrequestedExtension: return tr("the 101 answer names an extension, though none was asked for");
    case Error::UnrequestedProtocol: return tr("the 101 answer names a subprotocol, though none was asked for");
    }
    return {};
}

} // namespace rtlab
