// SPDX-License-Identifier: MIT
#include "server.h"

#include "connectioncore.h"
#include "epollcore.h"
#include "qtcore.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSysInfo>

Q_LOGGING_CATEGORY(lcServer, "rtlab.server")

namespace rtlab {

static constexpr qint64 KeepAliveIdleMs = 60000;
static constexpr int ShutdownGraceMs = 3000;

// The one place that knows which cores this platform has: a new core is a folder under net/
// and a line here.
#ifdef RTLAB_HAVE_EPOLL
static std::unique_ptr<ConnectionCore> makeCore(ServerConfig::Core core, Hub *hub)
{
    if (core == ServerConfig::Core::Epoll)
        return std::make_unique<EpollCore>(hub);
    return std::make_unique<QtCore>(hub);
}
#else
static std::unique_ptr<ConnectionCore> makeCore(ServerConfig::Core, Hub *hub)
{
    return std::make_unique<QtCore>(hub);
}
#endif

ServerConfig Server::withDefaultNodeName(ServerConfig config)
{
    if (config.store.kind != StoreSpec::Kind::Redis || !config.store.nodeName.isEmpty())
        return config;
    QString name = QSysInfo::machineHostName() + QLatin1Char(':') + QString::number(config.port);
    if (config.port == 0 || config.reusePort)
        name += QLatin1Char('-') + QString::number(QCoreApplication::applicationPid());
    config.store.nodeName = name;
    return config;
}

Server::Server(const ServerConfig &config, QObject *parent)
    : QObject(parent), m_hub(withDefaultNodeName(config)), m_core(makeCore(config.core, &m_hub))
{
    connect(m_core.get(), &ConnectionCore::connectionClosed, this, &Server::checkFinished);
    // Fine enough for the request deadlines (a quarter of the shorter, so one ends at most that
    // late), at most once a second: a sweep visits every connection.
    const qint64 deadlineMs = qMin(config.headTimeoutMs, config.bodyTimeoutMs);
    m_sweepTimer.setInterval(int(qBound(qint64(10), deadlineMs / 4, qint64(1000))));
    connect(&m_sweepTimer, &QTimer::timeout, this, [this] { m_core->sweep(m_hub.nowMs(), KeepAliveIdleMs); });
    m_sweepTimer.start();
    m_graceTimer.setSingleShot(true);
    connect(&m_graceTimer, &QTimer::timeout, this, [this] {
        qCWarning(lcServer) << "shutdown grace period over; cutting" << connectionCount() << "connections";
        m_core->abortAll();
        checkFinished();
    });
    connect(&m_hub, &Hub::drained, this, &Server::checkFinished);
}

Server::~Server()
{
    // Connections first: they release their sessions, which live in the hub.
    m_core.reset();
}

bool Server::listen(QString *errorString)
{
    // The log before the socket: a store that cannot open must not serve an empty log.
    if (!m_hub.openLog(errorString))
        return false;
    const QHostAddress address = m_hub.config().host == u"localhost" ? QHostAddress(QHostAddress::LocalHost)
                                                                     : QHostAddress(m_hub.config().host);
    return m_core->listen(address, m_hub.config().port, errorString);
}

quint16 Server::port() const
{
    return m_core->port();
}

int Server::connectionCount() const
{
    return m_core->connectionCount();
}

QUrl Server::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    u.setHost(m_core->address().toString());
    u.setPort(port());
    return u;
}

void Server::dropConnections()
{
    m_core->dropConnections();
}

void Server::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_core->stopListening();
    m_hub.shutdown();
    m_core->closeIdle();
    m_graceTimer.start(ShutdownGraceMs);
    checkFinished();
}

void Server::checkFinished()
{
    if (!m_shuttingDown || m_finished)
        return;
    if (connectionCount() > 0 || m_hub.sessionCount() > 0 || m_hub.pendingPublishes() > 0)
        return;
    m_finished = true;
    m_graceTimer.stop();
    emit finished();
}

} // namespace rtlab
