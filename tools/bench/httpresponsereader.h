// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rtlab::bench {

// An incremental HTTP/1.1 response reader for the bench's own client side. I/O-free: feed()
// any split of the bytes. It decodes the body (Content-Length, chunked, or delimited by the
// connection's close, as SSE streams may be) and stops at the end of one response, so bytes
// that follow (the next pipelined answer, or WebSocket frames after a 101) stay with the caller.
// It is deliberately small: the bench talks only to servers it starts itself on 127.0.0.1.
class HttpResponseReader
{
public:
    enum class State { Head, Body, Done, Error };

    // Consumes bytes from data; appends decoded body bytes to *body. Returns how many bytes were
    // consumed (fewer than size once the response is Done).
    size_t feed(const char *data, size_t size, std::string *body);
    void reset();

    State state() const { return m_state; }
    bool headComplete() const { return m_state == State::Body || m_state == State::Done; }
    int status() const { return m_status; }
    // The value of a header (name in lower case), or empty.
    std::string_view header(std::string_view lowerName) const;
    bool keepAlive() const { return m_keepAlive; }
    size_t headBytes() const { return m_headBytes; }

    static constexpr size_t MaxHeadBytes = 64 * 1024;

private:
    bool parseHead();
    size_t feedChunked(const char *data, size_t size, std::string *body);

    enum class ChunkState { Size, Data, DataEnd, Trailer };

    State m_state = State::Head;
    std::string m_head;
    std::vector<std::pair<std::string, std::string>> m_headers;
    int m_status = 0;
    bool m_keepAlive = true;
    bool m_chunked = false;
    int64_t m_remaining = -1; // Content-Length left; -1 = until close
    size_t m_headBytes = 0;
    ChunkState m_chunkState = ChunkState::Size;
    std::string m_chunkLine;
    uint64_t m_chunkLeft = 0;
};

} // namespace rtlab::bench
