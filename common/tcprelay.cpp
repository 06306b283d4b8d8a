#include "tcprelay.h"

#include <QTcpSocket>

namespace rtlab {

struct TcpRelay::Pair
{
    QTcpSocket *client = nullptr;
    QTcpSocket *upstream = nullptr;
    QByteArray head;       // the client's first bytes, until we know what they ask
    bool inspected = false;
    bool closing = false;
};

// Each side may hold at most this much unread from the other before we stop reading it:
// a slow reader slows its writer down, as TCP does, instead of filling our memory.
static constexpr qint64 MaxBuffered = 256 * 1024;
static constexpr qsizetype MaxHead = 64 * 1024;

TcpRelay::TcpRelay(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &TcpRelay::onNewConnection);
}

TcpRelay::~TcpRelay()
{
    dropAll();
}

bool TcpRelay::listen(const QHostAddress &target, quint16 targetPort, quint16 port)
{
    m_target = target;
    m_targetPort = targetPort;
    return m_server.listen(QHostAddress::LocalHost, port);
}

void TcpRelay::dropAll()
{
    const auto pairs = m_pairs;
    for (Pair *p : pairs)
        close(p);
}

void TcpRelay::close(Pair *p)
{
    if (!m_pairs.remove(p))
        return;
    for (QTcpSocket *s : { p->client, p->upstream }) {
        s->disconnect(this);
        s->abort();
        s->deleteLater();
    }
    delete p;
}

static void pump(QTcpSocket *from, QTcpSocket *to)
{
    if (!from->isOpen() || to->state() != QAbstractSocket::ConnectedState || to->bytesToWrite() > MaxBuffered)
        return;
    to->write(from->read(MaxBuffered));
}

void TcpRelay::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto *p = new Pair;
        p->client = client;
        p->client->setParent(this);
        p->client->setReadBufferSize(MaxBuffered);
        p->upstream = new QTcpSocket(this);
        p->upstream->setReadBufferSize(MaxBuffered);
        m_pairs.insert(p);
        connect(client, &QTcpSocket::readyRead, this, [this, p] {
            if (!p->inspected)
                inspect(p);
            else
                pump(p->client, p->upstream);
        });
        connect(p->upstream, &QTcpSocket::connected, this, [this, p] {
            if (p->inspected)
                pump(p->client, p->upstream);
        });
        connect(p->upstream, &QTcpSocket::readyRead, this, [p] { pump(p->upstream, p->client); });
        connect(client, &QTcpSocket::bytesWritten, this, [p] { pump(p->upstream, p->client); });
        connect(p->upstream, &QTcpSocket::bytesWritten, this, [p] { pump(p->client, p->upstream); });
        // A close on one side closes the other once what is buffered has gone through.
        connect(client, &QTcpSocket::disconnected, this, [this, p] {
            if (p->upstream->bytesToWrite() == 0 && p->client->bytesAvailable() == 0)
                close(p);
            else
                p->upstream->disconnectFromHost();
        });
        connect(p->upstream, &QTcpSocket::disconnected, this, [this, p] {
            pump(p->upstream, p->client);
            if (p->client->bytesToWrite() == 0)
                close(p);
            else
                p->client->disconnectFromHost();
        });
        connect(client, &QTcpSocket::errorOccurred, this, [this, p](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError)
                close(p);
        });
        connect(p->upstream, &QTcpSocket::errorOccurred, this, [this, p](QAbstractSocket::SocketError e) {
            if (e != QAbstractSocket::RemoteHostClosedError)
                close(p);
        });
        p->upstream->connectToHost(m_target, m_targetPort);
        if (client->bytesAvailable() > 0)
            inspect(p);
    }
}

void TcpRelay::inspect(Pair *p)
{
    // Look at the request head (without consuming it) to see whether it asks for an upgrade.
    const QByteArray peeked = p->client->peek(MaxHead);
    const qsizetype end = peeked.indexOf("\r\n\r\n");
    if (end < 0 && peeked.size() < MaxHead)
        return;
    p->inspected = true;
    const QByteArray head = peeked.left(end < 0 ? peeked.size() : end).toLower();
    const bool upgrade = head.contains("\nupgrade: websocket") || head.contains("\nupgrade:websocket");
    if (upgrade && m_refuseUpgrades) {
        ++m_refused;
        p->client->write("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 37\r\n"
                         "Connection: close\r\n\r\nthis relay does not allow WebSockets\n");
        p->upstream->abort();
        p->client->disconnectFromHost();
        return;
    }
    pump(p->client, p->upstream);
}

} // namespace rtlab
