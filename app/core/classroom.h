// SPDX-License-Identifier: MIT
#pragma once

#include "listenaddress.h"

#include <QHostAddress>
#include <QList>
#include <QUrl>

namespace rtlab {

// Where students join a class: the page the server serves at "/" on an address of this machine
// that their machines can reach. Pure functions of the listen address and this machine's
// addresses, so that the panel can be shown (and tested) for any of them.
class Classroom
{
public:
    // This machine's IPv4 addresses other than loopback, on interfaces that are up: a private
    // LAN address (10/8, 172.16/12, 192.168/16) first, then the others, each once.
    static QList<QHostAddress> lanAddresses();
    // The addresses students can use for a server listening at `listen`: the listen address
    // itself when it is one address beyond loopback; every LAN address when it is "every
    // interface"; none for loopback (students cannot reach it).
    static QList<QHostAddress> joinAddresses(const ListenAddress &listen, const QList<QHostAddress> &lan);
    // http://ADDRESS:PORT/ (IPv6 in brackets).
    static QUrl joinUrl(const QHostAddress &address, quint16 port);
};

} // namespace rtlab
