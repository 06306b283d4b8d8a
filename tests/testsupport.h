// SPDX-License-Identifier: MIT
#pragma once
// Helpers shared by the integration tests: an in-process server on 127.0.0.1 port 0, and
// small raw clients that show exactly what went over the wire. Every wait is on a condition
// with a generous bound, never a sleep.

#include "impairmentrelay.h"
#include "messagecodec.h"
#include "server.h"
#include "sseparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

#include <memory>

// rtlab-bench needs epoll: where it is not built (off Linux, or RTLAB_FORCE_PORTABLE=ON) the tests
// that start it skip, and the others run (tests/CMakeLists.txt defines RTLAB_BENCH_BINARY when it is).
#ifdef RTLAB_BENCH_BINARY
#define RTLAB_REQUIRE_BENCH() \
    do { \
    } while (false)
#else
#define RTLAB_BENCH_BINARY ""
#define RTLAB_REQUIRE_BENCH() QSKIP("rtlab-bench is not built here: it needs epoll")
#endif

namespace rtlab::test {

// How much longer the waits may take in this build: tests/CMakeLists.txt sets it for the sanitizer
// build, whose code runs several times slower (a 2.6 MB SSE replay to an ASan client took over 10 s
// on a loaded machine). It lengthens waits only: no assertion is about time.
#ifndef RTLAB_TEST_TIMEOUT_SCALE
#define RTLAB_TEST_TIMEOUT_SCALE 1
#endif

// A bound for failure, not a timing expectation.
inline constexpr int WaitMs = 10000 * RTLAB_TEST_TIMEOUT_SCALE;

// The connection core under test: RTLAB_TEST_CORE=qt or epoll, the server's default when unset
// (epoll on Linux), so that CTest can run the same integration tests against both (the _qt
// entries).
inline ServerConfig::Core testCore()
{
    const QByteArray core = qgetenv("RTLAB_TEST_CORE");
    if (core.isEmpty())
        return ServerConfig::DefaultCore;
    if (core == "qt")
        return ServerConfig::Core::Qt;
    if (core == "epoll")
        return ServerConfig::Core::Epoll;
    qFatal("RTLAB_TEST_CORE: expected qt or epoll, got %s", core.constData());
}

inline std::unique_ptr<Server> startServer(ServerConfig config = {})
{
    config.core = testCore();
    config.host = QStringLiteral("127.0.0.1");
    config.port = 0;
    auto server = std::make_unique<Server>(config);
    QString error;
    if (!server->listen(&error))
        qFatal("cannot listen: %s", qPrintable(error));
    return server;
}

// A relay in front of the server on this port that refuses WebSocket upgrades (403), like a proxy
// that does not speak them.
inline std::unique_ptr<ImpairmentRelay> relayRefusingUpgrades(quint16 serverPort)
{
    auto relay = std::make_unique<ImpairmentRelay>();
    if (!relay->listen(QHostAddress::LocalHost, serverPort))
        qFatal("the relay cannot listen");
    ImpairmentRelay::Settings s;
    s.refuseUpgrades = true;
    relay->setSettings(s);
    return relay;
}

inline ServerConfig quietConfig()
{
    ServerConfig c;
    c.tickRate = 0;
    return c;
}

// An HTTP/1.1 response as read off the socket.
struct RawResponse
{
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(QByteArrayView lowerName) const
    {
        for (const auto &[n, v] : headers)
            if (n == lowerName)
                return v;
        return {};
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// A client on one TCP connection that writes raw bytes and reads Content-Length responses.
class RawHttp
{
public:
    explicit RawHttp(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        // The server runs in this thread: wait by running the event loop, never by blocking.
        m_connected = QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, WaitMs);
    }
    bool connected() const { return m_connected; }
    QTcpSocket &socket() { return m_socket; }

    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    // Reads one response; false if none arrived in time or the connection closed first.
    bool read(RawResponse *out, int timeoutMs = WaitMs)
    {
        bool closed = false;
        const bool got = QTest::qWaitFor(
                [&] {
                    m_buffer += m_socket.readAll();
                    if (tryParse(out))
                        return true;
                    closed = m_socket.state() != QAbstractSocket::ConnectedState;
                    return closed;
                },
                timeoutMs);
        return got && !closed;
    }
    // True once the server has closed the connection (and everything sent was read).
    bool waitClosed(int timeoutMs = WaitMs)
    {
        static_cast<void>(QTest::qWaitFor(
                [&] {
                    m_buffer += m_socket.readAll();
                    return m_socket.state() != QAbstractSocket::ConnectedState;
                },
                timeoutMs));
        return m_socket.state() != QAbstractSocket::ConnectedState;
    }

private:
    bool tryParse(RawResponse *out)
    {
        const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return false;
        RawResponse r;
        const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
        r.status = lines.value(0).trimmed().split(' ').value(1).toInt();
        qsizetype length = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = lines[i].left(colon).trimmed().toLower();
            const QByteArray value = lines[i].mid(colon + 1).trimmed();
            r.headers.append({ name, value });
            if (name == "content-length")
                length = value.toLongLong();
        }
        if (m_buffer.size() < headEnd + 4 + length)
            return false;
        r.body = m_buffer.mid(headEnd + 4, length);
        m_buffer.remove(0, headEnd + 4 + length);
        *out = r;
        return true;
    }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    bool m_connected = false;
};

inline RawResponse request(quint16 port, const QByteArray &method, const QByteArray &target,
                           const QByteArray &body = {}, const QList<QByteArray> &extraHeaders = {})
{
    RawHttp http(port);
    QByteArray req = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    for (const QByteArray &h : extraHeaders)
        req += h + "\r\n";
    if (!body.isNull())
        req += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    req += "\r\n" + body;
    http.send(req);
    RawResponse r;
    http.read(&r);
    return r;
}

// Publishes over POST /send; returns the id, or 0.
inline quint64 publish(quint16 port, const QString &text, const QString &from = QStringLiteral("test"))
{
    PublishRequest p;
    p.from = from;
    p.text = text;
    const RawResponse r =
            request(port, "POST", "/send", MessageCodec::encodePublish(p), { "Content-Type: application/json" });
    return r.status == 202 ? quint64(r.json().value(QLatin1String("id")).toInteger()) : 0;
}

// Reads GET /events through SseParser; the raw bytes are kept too.
class SseClient : public QObject
{
public:
    SseClient(quint16 port, const QByteArray &target = "/events", const QList<QByteArray> &headers = {})
    {
        connect(&socket, &QTcpSocket::readyRead, this, [this] {
            const QByteArray bytes = socket.readAll();
            raw += bytes;
            if (!headDone) {
                const qsizetype end = raw.indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                headDone = true;
                head = raw.left(end);
                parser.feed(QByteArrayView(raw).sliced(end + 4));
            } else {
                parser.feed(bytes);
            }
            for (const SseEvent &e : parser.takeEvents())
                events.append(e);
        });
        socket.connectToHost(QHostAddress::LocalHost, port);
        QByteArray req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
                + "\r\nAccept: text/event-stream\r\n";
        for (const QByteArray &h : headers)
            req += h + "\r\n";
        socket.write(req + "\r\n");
    }
    // Waits until the response head arrived (the server registered the stream).
    bool waitOpen()
    {
        return QTest::qWaitFor([this] { return headDone; }, WaitMs);
    }
    bool waitEvents(qsizetype n)
    {
        return QTest::qWaitFor([&] { return events.size() >= n; }, WaitMs);
    }
    QList<Message> messages() const
    {
        QList<Message> out;
        for (const SseEvent &e : events)
            if (auto m = MessageCodec::decode(e.data.toUtf8()))
                out.append(*m);
        return out;
    }

    QTcpSocket socket;
    SseParser parser;
    QByteArray raw;
    QByteArray head;
    bool headDone = false;
    QList<SseEvent> events;
};

class WsClient : public QObject
{
public:
    explicit WsClient(quint16 port, const QString &query = {}, const QString &origin = {},
                      const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        connect(&socket, &QWebSocket::textMessageReceived, this, [this](const QString &t) {
            texts.append(t);
            if (auto m = MessageCodec::decode(t.toUtf8()))
                messages.append(*m);
        });
        connect(&socket, &QWebSocket::disconnected, this, [this] {
            closed = true;
            closeCode = socket.closeCode();
        });
        QNetworkRequest req(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws%2").arg(port).arg(query)));
        if (!origin.isEmpty())
            req.setRawHeader("Origin", origin.toUtf8());
        for (const auto &[name, value] : headers)
            req.setRawHeader(name, value);
        socket.open(req);
    }
    bool waitOpen()
    {
        return QTest::qWaitFor([this] { return socket.state() == QAbstractSocket::ConnectedState || closed; }, WaitMs)
                && socket.state() == QAbstractSocket::ConnectedState;
    }
    bool waitMessages(qsizetype n)
    {
        return QTest::qWaitFor([&] { return messages.size() >= n; }, WaitMs);
    }
    bool waitClosed()
    {
        return QTest::qWaitFor([&] { return closed; }, WaitMs);
    }

    QWebSocket socket;
    QStringList texts;
    QList<Message> messages;
    bool closed = false;
    QWebSocketProtocol::CloseCode closeCode = QWebSocketProtocol::CloseCodeNormal;
};

inline QList<quint64> ids(const QList<Message> &messages, bool chatOnly = true)
{
    QList<quint64> out;
    for (const Message &m : messages)
        if (!chatOnly || m.type == MessageType::Chat)
            out.append(m.id);
    return out;
}

inline QList<Message> pollMessages(const RawResponse &r)
{
    QList<Message> out;
    for (const QJsonValue &v : r.json().value(QLatin1String("messages")).toArray())
        if (auto m = MessageCodec::fromJsonObject(v.toObject()))
            out.append(*m);
    return out;
}

} // namespace rtlab::test
