// SPDX-License-Identifier: MIT
#pragma once

#include <QHostAddress>
#include <QString>

namespace rtlab {

// Where the bundled server listens for a class: an IP address and a fixed TCP port, written
// HOST:PORT ("0.0.0.0:8080", "[::]:8080", "192.168.1.20:8080", "127.0.0.1:8080"). A value class:
// parse() checks the text, the rest only reads.
class ListenAddress
{
public:
    ListenAddress() = default;
    ListenAddress(const QHostAddress &host, quint16 port) : m_host(host), m_port(port) { }

    // Accepts HOST:PORT with HOST an IPv4 address, "localhost", or an IPv6 address in brackets,
    // and PORT 1-65535 (a class needs a port it can be told: never 0). Surrounding spaces are
    // ignored. On failure returns an invalid address and says why in *error (for the user).
    static ListenAddress parse(const QString &text, QString *error = nullptr);

    bool isValid() const { return !m_host.isNull() && m_port != 0; }
    QHostAddress host() const { return m_host; }
    quint16 port() const { return m_port; }
    // Every interface (0.0.0.0 or ::).
    bool isAny() const;
    bool isLoopback() const { return m_host.isLoopback(); }
    // Reachable from other machines: anything but loopback.
    bool reachesBeyondLoopback() const { return isValid() && !isLoopback(); }
    // "HOST:PORT", IPv6 in brackets; parse(toString()) gives the same address back.
    QString toString() const;
    // The host to pass to rtlab-server --host.
    QString hostArgument() const { return m_host.toString(); }
    // Where a client on this machine reaches the server: loopback for "every interface".
    QString localHost() const;

    friend bool operator==(const ListenAddress &a, const ListenAddress &b)
    {
        return a.m_host == b.m_host && a.m_port == b.m_port;
    }

private:
    QHostAddress m_host;
    quint16 m_port = 0;
};

} // namespace rtlab
