// SPDX-License-Identifier: MIT
#include "httpresponsereader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace rtlab::bench {

namespace {
std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}
// Also drops the line's own CRLF: a chunk-size or trailer line is kept with its '\n', and the
// blank line that ends a chunked body must come out empty.
std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}
} // namespace

void HttpResponseReader::reset()
{
    *this = HttpResponseReader();
}

std::string_view HttpResponseReader::header(std::string_view lowerName) const
{
    for (const auto &[name, value] : m_headers)
        if (name == lowerName)
            return value;
    return {};
}

bool HttpResponseReader::parseHead()
{
    std::string_view head(m_head);
    size_t lineEnd = head.find('\n');
    const std::string_view statusLine = trim(head.substr(0, lineEnd));
    // "HTTP/1.1 200 OK"
    if (statusLine.size() < 12 || statusLine.substr(0, 5) != "HTTP/")
        return false;
    const bool http10 = statusLine.substr(0, 8) == "HTTP/1.0";
    const auto [ptr, ec] = std::from_chars(statusLine.data() + 9, statusLine.data() + statusLine.size(), m_status);
    if (ec != std::errc())
        return false;
    m_keepAlive = !http10;
    while (lineEnd != std::string_view::npos && lineEnd + 1 < head.size()) {
        const size_t start = lineEnd + 1;
        lineEnd = head.find('\n', start);
        const std::string_view line =
                trim(head.substr(start, lineEnd == std::string_view::npos ? head.npos : lineEnd - start));
        const size_t colon = line.find(':');
        if (line.empty() || colon == std::string_view::npos)
            continue;
        m_headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    const std::string connection = lower(header("connection"));
    if (connection.find("close") != std::string::npos)
        m_keepAlive = false;
    else if (connection.find("keep-alive") != std::string::npos)
        m_keepAlive = true;
    m_chunked = lower(header("transfer-encoding")).find("chunked") != std::string::npos;
    const std::string_view length = header("content-length");
    if (!m_chunked && !length.empty()) {
        int64_t n = 0;
        if (std::from_chars(length.data(), length.data() + length.size(), n).ec != std::errc() || n < 0)
            return false;
        m_remaining = n;
    }
    // RFC 9110 §6.4.1: 1xx, 204 and 304 answers have no body.
    if (m_status == 101 || m_status == 204 || m_status == 304 || (m_status >= 100 && m_status < 200))
        m_remaining = 0, m_chunked = false;
    if (!m_chunked && m_remaining < 0)
        m_keepAlive = false; // delimited by close
    return true;
}

size_t HttpResponseReader::feed(const char *data, size_t size, std::string *body)
{
    size_t used = 0;
    if (m_state == State::Head) {
        // Look for the blank line, also when it straddles the previous feed.
        const size_t before = m_head.size();
        const size_t take = std::min(size, MaxHeadBytes - std::min(before, MaxHeadBytes));
        m_head.append(data, take);
        const size_t end = m_head.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
        if (end == std::string::npos) {
            if (m_head.size() >= MaxHeadBytes)
                m_state = State::Error;
            return take;
        }
        used = end + 4 - before;
        m_head.resize(end + 4);
        m_headBytes = m_head.size();
        if (!parseHead()) {
            m_state = State::Error;
            return used;
        }
        m_state = (m_remaining == 0 && !m_chunked) ? State::Done : State::Body;
    }
    if (m_state != State::Body)
        return used;
    data += used;
    size -= used;
    if (m_chunked)
        return used + feedChunked(data, size, body);
    if (m_remaining < 0) {
        body->append(data, size);
        return used + size;
    }
    const size_t n = std::min<size_t>(size, size_t(m_remaining));
    body->append(data, n);
    m_remaining -= int64_t(n);
    if (m_remaining == 0)
        m_state = State::Done;
    return used + n;
}

size_t HttpResponseReader::feedChunked(const char *data, size_t size, std::string *body)
{
    size_t i = 0;
    while (i < size && m_state == State::Body) {
        switch (m_chunkState) {
        case ChunkState::Size:
        case ChunkState::DataEnd:
        case ChunkState::Trailer: {
            const char *nl = static_cast<const char *>(memchr(data + i, '\n', size - i));
            const size_t n = nl ? size_t(nl - (data + i)) + 1 : size - i;
            m_chunkLine.append(data + i, n);
            i += n;
            if (m_chunkLine.size() > 4096) {
                m_state = State::Error;
                break;
            }
            if (!nl)
                break;
            const std::string_view line = trim(m_chunkLine);
            if (m_chunkState == ChunkState::Size) {
                uint64_t chunk = 0;
                const auto r = std::from_chars(line.data(), line.data() + line.size(), chunk, 16);
                if (r.ec != std::errc()) {
                    m_state = State::Error;
                    break;
                }
                m_chunkLeft = chunk;
                m_chunkState = chunk ? ChunkState::Data : ChunkState::Trailer;
            } else if (m_chunkState == ChunkState::DataEnd) {
                m_chunkState = ChunkState::Size;
            } else if (line.empty()) {
                m_state = State::Done;
            }
            m_chunkLine.clear();
            break;
        }
        case ChunkState::Data: {
            const size_t n = std::min<uint64_t>(m_chunkLeft, size - i);
            body->append(data + i, n);
            i += n;
            m_chunkLeft -= n;
            if (!m_chunkLeft)
                m_chunkState = ChunkState::DataEnd;
            break;
        }
        }
    }
    return i;
}

} // namespace rtlab::bench
