// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace rtlab::bench {

// A loopback URL the bench connects to: ws:// or http:// on 127.0.0.1 (or localhost) only.
struct Endpoint
{
    std::string scheme; // "http" or "ws"
    uint16_t port = 0;
    std::string target; // path and query, "/" at least
    std::string host;   // for the Host header, "127.0.0.1:PORT"

    // False (with the reason) for anything but a plain http/ws URL on the loopback address.
    static bool parse(const std::string &url, Endpoint *out, std::string *error);
    // target with extra query parameters appended ("a=1&b=2").
    std::string targetWith(const std::string &query) const;
};

} // namespace rtlab::bench
