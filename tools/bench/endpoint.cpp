// SPDX-License-Identifier: MIT
#include "endpoint.h"

#include <charconv>

namespace rtlab::bench {

bool Endpoint::parse(const std::string &url, Endpoint *out, std::string *error)
{
    const size_t sep = url.find("://");
    if (sep == std::string::npos) {
        *error = "not a URL: " + url;
        return false;
    }
    Endpoint e;
    e.scheme = url.substr(0, sep);
    if (e.scheme != "http" && e.scheme != "ws") {
        *error = "only http:// and ws:// URLs: " + url;
        return false;
    }
    const size_t hostStart = sep + 3;
    const size_t pathStart = url.find('/', hostStart);
    const std::string authority =
            url.substr(hostStart, pathStart == std::string::npos ? url.npos : pathStart - hostStart);
    e.target = pathStart == std::string::npos ? "/" : url.substr(pathStart);
    const size_t colon = authority.rfind(':');
    const std::string hostName = colon == std::string::npos ? authority : authority.substr(0, colon);
    if (hostName != "127.0.0.1" && hostName != "localhost") {
        *error = "loopback only (127.0.0.1): " + url;
        return false;
    }
    int port = 80;
    if (colon != std::string::npos) {
        const std::string p = authority.substr(colon + 1);
        if (std::from_chars(p.data(), p.data() + p.size(), port).ec != std::errc() || port <= 0 || port > 65535) {
            *error = "bad port: " + url;
            return false;
        }
    }
    e.port = uint16_t(port);
    e.host = "127.0.0.1:" + std::to_string(port);
    *out = e;
    return true;
}

std::string Endpoint::targetWith(const std::string &query) const
{
    if (query.empty())
        return target;
    return target + (target.find('?') == std::string::npos ? '?' : '&') + query;
}

} // namespace rtlab::bench
