// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rtlab::bench {

// The bench's WebSocket client framing (RFC 6455 §5): what it sends. What it reads goes through
// common/'s WsFrameParser (Role::Client), which checks every rule a client must. Clients mask their
// frames (§5.3); the bench sends only pongs, a close and an occasional text.

// A masked client frame. mask is any 32-bit value (RFC 6455 wants it unpredictable to
// intermediaries; the bench talks only to loopback servers it started).
// opcode is one of WsFrameParser::Opcode.
std::string encodeClientFrame(uint8_t opcode, std::string_view payload, uint32_t mask);

// The Sec-WebSocket-Key for a handshake: base64 of 16 bytes.
std::string makeWebSocketKey(uint64_t seed);

} // namespace rtlab::bench
