// SPDX-License-Identifier: MIT
#include "listensocket.h"

#include <QtGlobal>

#ifdef Q_OS_UNIX
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace rtlab {

QString portInUseMessage(quint16 port)
{
    return QStringLiteral("port %1 is in use (another server listens on it; --reuse-port on every server lets "
                          "several rtlab-server nodes share one port)")
            .arg(port);
}

#ifdef Q_OS_UNIX

int openListeningSocket(const QHostAddress &address, quint16 port, bool reusePort, int backlog, QString *error,
                        const std::function<void(int fd)> &beforeBind)
{
    int fd = -1;
    auto failed = [&](const char *what) {
        const int code = errno;
        if (error) {
            *error = code == EADDRINUSE
                    ? portInUseMessage(port)
                    : QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(code)));
        }
        if (fd >= 0)
            ::close(fd);
        return -1;
    };
    sockaddr_storage storage {};
    socklen_t length = 0;
    int family = AF_INET;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        family = AF_INET6;
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &ip, sizeof ip);
        length = sizeof *a;
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof *a;
    }
    fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed("socket");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Before the bind, or the bind of the second process fails: every listener on the port must
    // have asked for it (and be the same user).
    if (reusePort && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        return failed("setsockopt(SO_REUSEPORT)");
    if (beforeBind)
        beforeBind(fd);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) < 0)
        return failed("bind");
    if (::listen(fd, backlog) < 0)
        return failed("listen");
    return fd;
}

void closeListeningSocket(int fd)
{
    ::close(fd);
}

quint16 boundPort(int fd)
{
    sockaddr_storage bound {};
    socklen_t boundLength = sizeof bound;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &boundLength) < 0)
        return 0;
    return bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
}

#else

int openListeningSocket(const QHostAddress &, quint16, bool, int, QString *error, const std::function<void(int)> &)
{
    if (error)
        *error = QStringLiteral("--reuse-port needs a POSIX system (SO_REUSEPORT)");
    return -1;
}

void closeListeningSocket(int) { }

quint16 boundPort(int)
{
    return 0;
}

#endif

} // namespace rtlab
