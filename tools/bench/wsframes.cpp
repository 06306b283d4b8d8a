// SPDX-License-Identifier: MIT
#include "wsframes.h"

namespace rtlab::bench {

bool WsFrameReader::next(Frame *frame)
{
    if (m_error)
        return false;
    // Drop what the previous call handed out.
    if (m_pos > 0 && m_pos >= m_buffer.size() / 2) {
        m_buffer.erase(0, m_pos);
        m_pos = 0;
    }
    const size_t avail = m_buffer.size() - m_pos;
    if (avail < 2)
        return false;
    const auto *p = reinterpret_cast<const unsigned char *>(m_buffer.data() + m_pos);
    const bool masked = p[1] & 0x80;
    uint64_t length = p[1] & 0x7f;
    size_t header = 2;
    if (length == 126) {
        if (avail < 4)
            return false;
        length = (uint64_t(p[2]) << 8) | p[3];
        header = 4;
    } else if (length == 127) {
        if (avail < 10)
            return false;
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | p[2 + i];
        header = 10;
    }
    if (masked || length > MaxFrameBytes) { // a server must not mask (§5.1)
        m_error = true;
        return false;
    }
    if (avail < header + length)
        return false;
    frame->fin = p[0] & 0x80;
    frame->opcode = static_cast<Opcode>(p[0] & 0x0f);
    frame->payload = std::string_view(m_buffer.data() + m_pos + header, size_t(length));
    m_pos += header + size_t(length);
    return true;
}

std::string encodeClientFrame(WsFrameReader::Opcode opcode, std::string_view payload, uint32_t mask)
{
    std::string out;
    out.reserve(payload.size() + 14);
    out.push_back(char(0x80 | uint8_t(opcode)));
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
