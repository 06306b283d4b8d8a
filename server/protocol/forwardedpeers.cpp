// SPDX-License-Identifier: MIT
#include "forwardedpeers.h"

#include "httprequest.h"
#include "httpstream.h"
#include "serverconfig.h"

namespace rtlab {

ForwardedPeers::ForwardedPeers(const ServerConfig &config) : m_counts(config.trustProxy ? config.maxConnsPerIp : 0) { }

bool ForwardedPeers::admit(const HttpRequest &request, const HttpStream *stream)
{
    if (!m_counts.enabled() || m_byStream.contains(stream))
        return true;
    const QHostAddress address = client(request, stream);
    if (address.isNull())
        return true;
    if (!m_counts.tryAdd(address))
        return false;
    m_byStream.insert(stream, address);
    return true;
}

void ForwardedPeers::closed(const HttpStream *stream)
{
    const auto it = m_byStream.find(stream);
    if (it == m_byStream.end())
        return;
    m_counts.remove(*it);
    m_byStream.erase(it);
}

QHostAddress ForwardedPeers::client(const HttpRequest &request, const HttpStream *stream)
{
    // Several X-Forwarded-For fields are one list (RFC 9110 §5.3): the last one's last hop.
    QByteArray last;
    for (const auto &[name, value] : request.headers) {
        if (name == "x-forwarded-for")
            last = value;
    }
    QByteArray hop = last.mid(last.lastIndexOf(',') + 1).trimmed();
    if (hop.isEmpty()) {
        // "address:port" as formatPeer() writes it, IPv6 in brackets.
        const QByteArray peer = stream ? stream->peerAddress() : QByteArray();
        hop = peer.left(peer.lastIndexOf(':'));
    }
    if (hop.startsWith('[') && hop.endsWith(']'))
        hop = hop.mid(1, hop.size() - 2);
    return QHostAddress(QString::fromLatin1(hop));
}

} // namespace rtlab
