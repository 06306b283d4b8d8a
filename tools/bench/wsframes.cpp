// SPDX-License-Identifier: MIT
#include "wsframes.h"

namespace rtlab::bench {

std::string encodeClientFrame(uint8_t opcode, std::string_view payload, uint32_t mask)
{
    std::string out;
    out.reserve(payload.size() + 14);
    out.push_back(char(0x80 | (opcode & 0x0f)));
    const uint64_t n = payload.size();
    if (n < 126) {
        out.push_back(char(0x80 | n));
    } else if (n < 65536) {
        out.push_back(char(0x80 | 126));
        out.push_back(char(n >> 8));
        out.push_back(char(n & 0xff));
    } else {
        out.push_back(char(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            out.push_back(char((n >> (8 * i)) & 0xff));
    }
    const unsigned char key[4] = { uint8_t(mask >> 24), uint8_t(mask >> 16), uint8_t(mask >> 8), uint8_t(mask) };
    out.append(reinterpret_cast<const char *>(key), 4);
    for (size_t i = 0; i < n; ++i)
        out.push_back(char(uint8_t(payload[i]) ^ key[i % 4]));
    return out;
}

std::string makeWebSocketKey(uint64_t seed)
{
    static constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[16];
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned char &b : raw) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        b = uint8_t(x);
    }
    std::string out;
    for (int i = 0; i < 15; i += 3) {
        const uint32_t v = (uint32_t(raw[i]) << 16) | (uint32_t(raw[i + 1]) << 8) | raw[i + 2];
        out += Alphabet[(v >> 18) & 63];
        out += Alphabet[(v >> 12) & 63];
        out += Alphabet[(v >> 6) & 63];
        out += Alphabet[v & 63];
    }
    const uint32_t v = uint32_t(raw[15]) << 16;
    out += Alphabet[(v >> 18) & 63];
    out += Alphabet[(v >> 12) & 63];
    out += "==";
    return out;
}

} // namespace rtlab::bench
