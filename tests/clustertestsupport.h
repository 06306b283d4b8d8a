// SPDX-License-Identifier: MIT
#pragma once
// Several rtlab-server nodes on one Redis log (--store redis://…): a Cluster of real processes on
// free loopback ports around one real redis-server, and raw clients (what curl or a browser sends)
// that follow the log across nodes, resuming with their (epoch, id) wherever they land.
//
// Every wait is on a line, a message or a process state, with a bound; traffic is bounded in count.
#include "processsupport.h"
#include "redistestsupport.h"

#include <QTimer>

#include <map>

namespace rtlab::test {

// Where a reader of the log stands: the resume point its next request names.
struct LogPosition
{
    QString epoch;
    quint64 id = 0;

    // After this message: a reset moves the reader to its epoch and cursor.
    void advance(const Message &m)
    {
        epoch = m.epoch;
        id = m.type == MessageType::Reset ? m.cursor : m.id;
    }
    QByteArray query() const { return resumeQuery(id, epoch); }
    QByteArray lastEventId() const { return epoch.toLatin1() + ':' + QByteArray::number(id); }
};

// The nodes of one log and the redis-server under them. The test names the nodes; each listens on
// a port of its own taken from the OS (the listening line names it).
class Cluster
{
public:
    explicit Cluster(redistest::RedisServer::Options options = {}) : redis(std::move(options)) { }

    // The redis-server; false with *why when it did not start.
    bool startRedis(QString *why) { return redis.start(why); }

    // Starts node `name` on the log (more arguments after the store's), on `port` (0: the OS picks).
    // False when it exited first: errors(name) says why.
    bool startNode(const QString &name, const QStringList &more = {}, quint16 port = 0)
    {
        ServerProcess &node = m_nodes[name];
        return node.start(
                port, QStringList { QStringLiteral("--store"), redis.url(), QStringLiteral("--node"), name } + more);
    }
    // The Redis store is not in this build yet (its branch not merged): the tests skip, saying so.
    bool storeMissing()
    {
        return std::any_of(m_nodes.begin(), m_nodes.end(),
                           [](auto &node) { return node.second.errors().contains(u"this build has no Redis store"); });
    }

    ServerProcess &node(const QString &name) { return m_nodes[name]; }
    // The names of the nodes running now.
    QStringList running() const
    {
        QStringList out;
        for (const auto &[name, node] : m_nodes)
            if (node.running())
                out.append(name);
        return out;
    }
    quint16 port(const QString &name) { return m_nodes[name].port(); }
    QString errors(const QString &name) { return m_nodes[name].errors(); }

    // GET /healthz of a node, as JSON (empty when it did not answer 200).
    QJsonObject health(const QString &name)
    {
        const RawResponse r = request(port(name), "GET", "/healthz");
        return r.status == 200 ? r.json() : QJsonObject {};
    }
    // Waits until the node's /healthz says the store is in this state ("ok" or "unavailable").
    bool waitStoreState(const QString &name, const QString &state)
    {
        return QTest::qWaitFor([&] { return storeStateOf(health(name)) == state; }, WaitMs);
    }
    static QString storeStateOf(const QJsonObject &health)
    {
        return health.value(QLatin1String("store")).toObject().value(QLatin1String("state")).toString();
    }
    // Waits until every running node's /healthz names this last id; then they agree on the epoch
    // too, or false.
    bool waitAgree(quint64 lastId, QString *epoch = nullptr)
    {
        QStringList epochs;
        const bool all = QTest::qWaitFor(
                [&] {
                    epochs.clear();
                    for (const QString &name : running()) {
                        const QJsonObject h = health(name);
                        if (quint64(h.value(QLatin1String("lastId")).toInteger()) != lastId)
                            return false;
                        epochs.append(h.value(QLatin1String("epoch")).toString());
                    }
                    return true;
                },
                WaitMs);
        epochs.removeDuplicates();
        if (epoch)
            *epoch = epochs.value(0);
        return all && epochs.size() == 1;
    }

    redistest::RedisServer redis;

private:
    std::map<QString, ServerProcess> m_nodes;
};

// A raw reader of the log that moves to the next node when its connection to one fails (or, with
// roundRobin, on every poll), resuming with its (epoch, id) as curl in a loop or a browser would.
// Its messages, resets included, in the order received over every connection it made.
class FollowingReader : public QObject
{
public:
    enum class Kind { Poll, Sse, WebSocket };
    FollowingReader(Kind kind, QList<quint16> ports, LogPosition from = {}, bool roundRobin = false)
        : m_kind(kind), m_ports(std::move(ports)), m_roundRobin(roundRobin)
    {
        position = std::move(from);
        m_retry.setSingleShot(true);
        m_retry.setInterval(50); // a node that is gone refuses at once: do not spin on it
        connect(&m_retry, &QTimer::timeout, this, [this] { open(); });
        open();
    }
    ~FollowingReader() override { stop(); }

    Kind kind() const { return m_kind; }
    static QByteArray name(Kind kind) { return QByteArrayList { "long poll", "sse", "websocket" }[int(kind)]; }
    bool waitOpen()
    {
        return QTest::qWaitFor([&] { return m_open; }, WaitMs);
    }
    // Waits until it has read up to this id (in the position's epoch, when given).
    bool waitFor(quint64 id, const QString &epoch = {})
    {
        return QTest::qWaitFor([&] { return position.id >= id && (epoch.isEmpty() || position.epoch == epoch); },
                               WaitMs);
    }
    void stop()
    {
        m_stopped = true;
        m_retry.stop();
        m_socket.reset();
        m_ws.reset();
    }

    QList<Message> messages;
    LogPosition position;
    QList<quint16> portsUsed; // the node of every connection it made, in order
    int connections = 0;

private:
    quint16 current() const { return m_ports[m_next % m_ports.size()]; }
    // The connection ended (a node died, a stream ended, a poll was answered): on to the next.
    void again(bool failed)
    {
        m_open = m_open && !failed;
        if (m_stopped)
            return;
        if (failed || m_roundRobin)
            ++m_next;
        if (failed)
            m_retry.start();
        else
            open();
    }
    void open()
    {
        if (m_stopped)
            return;
        const quint16 port = current();
        portsUsed.append(port);
        ++connections;
        if (m_kind == Kind::WebSocket) {
            m_ws = std::make_unique<QWebSocket>();
            connect(m_ws.get(), &QWebSocket::connected, this, [this] { m_open = true; });
            connect(m_ws.get(), &QWebSocket::textMessageReceived, this, [this](const QString &t) {
                if (const std::optional<Message> m = MessageCodec::decode(t.toUtf8()))
                    take(*m);
            });
            QWebSocket *ws = m_ws.get();
            connect(ws, &QWebSocket::disconnected, this, [this, ws] { dropped(ws); });
            // Qt 6.4's QWebSocket says error(), not errorOccurred().
            connect(ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this, ws] {
                if (ws->state() == QAbstractSocket::UnconnectedState)
                    dropped(ws);
            });
            m_ws->open(QUrl(
                    QStringLiteral("ws://127.0.0.1:%1/ws?%2")
                            .arg(port)
                            .arg(QString::fromLatin1(position.epoch.isEmpty() ? QByteArray() : position.query()))));
            return;
        }
        m_socket = std::make_unique<QTcpSocket>();
        m_buffer.clear();
        m_parser = SseParser();
        m_headDone = false;
        QTcpSocket *s = m_socket.get();
        connect(s, &QTcpSocket::readyRead, this, [this] { read(); });
        connect(s, &QTcpSocket::disconnected, this, [this, s] { dropped(s); });
        connect(s, &QTcpSocket::errorOccurred, this, [this, s] {
            if (s->state() == QAbstractSocket::UnconnectedState)
                dropped(s);
        });
        s->connectToHost(QHostAddress::LocalHost, port);
        const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
        if (m_kind == Kind::Sse) {
            const QByteArray resume =
                    position.epoch.isEmpty() ? QByteArray() : "Last-Event-ID: " + position.lastEventId() + "\r\n";
            s->write("GET /events HTTP/1.1\r\n" + host + "Accept: text/event-stream\r\n" + resume + "\r\n");
        } else {
            const QByteArray query = position.epoch.isEmpty() ? QByteArray("after=0") : position.query();
            s->write("GET /poll?" + query + "&timeout=1 HTTP/1.1\r\n" + host + "\r\n");
        }
    }
    void read()
    {
        m_buffer += m_socket->readAll();
        if (m_kind == Kind::Sse) {
            if (!m_headDone) {
                const qsizetype end = m_buffer.indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                m_headDone = true;
                m_open = m_buffer.startsWith("HTTP/1.1 200");
                m_buffer.remove(0, end + 4);
            }
            m_parser.feed(m_buffer);
            m_buffer.clear();
            for (const SseEvent &e : m_parser.takeEvents())
                if (const std::optional<Message> m = MessageCodec::decode(e.data.toUtf8()))
                    take(*m);
            return;
        }
        RawResponse r;
        if (parseRawResponse(m_buffer, &r) == 0)
            return;
        QTcpSocket *done = m_socket.release();
        done->disconnect(this);
        done->deleteLater();
        m_open = r.status == 200;
        if (r.status != 200) {
            again(true);
            return;
        }
        const std::optional<PollAnswer> answer = PollAnswer::fromJson(r.json());
        for (const Message &m : pollMessages(r))
            take(m);
        if (answer) { // an empty answer still names where to go on
            position.epoch = answer->epoch;
            position.id = answer->cursor;
        }
        again(false);
    }
    // The connection `which` failed or ended (its errorOccurred and disconnected may both say so).
    void dropped(QObject *which)
    {
        if (m_stopped)
            return;
        if (m_socket.get() == which)
            m_socket.release()->deleteLater();
        else if (m_ws.get() == which)
            m_ws.release()->deleteLater();
        else
            return;
        which->disconnect(this);
        again(true);
    }
    void take(const Message &m)
    {
        messages.append(m);
        position.advance(m);
    }

    Kind m_kind;
    QList<quint16> m_ports;
    bool m_roundRobin;
    qsizetype m_next = 0;
    bool m_open = false;
    bool m_stopped = false;
    QTimer m_retry;
    std::unique_ptr<QTcpSocket> m_socket;
    std::unique_ptr<QWebSocket> m_ws;
    QByteArray m_buffer;
    SseParser m_parser;
    bool m_headDone = false;
};

// One FollowingReader per transport over the same nodes.
struct FollowingReaders
{
    FollowingReaders(const QList<quint16> &ports, const LogPosition &from = {})
    {
        for (const FollowingReader::Kind kind :
             { FollowingReader::Kind::Poll, FollowingReader::Kind::Sse, FollowingReader::Kind::WebSocket })
            readers.push_back(std::make_unique<FollowingReader>(kind, ports, from));
    }
    bool waitOpen()
    {
        return std::all_of(readers.begin(), readers.end(), [](const auto &r) { return r->waitOpen(); });
    }
    bool waitFor(quint64 id, const QString &epoch = {})
    {
        return std::all_of(readers.begin(), readers.end(), [&](const auto &r) { return r->waitFor(id, epoch); });
    }
    std::vector<std::unique_ptr<FollowingReader>> readers;
};

// What a message is, for comparing logs read on different nodes: its id, epoch, sender, clientMsgId
// and text.
inline QString identity(const Message &m)
{
    return QStringLiteral("%1/%2 %3 %4 %5").arg(m.epoch).arg(m.id).arg(m.from, m.clientMsgId, m.text);
}
inline QStringList identities(const QList<Message> &messages)
{
    QStringList out;
    for (const Message &m : messages)
        if (m.type == MessageType::Chat)
            out.append(identity(m));
    return out;
}

} // namespace rtlab::test
