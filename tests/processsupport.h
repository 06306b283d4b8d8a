// SPDX-License-Identifier: MIT
#pragma once
// rtlab-server as a child process, and clients that ride across its death: raw HTTP resumers,
// steady publishers that keep what was acknowledged and what was in flight, and RealtimeClients on
// every transport. tst_durablelog (one server on a SQLite file) and tst_cluster (nodes on one Redis
// log) use them; the test target defines RTLAB_SERVER_BINARY.
//
// Every wait is on a line, a message or a process state, with a bound; traffic is bounded in count.
#include "clientsupport.h"
#include "wirecontract.h"

#include <QProcess>
#include <QTcpServer>

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

namespace rtlab::test {

// A loopback port free now. Both starts of a server use it: clients find the new process where the
// old one was, as they would after `systemctl restart`.
inline quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        qFatal("no free loopback port");
    return probe.serverPort();
}

inline QString coreName()
{
    return testCore() == ServerConfig::Core::Qt ? QStringLiteral("qt") : QStringLiteral("epoll");
}

// rtlab-server as a user runs it, one process per start.
class ServerProcess
{
public:
    ~ServerProcess() { killNine(); }

    // Starts and waits for the "listening" line: false if the process exited first (see errors()).
    // fileSizeLimit > 0: the child's RLIMIT_FSIZE (a full disk without a small filesystem).
    bool start(quint16 port, const QStringList &arguments, qint64 fileSizeLimit = 0)
    {
        killNine();
        m_process = std::make_unique<QProcess>();
        m_errors.clear();
        m_out.clear();
        if (fileSizeLimit > 0) {
            m_process->setChildProcessModifier([fileSizeLimit] {
                const rlimit limit { rlim_t(fileSizeLimit), RLIM_INFINITY };
                ::setrlimit(RLIMIT_FSIZE, &limit);
            });
        }
        m_process->start(QStringLiteral(RTLAB_SERVER_BINARY),
                         QStringList { QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                                       QString::number(port), QStringLiteral("--tick-rate"), QStringLiteral("0"),
                                       QStringLiteral("--core"), coreName() }
                                 + arguments);
        if (!m_process->waitForStarted(WaitMs))
            return false;
        // Port 0: the OS picks one, and the listening line names it.
        const QByteArray line = "rtlab-server listening on http://127.0.0.1:" + (port ? QByteArray::number(port) : "");
        static_cast<void>(QTest::qWaitFor(
                [&] {
                    drain();
                    return m_out.contains(line) || m_process->state() == QProcess::NotRunning;
                },
                WaitMs));
        drain();
        const qsizetype at = m_out.indexOf(line);
        if (at < 0)
            return false;
        const qsizetype digits = at + line.size() - (port ? QByteArray::number(port).size() : 0);
        m_port = quint16(m_out.mid(digits, m_out.indexOf('\n', digits) - digits).toUShort());
        return m_port != 0;
    }
    // Where it listens (after start()).
    quint16 port() const { return m_port; }
    // SIGTERM, then the exit: true when it ended normally with 0.
    bool stop()
    {
        if (!running())
            return false;
        ::kill(pid(), SIGTERM);
        waitExit();
        return m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
    }
    // SIGKILL: no shutdown, no flush, no destructor.
    void killNine()
    {
        if (!running())
            return;
        ::kill(pid(), SIGKILL);
        waitExit();
    }
    bool waitExit()
    {
        const bool ended = QTest::qWaitFor([&] { return m_process->state() == QProcess::NotRunning; }, WaitMs);
        drain();
        return ended;
    }
    bool running() const { return m_process && m_process->state() != QProcess::NotRunning; }
    pid_t pid() const { return pid_t(m_process->processId()); }
    QProcess &process() { return *m_process; }
    QString errors()
    {
        drain();
        return QString::fromUtf8(m_errors);
    }
    QByteArray output()
    {
        drain();
        return m_out;
    }

private:
    void drain()
    {
        m_out += m_process->readAllStandardOutput();
        m_errors += m_process->readAllStandardError();
    }

    std::unique_ptr<QProcess> m_process;
    QByteArray m_out;
    QByteArray m_errors;
    quint16 m_port = 0;
};

inline QUrl urlOf(quint16 port)
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

inline ReconnectPolicy fastPolicy()
{
    return ReconnectPolicy::exponential(20, 200, 0.5);
}

inline StatsSnapshot stats(quint16 port)
{
    const RawResponse r = request(port, "GET", "/stats");
    return StatsSnapshot::fromJson(r.json()).value_or(StatsSnapshot {});
}

inline QByteArray resumeQuery(quint64 after, const QString &epoch)
{
    return "after=" + QByteArray::number(after) + "&epoch=" + epoch.toLatin1();
}

// Everything the log hands out after `after` (epoch as named), read by short polls one answer at a
// time (an answer holds at most 1,000 messages): a reset included, in the order sent.
inline QList<Message> pollAll(quint16 port, quint64 after, const QString &epoch)
{
    QList<Message> out;
    QByteArray query = resumeQuery(after, epoch);
    for (int answers = 0; answers < 100; ++answers) {
        const RawResponse r = request(port, "GET", "/poll?" + query + "&timeout=0");
        const std::optional<PollAnswer> answer = PollAnswer::fromJson(r.json());
        if (r.status != 200 || !answer)
            break;
        const QList<Message> messages = pollMessages(r);
        if (messages.isEmpty())
            break;
        out += messages;
        query = resumeQuery(answer->cursor, answer->epoch);
    }
    return out;
}

// A client of each transport resuming at (after, epoch) over raw HTTP, as curl would: short polls
// (read at once), an event stream with Last-Event-ID, a WebSocket with the resume query.
struct RawResumers
{
    RawResumers(quint16 port, quint64 after, const QString &epoch)
        : polled(pollAll(port, after, epoch)),
          sse(port, "/events", { "Last-Event-ID: " + epoch.toLatin1() + ':' + QByteArray::number(after) }),
          ws(port, QStringLiteral("?") + QString::fromLatin1(resumeQuery(after, epoch)))
    {
    }
    bool waitOpen() { return sse.waitOpen() && ws.waitOpen(); }
    // Both streams have n messages (a reset counts).
    bool waitStreams(qsizetype n) { return sse.waitEvents(n) && ws.waitMessages(n); }
    QList<QList<Message>> all() const { return { polled, sse.messages(), ws.messages }; }

    QList<Message> polled;
    SseClient sse;
    WsClient ws;
};

// Publishes n chat messages "<prefix><number>" (numbered from `first`) over one keep-alive
// connection, one at a time; the ids answered, up to the first refusal.
inline QList<quint64> publishMany(quint16 port, int n, const QString &prefix, int first = 1)
{
    QList<quint64> out;
    RawHttp http(port);
    for (int i = first; i < first + n && http.connected(); ++i) {
        PublishRequest p;
        p.from = QStringLiteral("test");
        p.text = prefix + QString::number(i);
        const QByteArray body = MessageCodec::encodePublish(p);
        http.send("POST /send HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
                  + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
                  + "\r\n\r\n" + body);
        RawResponse r;
        if (!http.read(&r) || r.status != 202)
            break;
        out.append(quint64(r.json().value(QLatin1String("id")).toInteger()));
    }
    return out;
}

inline const Message *firstReset(const QList<Message> &messages)
{
    for (const Message &m : messages)
        if (m.type == MessageType::Reset)
            return &m;
    return nullptr;
}

// Publishes over POST /send on one keep-alive connection, one request at a time, each with its own
// clientMsgId, until `max` or until the connection breaks: what was answered 202 (with its id), and
// the one sent but never answered when it broke.
class HttpSteadyPublisher : public QObject
{
public:
    HttpSteadyPublisher(quint16 port, const QString &from, int max) : m_port(port), m_from(from), m_max(max)
    {
        connect(&m_socket, &QTcpSocket::connected, this, [this] { sendNext(); });
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] {
            m_buffer += m_socket.readAll();
            RawResponse r;
            while (const qsizetype used = parseRawResponse(m_buffer, &r)) {
                m_buffer.remove(0, used);
                if (r.status == 202)
                    acked.insert(m_inFlight, quint64(r.json().value(QLatin1String("id")).toInteger()));
                else
                    otherAnswers.append(r.status);
                m_inFlight.clear();
                sendNext();
            }
        });
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
            if (!m_inFlight.isEmpty())
                unanswered.append(m_inFlight);
            m_inFlight.clear();
            ended = true;
        });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }
    static QString textOf(const QString &clientMsgId) { return QStringLiteral("steady %1").arg(clientMsgId); }

    QString from() const { return m_from; }
    QHash<QString, quint64> acked; // clientMsgId → id
    QStringList unanswered;        // sent, and the connection broke before the answer
    QList<int> otherAnswers;       // anything but 202
    bool ended = false;

private:
    void sendNext()
    {
        if (m_sent >= m_max) {
            ended = true;
            return;
        }
        PublishRequest p;
        p.from = m_from;
        p.clientMsgId = QStringLiteral("%1-%2").arg(m_from).arg(++m_sent);
        p.text = textOf(p.clientMsgId);
        const QByteArray body = MessageCodec::encodePublish(p);
        m_inFlight = p.clientMsgId;
        m_socket.write("POST /send HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port)
                       + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
                       + "\r\n\r\n" + body);
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    quint16 m_port;
    QString m_from;
    int m_max;
    int m_sent = 0;
    QString m_inFlight;
};

// Publishes over a WebSocket, a few frames ahead of what has come back: a message is acknowledged
// when it arrives on this socket (docs/protocol.md, "Publishing"). An error frame is kept as sent.
class WsSteadyPublisher : public QObject
{
public:
    WsSteadyPublisher(quint16 port, const QString &from, int max, int window = 4)
        : m_from(from), m_max(max), m_window(window)
    {
        connect(&socket, &QWebSocket::connected, this, [this] { fill(); });
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
            if (o.value(QLatin1String("type")).toString() == u"error") {
                errors.append(o);
                return;
            }
            const std::optional<Message> m = MessageCodec::decode(text.toUtf8());
            if (m && m->type == MessageType::Chat && m->from == m_from && inFlight.remove(m->clientMsgId)) {
                acked.insert(m->clientMsgId, m->id);
                fill();
            }
        });
        connect(&socket, &QWebSocket::disconnected, this, [this] { ended = true; });
        socket.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    }
    // Sends one message now (with this clientMsgId), outside the steady flow.
    void sendOne(const QString &clientMsgId, const QString &text)
    {
        PublishRequest p;
        p.from = m_from;
        p.clientMsgId = clientMsgId;
        p.text = text;
        inFlight.insert(clientMsgId);
        socket.sendTextMessage(QString::fromUtf8(MessageCodec::encodePublish(p)));
    }

    QWebSocket socket;
    QHash<QString, quint64> acked; // clientMsgId → id
    QSet<QString> inFlight;        // sent, not come back (when it ended: not acknowledged)
    QList<QJsonObject> errors;
    bool ended = false;

private:
    void fill()
    {
        while (m_sent < m_max && inFlight.size() < m_window) {
            const QString clientMsgId = QStringLiteral("%1-%2").arg(m_from).arg(++m_sent);
            sendOne(clientMsgId, HttpSteadyPublisher::textOf(clientMsgId));
        }
    }

    QString m_from;
    int m_max;
    int m_window;
    int m_sent = 0;
};

// The three real-time transports as RealtimeClients (the desktop client's and rtlab-cli's engine).
struct Subscribers
{
    explicit Subscribers(const QUrl &server, const StreamPosition &from = {}) : Subscribers(QList { server }, from) { }
    // With several servers (the nodes of one log), in the order the clients try them.
    explicit Subscribers(const QList<QUrl> &servers, const StreamPosition &from = {})
    {
        for (const RealtimeClient::Mode mode :
             { RealtimeClient::Mode::LongPoll, RealtimeClient::Mode::Sse, RealtimeClient::Mode::WebSocket }) {
            clients.push_back(std::make_unique<RealtimeClient>());
            RealtimeClient &c = *clients.back();
            c.setServerUrls(servers);
            c.setReconnectPolicy(fastPolicy());
            recorders.push_back(std::make_unique<Recorder>(c));
            c.start(mode, from);
        }
    }
    bool waitOpen()
    {
        return std::all_of(clients.begin(), clients.end(), [](const auto &c) { return rtlab::test::waitOpen(*c); });
    }
    // Every client has a chat message with this id (and epoch, when given).
    bool waitFor(quint64 id, const QString &epoch = {})
    {
        return QTest::qWaitFor(
                [&] {
                    return std::all_of(recorders.begin(), recorders.end(), [&](const auto &r) {
                        return std::any_of(r->messages.begin(), r->messages.end(), [&](const Message &m) {
                            return m.type == MessageType::Chat && m.id == id && (epoch.isEmpty() || m.epoch == epoch);
                        });
                    });
                },
                WaitMs);
    }
    static QByteArray name(size_t i)
    {
        return QByteArrayList { "long polling", "sse", "websocket" }.value(qsizetype(i));
    }

    std::vector<std::unique_ptr<RealtimeClient>> clients;
    std::vector<std::unique_ptr<Recorder>> recorders;
};

} // namespace rtlab::test
