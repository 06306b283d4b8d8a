// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QtGlobal>

namespace rtlab {

// One unmasked server-to-client WebSocket frame, FIN set (RFC 6455 §5.2): the shortest length
// encoding, then the payload. The log builds each message's text frame once with this, and the
// epoll core writes those same bytes to every WebSocket subscriber.
inline QByteArray encodeServerFrame(quint8 opcode, const QByteArray &payload)
{
    const quint64 len = quint64(payload.size());
    const int headSize = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
    QByteArray frame;
    frame.reserve(headSize + payload.size());
    frame.append(char(0x80 | opcode));
    if (len < 126) {
        frame.append(char(len));
    } else if (len <= 0xffff) {
        frame.append(char(126));
        frame.append(char(len >> 8));
        frame.append(char(len & 0xff));
    } else {
        frame.append(char(127));
        for (int i = 0; i < 8; ++i)
            frame.append(char((len >> (8 * (7 - i))) & 0xff));
    }
    frame.append(payload);
    return frame;
}

// RFC 6455 §4.2.1: Sec-WebSocket-Key is 16 random bytes in base64, so exactly 24 characters.
// (QByteArray::fromBase64 alone skips characters it does not know, and would let a bad key pass.)
inline bool isValidWebSocketKey(const QByteArray &key)
{
    if (key.size() != 24)
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    return decoded.decodingStatus == QByteArray::Base64DecodingStatus::Ok && decoded.decoded.size() == 16;
}

} // namespace rtlab
