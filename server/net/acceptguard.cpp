// SPDX-License-Identifier: MIT
#include "acceptguard.h"

#include "httpresponse.h"
#include "serverconfig.h"

#include <QLoggingCategory>

#include <cerrno>
#include <cstring>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcAccept, "rtlab.server.accept")

namespace rtlab {

namespace {

// Out of descriptors, room is usually made at once (idle connections closed): come back soon.
constexpr int ServerFullRetrySeconds = 1;

} // namespace

// Behind a trusted proxy every connection comes from the proxy: Hub counts the forwarded client
// on the first request instead (ForwardedPeers).
AcceptGuard::AcceptGuard(const ServerConfig &config) : m_peers(config.trustProxy ? 0 : config.maxConnsPerIp)
{
    takeReserve();
}

AcceptGuard::~AcceptGuard()
{
    freeReserve();
}

bool AcceptGuard::freeReserve()
{
    if (m_reserveFd < 0)
        return false;
#ifdef Q_OS_UNIX
    ::close(m_reserveFd);
#endif
    m_reserveFd = -1;
    return true;
}

bool AcceptGuard::takeReserve()
{
    if (m_reserveFd >= 0)
        return true;
#ifdef Q_OS_UNIX
    // Any descriptor will do: /dev/null costs nothing and is always there.
    m_reserveFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    m_reserveError = m_reserveFd < 0 ? errno : 0;
#endif
    // Elsewhere (Windows) sockets are not limited by a descriptor table: nothing to reserve.
    return m_reserveFd >= 0;
}

bool AcceptGuard::hasUnreadInput(qintptr fd)
{
#ifdef Q_OS_UNIX
    char byte;
    return fd >= 0 && ::recv(int(fd), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
#else
    Q_UNUSED(fd);
    return false;
#endif
}

QByteArray AcceptGuard::serverFull()
{
    static const QByteArray bytes = [] {
        HttpResponse r = HttpResponse::error(503, QStringLiteral("the server has no room for another connection now"));
        r.setHeader("Retry-After", QByteArray::number(ServerFullRetrySeconds));
        r.closeConnection = true;
        return r.encode();
    }();
    return bytes;
}

QByteArray AcceptGuard::addressFull()
{
    static const QByteArray bytes = PeerCounts::refusal().encode();
    return bytes;
}

void AcceptGuard::warn(const char *what, int error, const QString &outcome, qint64 nowMs)
{
    qint64 suppressed = 0;
    if (!m_throttle.admit(QByteArray(what) + ' ' + QByteArray::number(error), nowMs, &suppressed))
        return;
    const QString held =
            suppressed > 0 ? QStringLiteral(" (%1 more since the last such line)").arg(suppressed) : QString();
    if (error != 0)
        qCWarning(lcAccept).noquote() << QStringLiteral("%1: %2 (errno %3): %4%5")
                                                 .arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(error)))
                                                 .arg(error)
                                                 .arg(outcome, held);
    else
        qCWarning(lcAccept).noquote() << QStringLiteral("%1: %2%3").arg(QLatin1String(what), outcome, held);
}

} // namespace rtlab
