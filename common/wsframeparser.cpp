// SPDX-License-Identifier: MIT
#include "wsframeparser.h"

#include <QCoreApplication>
#include <QStringDecoder>

namespace rtlab {

QByteArray WsFrame::bytes() const
{
    return header + (masked ? WsFrameParser::applyMask(payload, maskKey) : payload);
}

int WsFrame::closeCode() const
{
    if (payload.size() < 2)
        return WsFrameParser::CloseNoStatus;
    return (quint8(payload[0]) << 8) | quint8(payload[1]);
}

QString WsFrame::closeReason() const
{
    return payload.size() > 2 ? QString::fromUtf8(payload.sliced(2)) : QString();
}

WsFrameParser::WsFrameParser(Role role, Limits limits) : m_role(role), m_limits(limits) { }

void WsFrameParser::reset()
{
    m_buffer.clear();
    m_pos = 0;
    m_error = Error::None;
    m_messageOpcode = 0;
    m_message.clear();
    m_messageFrames = 0;
    m_completed.reset();
}

void WsFrameParser::feed(QByteArrayView bytes)
{
    if (m_error != Error::None || bytes.isEmpty())
        return;
    if (m_pos > 0) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
    m_buffer.append(bytes);
}

std::optional<WsFrame> WsFrameParser::fail(Error error)
{
    m_error = error;
    m_buffer.clear();
    m_pos = 0;
    m_message.clear();
    m_completed.reset();
    return std::nullopt;
}

std::optional<WsFrame> WsFrameParser::next()
{
    m_completed.reset();
    if (m_error != Error::None)
        return std::nullopt;
    const qsizetype avail = m_buffer.size() - m_pos;
    if (avail < 2)
        return std::nullopt;
    const auto *p = reinterpret_cast<const quint8 *>(m_buffer.constData() + m_pos);
    WsFrame f;
    f.fin = p[0] & 0x80;
    f.rsv = (p[0] >> 4) & 0x7;
    f.opcode = p[0] & 0x0f;
    f.masked = p[1] & 0x80;
    quint64 len = p[1] & 0x7f;
    // What the first two bytes already tell is checked before waiting for the rest.
    if (f.rsv)
        return fail(Error::ReservedBits);
    const bool control = f.opcode & 0x8;
    if (control ? (f.opcode != Close && f.opcode != Ping && f.opcode != Pong)
                : (f.opcode != Continuation && f.opcode != Text && f.opcode != Binary))
        return fail(Error::UnknownOpcode);
    if (control && !f.fin)
        return fail(Error::FragmentedControlFrame);
    if (control && len > 125)
        return fail(Error::ControlFrameTooLong);
    if (m_role == Role::Client && f.masked)
        return fail(Error::MaskedFromServer);
    if (m_role == Role::Server && !f.masked)
        return fail(Error::UnmaskedFromClient);
    if (!control && f.opcode == Continuation && !m_messageOpcode)
        return fail(Error::UnexpectedContinuation);
    if (!control && f.opcode != Continuation && m_messageOpcode)
        return fail(Error::ExpectedContinuation);
    int head = 2;
    if (len == 126) {
        if (avail < 4)
            return std::nullopt;
        len = (quint64(p[2]) << 8) | p[3];
        head = 4;
    } else if (len == 127) {
        if (avail < 10)
            return std::nullopt;
        len = 0;
        for (int i = 0; i < 8; ++i)
            len = (len << 8) | p[2 + i];
        head = 10;
        if (len >> 63)
            return fail(Error::LengthHighBit);
    }
    if (len > quint64(m_limits.maxFrame))
        return fail(Error::FrameTooLarge);
    if (!control && quint64(m_message.size()) + len > quint64(m_limits.maxMessage))
        return fail(Error::MessageTooLarge);
    if (f.masked)
        head += 4;
    if (quint64(avail) < quint64(head) + len)
        return std::nullopt; // the rest of the frame is on its way
    f.headerLength = head;
    f.payloadLength = len;
    f.header = QByteArray(reinterpret_cast<const char *>(p), head);
    if (f.masked)
        f.maskKey = f.header.right(4);
    const QByteArrayView raw(reinterpret_cast<const char *>(p + head), qsizetype(len));
    f.payload = f.masked ? applyMask(raw, f.maskKey) : raw.toByteArray();
    m_pos += head + qsizetype(len);
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    }
    return checkMessage(std::move(f));
}

// The rules that need the whole frame: a close frame's payload, and message reassembly.
std::optional<WsFrame> WsFrameParser::checkMessage(WsFrame f)
{
    if (f.opcode == Close) {
        if (f.payload.size() == 1)
            return fail(Error::BadClosePayload);
        if (f.payload.size() >= 2 && !isValidCloseCode(f.closeCode()))
            return fail(Error::InvalidCloseCode);
        if (f.payload.size() > 2 && !isValidUtf8(QByteArrayView(f.payload).sliced(2)))
            return fail(Error::InvalidCloseReason);
        return f;
    }
    if (f.isControl())
        return f;
    if (f.opcode != Continuation)
        m_messageOpcode = f.opcode;
    m_message += f.payload;
    ++m_messageFrames;
    if (!f.fin)
        return f;
    WsMessage m { m_messageOpcode, std::exchange(m_message, {}), std::exchange(m_messageFrames, 0) };
    m_messageOpcode = 0;
    // UTF-8 is checked on the whole message: a character may be split across its frames.
    if (m.opcode == Text && !isValidUtf8(m.data))
        return fail(Error::InvalidUtf8);
    m_completed = std::move(m);
    return f;
}

std::optional<WsMessage> WsFrameParser::takeMessage()
{
    return std::exchange(m_completed, std::nullopt);
}

QString WsFrameParser::errorString() const
{
    const auto tr = [](const char *s) { return QCoreApplication::translate("rtlab::WsFrameParser", s); };
    switch (m_error) {
    case Error::None: return {};
    case Error::ReservedBits: return tr("reserved bits set, but no extension was negotiated");
    case Error::UnknownOpcode: return tr("unknown opcode");
    case Error::ControlFrameTooLong: return tr("a control frame longer than 125 bytes");
    case Error::FragmentedControlFrame: return tr("a fragmented control frame");
    case Error::LengthHighBit: return tr("a 64-bit frame length with its high bit set");
    case Error::FrameTooLarge: return tr("a frame larger than %1 bytes").arg(m_limits.maxFrame);
    case Error::MessageTooLarge: return tr("a message larger than %1 bytes").arg(m_limits.maxMessage);
    case Error::MaskedFromServer: return tr("a masked frame from the server");
    case Error::UnmaskedFromClient: return tr("client frames must be masked");
    case Error::UnexpectedContinuation: return tr("a continuation frame with no message begun");
    case Error::ExpectedContinuation: return tr("a new message before the previous one ended");
    case Error::InvalidUtf8: return tr("a text message that is not UTF-8");
    case Error::BadClosePayload: return tr("a close frame with a 1-byte payload");
    case Error::InvalidCloseCode: return tr("a close frame with an invalid code");
    case Error::InvalidCloseReason: return tr("a close reason that is not UTF-8");
    }
    return {};
}

int WsFrameParser::closeCodeFor(Error error)
{
    switch (error) {
    case Error::None: return 0;
    case Error::FrameTooLarge:
    case Error::MessageTooLarge: return CloseTooBig;
    case Error::InvalidUtf8:
    case Error::InvalidCloseReason: return CloseInvalidPayload;
    default: return CloseProtocolError;
    }
}

int WsFrameParser::headerLengthFor(quint64 payloadLength, bool masked)
{
    return (payloadLength < 126 ? 2 : payloadLength <= 0xffff ? 4 : 10) + (masked ? 4 : 0);
}

QByteArray WsFrameParser::applyMask(QByteArrayView payload, QByteArrayView maskKey)
{
    QByteArray out(payload.size(), Qt::Uninitialized);
    if (maskKey.size() != 4) {
        std::copy(payload.begin(), payload.end(), out.begin());
        return out;
    }
    const char *in = payload.data();
    char *o = out.data();
    for (qsizetype i = 0; i < payload.size(); ++i)
        o[i] = char(in[i] ^ maskKey[i & 3]);
    return out;
}

QByteArray WsFrameParser::encodeFrame(quint8 opcode, QByteArrayView payload, bool fin, QByteArrayView maskKey)
{
    const bool masked = maskKey.size() == 4;
    const quint64 len = quint64(payload.size());
    QByteArray frame;
    frame.reserve(headerLengthFor(len, masked) + payload.size());
    frame.append(char((fin ? 0x80 : 0) | (opcode & 0x0f)));
    const char maskBit = masked ? char(0x80) : char(0);
    if (len < 126) {
        frame.append(char(maskBit | char(len)));
    } else if (len <= 0xffff) {
        frame.append(char(maskBit | 126));
        frame.append(char(len >> 8));
        frame.append(char(len & 0xff));
    } else {
        frame.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            frame.append(char((len >> (8 * i)) & 0xff));
    }
    if (masked) {
        frame.append(maskKey);
        frame.append(applyMask(payload, maskKey));
    } else {
        frame.append(payload);
    }
    return frame;
}

QByteArray WsFrameParser::closePayload(int code, const QString &reason)
{
    QByteArray p;
    p.append(char((code >> 8) & 0xff));
    p.append(char(code & 0xff));
    p.append(closeReason(reason));
    return p;
}

QByteArray WsFrameParser::closeReason(const QString &reason)
{
    QByteArray r = reason.toUtf8();
    if (r.size() > 123) {
        qsizetype cut = 123;
        // Back off over continuation bytes (10xxxxxx) to the start of the character cut in two.
        while (cut > 0 && (quint8(r[cut]) & 0xC0) == 0x80)
            --cut;
        r.truncate(cut);
    }
    return r;
}

bool WsFrameParser::isValidUtf8(QByteArrayView bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(bytes);
    Q_UNUSED(text);
    return !decoder.hasError();
}

bool WsFrameParser::isValidCloseCode(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

QString WsFrameParser::opcodeName(quint8 opcode)
{
    switch (opcode) {
    case Continuation: return QStringLiteral("continuation");
    case Text: return QStringLiteral("text");
    case Binary: return QStringLiteral("binary");
    case Close: return QStringLiteral("close");
    case Ping: return QStringLiteral("ping");
    case Pong: return QStringLiteral("pong");
    }
    return QStringLiteral("opcode %1").arg(opcode);
}

} // namespace rtlab
