// SPDX-License-Identifier: MIT
#pragma once

#include "httprequest.h"

#include <QSet>
#include <QStringList>

namespace rtlab {

struct ServerConfig;

// Who a request comes from and whom it is for, as the server may believe it: the Host it names
// (DNS rebinding: a page on attacker.example whose name now resolves to us sends
// `Host: attacker.example` and a matching Origin), whether its Origin is our own page's
// (scheme-aware, so that an https page behind a TLS-terminating proxy is ours), and the client's
// address. X-Forwarded-* headers count only with --trust-proxy: without a proxy that sets them,
// any client could write them. No sockets: the Hub asks it for every request.
class OriginPolicy
{
public:
    enum class Verdict { Absent, SameOrigin, Allowed, Foreign };

    // allowedHosts empty: the defaults for config.host (defaultAllowedHosts()).
    explicit OriginPolicy(const ServerConfig &config);

    // Whether the request's Host (and, with --trust-proxy, X-Forwarded-Host) names this server.
    // A request without a Host cannot come from a browser, so it is no rebinding: allowed.
    bool hostAllowed(const HttpRequest &request) const;
    // The Host that was refused, for the error.
    QByteArray refusedHost(const HttpRequest &request) const;
    Verdict checkOrigin(const HttpRequest &request) const;
    // The client's address: the peer's ("address:port"), or with --trust-proxy the last hop of
    // X-Forwarded-For (the one our proxy appended; the hops before it are the client's word).
    QByteArray clientAddress(const HttpRequest &request, const QByteArray &peer) const;
    bool allowsAnyHost() const { return m_anyHost; }
    QStringList allowedHosts() const;

    // The hosts served when --allowed-host is not given: the loopback names always; bound to
    // another address, that address, every address of this machine and its host name (and its
    // fully qualified name when the resolver configuration has a domain), so that a classroom
    // reaching us by IP or by name is served.
    static QStringList defaultAllowedHosts(const QString &bindHost);
    // The host of a Host header or --allowed-host value, without its port, lower-cased, an IP
    // address in its canonical form (IPv6 in brackets). Empty when it is not one.
    static QString normalizeHost(QByteArrayView authority);
    // "scheme://host[:port]" lower-cased with the scheme's default port left out, or empty when
    // `origin` is not an http(s) origin (no path, query, fragment or user).
    static QString normalizeOrigin(QByteArrayView origin);

private:
    // The last value of a header a proxy may append to ("a, b" or several lines): its last element.
    static QByteArray lastHop(const HttpRequest &request, QByteArrayView lowerName);

    QSet<QString> m_hosts;
    bool m_anyHost = false;
    QStringList m_publicOrigins; // normalized
    QStringList m_allowOrigins;  // normalized; "*" kept as is
    bool m_trustProxy = false;
};

} // namespace rtlab
