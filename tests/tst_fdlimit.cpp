// SPDX-License-Identifier: MIT
// The server at the descriptor limit and under the per-address cap (issue 14, finding 4): a new
// client is answered (503 + Retry-After, or served once idle connections made room), never left
// to time out; streams connected throughout lose nothing; the accept error is logged with its own
// errno, at most once a second. Runs on both cores (the _qt entry sets RTLAB_TEST_CORE=qt).
//
// The server runs in this process, so the test lowers this process's RLIMIT_NOFILE: every client
// descriptor it needs is created before, so that the free slots left are the server's alone.

#include "forwardedpeers.h"
#include "httprequest.h"
#include "logthrottle.h"
#include "peercounts.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QMutex>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

using namespace rtlab;
using namespace rtlab::test;

namespace {

std::set<int> openDescriptors()
{
    std::set<int> fds;
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return fds;
    const int own = ::dirfd(dir);
    while (dirent *e = ::readdir(dir)) {
        bool ok = false;
        const int fd = QByteArray(e->d_name).toInt(&ok);
        if (ok && fd != own)
            fds.insert(fd);
    }
    ::closedir(dir);
    return fds;
}

// Lowers the soft descriptor limit so that exactly `free` new descriptors can be opened (the
// kernel hands out the lowest free number, which must stay below the limit); restores it when it
// goes out of scope. Descriptors already open above the limit stay usable.
class DescriptorLimit
{
public:
    explicit DescriptorLimit(int free)
    {
        ::getrlimit(RLIMIT_NOFILE, &m_saved);
        const std::set<int> open = openDescriptors();
        int limit = 0;
        for (int left = free; left > 0; ++limit) {
            if (!open.count(limit))
                --left;
        }
        rlimit lowered = m_saved;
        lowered.rlim_cur = rlim_t(limit);
        m_ok = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
    }
    ~DescriptorLimit() { restore(); }
    bool ok() const { return m_ok; }
    void restore()
    {
        if (m_ok)
            ::setrlimit(RLIMIT_NOFILE, &m_saved);
        m_ok = false;
    }

private:
    rlimit m_saved {};
    bool m_ok = false;
};

// A client on a raw descriptor, created before the limit is lowered: its connect needs no new
// descriptor. Loopback connects complete in the kernel's backlog, accepted or not.
class RawClient
{
public:
    RawClient() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) { }
    ~RawClient() { close(); }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool connectTo(quint16 port, const char *from = nullptr)
    {
        if (m_fd < 0)
            return false;
        if (from) {
            sockaddr_in local {};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, from, &local.sin_addr);
            if (::bind(m_fd, reinterpret_cast<sockaddr *>(&local), sizeof local) < 0)
                return false;
        }
        sockaddr_in to {};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&to), sizeof to) < 0)
            return false;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
        return true;
    }
    bool send(const QByteArray &bytes)
    {
        return ::send(m_fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size();
    }
    bool get(quint16 port, const QByteArray &target, const QByteArray &extra = {})
    {
        return send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n" + extra
                    + "\r\n");
    }
    // Reads what has arrived; true once the peer has closed (or reset) the connection.
    bool pump()
    {
        char buffer[16384];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                received.append(buffer, qsizetype(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                m_peerClosed = true;
            return m_peerClosed;
        }
    }
    // Waits for one whole response (Content-Length framed) and parses it.
    bool readResponse(RawResponse *out)
    {
        const bool got = QTest::qWaitFor(
                [&] {
                    pump();
                    return parse(out) || m_peerClosed;
                },
                WaitMs);
        return got && parse(out);
    }
    bool waitHead()
    {
        return QTest::qWaitFor(
                       [&] {
                           pump();
                           return received.contains("\r\n\r\n") || m_peerClosed;
                       },
                       WaitMs)
                && received.startsWith("HTTP/1.1 200");
    }
    bool waitClosed()
    {
        return QTest::qWaitFor([&] { return pump(); }, WaitMs);
    }
    bool peerClosed()
    {
        pump();
        return m_peerClosed;
    }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    QByteArray received;

private:
    bool parse(RawResponse *out) const { return parseRawResponse(received, out) > 0; }

    int m_fd;
    bool m_peerClosed = false;
};

// The server's warnings under rtlab.server.*, captured while it is installed.
class WarningCapture
{
public:
    WarningCapture()
    {
        s_self = this;
        m_previous = qInstallMessageHandler(&WarningCapture::handle);
    }
    ~WarningCapture()
    {
        qInstallMessageHandler(m_previous);
        s_self = nullptr;
    }
    QStringList lines() const
    {
        QMutexLocker lock(&m_mutex);
        return m_lines;
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &text)
    {
        if (s_self && type == QtWarningMsg && context.category
            && QByteArrayView(context.category).startsWith("rtlab.server")) {
            QMutexLocker lock(&s_self->m_mutex);
            s_self->m_lines.append(text);
        }
        if (s_self && s_self->m_previous)
            s_self->m_previous(type, context, text);
    }

    static inline WarningCapture *s_self = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_lines;
};

// A server with a subscriber connected throughout, and `fillers` raw clients (not yet connected)
// whose descriptors exist already.
struct Crowd
{
    explicit Crowd(int fillers, ServerConfig config = quietConfig())
        : server(startServer(config)), subscriber(server->port()), clients(size_t(fillers))
    {
        for (auto &c : clients)
            c = std::make_unique<RawClient>();
    }
    quint16 port() const { return server->port(); }
    // Publishes once the subscriber is open, and waits until the publisher's connection has gone:
    // its descriptor must not count among those the test then leaves free.
    quint64 publishBefore()
    {
        if (!subscriber.waitOpen())
            return 0;
        const quint64 id = publish(port(), QStringLiteral("before"));
        return waitConnections(1) ? id : 0;
    }
    // Connects every client as an SSE stream; true once each has its response head.
    bool openStreams()
    {
        for (auto &c : clients) {
            if (!c->connectTo(port()) || !c->get(port(), "/events", "Accept: text/event-stream\r\n"))
                return false;
        }
        for (auto &c : clients) {
            if (!c->waitHead())
                return false;
        }
        return true;
    }
    // After the limit is lifted: a message published now reaches the subscriber after the first.
    void verifyNothingLost(quint64 first)
    {
        const quint64 last = publish(port(), QStringLiteral("after"));
        QVERIFY(last > first);
        QVERIFY(subscriber.waitEvents(2));
        QCOMPARE(ids(subscriber.messages()), (QList<quint64> { first, last }));
    }
    // Waits until the server holds n connections (it accepted every client that connected).
    bool waitConnections(int n) const
    {
        return QTest::qWaitFor([&] { return server->connectionCount() == n; }, WaitMs);
    }

    std::unique_ptr<Server> server;
    SseClient subscriber;
    std::vector<std::unique_ptr<RawClient>> clients;
};

} // namespace

class tst_FdLimit : public QObject
{
    Q_OBJECT

private slots:
    void logThrottle();
    void peerCounts();
    void noIdleConnectionMeans503();
    void idleConnectionsMakeRoom();
    void acceptErrorLoggedOncePerSecond();
    void capPerAddress();
    void forwardedClient_data();
    void forwardedClient();
    void capPerForwardedAddress();
};

// At the descriptor limit the sanitizers' runtime cannot check whether memory is readable (it
// probes with a pipe() of its own, compiler-rt's IsAccessibleMemoryRange), and UBSan's vptr check
// then reports any object as invalid ("memory cannot be printed"). The cases that exhaust the
// descriptors run in the plain build; the others run under the sanitizers too.
#ifdef RTLAB_SANITIZED
#define SKIP_AT_THE_LIMIT_UNDER_SANITIZERS() \
    QSKIP("exhausts the descriptors the sanitizer runtime needs for its own checks (run in the plain build)")
#else
#define SKIP_AT_THE_LIMIT_UNDER_SANITIZERS()
#endif

void tst_FdLimit::logThrottle()
{
    LogThrottle t(1000);
    qint64 suppressed = -1;
    QVERIFY(t.admit("accept4 24", 0, &suppressed));
    QCOMPARE(suppressed, 0);
    QVERIFY(!t.admit("accept4 24", 1, &suppressed));
    QVERIFY(!t.admit("accept4 24", 999, &suppressed));
    QVERIFY2(t.admit("accept4 23", 500, &suppressed), "another kind has its own second");
    QCOMPARE(suppressed, 0);
    QVERIFY(t.admit("accept4 24", 1000, &suppressed));
    QCOMPARE(suppressed, 2);
    QVERIFY(t.admit("accept4 24", 5000, &suppressed));
    QCOMPARE(suppressed, 0);
}

void tst_FdLimit::peerCounts()
{
    PeerCounts off;
    QVERIFY(off.tryAdd(QHostAddress::LocalHost));
    QCOMPARE(off.addresses(), 0);

    PeerCounts counts(2);
    const QHostAddress a(QStringLiteral("10.0.0.1"));
    const QHostAddress aMapped(QStringLiteral("::ffff:10.0.0.1"));
    QVERIFY(counts.tryAdd(a));
    QVERIFY(counts.tryAdd(aMapped));
    QVERIFY2(!counts.tryAdd(a), "an IPv4-mapped address is the same client");
    QVERIFY(counts.tryAdd(QHostAddress(QStringLiteral("10.0.0.2"))));
    counts.remove(a);
    QVERIFY(counts.tryAdd(aMapped));
    counts.remove(a);
    counts.remove(a);
    counts.remove(a); // more than were counted: no underflow
    QCOMPARE(counts.count(a), 0);
    QCOMPARE(counts.addresses(), 1);
}

void tst_FdLimit::noIdleConnectionMeans503()
{
    SKIP_AT_THE_LIMIT_UNDER_SANITIZERS();
    // Every descriptor the server can get goes to a stream: nothing may be closed for room.
    constexpr int Streams = 12;
    Crowd crowd(Streams);
    const quint64 first = crowd.publishBefore();
    QVERIFY(first > 0);
    RawClient probe, second;
    {
        DescriptorLimit limit(Streams);
        QVERIFY(limit.ok());
        QVERIFY(crowd.openStreams());
        QVERIFY(crowd.waitConnections(Streams + 1));

        // Out of descriptors: told so at once, not left to time out.
        QVERIFY(probe.connectTo(crowd.port()));
        QVERIFY(probe.get(crowd.port(), "/healthz"));
        RawResponse r;
        QVERIFY2(probe.readResponse(&r), "no answer at the descriptor limit");
        QCOMPARE(r.status, 503);
        QVERIFY(r.header("retry-after").toInt() > 0);
        QVERIFY(probe.waitClosed());
        QCOMPARE(crowd.server->hub()->stats().refused[int(Refusal::FdLimit)], 1); // /metrics' reason

        // Streams go away by themselves: the next client is served.
        crowd.clients[0]->close();
        crowd.clients[1]->close();
        QVERIFY(crowd.waitConnections(Streams - 1));
        QVERIFY(second.connectTo(crowd.port()));
        QVERIFY(second.get(crowd.port(), "/healthz"));
        QVERIFY(second.readResponse(&r));
        QCOMPARE(r.status, 200);
        for (size_t i = 2; i < crowd.clients.size(); ++i)
            QVERIFY2(!crowd.clients[i]->peerClosed(), "a stream was closed to make room");
    }
    crowd.verifyNothingLost(first);
}

void tst_FdLimit::idleConnectionsMakeRoom()
{
    SKIP_AT_THE_LIMIT_UNDER_SANITIZERS();
    constexpr int Idle = 16;
    Crowd crowd(Idle);
    const quint64 first = crowd.publishBefore();
    QVERIFY(first > 0);
    RawClient probe;
    {
        DescriptorLimit limit(Idle);
        QVERIFY(limit.ok());
        // The first is the oldest: the server's clock moves on before the others come.
        QVERIFY(crowd.clients[0]->connectTo(crowd.port()));
        QVERIFY(crowd.waitConnections(2));
        const qint64 t0 = crowd.server->hub()->nowMs();
        QVERIFY(QTest::qWaitFor([&] { return crowd.server->hub()->nowMs() > t0; }, WaitMs));
        for (size_t i = 1; i < crowd.clients.size(); ++i)
            QVERIFY(crowd.clients[i]->connectTo(crowd.port()));
        QVERIFY(crowd.waitConnections(Idle + 1));

        QVERIFY(probe.connectTo(crowd.port()));
        QVERIFY(probe.get(crowd.port(), "/healthz"));
        RawResponse r;
        QVERIFY2(probe.readResponse(&r), "no answer at the descriptor limit");
        QCOMPARE(r.status, 200);
        QVERIFY2(crowd.clients[0]->waitClosed(), "the oldest idle connection was not closed for room");
        QVERIFY(crowd.subscriber.socket.state() == QAbstractSocket::ConnectedState);
    }
    crowd.verifyNothingLost(first);
}

void tst_FdLimit::acceptErrorLoggedOncePerSecond()
{
    SKIP_AT_THE_LIMIT_UNDER_SANITIZERS();
    constexpr int Streams = 4;
    constexpr int Probes = 40;
    Crowd crowd(Streams);
    const quint64 first = crowd.publishBefore();
    QVERIFY(first > 0);
    std::vector<std::unique_ptr<RawClient>> probes(Probes);
    for (auto &p : probes)
        p = std::make_unique<RawClient>();
    WarningCapture capture;
    QElapsedTimer elapsed;
    {
        DescriptorLimit limit(Streams);
        QVERIFY(limit.ok());
        QVERIFY(crowd.openStreams());
        elapsed.start();
        for (auto &p : probes) {
            QVERIFY(p->connectTo(crowd.port()));
            QVERIFY(p->get(crowd.port(), "/healthz"));
        }
        for (auto &p : probes) {
            RawResponse r;
            QVERIFY(p->readResponse(&r));
            QCOMPARE(r.status, 503);
        }
    }
    const qint64 seconds = elapsed.elapsed() / 1000;
    QStringList accept;
    for (const QString &line : capture.lines()) {
        if (line.startsWith(u"accept"))
            accept.append(line);
    }
    QVERIFY2(!accept.isEmpty(), "the accept error was not logged");
    for (const QString &line : std::as_const(accept)) {
        QVERIFY2(!line.contains(QString::fromLocal8Bit(std::strerror(ENOENT))), qPrintable(line));
        if (testCore() == ServerConfig::Core::Epoll)
            QVERIFY2(line.contains(QString::fromLocal8Bit(std::strerror(EMFILE))), qPrintable(line));
    }
    // One line a second at most (40 refusals): the first, then one per second that began.
    QVERIFY2(accept.size() <= seconds + 2, qPrintable(accept.join(u'\n')));
    crowd.verifyNothingLost(first);
}

void tst_FdLimit::capPerAddress()
{
    ServerConfig config = quietConfig();
    config.maxConnsPerIp = 2;
    Crowd crowd(5, config);
    QVERIFY(crowd.subscriber.waitOpen()); // one of 127.0.0.1's two
    RawClient &a = *crowd.clients[0];
    RawClient &over = *crowd.clients[1];
    RawClient &other = *crowd.clients[2];
    RawClient &again = *crowd.clients[3];
    QVERIFY(a.connectTo(crowd.port()));
    QVERIFY(crowd.waitConnections(2));

    QVERIFY(over.connectTo(crowd.port()));
    QVERIFY(over.get(crowd.port(), "/healthz"));
    RawResponse r;
    QVERIFY(over.readResponse(&r));
    QCOMPARE(r.status, 503);
    QVERIFY(r.header("retry-after").toInt() > 0);
    QVERIFY(over.waitClosed());

    // Another address is another client.
    QVERIFY2(other.connectTo(crowd.port(), "127.0.0.2"), "127.0.0.2 is loopback on Linux");
    QVERIFY(other.get(crowd.port(), "/healthz"));
    QVERIFY(other.readResponse(&r));
    QCOMPARE(r.status, 200);

    // The ones within the cap are served, and a closed one frees its place.
    QVERIFY(a.get(crowd.port(), "/healthz"));
    QVERIFY(a.readResponse(&r));
    QCOMPARE(r.status, 200);
    a.close();
    QVERIFY(crowd.waitConnections(2));
    QVERIFY(again.connectTo(crowd.port()));
    QVERIFY(again.get(crowd.port(), "/healthz"));
    QVERIFY(again.readResponse(&r));
    QCOMPARE(r.status, 200);
    again.close();
    QVERIFY(crowd.waitConnections(2)); // the subscriber and 127.0.0.2
    const quint64 id = publish(crowd.port(), QStringLiteral("still one of two"));
    QVERIFY(id > 0);
    QVERIFY(crowd.subscriber.waitEvents(1));
}

void tst_FdLimit::forwardedClient_data()
{
    QTest::addColumn<QList<QByteArray>>("fields");
    QTest::addColumn<QString>("client");
    QTest::newRow("one hop") << QList<QByteArray> { "203.0.113.7" } << QStringLiteral("203.0.113.7");
    QTest::newRow("the last hop is the proxy's own peer")
            << QList<QByteArray> { "198.51.100.1, 203.0.113.7" } << QStringLiteral("203.0.113.7");
    QTest::newRow("several fields are one list")
            << QList<QByteArray> { "198.51.100.1", "10.0.0.1 ,2001:db8::1" } << QStringLiteral("2001:db8::1");
    QTest::newRow("IPv6 in brackets") << QList<QByteArray> { "[2001:db8::2]" } << QStringLiteral("2001:db8::2");
    QTest::newRow("not an address") << QList<QByteArray> { "unknown" } << QString();
    QTest::newRow("no header, no peer") << QList<QByteArray> {} << QString();
}

void tst_FdLimit::forwardedClient()
{
    QFETCH(QList<QByteArray>, fields);
    QFETCH(QString, client);
    HttpRequest request;
    for (const QByteArray &f : fields)
        request.headers.append({ "x-forwarded-for", f });
    const QHostAddress found = ForwardedPeers::client(request, nullptr);
    QCOMPARE(found.isNull() ? QString() : found.toString(), client);
}

void tst_FdLimit::capPerForwardedAddress()
{
    // Behind a trusted proxy every connection comes from 127.0.0.1: the forwarded client counts.
    ServerConfig config = quietConfig();
    config.maxConnsPerIp = 1;
    config.trustProxy = true;
    Crowd crowd(4, config);
    QVERIFY(crowd.subscriber.waitOpen()); // 127.0.0.1's one (no header)
    RawClient &a = *crowd.clients[0];
    RawClient &over = *crowd.clients[1];
    RawClient &other = *crowd.clients[2];
    RawResponse r;
    QVERIFY(a.connectTo(crowd.port()));
    QVERIFY(a.get(crowd.port(), "/healthz", "X-Forwarded-For: 203.0.113.7\r\n"));
    QVERIFY(a.readResponse(&r));
    QCOMPARE(r.status, 200);

    QVERIFY(over.connectTo(crowd.port()));
    QVERIFY(over.get(crowd.port(), "/healthz", "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n"));
    QVERIFY(over.readResponse(&r));
    QCOMPARE(r.status, 503);
    QVERIFY(r.header("retry-after").toInt() > 0);
    QVERIFY(over.waitClosed());

    QVERIFY(other.connectTo(crowd.port()));
    QVERIFY(other.get(crowd.port(), "/healthz", "X-Forwarded-For: 203.0.113.8\r\n"));
    QVERIFY(other.readResponse(&r));
    QCOMPARE(r.status, 200);
}

QTEST_GUILESS_MAIN(tst_FdLimit)
#include "tst_fdlimit.moc"
