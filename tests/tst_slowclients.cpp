// SPDX-License-Identifier: MIT
// Clients that attack by being slow (docs/protocol.md, "Errors and limits"): a flood of pipelined
// requests or pings from a client that never reads keeps the connection's unsent bytes under the
// bound (reading stops, or the connection is cut as a slow reader); a request head or body
// dribbled byte by byte gets 408 at its deadline. Meanwhile a subscriber connected throughout
// loses nothing and a normal client on another connection is served. Short bounds and deadlines
// through ServerConfig keep each case to seconds; every wait is on a condition with a bound.

#include "testsupport.h"

#include "hub.h"
#include "wsframeparser.h"

#include <QDeadlineTimer>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace rtlab;
using namespace rtlab::test;

namespace {

// Publishes on the server's memory store, which commits at once: the id it was given.
quint64 publishNow(Hub *hub, const PublishRequest &request)
{
    quint64 id = 0;
    hub->publish(request, [&id](const PublishResult &r) { id = r.entry ? r.entry->message.id : 0; });
    return id;
}

// A client that writes and never reads: a plain non-blocking socket with a small receive buffer,
// so that what the server sends backs up into the server's queue soon.
class StubbornClient
{
public:
    explicit StubbornClient(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int small = 4096;
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int rc = ::connect(m_fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
        m_failed = rc < 0 && errno != EINPROGRESS;
    }
    ~StubbornClient() { ::close(m_fd); }
    StubbornClient(const StubbornClient &) = delete;
    StubbornClient &operator=(const StubbornClient &) = delete;

    // Writes what the kernel takes of bytes; false once the server has cut the connection.
    bool write(QByteArrayView bytes, qint64 *written)
    {
        *written = 0;
        if (m_failed)
            return false;
        const ssize_t n = ::send(m_fd, bytes.data(), size_t(bytes.size()), MSG_NOSIGNAL);
        if (n >= 0) {
            *written = n;
            return true;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOTCONN)
            return true; // full (or still connecting): the server is not reading
        m_failed = true;
        return false;
    }
    // Reads until the end of a response head (a WebSocket handshake's 101), then never again.
    QByteArray readHead()
    {
        QByteArray head;
        static_cast<void>(QTest::qWaitFor(
                [&] {
                    char c;
                    while (!head.endsWith("\r\n\r\n") && ::recv(m_fd, &c, 1, 0) == 1)
                        head.append(c);
                    return head.endsWith("\r\n\r\n");
                },
                WaitMs));
        return head;
    }
    // Reads everything until the server closes the connection; its status line's code, or 0.
    // (recv() returns what arrived before a reset, which a QTcpSocket may drop on the error.)
    int readUntilClosed(QByteArray *all = nullptr)
    {
        QByteArray in;
        static_cast<void>(QTest::qWaitFor(
                [&] {
                    char buffer[4096];
                    for (;;) {
                        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
                        if (n > 0) {
                            in.append(buffer, n);
                            continue;
                        }
                        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
                    }
                },
                WaitMs));
        if (all)
            *all = in;
        return in.startsWith("HTTP/1.1 ") ? in.mid(9, 3).toInt() : 0;
    }

private:
    int m_fd = -1;
    bool m_failed = false;
};

// Sends chunk after chunk from a client that never reads while the server runs, until `done()`,
// a write fails (the server cut the connection), `maxBytes` have gone or the time bound passes.
// Returns the bytes written.
template<typename Done>
qint64 flood(StubbornClient &client, const QByteArray &chunk, qint64 maxBytes, Done done)
{
    const QDeadlineTimer bound(2 * WaitMs);
    qint64 total = 0;
    qsizetype offset = 0; // into chunk: a write may take part of it
    while (total < maxBytes && !bound.hasExpired() && !done()) {
        qint64 n = 0;
        if (!client.write(QByteArrayView(chunk).sliced(offset), &n))
            break;
        total += n;
        offset = (offset + n) % chunk.size();
        QCoreApplication::processEvents();
    }
    return total;
}

QList<quint64> range(quint64 first, quint64 last)
{
    QList<quint64> out;
    for (quint64 id = first; id <= last; ++id)
        out.append(id);
    return out;
}

// Sends a request one byte per tick of a timer, as a slowloris client does; stops at its end.
class Dribbler : public QObject
{
public:
    Dribbler(StubbornClient *client, QByteArray bytes) : m_client(client), m_bytes(std::move(bytes))
    {
        connect(&m_timer, &QTimer::timeout, this, [this] {
            qint64 n = 0;
            if (m_sent >= m_bytes.size() || !m_client->write(QByteArrayView(m_bytes).sliced(m_sent, 1), &n)) {
                m_timer.stop();
                return;
            }
            m_sent += n;
        });
        m_timer.start(20);
    }
    qsizetype sent() const { return m_sent; }

private:
    StubbornClient *m_client;
    QByteArray m_bytes;
    QTimer m_timer;
    qsizetype m_sent = 0;
};

// The figures of a flood (printed: the test's measurement), and why it failed when one connection
// held more unsent bytes than `limit` (the bound plus what one answer or one read may add).
QString queuedOverTheBound(const ServerStats &stats, const ServerConfig &config, qint64 limit)
{
    qInfo("most bytes queued for one connection: %lld (bound %lld), read pauses %lld, slow readers cut %lld",
          stats.peakPendingBytes, config.maxPendingBytes, stats.readPauses, stats.slowReadersCut);
    if (stats.peakPendingBytes <= limit)
        return {};
    return QStringLiteral("%1 bytes queued for one connection; the bound is %2")
            .arg(stats.peakPendingBytes)
            .arg(config.maxPendingBytes);
}

} // namespace

class tst_SlowClients : public QObject
{
    Q_OBJECT
private slots:
    void pipelinedFloodNeverRead();
    void pollFloodNeverRead();
    void pingFloodNeverRead_data();
    void pingFloodNeverRead();
    void dribbledHeadGets408();
    void slowBodyGets408();
};

// Finding 1: 10 MB of pipelined GET / from a client that never reads. The connection stops reading
// and dispatching once its unsent answers pass the bound, so they never exceed it by more than one
// answer.
void tst_SlowClients::pipelinedFloodNeverRead()
{
    ServerConfig config = quietConfig();
    config.maxPendingBytes = 256 * 1024;
    auto server = startServer(config);
    const ServerStats &stats = server->hub()->stats();
    SseClient subscriber(server->port());
    QVERIFY(subscriber.waitOpen());
    const RawResponse page = request(server->port(), "GET", "/");
    QCOMPARE(page.status, 200);
    const qint64 oneAnswer = page.body.size() + 1024; // and its head
    const qint64 limit = config.maxPendingBytes + oneAnswer;

    StubbornClient client(server->port());
    QByteArray chunk;
    while (chunk.size() < 64 * 1024)
        chunk += "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    PublishRequest p;
    p.from = QStringLiteral("chat");
    p.text = QStringLiteral("during the flood");
    int rounds = 0;
    int roundsPaused = 0;
    quint64 published = 0;
    flood(client, chunk, 10 * 1024 * 1024, [&] {
        if (++rounds % 20 == 0 && published < 200)
            published = publishNow(server->hub(), p);
        // A while longer once reading stopped, to see that it stays stopped.
        return stats.peakPendingBytes > limit || (stats.readPauses > 0 && ++roundsPaused > 200);
    });
    const QString overTheBound = queuedOverTheBound(stats, config, limit);
    QVERIFY2(overTheBound.isEmpty(), qPrintable(overTheBound));
    QVERIFY(stats.readPauses >= 1);
    // Another client is served meanwhile, and the subscriber got every message.
    QCOMPARE(request(server->port(), "GET", "/healthz").status, 200);
    published = publishNow(server->hub(), p);
    QVERIFY(subscriber.waitEvents(qsizetype(published)));
    QCOMPARE(ids(subscriber.messages()), range(1, published));
}

// Finding 1, one answer: pipelined `/poll?after=1&timeout=0` with 300 × 16 KiB in the history. Each
// answer is cut by bytes to the room left under the bound (at least one message), so the queue
// stays within one message of it.
void tst_SlowClients::pollFloodNeverRead()
{
    ServerConfig config = quietConfig();
    config.maxPendingBytes = 256 * 1024;
    auto server = startServer(config);
    const ServerStats &stats = server->hub()->stats();
    PublishRequest p;
    p.from = QStringLiteral("bulk");
    p.text = QString(16 * 1024 - 64, u'p');
    for (int i = 0; i < 300; ++i)
        server->hub()->publish(p);
    SseClient subscriber(server->port(), "/events",
                         { "Last-Event-ID: " + server->hub()->log().epoch().toUtf8() + ":300" });
    QVERIFY(subscriber.waitOpen());
    const qint64 oneMessage = server->hub()->log().entry(1)->json.size();
    const qint64 limit = config.maxPendingBytes + oneMessage + 1024; // the envelope and the head

    StubbornClient client(server->port());
    QByteArray chunk;
    while (chunk.size() < 2450)
        chunk += "GET /poll?after=1&timeout=0 HTTP/1.1\r\nHost: localhost\r\n\r\n";
    int roundsPaused = 0;
    flood(client, chunk, 64 * 1024,
          [&] { return stats.peakPendingBytes > limit || (stats.readPauses > 0 && ++roundsPaused > 200); });
    const QString overTheBound = queuedOverTheBound(stats, config, limit);
    QVERIFY2(overTheBound.isEmpty(), qPrintable(overTheBound));
    QVERIFY(stats.readPauses >= 1);
    // A poll on a connection that reads: its answer is cut by bytes too, and says where to go on.
    const RawResponse r = request(server->port(), "GET", "/poll?after=1&timeout=0");
    QCOMPARE(r.status, 200);
    const QList<Message> got = pollMessages(r);
    QVERIFY(!got.isEmpty());
    QVERIFY(got.size() < 299);
    QCOMPARE(ids(got), range(2, 1 + quint64(got.size())));
    QCOMPARE(r.json().value(QLatin1String("cursor")).toInteger(), 1 + got.size());
    QVERIFY(r.body.size() <= config.maxPendingBytes + oneMessage);
    p.text = QStringLiteral("after the flood");
    const quint64 last = publishNow(server->hub(), p);
    QVERIFY(subscriber.waitEvents(1));
    QCOMPARE(ids(subscriber.messages()), QList<quint64> { last });
}

// Finding 2: masked pings from a client that never reads. Their pongs count against the same bound,
// and the connection is cut as a slow reader (on both cores; the Qt core watches the TCP socket
// under its QWebSocket).
void tst_SlowClients::pingFloodNeverRead_data()
{
    QTest::addColumn<qint64>("bound");
    QTest::newRow("64 KiB") << qint64(64 * 1024);
    // Past what the kernel's socket buffers take: once they are full no byte leaves, so nothing
    // that waits for output to drain can see the queue grow.
    QTest::newRow("8 MiB") << qint64(8 * 1024 * 1024);
}

void tst_SlowClients::pingFloodNeverRead()
{
    QFETCH(qint64, bound);
    ServerConfig config = quietConfig();
    config.maxPendingBytes = bound;
    auto server = startServer(config);
    const ServerStats &stats = server->hub()->stats();
    WsClient subscriber(server->port());
    QVERIFY(subscriber.waitOpen());
    server->hub()->publish({ QStringLiteral("chat"), QStringLiteral("before the ping flood") });
    // One read of input (a head, a body and some slack) may answer with that many pong bytes
    // before the bound is looked at; the Qt core looks once QWebSocket has taken the read.
    const qint64 oneRead = config.maxHeadBytes + config.maxBodyBytes + 4096;
    const qint64 limit = config.maxPendingBytes + 2 * oneRead;

    StubbornClient client(server->port());
    qint64 n = 0;
    QVERIFY(client.write("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                         &n));
    QVERIFY(client.readHead().startsWith("HTTP/1.1 101"));
    QByteArray chunk;
    const QByteArray ping =
            WsFrameParser::encodeFrame(WsFrameParser::Ping, QByteArray(125, 'p'), true, "\x01\x02\x03\x04");
    while (chunk.size() < 64 * 1024)
        chunk += ping;
    // Nothing is published during the flood: a message would pump the flooder's session, whose own
    // slow-reader check would cut it; the pongs alone must.
    flood(client, chunk, 100 * 1024 * 1024, [&] { return stats.slowReadersCut > 0 || stats.peakPendingBytes > limit; });
    const QString overTheBound = queuedOverTheBound(stats, config, limit);
    QVERIFY2(overTheBound.isEmpty(), qPrintable(overTheBound));
    QCOMPARE(stats.slowReadersCut, 1);
    QCOMPARE(stats.refused[int(Refusal::SlowReader)], 1);
    QTRY_COMPARE_WITH_TIMEOUT(stats.at(TransportKind::WebSocket).connections, 1, WaitMs);
    QVERIFY(subscriber.waitMessages(1));
    PublishRequest p;
    p.from = QStringLiteral("chat");
    p.text = QStringLiteral("after the ping flood");
    const quint64 published = publishNow(server->hub(), p);
    QVERIFY(subscriber.waitMessages(qsizetype(published)));
    QCOMPARE(ids(subscriber.messages), range(1, published));
}

// Finding 3: a head dribbled one byte at a time keeps restarting the keep-alive timer, but not the
// head deadline, which runs from the request's first byte.
void tst_SlowClients::dribbledHeadGets408()
{
    ServerConfig config = quietConfig();
    config.headTimeoutMs = 300;
    auto server = startServer(config);
    StubbornClient slow(server->port());
    // Longer than the test's bound at this pace: only the deadline ends it.
    Dribbler dribbler(&slow,
                      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + QByteArray(2000, 'a') + "\r\n\r\n");
    QVERIFY(QTest::qWaitFor([&] { return dribbler.sent() > 0; }, WaitMs));
    // A normal client on another connection is served while the head crawls in.
    QCOMPARE(request(server->port(), "GET", "/healthz").status, 200);
    QByteArray answer;
    QCOMPARE(slow.readUntilClosed(&answer), 408);
    QVERIFY(answer.contains("\r\nConnection: close\r\n"));
    QVERIFY(answer.contains("did not arrive"));
    QCOMPARE(server->hub()->stats().requestTimeouts, 1);
    QCOMPARE(server->hub()->stats().refused[int(Refusal::HeadTimeout)], 1); // /metrics' reason
    QCOMPARE(server->hub()->stats().refused[int(Refusal::BadRequest)], 0);
}

// Finding 3, the body: its deadline runs from the end of the head, whatever arrives meanwhile.
void tst_SlowClients::slowBodyGets408()
{
    ServerConfig config = quietConfig();
    config.bodyTimeoutMs = 300;
    auto server = startServer(config);
    SseClient subscriber(server->port());
    QVERIFY(subscriber.waitOpen());
    StubbornClient slow(server->port());
    const QByteArray body = R"({"type":"chat","from":"slow","text":")" + QByteArray(1000, 's') + "\"}";
    qint64 n = 0;
    QVERIFY(slow.write("POST /send HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                               + QByteArray::number(body.size()) + "\r\n\r\n",
                       &n));
    Dribbler dribbler(&slow, body);
    QCOMPARE(publish(server->port(), QStringLiteral("served meanwhile")), 1u);
    QCOMPARE(slow.readUntilClosed(), 408);
    QVERIFY(dribbler.sent() < body.size());
    QCOMPARE(server->hub()->stats().requestTimeouts, 1);
    QCOMPARE(server->hub()->stats().refused[int(Refusal::BodyTimeout)], 1);
    QCOMPARE(server->hub()->log().lastId(), 1u); // the slow body published nothing
    QVERIFY(subscriber.waitEvents(1));
    QCOMPARE(ids(subscriber.messages()), QList<quint64> { 1 });
}

QTEST_MAIN(tst_SlowClients)
#include "tst_slowclients.moc"
