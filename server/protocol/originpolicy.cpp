// SPDX-License-Identifier: MIT
#include "originpolicy.h"

#include "serverconfig.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QNetworkInterface>

#include <algorithm>

namespace rtlab {

// An address as a Host header spells it: IPv6 in brackets without a scope (a browser cannot
// send one), an IPv4-mapped IPv6 address as IPv4.
static QString hostOfAddress(QHostAddress address)
{
    bool v4 = false;
    const quint32 ip4 = address.toIPv4Address(&v4);
    if (v4)
        return QHostAddress(ip4).toString();
    address.setScopeId({});
    return QLatin1Char('[') + address.toString() + QLatin1Char(']');
}

static bool isPort(QByteArrayView digits)
{
    // RFC 3986 §3.2.3 allows an empty port ("host:").
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) && digits.size() <= 5;
}

QString OriginPolicy::normalizeHost(QByteArrayView authority)
{
    const QByteArray a = authority.toByteArray().trimmed();
    if (a.startsWith('[')) {
        const qsizetype close = a.indexOf(']');
        if (close < 0)
            return {};
        const QByteArrayView rest = QByteArrayView(a).sliced(close + 1);
        if (!rest.isEmpty() && (!rest.startsWith(':') || !isPort(rest.sliced(1))))
            return {};
        QHostAddress address;
        if (!address.setAddress(QString::fromLatin1(a.mid(1, close - 1)))
            || address.protocol() != QAbstractSocket::IPv6Protocol)
            return {};
        return hostOfAddress(address);
    }
    if (a.count(':') > 1) { // a bare IPv6 address (an --allowed-host value; no port then)
        QHostAddress address;
        return address.setAddress(QString::fromLatin1(a)) ? hostOfAddress(address) : QString();
    }
    QByteArray host = a;
    if (const qsizetype colon = a.indexOf(':'); colon >= 0) {
        if (!isPort(QByteArrayView(a).sliced(colon + 1)))
            return {};
        host = a.left(colon);
    }
    if (host.endsWith('.')) // "localhost." is localhost (a fully qualified name)
        host.chop(1);
    if (host.isEmpty())
        return {};
    // RFC 3986 reg-name as DNS uses it: letters, digits, '-', '.', and '_' seen in the wild.
    for (const char c : std::as_const(host)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                || c == '.' || c == '_';
        if (!ok)
            return {};
    }
    QHostAddress address;
    if (address.setAddress(QString::fromLatin1(host)) && address.protocol() == QAbstractSocket::IPv4Protocol)
        return address.toString();
    return QString::fromLatin1(host).toLower();
}

QString OriginPolicy::normalizeOrigin(QByteArrayView origin)
{
    const QByteArray o = origin.toByteArray().trimmed().toLower();
    const qsizetype sep = o.indexOf("://");
    if (sep < 0)
        return {};
    const QByteArray scheme = o.left(sep);
    if (scheme != "http" && scheme != "https")
        return {};
    const QByteArray authority = o.mid(sep + 3);
    if (authority.contains('/') || authority.contains('?') || authority.contains('#') || authority.contains('@'))
        return {};
    const QString host = normalizeHost(authority);
    if (host.isEmpty())
        return {};
    // The port is what follows the host (after "]" for IPv6).
    const qsizetype hostEnd = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.indexOf(':');
    QByteArray port = hostEnd >= 0 && hostEnd < authority.size() ? authority.mid(hostEnd + 1) : QByteArray();
    while (port.startsWith('0') && port.size() > 1)
        port.remove(0, 1);
    const QByteArray defaultPort = scheme == "https" ? "443" : "80";
    QString out = QString::fromLatin1(scheme) + QLatin1String("://") + host;
    if (!port.isEmpty() && port != defaultPort)
        out += QLatin1Char(':') + QString::fromLatin1(port);
    return out;
}

QStringList OriginPolicy::defaultAllowedHosts(const QString &bindHost)
{
    QStringList hosts { QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("[::1]") };
    const auto add = [&hosts](const QString &host) {
        if (!host.isEmpty() && !hosts.contains(host))
            hosts.append(host);
    };
    const QHostAddress bound(bindHost);
    if (bindHost == u"localhost" || bound.isLoopback()) {
        add(normalizeHost(bindHost.toLatin1())); // 127.0.0.2 is loopback too
        return hosts;
    }
    if (!bound.isNull() && bound != QHostAddress::Any && bound != QHostAddress::AnyIPv4
        && bound != QHostAddress::AnyIPv6)
        add(hostOfAddress(bound));
    for (const QHostAddress &address : QNetworkInterface::allAddresses())
        add(hostOfAddress(address));
    // Both are cheap: gethostname(), and the resolver configuration's domain (no DNS query).
    const QString name = QHostInfo::localHostName().toLower();
    add(normalizeHost(name.toLatin1()));
    const QString domain = QHostInfo::localDomainName().toLower();
    if (!name.isEmpty() && !domain.isEmpty() && !name.contains(u'.'))
        add(normalizeHost((name + QLatin1Char('.') + domain).toLatin1()));
    return hosts;
}

OriginPolicy::OriginPolicy(const ServerConfig &config) : m_trustProxy(config.trustProxy)
{
    // The loopback names stay whatever is given: a page that names them is on this machine
    // already, so no rebinding can use them, and the desktop client and the lab's relay ask by them.
    const QStringList hosts = config.allowedHosts.isEmpty()
            ? defaultAllowedHosts(config.host)
            : QStringList { QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("[::1]") }
                    + config.allowedHosts;
    for (const QString &host : hosts) {
        if (host == u"*")
            m_anyHost = true;
        else if (const QString h = normalizeHost(host.toLatin1()); !h.isEmpty())
            m_hosts.insert(h);
    }
    for (const QString &origin : config.publicOrigins) {
        const QString o = normalizeOrigin(origin.toLatin1());
        if (o.isEmpty()) // ServerConfig refuses it; never let "" match an unreadable Origin or Host
            continue;
        m_publicOrigins.append(o);
        // The public name is ours: a proxy that passes it on as the Host (nginx `Host $host`)
        // is served without an --allowed-host of its own.
        m_hosts.insert(normalizeHost(o.mid(o.indexOf(u"://") + 3).toLatin1()));
    }
    for (const QString &origin : config.allowOrigins) {
        if (const QString o = origin == u"*" ? origin : normalizeOrigin(origin.toLatin1()); !o.isEmpty())
            m_allowOrigins.append(o);
    }
}

QStringList OriginPolicy::allowedHosts() const
{
    QStringList hosts = m_hosts.values();
    hosts.sort();
    return hosts;
}

QByteArray OriginPolicy::lastHop(const HttpRequest &request, QByteArrayView lowerName)
{
    QByteArray value;
    for (const auto &[name, v] : request.headers) {
        if (name == lowerName)
            value = v;
    }
    const qsizetype comma = value.lastIndexOf(',');
    return (comma >= 0 ? value.mid(comma + 1) : value).trimmed();
}

QByteArray OriginPolicy::refusedHost(const HttpRequest &request) const
{
    if (m_trustProxy && request.hasHeader("x-forwarded-host")) {
        const QByteArray forwarded = lastHop(request, "x-forwarded-host");
        if (!m_hosts.contains(normalizeHost(forwarded)))
            return forwarded;
    }
    return request.header("host");
}

bool OriginPolicy::hostAllowed(const HttpRequest &request) const
{
    if (m_anyHost)
        return true;
    if (request.hasHeader("host") && !m_hosts.contains(normalizeHost(request.header("host"))))
        return false;
    if (m_trustProxy && request.hasHeader("x-forwarded-host")
        && !m_hosts.contains(normalizeHost(lastHop(request, "x-forwarded-host"))))
        return false;
    return true;
}

OriginPolicy::Verdict OriginPolicy::checkOrigin(const HttpRequest &request) const
{
    if (!request.hasHeader("origin"))
        return Verdict::Absent;
    const QString origin = normalizeOrigin(request.header("origin"));
    if (!origin.isEmpty()) {
        if (!m_publicOrigins.isEmpty()) {
            if (m_publicOrigins.contains(origin))
                return Verdict::SameOrigin;
        } else {
            // Our own page's origin, as the browser saw it: the scheme and authority it asked for.
            QByteArray scheme = "http";
            QByteArray authority = request.header("host");
            if (m_trustProxy && request.hasHeader("x-forwarded-proto"))
                scheme = lastHop(request, "x-forwarded-proto");
            if (m_trustProxy && request.hasHeader("x-forwarded-host"))
                authority = lastHop(request, "x-forwarded-host");
            if (!authority.isEmpty() && origin == normalizeOrigin(scheme + "://" + authority))
                return Verdict::SameOrigin;
        }
    }
    for (const QString &allowed : m_allowOrigins) {
        if (allowed == u"*" || (!origin.isEmpty() && allowed == origin))
            return Verdict::Allowed;
    }
    return Verdict::Foreign;
}

QByteArray OriginPolicy::clientAddress(const HttpRequest &request, const QByteArray &peer) const
{
    if (!m_trustProxy || !request.hasHeader("x-forwarded-for"))
        return peer;
    QByteArray hop = lastHop(request, "x-forwarded-for");
    // Some proxies write "[v6]:port" or "v4:port" (RFC 7239 style); the address is what counts.
    if (hop.startsWith('[') && hop.contains(']'))
        hop = hop.mid(1, hop.indexOf(']') - 1);
    else if (hop.count(':') == 1)
        hop = hop.left(hop.indexOf(':'));
    QHostAddress address;
    if (!address.setAddress(QString::fromLatin1(hop)))
        return peer; // not an address: the proxy's own connection is all we know
    return hostOfAddress(address).toLatin1();
}

} // namespace rtlab
