// SPDX-License-Identifier: MIT
#pragma once

#include "acceptguard.h"
#include "connectioncore.h"

#include <QHash>
#include <QSocketNotifier>

#include <memory>
#include <vector>

#include <sys/socket.h>

namespace rtlab {

class Hub;
class EpollConnection;

// rtlab-server's Linux connection core: one listening socket (non-blocking accept4, large
// backlog) and every client socket in ONE epoll set, which the Qt event loop watches through a
// single QSocketNotifier on the epoll fd. Writes are coalesced: connections written to are
// flushed once per event-loop pass.
class EpollCore final : public ConnectionCore
{
    Q_OBJECT
public:
    explicit EpollCore(Hub *hub, QObject *parent = nullptr);
    ~EpollCore() override;

    bool listen(const QHostAddress &address, quint16 port, QString *errorString) override;
    void stopListening() override;
    quint16 port() const override { return m_port; }
    QHostAddress address() const override { return m_address; }
    int connectionCount() const override { return int(m_connections.size()); }
    Hub *hub() const { return m_hub; }

    // Also answers late requests 408, and cuts connections whose answers nobody has read for idleMs.
    void sweep(qint64 nowMs, qint64 idleMs) override;
    void closeIdle() override;
    void dropConnections() override;
    void abortAll() override;

    // Called by connections.
    void setInterest(EpollConnection *c, quint32 events);
    void markDirty(EpollConnection *c);
    void scheduleProcess(EpollConnection *c);
    void release(EpollConnection *c);

private:
    // Runs f on every connection (a copy of the set), then flushes what it wrote.
    template<typename F>
    void forEachConnection(F f);
    void onReadable();
    void acceptAll();
    // A new client: counted against its address's cap, then a connection.
    void admit(int fd, const sockaddr_storage &peer);
    // Out of descriptors (EMFILE/ENFILE, saved in error): the reserve takes the waiting client, if
    // any; closing the oldest idle connections makes room for it, else it is answered 503.
    enum class Rescue { Done, NobodyWaiting, Failed };
    Rescue rescueOne(int error);
    // Closes the oldest idle connections (nginx's share: an eighth of them, 1 to 32); how many.
    int closeOldestIdle();
    // Answers an accepted client that cannot be served (bytes: a 503) and closes it.
    void refuse(int fd, const QByteArray &bytes);
    void pauseAccepting();
    void flushDirty();
    void scheduleFlush();
    void collectGarbage();

    Hub *m_hub;
    int m_epfd = -1;
    int m_listenFd = -1;
    quint16 m_port = 0;
    QHostAddress m_address;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QHash<EpollConnection *, bool> m_connections;
    AcceptGuard m_guard;
    // With --max-conns-per-ip: each connection's address, to count it out when it closes.
    QHash<EpollConnection *, QHostAddress> m_peers;
    bool m_acceptPaused = false;
    std::vector<EpollConnection *> m_dirty;
    std::vector<EpollConnection *> m_graveyard;
    bool m_flushScheduled = false;
    int m_depth = 0; // passes in progress: the graveyard waits until none is
};

} // namespace rtlab
