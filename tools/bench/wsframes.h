// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rtlab::bench {

// The bench's WebSocket client framing (RFC 6455 §5), I/O-free. Servers send unmasked frames;
// clients must mask theirs (§5.3). The bench sends only pongs, a close and an occasional text.
class WsFrameReader
{
public:
    enum class Opcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

    struct Frame
    {
        Opcode opcode = Opcode::Text;
        bool fin = true;
        std::string_view payload; // valid until the next next() or feed()
    };

    void feed(const char *data, size_t size) { m_buffer.append(data, size); }
    // The next complete frame, or false if more bytes are needed (or the stream is bad: see error()).
    bool next(Frame *frame);
    bool error() const { return m_error; }

    static constexpr uint64_t MaxFrameBytes = 16 * 1024 * 1024;

private:
    std::string m_buffer;
    size_t m_pos = 0;
    bool m_error = false;
};

// A masked client frame. mask is any 32-bit value (RFC 6455 wants it unpredictable to
// intermediaries; the bench talks only to loopback servers it started).
std::string encodeClientFrame(WsFrameReader::Opcode opcode, std::string_view payload, uint32_t mask);

// The Sec-WebSocket-Key for a handshake: base64 of 16 bytes.
std::string makeWebSocketKey(uint64_t seed);

} // namespace rtlab::bench
