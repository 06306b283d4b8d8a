// SPDX-License-Identifier: MIT
#include "impairmentrelay.h"

#include <QThread>

#include "httpheaderlines.h"
#include "httpresponseparser.h"

#include <QRandomGenerator>
#include <QTcpSocket>

#include <http_parser.h>

#include <algorithm>
#include <cmath>
#include <deque>

namespace rtlab {

namespace {

// Backpressure: a direction stops reading its source while its socket has this much unwritten
// or its delay queue this much waiting, so a slow reader slows its writer as TCP does.
constexpr qint64 MaxUnwritten = 256 * 1024;
constexpr qint64 MaxQueued = 1024 * 1024;
constexpr qint64 SocketReadBuffer = 256 * 1024; // what Qt may read ahead from the kernel per socket
constexpr qint64 ReadChunk = 64 * 1024;
constexpr qsizetype MergeBelow = 64 * 1024;     // chunks due at the same time are merged up to this
constexpr qsizetype MaxRequestHead = 64 * 1024; // a longer head is passed on untracked (the server says 431)
constexpr qsizetype MaxTrackedRequests = 4096;  // pipelined requests awaiting their answer
constexpr int CountersIntervalMs = 100;

const char RefusedUpgradeResponse[] = "HTTP/1.1 403 Forbidden\r\n"
                                      "Content-Type: text/plain\r\n"
                                      "Content-Length: 37\r\n"
                                      "Connection: close\r\n"
                                      "\r\n"
                                      "this relay does not allow WebSockets\n";
const char RefusedStreamResponse[] = "HTTP/1.1 403 Forbidden\r\n"
                                     "Content-Type: text/plain\r\n"
                                     "Content-Length: 40\r\n"
                                     "Connection: close\r\n"
                                     "\r\n"
                                     "this relay does not allow event streams\n";

enum class Framing {
    Http,   // parsed: request heads (client → server) or response ends (server → client) are known
    Tunnel, // after an upgrade: opaque bytes by design
    Opaque, // not HTTP we can follow (a parse error, an oversized head): passed on untouched
};

// Finds the request heads in what a client sends, I/O-free: whether each request is a HEAD and
// whether it asks for a WebSocket upgrade. Pauses at the end of each head and of each request, so
// the relay knows which bytes belong to a head it may still have to refuse.
class RequestTracker
{
public:
    struct Head
    {
        bool isHead = false;
        bool upgrade = false;     // Upgrade + Connection: upgrade: what follows is another protocol
        bool websocket = false;   // Upgrade: websocket
        bool eventStream = false; // Accept: text/event-stream
    };

    RequestTracker()
    {
        http_parser_init(&m_parser, HTTP_REQUEST);
        m_parser.data = this;
    }

    bool inBody() const { return m_inBody; }
    bool failed() const { return m_failed; }

    // Consumes bytes up to the end of the next head or request; *headDone tells if a head ended.
    qsizetype feed(QByteArrayView bytes, Head *head, bool *headDone)
    {
        m_headDone = false;
        const size_t n = http_parser_execute(&m_parser, &settings(), bytes.data(), size_t(bytes.size()));
        const http_errno err = HTTP_PARSER_ERRNO(&m_parser);
        if (err == HPE_PAUSED)
            http_parser_pause(&m_parser, 0);
        else if (err != HPE_OK || (n == 0 && !bytes.isEmpty()))
            m_failed = true;
        *headDone = m_headDone;
        if (m_headDone)
            *head = m_head;
        return qsizetype(n);
    }

private:
    static RequestTracker *self(http_parser *p) { return static_cast<RequestTracker *>(p->data); }
    static int onMessageBegin(http_parser *p)
    {
        self(p)->m_head = {};
        self(p)->m_headerLines.clear();
        return 0;
    }
    static int onHeadersComplete(http_parser *p)
    {
        RequestTracker *s = self(p);
        for (const auto &[name, value] : s->m_headerLines.take()) {
            if (name == "upgrade" && value.toLower().contains("websocket"))
                s->m_head.websocket = true;
            if (name == "accept" && value.toLower().contains("text/event-stream"))
                s->m_head.eventStream = true;
        }
        s->m_head.isHead = p->method == HTTP_HEAD;
        s->m_head.upgrade = p->upgrade != 0;
        s->m_headDone = true;
        s->m_inBody = true;
        http_parser_pause(p, 1);
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        self(p)->m_inBody = false;
        http_parser_pause(p, 1);
        return 0;
    }
    static const http_parser_settings &settings()
    {
        static const http_parser_settings s =
                HttpHeaderLines::gathering<RequestTracker, &RequestTracker::m_headerLines>(
                        http_parser_settings { .on_message_begin = onMessageBegin,
                                               .on_headers_complete = onHeadersComplete,
                                               .on_message_complete = onMessageComplete });
        return s;
    }
    http_parser m_parser {};
    Head m_head;
    HttpHeaderLines m_headerLines;
    bool m_inBody = false;
    bool m_headDone = false;
    bool m_failed = false;
};

struct Chunk
{
    QByteArray bytes;
    qsizetype offset = 0; // written so far
    qint64 arrivalMs = 0;
    qint64 jitterMs = 0; // drawn once, so a change of latency can reschedule the chunk
    qint64 dueMs = 0;
};

} // namespace

// One direction of one connection: (response buffering →) delay queue → token bucket → socket.
class ImpairmentRelay::Pipe
{
public:
    Pipe(Connection *connection, bool upstream, QTcpSocket *source, QTcpSocket *sink);

    void pump();
    void sourceClosed();
    void discard();
    void settingsChanged(const Settings &old);
    qint64 held() const { return m_held.size() + m_headBuf.size(); }
    qint64 queued() const { return m_queued; }

    // Client → server only: the relay answered this connection itself; stop forwarding.
    void refuse() { discard(); }
    // Server → client only: the relay's own answer, after whatever is already on its way.
    void injectAndClose(const QByteArray &bytes);

    QTimer timer;

private:
    const Settings &settings() const;
    bool readSome();
    void writeDue();
    void ingest(const QByteArray &bytes);
    void ingestRequests(const QByteArray &bytes);
    void ingestResponses(const QByteArray &bytes);
    void forward(const QByteArray &bytes);
    void flushHeld();
    qint64 heldLimit() const;
    void enqueue(const QByteArray &bytes);
    void reschedule();
    void arm(qint64 ms);
    double bucketCapacity(qint64 rate) const { return std::max(double(rate) / 20.0, 256.0); }
    void closeSink();

    Connection *m_conn;
    ImpairmentRelay *m_relay;
    const bool m_up;
    QTcpSocket *m_source;
    QTcpSocket *m_sink;
    std::deque<Chunk> m_queue;
    qint64 m_queued = 0;
    double m_tokens = 0;
    qint64 m_tokensAt = 0;
    bool m_eof = false;  // the source closed: deliver what is left, then close the sink
    bool m_done = false; // nothing more goes this way
    bool m_sinkClosed = false;
    Framing m_framing = Framing::Http;
    // client → server
    RequestTracker m_requests;
    QByteArray m_headBuf; // an unfinished request head: held until we know whether to refuse it
    // server → client
    HttpResponseParser m_responses;
    bool m_responseStarted = false;
    QByteArray m_held; // response buffering
};

class ImpairmentRelay::Connection : public QObject
{
public:
    Connection(ImpairmentRelay *relay, QTcpSocket *clientSocket);

    void socketGone(QTcpSocket *socket);
    // Answers the request in the relay's own name and closes: the server never sees it.
    void refuse(const char *response, const QString &reason);
    bool nextResponseIsHead() const { return !m_requestHeads.empty() && m_requestHeads.front(); }
    void requestSeen(bool isHead)
    {
        if (m_requestHeads.size() < size_t(MaxTrackedRequests))
            m_requestHeads.push_back(isHead);
    }
    void responseDone()
    {
        if (!m_requestHeads.empty())
            m_requestHeads.pop_front();
    }
    void touch() { lastActivityMs = relay->now(); }

    ImpairmentRelay *relay;
    QTcpSocket *client;
    QTcpSocket *upstream;
    Pipe up;
    Pipe down;
    qint64 lastActivityMs = 0;
    bool finished = false;
    bool clientGone = false;
    bool upstreamGone = false;

private:
    std::deque<bool> m_requestHeads; // requests sent and not yet answered: is each a HEAD?
};

// ---- Pipe ----

ImpairmentRelay::Pipe::Pipe(Connection *connection, bool upstream, QTcpSocket *source, QTcpSocket *sink)
    : m_conn(connection), m_relay(connection->relay), m_up(upstream), m_source(source), m_sink(sink)
{
    timer.setSingleShot(true);
    timer.setTimerType(Qt::PreciseTimer);
    m_tokensAt = m_relay->now();
    m_tokens = bucketCapacity(settings().bandwidthBytesPerSec);
}

const ImpairmentRelay::Settings &ImpairmentRelay::Pipe::settings() const
{
    return m_relay->m_settings;
}

void ImpairmentRelay::Pipe::pump()
{
    // Bounded: each round either reads a chunk or stops; the sink's drain calls pump again.
    for (int round = 0; round < 64 && !m_done && !m_conn->finished; ++round) {
        writeDue();
        if (m_done || m_conn->finished || !readSome())
            break;
    }
    if (!m_done && !m_conn->finished)
        writeDue();
}

bool ImpairmentRelay::Pipe::readSome()
{
    if (m_eof)
        return false;
    const qint64 room = std::min(MaxQueued - m_queued, MaxUnwritten - m_sink->bytesToWrite());
    if (room <= 0 || m_source->bytesAvailable() <= 0)
        return false;
    const QByteArray bytes = m_source->read(std::min(room, ReadChunk));
    if (bytes.isEmpty())
        return false;
    m_conn->touch();
    ingest(bytes);
    return true;
}

void ImpairmentRelay::Pipe::ingest(const QByteArray &bytes)
{
    if (m_up)
        ingestRequests(bytes);
    else
        ingestResponses(bytes);
}

void ImpairmentRelay::Pipe::ingestRequests(const QByteArray &bytes)
{
    qsizetype pos = 0;
    while (pos < bytes.size() && !m_done) {
        if (m_framing != Framing::Http) {
            forward(std::exchange(m_headBuf, {}) + bytes.sliced(pos));
            return;
        }
        const bool inHead = !m_requests.inBody();
        RequestTracker::Head head;
        bool headDone = false;
        const qsizetype n = m_requests.feed(QByteArrayView(bytes).sliced(pos), &head, &headDone);
        if (m_requests.failed()) {
            m_framing = Framing::Opaque;
            continue;
        }
        const QByteArray piece = bytes.sliced(pos, n);
        pos += n;
        if (inHead)
            m_headBuf += piece;
        else
            forward(piece);
        if (headDone) {
            if (head.websocket && settings().refuseUpgrades) {
                m_conn->refuse(RefusedUpgradeResponse, QStringLiteral("upgrade refused"));
                return;
            }
            if (head.eventStream && settings().refuseEventStreams) {
                m_conn->refuse(RefusedStreamResponse, QStringLiteral("event stream refused"));
                return;
            }
            m_conn->requestSeen(head.isHead);
            forward(std::exchange(m_headBuf, {}));
            // RFC 9110 §7.8: after an upgrade request the bytes that follow may be the new protocol.
            if (head.upgrade)
                m_framing = Framing::Tunnel;
        } else if (m_headBuf.size() > MaxRequestHead) {
            m_framing = Framing::Opaque;
        }
    }
}

void ImpairmentRelay::Pipe::ingestResponses(const QByteArray &bytes)
{
    qsizetype pos = 0;
    while (pos < bytes.size() && m_framing == Framing::Http) {
        if (!m_responseStarted) {
            m_responses.reset(m_conn->nextResponseIsHead());
            m_responseStarted = true;
        }
        const qsizetype n = m_responses.feed(QByteArrayView(bytes).sliced(pos));
        m_responses.takeBody(); // we only need the boundaries
        m_held += bytes.sliced(pos, n);
        pos += n;
        switch (m_responses.state()) {
        case HttpResponseParser::State::Complete: {
            const int status = m_responses.status();
            m_responseStarted = false;
            if (status == 101) {
                m_framing = Framing::Tunnel;
            } else if (status >= 200) {
                m_conn->responseDone();
            } // else an interim 1xx: the final answer to the same request follows
            flushHeld();
            break;
        }
        case HttpResponseParser::State::Error: m_framing = Framing::Opaque; break;
        case HttpResponseParser::State::NeedMore:
        case HttpResponseParser::State::HeadComplete:
            if (n == 0)
                m_framing = Framing::Opaque;
            break;
        }
    }
    if (pos < bytes.size())
        m_held += bytes.sliced(pos);
    if (m_framing != Framing::Http || m_held.size() >= heldLimit())
        flushHeld();
}

qint64 ImpairmentRelay::Pipe::heldLimit() const
{
    const qint64 limit = std::min(settings().bufferResponseBytes, MaxHeldBytes);
    return limit > 0 ? limit : 1; // 0: off, nothing is held
}

void ImpairmentRelay::Pipe::flushHeld()
{
    if (!m_held.isEmpty())
        forward(std::exchange(m_held, {}));
}

void ImpairmentRelay::Pipe::forward(const QByteArray &bytes)
{
    enqueue(bytes);
}

void ImpairmentRelay::Pipe::enqueue(const QByteArray &bytes)
{
    if (bytes.isEmpty() || m_done)
        return;
    const Settings &s = settings();
    Chunk c;
    c.arrivalMs = m_relay->now();
    c.jitterMs = s.jitterMs > 0 ? QRandomGenerator::global()->bounded(-s.jitterMs, s.jitterMs + 1) : 0;
    c.dueMs = c.arrivalMs + std::max<qint64>(0, s.latencyMs + c.jitterMs);
    // Jitter never reorders: a chunk is never due before the one ahead of it.
    if (!m_queue.empty())
        c.dueMs = std::max(c.dueMs, m_queue.back().dueMs);
    m_queued += bytes.size();
    if (!m_queue.empty() && m_queue.back().dueMs == c.dueMs && m_queue.back().bytes.size() < MergeBelow) {
        m_queue.back().bytes += bytes;
        return;
    }
    c.bytes = bytes;
    m_queue.push_back(std::move(c));
}

void ImpairmentRelay::Pipe::reschedule()
{
    const Settings &s = settings();
    qint64 previous = 0;
    for (Chunk &c : m_queue) {
        c.jitterMs = std::clamp<qint64>(c.jitterMs, -s.jitterMs, s.jitterMs);
        c.dueMs = std::max(c.arrivalMs + std::max<qint64>(0, s.latencyMs + c.jitterMs), previous);
        previous = c.dueMs;
    }
    timer.stop();
}

void ImpairmentRelay::Pipe::arm(qint64 ms)
{
    ms = std::max<qint64>(ms, 1);
    if (!timer.isActive() || timer.remainingTime() > ms)
        timer.start(int(std::min<qint64>(ms, 3600 * 1000)));
}

void ImpairmentRelay::Pipe::writeDue()
{
    const qint64 now = m_relay->now();
    const qint64 rate = settings().bandwidthBytesPerSec;
    bool wrote = false;
    while (!m_queue.empty()) {
        if (m_sink->state() != QAbstractSocket::ConnectedState)
            break; // connected() pumps again
        if (m_sink->bytesToWrite() >= MaxUnwritten)
            break; // bytesWritten() pumps again
        Chunk &c = m_queue.front();
        if (c.dueMs > now) {
            arm(c.dueMs - now);
            break;
        }
        qint64 n = c.bytes.size() - c.offset;
        if (rate > 0) {
            const double capacity = bucketCapacity(rate);
            m_tokens = std::min(capacity, m_tokens + double(now - m_tokensAt) * double(rate) / 1000.0);
            m_tokensAt = now;
            if (m_tokens < 1.0) {
                const double want = std::min(double(n), capacity);
                arm(qint64(std::ceil((want - m_tokens) * 1000.0 / double(rate))));
                break;
            }
            n = std::min(n, qint64(m_tokens));
            m_tokens -= double(n);
        }
        m_sink->write(c.bytes.constData() + c.offset, n);
        c.offset += n;
        m_queued -= n;
        (m_up ? m_relay->m_counters.bytesUp : m_relay->m_counters.bytesDown) += n;
        m_relay->countersTouched();
        m_conn->touch();
        if (c.offset == c.bytes.size())
            m_queue.pop_front();
        wrote = true;
    }
    // Out now, not on the socket's next write notification: a pass of the event loop saved per
    // chunk, which is what the relay adds to every message's latency when no delay is asked for.
    if (wrote)
        m_sink->flush();
    if (m_queue.empty() && m_eof && m_held.isEmpty() && m_headBuf.isEmpty())
        closeSink();
}

void ImpairmentRelay::Pipe::sourceClosed()
{
    if (m_done || m_eof)
        return;
    // What the source sent before closing still goes through, whatever the bounds: it is at
    // most one socket read buffer.
    const QByteArray rest = m_source->readAll();
    if (!rest.isEmpty()) {
        m_conn->touch();
        ingest(rest);
    }
    if (m_done)
        return;
    m_eof = true;
    // A close-delimited response (an SSE stream) ends here; an unfinished request head goes on as is.
    forward(std::exchange(m_headBuf, {}));
    flushHeld();
    pump();
}

void ImpairmentRelay::Pipe::discard()
{
    m_done = true;
    m_queue.clear();
    m_queued = 0;
    m_held.clear();
    m_headBuf.clear();
    timer.stop();
}

void ImpairmentRelay::Pipe::injectAndClose(const QByteArray &bytes)
{
    flushHeld();
    m_framing = Framing::Opaque;
    enqueue(bytes);
    m_eof = true;
    pump();
}

void ImpairmentRelay::Pipe::settingsChanged(const Settings &old)
{
    const Settings &s = settings();
    if (s.latencyMs != old.latencyMs || s.jitterMs != old.jitterMs)
        reschedule();
    if (s.bandwidthBytesPerSec != old.bandwidthBytesPerSec) {
        const qint64 now = m_relay->now();
        if (old.bandwidthBytesPerSec <= 0)
            m_tokens = bucketCapacity(s.bandwidthBytesPerSec);
        else if (s.bandwidthBytesPerSec > 0)
            m_tokens = std::min(bucketCapacity(s.bandwidthBytesPerSec),
                                m_tokens + double(now - m_tokensAt) * double(old.bandwidthBytesPerSec) / 1000.0);
        m_tokensAt = now;
        timer.stop();
    }
    if (!m_up && m_held.size() >= heldLimit())
        flushHeld();
}

void ImpairmentRelay::Pipe::closeSink()
{
    if (m_sinkClosed)
        return;
    m_sinkClosed = true;
    m_done = true;
    timer.stop();
    if (m_sink->state() == QAbstractSocket::ConnectedState) {
        // Delivers what the socket still has to write, then closes; disconnected() follows.
        m_sink->disconnectFromHost();
        if (m_sink->state() == QAbstractSocket::UnconnectedState)
            m_conn->socketGone(m_sink);
        return;
    }
    QObject::disconnect(m_sink, nullptr, m_conn, nullptr);
    m_sink->abort();
    m_conn->socketGone(m_sink);
}

// ---- Connection ----

ImpairmentRelay::Connection::Connection(ImpairmentRelay *r, QTcpSocket *clientSocket)
    : QObject(r), relay(r), client(clientSocket), upstream(new QTcpSocket(this)), up(this, true, client, upstream),
      down(this, false, upstream, client)
{
    client->setParent(this);
    client->setReadBufferSize(SocketReadBuffer);
    client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    upstream->setReadBufferSize(SocketReadBuffer);
    touch();

    connect(&up.timer, &QTimer::timeout, this, [this] { up.pump(); });
    connect(&down.timer, &QTimer::timeout, this, [this] { down.pump(); });
    connect(client, &QTcpSocket::readyRead, this, [this] { up.pump(); });
    connect(upstream, &QTcpSocket::readyRead, this, [this] { down.pump(); });
    connect(client, &QTcpSocket::bytesWritten, this, [this] { down.pump(); });
    connect(upstream, &QTcpSocket::bytesWritten, this, [this] { up.pump(); });
    connect(upstream, &QTcpSocket::connected, this, [this] {
        upstream->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        up.pump();
        down.pump();
    });
    for (QTcpSocket *s : { client, upstream }) {
        connect(s, &QTcpSocket::disconnected, this, [this, s] { socketGone(s); });
        // A failed connect (nothing listening at the target) emits no disconnected().
        connect(s, &QTcpSocket::errorOccurred, this, [this, s] {
            if (s->state() == QAbstractSocket::UnconnectedState)
                socketGone(s);
        });
    }
    upstream->connectToHost(relay->m_target, relay->m_targetPort);
}

void ImpairmentRelay::Connection::socketGone(QTcpSocket *socket)
{
    if (finished)
        return;
    if (socket == client && !clientGone) {
        clientGone = true;
        down.discard();    // nobody left to deliver to
        up.sourceClosed(); // what the client sent still reaches the server, then we close it
    } else if (socket == upstream && !upstreamGone) {
        upstreamGone = true;
        up.discard();
        down.sourceClosed();
    }
    if (clientGone && upstreamGone)
        relay->finish(this);
}

void ImpairmentRelay::Connection::refuse(const char *response, const QString &reason)
{
    if (response == RefusedStreamResponse)
        relay->m_counters.refusedStreams++;
    else
        relay->m_counters.refusedUpgrades++;
    relay->countersTouched();
    up.refuse();
    upstreamGone = true;
    QObject::disconnect(upstream, nullptr, this, nullptr);
    upstream->abort();
    down.injectAndClose(QByteArray(response));
    relay->notifyCut(reason);
}

// ---- ImpairmentRelay ----

ImpairmentRelay::ImpairmentRelay(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<rtlab::ImpairmentRelay::Settings>();
    m_clock.start();
    m_server.setMaxPendingConnections(1024);
    connect(&m_server, &QTcpServer::newConnection, this, &ImpairmentRelay::onNewConnection);
    m_upTimer.setSingleShot(true);
    connect(&m_upTimer, &QTimer::timeout, this, [this] { setDown(false); });
    connect(&m_idleTimer, &QTimer::timeout, this, &ImpairmentRelay::sweepIdle);
    m_countersTimer.setSingleShot(true);
    connect(&m_countersTimer, &QTimer::timeout, this, [this] {
        if (!m_countersDirty)
            return;
        m_countersDirty = false;
        m_lastCountersMs = now();
        emit countersChanged();
    });
}

ImpairmentRelay::~ImpairmentRelay()
{
    const auto connections = m_connections;
    for (Connection *c : connections) {
        finish(c);
        delete c;
    }
}

bool ImpairmentRelay::listen(const QHostAddress &target, quint16 targetPort, quint16 port)
{
    if (!onOwnThread())
        return elsewhere([=, this] { return listen(target, targetPort, port); });
    setTarget(target, targetPort);
    return m_server.listen(QHostAddress::LocalHost, port);
}

quint16 ImpairmentRelay::port() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return port(); });
    return m_server.serverPort();
}

QUrl ImpairmentRelay::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port()));
}

void ImpairmentRelay::setTarget(const QHostAddress &target, quint16 targetPort)
{
    if (!onOwnThread())
        return elsewhere([=, this] { return setTarget(target, targetPort); });
    m_target = target;
    m_targetPort = targetPort;
}

ImpairmentRelay::Settings ImpairmentRelay::settings() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return settings(); });
    return m_settings;
}

void ImpairmentRelay::setSettings(const Settings &settings)
{
    if (!onOwnThread())
        return elsewhere([=, this] { return setSettings(settings); });
    if (settings == m_settings)
        return;
    const Settings old = std::exchange(m_settings, settings);
    m_settings.latencyMs = std::max(0, m_settings.latencyMs);
    m_settings.jitterMs = std::max(0, m_settings.jitterMs);
    const auto connections = m_connections;
    for (Connection *c : connections) {
        for (Pipe *p : { &c->up, &c->down }) {
            if (!m_connections.contains(c))
                break;
            p->settingsChanged(old);
            p->pump();
        }
    }
    updateIdleTimer();
    emit settingsChanged(m_settings);
}

void ImpairmentRelay::dropAll()
{
    if (!onOwnThread())
        return elsewhere([=, this] { return dropAll(); });
    const auto connections = m_connections;
    for (Connection *c : connections) {
        if (!m_connections.contains(c))
            continue;
        m_counters.dropped++;
        cut(c, QStringLiteral("dropped"));
    }
}

void ImpairmentRelay::setDown(bool down)
{
    if (!onOwnThread())
        return elsewhere([=, this] { return setDown(down); });
    m_upTimer.stop();
    if (down == m_down)
        return;
    m_down = down;
    if (down)
        dropAll();
    countersTouched();
    emit downChanged(down);
}

bool ImpairmentRelay::isDown() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return isDown(); });
    return m_down;
}

void ImpairmentRelay::takeDownFor(int ms)
{
    if (!onOwnThread())
        return elsewhere([=, this] { return takeDownFor(ms); });
    setDown(true);
    m_upTimer.start(std::max(0, ms));
}

ImpairmentRelay::Counters ImpairmentRelay::counters() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return counters(); });
    Counters c = m_counters;
    c.active = m_connections.size();
    return c;
}

qint64 ImpairmentRelay::heldBytes() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return heldBytes(); });
    qint64 n = 0;
    for (const Connection *c : m_connections)
        n += c->down.held();
    return n;
}

qint64 ImpairmentRelay::queuedBytes() const
{
    if (!onOwnThread())
        return elsewhere([=, this] { return queuedBytes(); });
    qint64 n = 0;
    for (const Connection *c : m_connections)
        n += c->up.queued() + c->down.queued();
    return n;
}

void ImpairmentRelay::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        if (m_down) {
            // Like a host that answers nothing: the client sees its connection closed at once.
            socket->abort();
            socket->deleteLater();
            m_counters.refusedWhileDown++;
            countersTouched();
            notifyCut(QStringLiteral("refused: network down"));
            continue;
        }
        auto *c = new Connection(this, socket);
        m_connections.insert(c);
        m_counters.connections++;
        countersTouched();
        updateIdleTimer();
        c->up.pump();
    }
}

void ImpairmentRelay::cut(Connection *connection, const QString &reason)
{
    finish(connection);
    notifyCut(reason);
}

void ImpairmentRelay::notifyCut(const QString &reason)
{
    // Queued, so a slot never runs inside the relay's own processing of a connection.
    QMetaObject::invokeMethod(
            this, [this, reason] { emit connectionCut(reason); }, Qt::QueuedConnection);
}

void ImpairmentRelay::finish(Connection *c)
{
    if (c->finished)
        return;
    c->finished = true;
    m_connections.remove(c);
    c->up.discard();
    c->down.discard();
    for (QTcpSocket *s : { c->client, c->upstream }) {
        QObject::disconnect(s, nullptr, c, nullptr);
        s->abort();
    }
    c->deleteLater();
    countersTouched();
    updateIdleTimer();
}

void ImpairmentRelay::updateIdleTimer()
{
    if (m_settings.idleKillMs <= 0 || m_connections.isEmpty()) {
        m_idleTimer.stop();
        return;
    }
    const int interval = std::clamp(m_settings.idleKillMs / 4, 10, 1000);
    if (!m_idleTimer.isActive() || m_idleTimer.interval() != interval)
        m_idleTimer.start(interval);
}

void ImpairmentRelay::sweepIdle()
{
    if (m_settings.idleKillMs <= 0)
        return;
    const qint64 t = now();
    const auto connections = m_connections;
    for (Connection *c : connections) {
        if (!m_connections.contains(c))
            continue;
        // Bytes still on their way through the relay count as traffic.
        if (c->up.queued() + c->down.queued() > 0 || t - c->lastActivityMs < m_settings.idleKillMs)
            continue;
        m_counters.idleKills++;
        cut(c, QStringLiteral("idle kill"));
    }
}

void ImpairmentRelay::countersTouched()
{
    // Never emitted from inside the relay's processing, and at most every CountersIntervalMs.
    m_countersDirty = true;
    if (m_countersTimer.isActive())
        return;
    const qint64 since = now() - m_lastCountersMs;
    m_countersTimer.start(int(std::clamp<qint64>(CountersIntervalMs - since, 0, CountersIntervalMs)));
}

} // namespace rtlab
