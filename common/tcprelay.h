#pragma once

#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QTcpServer>

class QTcpSocket;

namespace rtlab {

// A TCP relay between clients and a server on this machine, transparent to all three
// transports, that can misbehave on purpose the way network infrastructure does. Today:
// refuse WebSocket upgrades (like a proxy that does not speak them) and drop every
// connection now. The lab's impairment relay grows from here.
class TcpRelay : public QObject
{
    Q_OBJECT
public:
    explicit TcpRelay(QObject *parent = nullptr);
    ~TcpRelay() override;

    // Listens on 127.0.0.1 (port 0: a free one) and forwards to target.
    bool listen(const QHostAddress &target, quint16 targetPort, quint16 port = 0);
    quint16 port() const { return m_server.serverPort(); }

    void setRefuseUpgrades(bool refuse) { m_refuseUpgrades = refuse; }
    bool refusesUpgrades() const { return m_refuseUpgrades; }
    void dropAll();

    qint64 refusedUpgrades() const { return m_refused; }
    int connectionCount() const { return int(m_pairs.size()); }

private:
    struct Pair;
    void onNewConnection();
    void inspect(Pair *pair);
    void close(Pair *pair);

    QTcpServer m_server;
    QHostAddress m_target;
    quint16 m_targetPort = 0;
    bool m_refuseUpgrades = false;
    qint64 m_refused = 0;
    QSet<Pair *> m_pairs;
};

} // namespace rtlab
