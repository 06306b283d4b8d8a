// SPDX-License-Identifier: MIT
#include "classroom.h"

#include <QNetworkInterface>

namespace rtlab {

static bool isPrivate(const QHostAddress &a)
{
    return a.isInSubnet(QHostAddress(QStringLiteral("10.0.0.0")), 8)
            || a.isInSubnet(QHostAddress(QStringLiteral("172.16.0.0")), 12)
            || a.isInSubnet(QHostAddress(QStringLiteral("192.168.0.0")), 16);
}

QList<QHostAddress> Classroom::lanAddresses()
{
    QList<QHostAddress> preferred;
    QList<QHostAddress> others;
    const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &i : interfaces) {
        const auto flags = i.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) || !flags.testFlag(QNetworkInterface::IsRunning)
            || flags.testFlag(QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry &e : i.addressEntries()) {
            const QHostAddress a = e.ip();
            if (a.protocol() != QAbstractSocket::IPv4Protocol || a.isLoopback() || a.isLinkLocal()
                || preferred.contains(a) || others.contains(a))
                continue;
            (isPrivate(a) ? preferred : others).append(a);
        }
    }
    return preferred + others;
}

QList<QHostAddress> Classroom::joinAddresses(const ListenAddress &listen, const QList<QHostAddress> &lan)
{
    if (!listen.reachesBeyondLoopback())
        return {};
    if (!listen.isAny())
        return { listen.host() };
    return lan;
}

QUrl Classroom::joinUrl(const QHostAddress &address, quint16 port)
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(address.toString());
    url.setPort(port);
    url.setPath(QStringLiteral("/"));
    return url;
}

} // namespace rtlab
