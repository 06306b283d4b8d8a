// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

namespace rtlab {

// One WebSocket frame as it crossed the wire (RFC 6455 §5.2): its header fields, the exact header
// bytes, and the payload unmasked.
struct WsFrame
{
    bool fin = true;
    quint8 rsv = 0; // RSV1..RSV3 as bits 2..0 (0 unless an extension was negotiated)
    quint8 opcode = 0;
    bool masked = false;
    QByteArray maskKey; // 4 bytes when masked, else empty
    quint64 payloadLength = 0;
    int headerLength = 0;
    QByteArray header;  // the exact header bytes (headerLength of them, the mask key included)
    QByteArray payload; // unmasked

    bool isControl() const { return opcode & 0x8; }
    // The frame exactly as it was on the wire: the header, then the payload masked again with its key.
    QByteArray bytes() const;
    // A close frame's code (1005, "no status", for an empty payload) and reason.
    int closeCode() const;
    QString closeReason() const;
};

// A data message reassembled from its frames (one, or a first frame and its continuations).
struct WsMessage
{
    quint8 opcode = 0; // Text or Binary
    QByteArray data;
    int frames = 1;
};

// An I/O-free RFC 6455 frame parser, for either end of a connection: feed it bytes as they came
// (split anywhere), take frames out one by one. It checks every rule of §5 a receiver must: no RSV
// bits (no extension is negotiated), known opcodes, control frames short (≤ 125) and unfragmented,
// a 64-bit length without its high bit, a frame and a message within the limits, masking by role
// (a client's frames are masked, a server's are not), continuation frames only inside a message,
// close frames with a valid code and a UTF-8 reason, and text messages in UTF-8 once complete.
// The first violation stops it: error() says which, closeCodeFor() what to close with, and no
// frame after it is returned. It holds at most one incomplete frame (≤ Limits::maxFrame + 14
// bytes) plus what the caller fed and has not taken yet, and one incomplete message (≤
// Limits::maxMessage).
class WsFrameParser
{
public:
    enum Opcode : quint8 { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };
    enum CloseCode : quint16 {
        CloseNormal = 1000,
        CloseGoingAway = 1001,
        CloseProtocolError = 1002,
        CloseNoStatus = 1005,
        CloseInvalidPayload = 1007,
        CloseTooBig = 1009,
    };
    // Client: parses what a server sends (frames must not be masked). Server: parses what a
    // client sends (frames must be masked).
    enum class Role { Client, Server };
    enum class Error {
        None,
        ReservedBits,           // RSV1-3 set with no extension negotiated
        UnknownOpcode,          // 3-7 or 0xB-0xF
        ControlFrameTooLong,    // a control frame's payload over 125 bytes
        FragmentedControlFrame, // a control frame without FIN
        LengthHighBit,          // a 64-bit length with its most significant bit set
        FrameTooLarge,          // a frame's payload over Limits::maxFrame
        MessageTooLarge,        // a message's frames together over Limits::maxMessage
        MaskedFromServer,       // Role::Client: the server masked a frame
        UnmaskedFromClient,     // Role::Server: the client did not mask a frame
        UnexpectedContinuation, // a continuation frame with no message begun
        ExpectedContinuation,   // a new text/binary frame while a message is unfinished
        InvalidUtf8,            // a complete text message that is not UTF-8
        BadClosePayload,        // a close frame with a 1-byte payload
        InvalidCloseCode,       // a close code no endpoint may send (RFC 6455 §7.4)
        InvalidCloseReason,     // a close reason that is not UTF-8
    };
    struct Limits
    {
        qint64 maxFrame = 16 * 1024 * 1024;
        qint64 maxMessage = 16 * 1024 * 1024;
    };

    explicit WsFrameParser(Role role, Limits limits);
    explicit WsFrameParser(Role role) : WsFrameParser(role, Limits {}) { }

    // Appends bytes as they came. Ignored after an error.
    void feed(QByteArrayView bytes);
    // The next complete frame, or none (more bytes needed, or an error: see error()).
    std::optional<WsFrame> next();
    // The message the frame last returned by next() completed, if it did (taken once).
    std::optional<WsMessage> takeMessage();

    Error error() const { return m_error; }
    QString errorString() const;
    // The close code to fail the connection with for this error: 1009 for sizes, 1007 for
    // invalid UTF-8, 1002 for every other violation; 0 for None.
    static int closeCodeFor(Error error);
    int closeCode() const { return closeCodeFor(m_error); }
    // Bytes fed and not yet returned in a frame.
    qsizetype buffered() const { return m_buffer.size() - m_pos; }
    // A message is begun and unfinished.
    bool inMessage() const { return m_messageOpcode != 0; }
    Role role() const { return m_role; }
    Limits limits() const { return m_limits; }
    // Forgets everything: a new connection.
    void reset();

    // The encoder: one frame's exact bytes with the shortest length encoding. `maskKey` is 4
    // bytes (a client's frame: the payload is masked with it) or empty (a server's frame).
    static QByteArray encodeFrame(quint8 opcode, QByteArrayView payload, bool fin = true, QByteArrayView maskKey = {});
    // A close frame's payload: the code, then the reason in UTF-8 cut to 123 bytes (a control
    // frame carries at most 125) without splitting a character.
    static QByteArray closePayload(int code, const QString &reason = {});
    // A close reason in UTF-8, cut as closePayload() cuts it: at most 123 bytes, whole characters.
    static QByteArray closeReason(const QString &reason);
    // The header a frame of this payload needs: 2, 4 or 10 bytes, plus 4 when masked.
    static int headerLengthFor(quint64 payloadLength, bool masked);
    // XOR with the 4-byte key (RFC 6455 §5.3): masks and unmasks alike.
    static QByteArray applyMask(QByteArrayView payload, QByteArrayView maskKey);
    static bool isValidUtf8(QByteArrayView bytes);
    // RFC 6455 §7.4: the codes a close frame may carry (1005, 1006 and 1015 are never sent).
    static bool isValidCloseCode(int code);
    // "text", "binary", "close", "ping", "pong", "continuation", or "opcode N".
    static QString opcodeName(quint8 opcode);

private:
    std::optional<WsFrame> fail(Error error);
    std::optional<WsFrame> checkMessage(WsFrame frame);

    Role m_role;
    Limits m_limits;
    QByteArray m_buffer;
    qsizetype m_pos = 0; // m_buffer before it is consumed
    Error m_error = Error::None;
    quint8 m_messageOpcode = 0; // the unfinished message's opcode; 0: none
    QByteArray m_message;
    int m_messageFrames = 0;
    std::optional<WsMessage> m_completed;
};

} // namespace rtlab
