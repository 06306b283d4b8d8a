// SPDX-License-Identifier: MIT
#pragma once

#include "hub.h"
#include "serverconfig.h"

#include <QObject>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace rtlab {

class ConnectionCore;

// rtlab-server: the protocol (Hub) on one connection core (net/qt, or net/epoll on Linux, as
// ServerConfig::core says), and the shutdown that ends them in order.
class Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(const ServerConfig &config, QObject *parent = nullptr);
    ~Server() override;

    // The config with a shared store's node name filled in when --node was not given:
    // HOSTNAME:PORT, or HOSTNAME:PORT-PID when the port does not tell this machine's nodes apart
    // (--port 0, known only after the store is made; --reuse-port, one port for several nodes).
    static ServerConfig withDefaultNodeName(ServerConfig config);

    bool listen(QString *errorString = nullptr);
    quint16 port() const;
    QUrl url() const;
    Hub *hub() { return &m_hub; }
    int connectionCount() const;

    // Stops accepting, ends every stream politely (docs/protocol.md, "Shutdown"), then emits
    // finished() once the connections are gone (or after a grace period).
    void shutdown();
    // Cuts every open connection at once, as a crash or a network fault would; clients must
    // reconnect and resume. (The lab's fault panel and the tests use it.)
    void dropConnections();

signals:
    void finished();

private:
    void checkFinished();

    Hub m_hub;
    std::unique_ptr<ConnectionCore> m_core; // destroyed first: connections release their sessions
    QTimer m_sweepTimer;
    QTimer m_graceTimer;
    bool m_shuttingDown = false;
    bool m_finished = false;
};

} // namespace rtlab
