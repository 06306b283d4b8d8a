// SPDX-License-Identifier: MIT
#include "payload.h"

#include <charconv>
#include <cstring>

namespace rtlab::bench::payload {

std::string make(uint64_t seq, int64_t sendUs, size_t size)
{
    std::string s = "#B" + std::to_string(seq) + '.' + std::to_string(sendUs) + '#';
    if (s.size() < size)
        s.append(size - s.size(), 'x');
    return s;
}

void scan(std::string_view bytes, const std::function<void(uint64_t, int64_t)> &found)
{
    size_t pos = 0;
    while ((pos = bytes.find("#B", pos)) != std::string_view::npos) {
        const char *p = bytes.data() + pos + 2;
        const char *end = bytes.data() + bytes.size();
        uint64_t seq = 0;
        int64_t ts = 0;
        auto r = std::from_chars(p, end, seq);
        if (r.ec == std::errc() && r.ptr < end && *r.ptr == '.') {
            auto r2 = std::from_chars(r.ptr + 1, end, ts);
            if (r2.ec == std::errc() && r2.ptr < end && *r2.ptr == '#') {
                found(seq, ts);
                pos = size_t(r2.ptr - bytes.data());
                continue;
            }
        }
        pos += 2;
    }
}

std::string publishBody(Format format, uint64_t seq, int64_t wallUs, const std::string &text)
{
    if (format == Format::Rtlab)
        return R"({"type":"chat","from":"bench","text":")" + text + "\"}";
    return R"({"type":"chat","id":)" + std::to_string(seq) + R"(,"epoch":"0000000000000000","ts":)"
            + std::to_string(wallUs) + R"(,"from":"bench","text":")" + text + "\"}";
}

} // namespace rtlab::bench::payload

namespace rtlab::bench {

SeqWindow::Result SeqWindow::mark(uint64_t seq)
{
    if (seq < m_base)
        return Result::Duplicate;
    while (seq >= m_base + Bits) {
        // Slide: whatever was never seen at the bottom is lost (counted from unique() at the end).
        m_words[(m_base % Bits) / 64] &= ~(uint64_t(1) << (m_base % 64));
        ++m_base;
    }
    uint64_t &word = m_words[(seq % Bits) / 64];
    const uint64_t bit = uint64_t(1) << (seq % 64);
    if (word & bit)
        return Result::Duplicate;
    word |= bit;
    ++m_unique;
    // Advance the base over the contiguous run received.
    while (m_words[(m_base % Bits) / 64] & (uint64_t(1) << (m_base % 64))) {
        m_words[(m_base % Bits) / 64] &= ~(uint64_t(1) << (m_base % 64));
        ++m_base;
    }
    return Result::New;
}

} // namespace rtlab::bench
