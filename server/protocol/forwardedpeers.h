// SPDX-License-Identifier: MIT
#pragma once

#include "peercounts.h"

#include <QHash>

namespace rtlab {

struct HttpRequest;
class HttpStream;
struct ServerConfig;

// --max-conns-per-ip behind a reverse proxy (--trust-proxy): every connection comes from the proxy,
// so the cores count nothing at accept, and the client is the one the proxy names, X-Forwarded-For's
// last hop (the address the proxy itself saw; earlier hops are the client's word). It is counted
// on each connection's first request and counted out when the connection closes. Without the
// header, the connection's own peer is the client. Inactive unless both options are given.
class ForwardedPeers
{
public:
    explicit ForwardedPeers(const ServerConfig &config);

    // False when the request's connection would pass its client's cap: answer PeerCounts::refusal().
    bool admit(const HttpRequest &request, const HttpStream *stream);
    void closed(const HttpStream *stream);

    // X-Forwarded-For's last hop, else the stream's peer; null when neither is an address.
    static QHostAddress client(const HttpRequest &request, const HttpStream *stream);

private:
    PeerCounts m_counts;
    QHash<const HttpStream *, QHostAddress> m_byStream;
};

} // namespace rtlab
