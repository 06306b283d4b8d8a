// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace rtlab::bench {

// What the bench puts in every message it publishes, so that it can measure any server, also
// one that adds no timestamp or id of its own: "#B<seq>.<sendUs>#" then padding to the size.
// The marker has no character that JSON or SSE would escape or split, so it survives inside
// rtlab's JSON "text", a raw nchan body, an SSE data line or a long-poll answer alike.
namespace payload {

std::string make(uint64_t seq, int64_t sendUs, size_t size);

// Calls found(seq, sendUs) for every marker in bytes.
void scan(std::string_view bytes, const std::function<void(uint64_t, int64_t)> &found);

// The body a publisher sends. Rtlab: its /send JSON. Envelope: for peers that relay the body
// unchanged, a JSON object shaped like rtlab's own message (type, id, epoch, ts, from, text),
// so every server delivers about the same number of bytes per message.
enum class Format { Rtlab, Envelope };
std::string publishBody(Format format, uint64_t seq, int64_t wallUs, const std::string &text);

} // namespace payload

// Which sequence numbers one subscriber has seen: everything below base(), and a sliding
// window of 4,096 above it for the out-of-order arrivals that several publisher connections cause.
class SeqWindow
{
public:
    enum class Result { New, Duplicate };
    Result mark(uint64_t seq);
    uint64_t unique() const { return m_unique; }

private:
    static constexpr uint64_t Bits = 4096;
    uint64_t m_base = 1;
    uint64_t m_unique = 0;
    uint64_t m_words[Bits / 64] = {};
};

} // namespace rtlab::bench
