// SPDX-License-Identifier: MIT
#pragma once

#include "httpresponse.h"

#include <QHash>
#include <QHostAddress>

namespace rtlab {

// Open connections per client address, under a cap (--max-conns-per-ip): one hash lookup per
// connection, no syscall. An IPv4-mapped IPv6 address counts as its IPv4 address, so a dual-stack
// listener cannot be used to double a client's share. A cap of 0 counts nothing.
class PeerCounts
{
public:
    explicit PeerCounts(int cap = 0) : m_cap(cap) { }

    bool enabled() const { return m_cap > 0; }
    int cap() const { return m_cap; }
    // Counts one more connection from address; false, and nothing counted, when it would pass the cap.
    bool tryAdd(const QHostAddress &address)
    {
        if (!enabled())
            return true;
        int &n = m_counts[normalized(address)]; // inserted at 0 only to be counted: cap > 0
        if (n >= m_cap)
            return false;
        ++n;
        return true;
    }
    // One connection tryAdd() counted has closed.
    void remove(const QHostAddress &address)
    {
        if (!enabled())
            return;
        const auto it = m_counts.find(normalized(address));
        if (it == m_counts.end())
            return;
        if (--*it <= 0)
            m_counts.erase(it);
    }
    int count(const QHostAddress &address) const { return m_counts.value(normalized(address)); }
    // Addresses with at least one connection: the hash holds no more entries than connections.
    qsizetype addresses() const { return m_counts.size(); }

    // The answer to a connection over the cap: a connection of its own has to close first.
    static HttpResponse refusal()
    {
        HttpResponse r = HttpResponse::error(503, QStringLiteral("too many connections from your address"));
        r.setHeader("Retry-After", "5");
        r.closeConnection = true;
        return r;
    }

    static QHostAddress normalized(const QHostAddress &address)
    {
        bool v4 = false;
        const quint32 ip4 = address.toIPv4Address(&v4);
        return v4 ? QHostAddress(ip4) : address;
    }

private:
    int m_cap;
    QHash<QHostAddress, int> m_counts;
};

} // namespace rtlab
