// SPDX-License-Identifier: MIT
#include "hub.h"

#include "memorystore.h"
#include "pollsession.h"
#include "processinfo.h"
#include "sseencoder.h"
#include "ssesession.h"
#include "storespec.h"
#include "wshandshake.h"
#include "wssession.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

Q_LOGGING_CATEGORY(lcHub, "rtlab.server.hub")

namespace rtlab {

// Watches a stream whose answer waits for the store (a publish's commit, a page of history): the
// connection may close meanwhile, and a closed stream must not be touched.
class PendingAnswer final : public HttpStream::Observer
{
public:
    explicit PendingAnswer(HttpStream *stream) : m_stream(stream) { m_stream->setObserver(this); }
    ~PendingAnswer() override
    {
        if (m_stream)
            m_stream->setObserver(nullptr);
    }
    Q_DISABLE_COPY_MOVE(PendingAnswer)
    // The stream, still open, to answer now; null if it closed.
    HttpStream *take()
    {
        HttpStream *stream = std::exchange(m_stream, nullptr);
        if (stream)
            stream->setObserver(nullptr);
        return stream;
    }
    void streamClosed() override { m_stream = nullptr; }

private:
    HttpStream *m_stream;
};

// The default clock: time since the hub started, never set back.
static Hub::Clock elapsedClock()
{
    QElapsedTimer started;
    started.start();
    return [started] { return started.elapsed(); };
}

// The store config.store names; a memory store in its place when this build has none such, and
// *why says so (openLog() then refuses to serve).
static std::unique_ptr<LogStore> storeFor(const ServerConfig &config, QString *why)
{
    std::unique_ptr<LogStore> store = makeLogStore(config.store, why);
    return store ? std::move(store) : std::make_unique<MemoryStore>();
}

// The log's bounds by age on the wall clock: a durable store keeps them across restarts.
static MessageLog::Clock wallClockMs()
{
    return [] { return QDateTime::currentMSecsSinceEpoch(); };
}

Hub::Hub(const ServerConfig &config, QObject *parent) : Hub(config, elapsedClock(), parent) { }

Hub::Hub(const ServerConfig &config, Clock clock, QObject *parent) : Hub(config, std::move(clock), nullptr, parent) { }

Hub::Hub(const ServerConfig &config, Clock clock, std::unique_ptr<LogStore> store, QObject *parent)
    : QObject(parent), m_config(config), m_origins(config), m_auth(config.authKey, config.allowQueryToken),
      m_publishRate(config.maxPublishRate),
      m_log({ config.historyCount, config.historyAgeMs }, store ? std::move(store) : storeFor(config, &m_storeError),
            config.memoryRing, wallClockMs()),
      m_clock(std::move(clock)), m_forwardedPeers(config)
{
    connect(&m_log, &MessageLog::appended, this, &Hub::onAppended);
    connect(&m_log, &MessageLog::appendsAnswered, this, &Hub::checkDrained);
    connect(&m_log, &MessageLog::epochReset, this, &Hub::onEpochReset);
    if (m_storeError.isEmpty() && m_log.store().isSynchronous())
        openLog(nullptr);

    m_heartbeatTimer.setInterval(int(m_config.heartbeatMs));
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &Hub::sweepHeartbeats);
    m_heartbeatTimer.start();

    m_pollTimer.setSingleShot(true);
    m_pollTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_pollTimer, &QTimer::timeout, this, &Hub::firePollDeadlines);

    m_expireTimer.setInterval(1000);
    connect(&m_expireTimer, &QTimer::timeout, &m_log, &MessageLog::expire);
    m_expireTimer.start();

    if (m_config.tickRate > 0) {
        m_tickTimer.setInterval(qMax(1, int(std::lround(1000.0 / m_config.tickRate))));
        m_tickTimer.setTimerType(Qt::PreciseTimer);
        connect(&m_tickTimer, &QTimer::timeout, this, &Hub::publishTick);
        m_tickTimer.start();
    }
}

// Sessions are not QObject children: removing one child from a parent with 10,000 others is a
// scan of the child list, paid by every poll answered and every stream closed. The server deletes
// its connections first (which releases their sessions); what is still attached goes here.
Hub::~Hub()
{
    const QList<StreamSession *> streams = m_streams.values();
    const QList<PollSession *> polls = m_polls.values();
    m_streams.clear();
    m_polls.clear();
    qDeleteAll(streams);
    qDeleteAll(polls);
}

bool Hub::openLog(QString *error)
{
    if (!m_storeError.isEmpty()) {
        if (error)
            *error = m_storeError;
        return false;
    }
    QString why;
    if (!m_log.open(&why)) {
        qCWarning(lcHub) << "cannot open the store:" << why;
        if (error)
            *error = why;
        return false;
    }
    return true;
}

int Hub::sessionCount() const
{
    return int(m_streams.size() + m_polls.size());
}

void Hub::detach(StreamSession *session)
{
    if (m_streams.remove(session))
        m_stats.at(session->transport()).connections--;
    checkDrained();
}

void Hub::detach(PollSession *session)
{
    m_polls.remove(session);
    const auto found = m_pollDeadlineOf.constFind(session);
    if (found != m_pollDeadlineOf.cend()) {
        m_pollDeadlines.erase(*found);
        m_pollDeadlineOf.erase(found);
    }
    checkDrained();
}

void Hub::checkDrained()
{
    if (m_shuttingDown && m_streams.isEmpty() && m_polls.isEmpty() && m_log.pendingAppends() == 0)
        emit drained();
}

void Hub::holdPoll(PollSession *session, qint64 deadlineMs)
{
    m_polls.insert(session);
    // Deadlines mostly arrive in order (now + the hold time): the timer needs re-arming only for
    // one earlier than every deadline held.
    const bool earliest = m_pollDeadlines.empty() || deadlineMs < m_pollDeadlines.begin()->first;
    m_pollDeadlineOf.insert(session, m_pollDeadlines.emplace(deadlineMs, session));
    if (earliest || !m_pollTimer.isActive())
        armPollTimer();
}

void Hub::armPollTimer()
{
    if (m_pollDeadlines.empty()) {
        m_pollTimer.stop();
        return;
    }
    const qint64 wait = qMax<qint64>(0, m_pollDeadlines.begin()->first - nowMs());
    m_pollTimer.start(int(qMin<qint64>(wait, 24 * 3600 * 1000)));
}

void Hub::firePollDeadlines()
{
    const qint64 now = nowMs();
    while (!m_pollDeadlines.empty() && m_pollDeadlines.begin()->first <= now) {
        PollSession *session = m_pollDeadlines.begin()->second;
        m_pollDeadlines.erase(m_pollDeadlines.begin());
        m_pollDeadlineOf.remove(session);
        session->timeOut(); // detaches itself
    }
    armPollTimer();
}

void Hub::onAppended(const LogEntryPtr &first, const LogEntryPtr &)
{
    // Fan-out: the same prepared bytes go to every subscriber. Copies, because a session may
    // leave (a slow reader cut off) while we go through them.
    int written = 0;
    const auto tick = [&] {
        if (written++ % FanoutClockEvery == 0)
            m_fanoutNs = LogEntry::steadyNs();
    };
    const QList<StreamSession *> streams = m_streams.values();
    for (StreamSession *s : streams) {
        tick();
        s->pump();
    }
    if (!m_polls.isEmpty()) {
        // Every poll woken at the live end gets the same answer: build it once.
        const quint64 before = first->message.id - 1;
        QByteArray shared;
        const QList<PollSession *> polls = m_polls.values();
        for (PollSession *p : polls) {
            tick();
            if (p->cursor() == before) {
                if (shared.isEmpty()) {
                    ResumeResult r;
                    r.cursor = before;
                    shared = PollSession::answer(m_log, r, m_config.maxPollMessages);
                }
                p->wake(shared);
            } else {
                p->wake();
            }
        }
    }
    m_fanoutNs = -1;
}

void Hub::onEpochReset(const QString &oldEpoch)
{
    // Each session ends the way its client reconnects with its (epoch, id), and that reconnect,
    // on any node, gets the reset: SSE ends (EventSource comes back with Last-Event-ID), a
    // WebSocket closes 1012 (service restart), a held poll is answered with the reset now.
    const QList<StreamSession *> streams = m_streams.values();
    for (StreamSession *s : streams)
        s->logReset();
    const QList<PollSession *> polls = m_polls.values();
    for (PollSession *p : polls) {
        ResumePoint point;
        point.after = p->cursor();
        point.epoch = oldEpoch;
        p->answerWith(resume(point, false));
    }
}

void Hub::sweepHeartbeats()
{
    const qint64 now = nowMs();
    const QList<StreamSession *> streams = m_streams.values();
    for (StreamSession *s : streams) {
        if (now >= s->tokenDeadlineMs())
            s->tokenExpired();
        else
            s->heartbeat(now);
    }
}

TickData Hub::tickData()
{
    const qint64 now = nowMs();
    m_rateSamples.emplace_back(now, m_log.lastId());
    while (m_rateSamples.size() > 2 && now - m_rateSamples[1].first >= 1000)
        m_rateSamples.pop_front();
    double rate = 0;
    if (m_rateSamples.size() >= 2) {
        const auto &[t0, id0] = m_rateSamples.front();
        if (now > t0)
            rate = double(m_log.lastId() - id0) * 1000.0 / double(now - t0);
    }
    TickData data;
    for (int i = 0; i < TransportKindCount; ++i) {
        data.connections[size_t(i)] = m_stats.transports[size_t(i)].connections;
        data.bytesOut[size_t(i)] = m_stats.transports[size_t(i)].bytesOut;
    }
    data.heldPolls = m_stats.at(TransportKind::LongPoll).held;
    data.messagesPerSec = std::round(rate * 10) / 10;
    data.rss = ProcessInfo::residentBytes();
    if (m_log.store().isShared())
        data.node = m_log.store().nodeName();
    return data;
}

void Hub::publishTick()
{
    if (m_shuttingDown)
        return;
    Message m;
    m.type = MessageType::Tick;
    m.data = tickData().toJson();
    // A failed tick is counted, not retried: the next one says the same, newer.
    m_log.append(std::move(m), [this](const AppendResult &r) {
        if (!r.ok())
            m_stats.tickFailures++;
    });
}

void Hub::publish(const PublishRequest &request, PublishDone done)
{
    if (LogEntryPtr original = m_log.findPublished(request.from, request.clientMsgId)) {
        m_stats.duplicatePublishes++;
        if (done)
            done({ std::move(original), true, 0, {} });
        return;
    }
    const QString key =
            request.clientMsgId.isEmpty() ? QString() : MessageLog::clientMsgIdKey(request.from, request.clientMsgId);
    if (!key.isEmpty()) {
        const auto pending = m_pendingByClientMsgId.find(key);
        if (pending != m_pendingByClientMsgId.end()) {
            // The first is waiting for its commit: this one is answered with it, as its duplicate.
            m_stats.duplicatePublishes++;
            pending->push_back(std::move(done));
            return;
        }
        m_pendingByClientMsgId.insert(key, {});
    }
    Message m;
    m.type = MessageType::Chat;
    m.from = request.from;
    m.text = request.text;
    m.clientTs = request.clientTs;
    m.clientMsgId = request.clientMsgId;
    m_log.append(std::move(m), [this, key, done = std::move(done)](const AppendResult &r) {
        const std::vector<PublishDone> repeats =
                key.isEmpty() ? std::vector<PublishDone>() : m_pendingByClientMsgId.take(key);
        PublishResult result;
        if (r.ok() && !r.duplicateOf.empty() && r.duplicateOf.front() != 0) {
            // A shared log already had this clientMsgId (published through this node or another):
            // the same answer as a duplicate found in the ring.
            m_stats.duplicatePublishes++;
            result.duplicate = true;
            result.duplicateOf = r.duplicateOf.front();
            result.entry = m_log.entry(result.duplicateOf);
        } else if (r.ok()) {
            m_stats.published++;
            result.entry = r.entries.front();
        } else {
            m_stats.publishFailures += qint64(1 + repeats.size());
            result.status = r.status;
            // The client is told why: a shared store's state says what it lost ("redis ...:
            // connection refused") when the failure itself does not.
            const StoreState state = m_log.store().state();
            result.error = r.error.isEmpty() ? state.detail : r.error;
            if (!state.available && !result.error.contains(state.detail))
                result.error += QStringLiteral(" (%1)").arg(state.detail);
            qCWarning(lcHub) << "publish failed:" << result.error;
        }
        if (done)
            done(result);
        result.duplicate = true;
        for (const PublishDone &repeat : repeats) {
            if (repeat)
                repeat(result);
        }
    });
}

static StatsSnapshot::Counters snapshotOf(const TransportCounters &c)
{
    return { c.connections, c.connectionsTotal, c.requests, c.messages, c.bytesOut, std::nullopt };
}

StatsSnapshot Hub::statsSnapshot(std::optional<int> clientsLimit) const
{
    StatsSnapshot o;
    for (int i = 0; i < TransportKindCount; ++i)
        o.transports[size_t(i)] = snapshotOf(m_stats.transports[size_t(i)]);
    o.at(TransportKind::LongPoll).held = m_stats.at(TransportKind::LongPoll).held;
    o.other = snapshotOf(m_stats.other);
    o.history = { m_log.size(), qint64(m_log.firstId()), qint64(m_log.lastId()), m_log.limits().maxCount,
                  m_log.limits().maxAgeMs };
    o.epoch = m_log.epoch();
    o.store = m_log.store().describe();
    o.node = m_log.store().nodeName();
    const StoreState state = m_log.store().state();
    o.storeState = { state.available, state.detail };
    o.uptimeMs = nowMs();
    o.rss = ProcessInfo::residentBytes();
    o.cpuMicros = ProcessInfo::cpuMicros();
    o.published = m_stats.published;
    o.duplicatePublishes = m_stats.duplicatePublishes;
    o.rejectedOrigin = m_stats.rejectedOrigin;
    o.badRequests = m_stats.badRequests;
    o.slowReadersCut = m_stats.slowReadersCut;
    o.heartbeatTimeouts = m_stats.heartbeatTimeouts;
    o.pollTimeouts = m_stats.pollTimeouts;
    // The settings a measurement depends on (the idle-cost meter reports them beside its figures).
    o.config = { m_config.pollTimeoutMs, m_config.heartbeatMs, m_config.tickRate };
    if (clientsLimit)
        listClients(*clientsLimit, &o);
    return o;
}

std::optional<HttpResponse> Hub::refuseHost(const HttpRequest &request)
{
    if (m_origins.hostAllowed(request))
        return std::nullopt;
    // 421 Misdirected Request (RFC 9110 §15.5.20): this server does not answer for that name. A
    // page that reached us under a name not ours (DNS rebinding) reads and publishes nothing.
    m_stats.rejectedHost++;
    m_stats.refuse(Refusal::Host);
    return HttpResponse::error(421,
                               QStringLiteral("this server does not answer for the host %1 (see --allowed-host)")
                                       .arg(QString::fromLatin1(m_origins.refusedHost(request))));
}

// A token refused (401: none, bad or expired) or short of a permission (403), for /metrics.
static Refusal authRefusal(const HttpResponse &refusal)
{
    return refusal.status == 403 ? Refusal::Forbidden : Refusal::Unauthorized;
}

std::optional<HttpResponse> Hub::refuseWebSocket(const HttpRequest &request)
{
    std::optional<HttpResponse> refusal;
    if (auto hostRefusal = refuseHost(request)) {
        refusal = std::move(hostRefusal);
    } else if (checkOrigin(request) == OriginVerdict::Foreign) {
        m_stats.rejectedOrigin++;
        m_stats.refuse(Refusal::Origin);
        refusal = HttpResponse::error(
                403, QStringLiteral("origin not allowed: %1").arg(QString::fromUtf8(request.header("origin"))));
    } else if (request.headerCount("sec-websocket-key") > 1 || request.headerCount("sec-websocket-version") > 1) {
        // RFC 6455 §4.2.1 asks for one of each; with two, which key the accept answers (or which
        // version was meant) is a guess.
        refusal = HttpResponse::error(400, QStringLiteral("more than one Sec-WebSocket-Key or Sec-WebSocket-Version"));
    } else if (request.header("sec-websocket-version").trimmed() != "13") {
        refusal = HttpResponse::error(426, QStringLiteral("unsupported WebSocket version; use 13"));
        refusal->setHeader("Sec-WebSocket-Version", "13");
        m_stats.refuse(Refusal::WsHandshake);
    } else if (!WsHandshake::isValidKey(request.header("sec-websocket-key").trimmed())) {
        refusal = HttpResponse::error(400, QStringLiteral("missing or malformed Sec-WebSocket-Key"));
        m_stats.refuse(Refusal::WsHandshake);
    }
    if (refusal) {
        m_stats.badRequests++;
    } else {
        // Tokens: refused with the same 401/403 as any request, before the upgrade.
        refusal = m_auth.check(request, Permission::Subscribe).refusal;
        if (refusal)
            m_stats.refuse(authRefusal(*refusal));
    }
    if (refusal)
        refusal->closeConnection = true;
    return refusal;
}

// What a request needs with tokens (docs/protocol.md, "Authentication").
static Permission requiredPermission(const QByteArray &path)
{
    if (path == "/events" || path == "/poll" || path == "/ws")
        return Permission::Subscribe;
    if (path == "/send")
        return Permission::Publish;
    if (path == "/stats" || path == "/metrics")
        return Permission::Stats;
    return Permission::None;
}

qint64 Hub::tokenDeadline(const Identity &who) const
{
    if (!who || !who->expiresAtMs)
        return std::numeric_limits<qint64>::max();
    return nowMs() + (*who->expiresAtMs - m_auth.wallNowMs());
}

std::optional<int> Hub::admitPublish(const QByteArray &peer, const QString &sub)
{
    if (!m_publishRate.isEnabled())
        return std::nullopt;
    // Without tokens, the client's address: "host:port" less the port ("[::1]:5000" -> "[::1]").
    const QString key = !sub.isEmpty() ? QLatin1String("sub:") + sub
                                       : QLatin1String("ip:") + QString::fromLatin1(peer.left(peer.lastIndexOf(':')));
    return m_publishRate.admit(key, nowMs());
}

void Hub::answer(const HttpRequest &request, HttpStream *stream, HttpResponse response) const
{
    response.omitBody = request.method == "HEAD";
    stream->respond(cors(request, std::move(response)));
}

HttpResponse Hub::cors(const HttpRequest &request, HttpResponse response) const
{
    if (checkOrigin(request) == OriginVerdict::Allowed)
        response.allowOrigin(request.header("origin"));
    return response;
}

static HttpResponse methodNotAllowed(ServerStats &stats, const QByteArray &allow)
{
    stats.refuse(Refusal::Method);
    HttpResponse r = HttpResponse::error(405, QStringLiteral("method not allowed; use %1").arg(QLatin1String(allow)));
    r.setHeader("Allow", allow);
    return r;
}

// The browser page: resources/web, compiled in as the Qt resource :/web. Only a name directly
// below it is served, so no path reaches other resources; the type comes from the extension.
static QString pageResource(const QByteArray &path, QByteArray *contentType)
{
    static const std::pair<QByteArrayView, QByteArrayView> types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
    };
    const QByteArray name = path == "/" ? QByteArray("/index.html") : path;
    if (!name.startsWith('/') || name.indexOf('/', 1) >= 0 || name.startsWith("/."))
        return {};
    const QString resource = QStringLiteral(":/web") + QString::fromUtf8(name);
    for (const auto &[extension, type] : types) {
        if (name.endsWith(extension) && QFile::exists(resource)) {
            *contentType = type.toByteArray();
            return resource;
        }
    }
    return {};
}

// Only the page's own scripts and styles, connections to its own origin (CSP Level 3 matches
// ws: to an http: page's 'self'), and no framing: message text can never become markup or code.
static const char pagePolicy[] = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                 "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// A query parameter's value, fully decoded (absent: nullopt). One named twice is refused: which
// of the two would count is a guess.
static bool singleQueryItem(const QUrlQuery &query, const QString &key, std::optional<QString> *value, QString *why)
{
    const QStringList values = query.allQueryItemValues(key, QUrl::FullyDecoded);
    if (values.size() > 1) {
        *why = QStringLiteral("\"%1\" is given more than once").arg(key);
        return false;
    }
    *value = values.isEmpty() ? std::nullopt : std::optional(values.first());
    return true;
}

// Seconds as a plain decimal number, maybe with an exponent ("2.5", "30", "1e308"): no sign, no
// space, no inf, nan or hex, which QString::toDouble would all take. Finite once parsed.
static std::optional<double> parseSeconds(const QString &text)
{
    static const QRegularExpression form(QStringLiteral("^[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$"));
    if (!form.match(text).hasMatch())
        return std::nullopt;
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    return ok && std::isfinite(seconds) ? std::optional(seconds) : std::nullopt;
}

// A poll is long polling unless its client says it polls traditionally (docs/protocol.md).
static TransportKind pollTransport(const HttpRequest &request)
{
    return request.query.queryItemValue(QStringLiteral("mode")) == u"short" ? TransportKind::Poll
                                                                            : TransportKind::LongPoll;
}

CountedTransport Hub::exchangeTransport(const HttpRequest &request, CountedTransport *countedAs)
{
    if (request.path == "/poll") {
        if (!*countedAs) {
            *countedAs = pollTransport(request);
            m_stats.at(**countedAs).connections++;
            m_stats.at(**countedAs).connectionsTotal++;
        }
        return *countedAs;
    }
    return request.path == "/events" ? CountedTransport(TransportKind::Sse) : std::nullopt;
}

void Hub::connectionClosed(CountedTransport countedAs, const HttpStream *stream)
{
    if (countedAs)
        m_stats.at(*countedAs).connections--;
    if (stream) {
        m_pollClients.remove(stream);
        m_forwardedPeers.closed(stream);
    }
}

void Hub::countPollAnswer(TransportKind transport, const HttpStream *stream, quint64 cursor, qint64 sent)
{
    if (sent <= 0)
        return;
    const auto found = m_pollClients.find(stream);
    if (found != m_pollClients.end())
        found->delivered += sent;
    const qint64 nowNs = writeClockNs();
    for (quint64 id = cursor + 1; id <= cursor + quint64(sent); ++id) {
        if (const LogEntryPtr entry = m_log.entry(id))
            m_stats.delivered(transport, entry->appendedNs, nowNs);
    }
}

void Hub::listClients(int limit, StatsSnapshot *snapshot) const
{
    struct Row
    {
        qint64 sinceMs;
        TransportKind transport;
        qint64 delivered;
        const HttpStream *stream;     // a long-polling connection, or
        const StreamSession *session; // an SSE or WebSocket stream
        QByteArray forwardedFor;      // a polling client behind a trusted proxy
    };
    std::vector<Row> rows;
    rows.reserve(size_t(m_pollClients.size() + m_streams.size()));
    for (auto it = m_pollClients.cbegin(); it != m_pollClients.cend(); ++it)
        rows.push_back({ it->sinceMs, it->transport, it->delivered, it.key(), nullptr, it->forwardedFor });
    for (const StreamSession *s : m_streams)
        rows.push_back({ s->sinceMs(), s->transport(), s->delivered(), nullptr, s, {} });
    // Oldest first: who joined first stays at the top.
    const auto shown = std::min(rows.size(), size_t(qMax(0, limit)));
    const auto order = [](const Row &a, const Row &b) {
        return std::tie(a.sinceMs, a.transport) < std::tie(b.sinceMs, b.transport);
    };
    std::partial_sort(rows.begin(), rows.begin() + qsizetype(shown), rows.end(), order);
    const qint64 now = nowMs();
    const qint64 wallNow = QDateTime::currentMSecsSinceEpoch();
    QList<StatsSnapshot::Client> clients;
    clients.reserve(qsizetype(shown));
    for (size_t i = 0; i < shown; ++i) {
        const Row &r = rows[i];
        const QByteArray address = r.session ? r.session->clientAddress()
                : r.forwardedFor.isEmpty()   ? r.stream->peerAddress()
                                             : r.forwardedFor;
        clients.append({ r.transport, QString::fromLatin1(address), wallNow - (now - r.sinceMs), r.delivered });
    }
    snapshot->clients = std::move(clients);
    snapshot->clientsTruncated = qint64(rows.size() - shown);
}

void Hub::handleRequest(const HttpRequest &request, HttpStream *stream)
{
    const QByteArray &path = request.path;
    const QByteArray &method = request.method;
    if (path != "/events" && path != "/poll" && path != "/send")
        m_stats.other.requests++;
    const bool get = method == "GET" || method == "HEAD";
    auto answer = [&](HttpResponse r) { this->answer(request, stream, std::move(r)); };

    if (m_shuttingDown) {
        m_stats.refuse(Refusal::ShuttingDown);
        HttpResponse r = HttpResponse::error(503, QStringLiteral("server is shutting down"));
        r.closeConnection = true;
        answer(r);
        return;
    }
    // Every resource but /healthz: a load balancer's health check may name us by an address of
    // its own (a container's, a NAT's), and what /healthz says (epoch, last id) is no secret.
    if (path != "/healthz") {
        if (const auto refusal = refuseHost(request)) {
            m_stats.badRequests++;
            answer(*refusal);
            return;
        }
    }
    if (!m_forwardedPeers.admit(request, stream)) {
        m_stats.refuse(Refusal::PerIpLimit);
        answer(PeerCounts::refusal());
        return;
    }
    QByteArray pageType;
    const QString page = pageResource(path, &pageType);
    const bool known = !page.isEmpty() || path == "/events" || path == "/poll" || path == "/send" || path == "/ws"
            || path == "/stats" || path == "/metrics" || path == "/healthz" || path == "/auth";
    if (!known) {
        m_stats.refuse(Refusal::NotFound);
        answer(HttpResponse::error(404, QStringLiteral("no such resource: %1").arg(QString::fromUtf8(path))));
        return;
    }
    if (method == "OPTIONS") {
        // CORS preflight (Fetch standard): only for origins we would serve.
        if (checkOrigin(request) == OriginVerdict::Foreign) {
            m_stats.rejectedOrigin++;
            m_stats.refuse(Refusal::Origin);
            answer(HttpResponse::error(403, QStringLiteral("origin not allowed")));
            return;
        }
        HttpResponse r;
        r.status = 204;
        r.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        r.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
        r.setHeader("Access-Control-Max-Age", "600");
        r.setHeader("Allow", "GET, HEAD, POST, OPTIONS");
        answer(r);
        return;
    }

    if (path == "/auth") {
        handleAuth(request, stream);
        return;
    }
    // Who this is and whether they may: once per request, before any resource is touched.
    Authenticator::Access access = m_auth.check(request, requiredPermission(path));
    if (access.refusal) {
        m_stats.refuse(authRefusal(*access.refusal));
        answer(std::move(*access.refusal));
        return;
    }
    const Identity &who = access.identity;

    if (path == "/send") {
        if (method != "POST") {
            answer(methodNotAllowed(m_stats, "POST, OPTIONS"));
            return;
        }
        handleSend(request, stream, who);
        return;
    }
    if (!get) {
        answer(methodNotAllowed(m_stats, "GET, HEAD, OPTIONS"));
        return;
    }
    if (path == "/events") {
        handleEvents(request, stream, who);
        return;
    }
    if (path == "/poll") {
        handlePoll(request, stream, who);
        return;
    }
    if (path == "/ws") {
        // A plain GET: the connection layer hands real upgrades to the WebSocket server.
        m_stats.refuse(Refusal::WsHandshake);
        HttpResponse r = HttpResponse::error(426, QStringLiteral("/ws needs a WebSocket upgrade"));
        r.setHeader("Upgrade", "websocket");
        r.setHeader("Connection", "Upgrade");
        answer(r);
        return;
    }
    if (path == "/stats" || path == "/metrics") {
        // The server's figures, one branch for both forms so that both are behind the same door: JSON
        // for the Dashboard and the tools, Prometheus's text format (0.0.4) for a scraper.
        if (path == "/metrics") {
            HttpResponse r;
            r.setHeader("Content-Type", ServerStats::PrometheusContentType);
            r.body = m_stats.toPrometheus()
                    + ServerStats::storePrometheus(m_log.store().stats(), m_log.store().state().available);
            answer(r);
            return;
        }
        const bool listClients = request.query.queryItemValue(QStringLiteral("clients")) == u"1";
        answer(HttpResponse::json(
                200, statsSnapshot(listClients ? std::optional(MaxListedClients) : std::nullopt).toJson()));
        return;
    }
    if (path == "/healthz") {
        QJsonObject o;
        o.insert(QLatin1String("status"), QLatin1String("ok"));
        o.insert(QLatin1String("epoch"), m_log.epoch());
        o.insert(QLatin1String("lastId"), qint64(m_log.lastId()));
        // 200 even when the store is down: readers are still served, so a load balancer keeps the
        // node; the store's state says whether it takes publishes.
        if (!m_log.store().nodeName().isEmpty())
            o.insert(QLatin1String("node"), m_log.store().nodeName());
        const StoreState state = m_log.store().state();
        o.insert(QLatin1String("store"),
                 QJsonObject {
                         { QLatin1String("state"),
                           state.available ? QLatin1String("ok") : QLatin1String("unavailable") },
                         { QLatin1String("detail"), state.detail.isEmpty() ? QStringLiteral("ok") : state.detail } });
        answer(HttpResponse::json(200, o));
        return;
    }
    QFile file(page);
    if (!file.open(QIODevice::ReadOnly)) {
        answer(HttpResponse::error(500, QStringLiteral("cannot read %1").arg(page)));
        return;
    }
    HttpResponse r;
    r.setHeader("Content-Type", pageType);
    r.setHeader("Cache-Control", "no-cache");
    r.setHeader("Content-Security-Policy", pagePolicy);
    r.body = file.readAll();
    answer(r);
}

bool Hub::parseResume(const HttpRequest &request, ResumePoint *point, QString *why) const
{
    std::optional<QString> after;
    std::optional<QString> epoch;
    if (!singleQueryItem(request.query, QStringLiteral("after"), &after, why)
        || !singleQueryItem(request.query, QStringLiteral("epoch"), &epoch, why))
        return false;
    if (after) {
        point->after = MessageCodec::parseMessageId(*after);
        if (!point->after) {
            *why = QStringLiteral("\"after\" must be a message id (decimal digits, at most 2^64 - 1)");
            return false;
        }
    }
    point->epoch = epoch.value_or(QString());
    return true;
}

ResumeResult Hub::resume(const ResumePoint &point, bool counted)
{
    const ResumeResult r = m_log.resume(point);
    if (r.reset)
        m_stats.resumesReset++;
    else if (counted && point.after)
        m_stats.resumesReplayed++;
    return r;
}

void Hub::handleAuth(const HttpRequest &request, HttpStream *stream)
{
    // The cookie is for this server's own page: a foreign page must not plant or clear it.
    const OriginVerdict origin = checkOrigin(request);
    if (origin != OriginVerdict::Absent && origin != OriginVerdict::SameOrigin) {
        m_stats.rejectedOrigin++;
        m_stats.refuse(Refusal::Origin);
        stream->respond(HttpResponse::error(403, QStringLiteral("POST /auth is for same-origin pages only")));
        return;
    }
    // Secure when browsers reach this server over https (--public-origin): the cookie then never
    // travels in clear text.
    const bool secure = std::any_of(m_config.publicOrigins.cbegin(), m_config.publicOrigins.cend(),
                                    [](const QString &o) { return o.startsWith(u"https://"); });
    if (request.method == "POST")
        stream->respond(m_auth.login(request, secure));
    else if (request.method == "DELETE")
        stream->respond(Authenticator::logout(secure));
    else
        stream->respond(methodNotAllowed(m_stats, "POST, DELETE, OPTIONS"));
}

void Hub::handleSend(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    m_stats.other.requests++;
    if (checkOrigin(request) == OriginVerdict::Foreign) {
        // A page from a foreign origin could post here without any preflight (a "simple"
        // text/plain request): refuse it rather than let any site publish as our users.
        m_stats.rejectedOrigin++;
        m_stats.refuse(Refusal::Origin);
        stream->respond(HttpResponse::error(403, QStringLiteral("origin not allowed to publish")));
        return;
    }
    PublishRequest publishRequest;
    QString why;
    const auto error = MessageCodec::decodePublish(request.body, PublishLimits { m_config.maxTextBytes, 64 },
                                                   &publishRequest, &why);
    if (error != MessageCodec::Error::None) {
        m_stats.badRequests++;
        m_stats.refuse(refusalFor(MessageCodec::httpStatus(error)));
        answer(request, stream, HttpResponse::error(MessageCodec::httpStatus(error), why));
        return;
    }
    if (who)
        publishRequest.from = who->sub; // a client cannot post as someone else
    if (const std::optional<int> wait = admitPublish(stream->peerAddress(), who ? who->sub : QString())) {
        HttpResponse r = HttpResponse::error(429, QStringLiteral("publishing too fast; retry in %1 s").arg(*wait));
        r.setHeader("Retry-After", QByteArray::number(*wait));
        stream->respond(cors(request, r));
        return;
    }
    // Answered once the store has committed it: a 202 names a message on disk. The connection
    // may close meanwhile (the guard), and its next request waits behind this one.
    auto guard = std::make_shared<PendingAnswer>(stream);
    const HttpResponse corsHead = cors(request, HttpResponse());
    const QString clientMsgId = publishRequest.clientMsgId;
    publish(publishRequest, [this, guard, corsHead, clientMsgId](const PublishResult &result) {
        HttpStream *stream = guard->take();
        if (!stream)
            return;
        HttpResponse r;
        if (result.status) {
            r = HttpResponse::error(result.status, result.error);
            r.setHeader("Retry-After", "1");
        } else {
            QJsonObject o;
            o.insert(QLatin1String("id"), qint64(result.id()));
            o.insert(QLatin1String("epoch"), result.entry ? result.entry->message.epoch : m_log.epoch());
            if (!clientMsgId.isEmpty())
                o.insert(MessageCodec::clientMsgIdKey(), clientMsgId);
            if (result.duplicate)
                o.insert(MessageCodec::duplicateKey(), true);
            r = HttpResponse::json(202, o);
        }
        for (const auto &[name, value] : corsHead.headers)
            r.setHeader(name, value);
        r.closeConnection = m_shuttingDown;
        stream->respond(r);
    });
}

void Hub::handleEvents(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    m_stats.at(TransportKind::Sse).requests++;
    // The browser's own reconnect sends Last-Event-ID; a page that reopens the stream itself
    // names it in the query. The header is the newer of the two.
    std::optional<QString> fromQuery;
    QString why;
    if (!singleQueryItem(request.query, QStringLiteral("lastEventId"), &fromQuery, &why)) {
        m_stats.badRequests++;
        answer(request, stream, HttpResponse::error(400, why));
        return;
    }
    const QString lastEventId = request.hasHeader("last-event-id") ? QString::fromUtf8(request.header("last-event-id"))
                                                                   : fromQuery.value_or(QString());
    ResumePoint point;
    if (!lastEventId.isEmpty()) {
        quint64 id = 0;
        QString epoch;
        if (MessageCodec::parseEventId(lastEventId, &epoch, &id)) {
            point.after = id;
            point.epoch = epoch;
        } else if (const auto bare = MessageCodec::parseMessageId(lastEventId)) {
            point.after = bare;
        } else {
            m_stats.badRequests++;
            m_stats.refuse(Refusal::BadRequest);
            answer(request, stream, HttpResponse::error(400, QStringLiteral("Last-Event-ID must be \"<epoch>:<id>\"")));
            return;
        }
    }
    HttpResponse head;
    head.streamed = true;
    head.setHeader("Content-Type", "text/event-stream");
    head.setHeader("Cache-Control", "no-cache");
    // Tells a buffering reverse proxy (nginx) to pass events through as they come.
    head.setHeader("X-Accel-Buffering", "no");
    if (request.method == "HEAD") {
        // GET's head and nothing after it: no stream begins, nothing waits for events.
        answer(request, stream, head);
        return;
    }
    auto *session = new SseSession(this, stream, cors(request, head));
    session->setForwardedFor(clientAddress(request, {}));
    session->setTokenDeadline(tokenDeadline(who));
    m_streams.insert(session);
    m_stats.at(TransportKind::Sse).connections++;
    m_stats.at(TransportKind::Sse).connectionsTotal++;
    if (!point.after) {
        // New messages only: say where that starts, so that a reconnect before the first
        // message resumes from here instead of losing what came in between.
        stream->write(SseEncoder::lastEventId(MessageCodec::eventId(m_log.epoch(), m_log.lastId()).toUtf8()));
    }
    session->start(resume(point, true));
}

void Hub::handlePoll(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    const TransportKind transport = pollTransport(request);
    m_stats.at(transport).requests++;
    ResumePoint point;
    QString why;
    std::optional<QString> mode;
    std::optional<QString> timeout;
    std::optional<double> seconds;
    if (parseResume(request, &point, &why) && singleQueryItem(request.query, QStringLiteral("mode"), &mode, &why)
        && singleQueryItem(request.query, QStringLiteral("timeout"), &timeout, &why)) {
        if (mode && *mode != u"short" && *mode != u"long") {
            why = QStringLiteral("\"mode\" must be short or long");
        } else if (timeout) {
            seconds = parseSeconds(*timeout);
            if (!seconds)
                why = QStringLiteral("\"timeout\" must be a number of seconds >= 0, such as 2.5");
        }
    }
    if (!why.isEmpty()) {
        m_stats.badRequests++;
        m_stats.refuse(Refusal::BadRequest);
        answer(request, stream, HttpResponse::error(400, why));
        return;
    }
    // A connection's first poll is where a client resumes; the polls after it go on by design.
    const bool firstPoll = !m_pollClients.contains(stream);
    auto client = m_pollClients.find(stream);
    if (client == m_pollClients.end())
        client = m_pollClients.insert(stream, PollClient { nowMs(), 0, transport, {} });
    // A proxy may carry several clients' polls on one kept-alive connection: the last one's.
    client->forwardedFor = clientAddress(request, {});
    qint64 holdMs = m_config.pollTimeoutMs;
    // Capped by the server's hold before it is made milliseconds: 1e308 s would overflow.
    if (seconds)
        holdMs = *seconds * 1000 >= double(holdMs) ? holdMs : qint64(std::llround(*seconds * 1000));
    // HEAD is never held: GET's head, with what the log has now.
    if (request.method == "HEAD")
        holdMs = 0;
    const QByteArray corsOrigin =
            checkOrigin(request) == OriginVerdict::Allowed ? request.header("origin") : QByteArray();
    const ResumeResult resumed = resume(point, firstPoll);
    // Kept, but older than the ring: the answer starts with a page read from the store.
    if (resumed.cursor < m_log.lastId() && resumed.cursor + 1 < m_log.ringFirstId()) {
        handlePollPage(request, stream, transport, resumed, corsOrigin);
        return;
    }
    // No id named: answer at once with the live end, so the client learns where to start.
    if (!point.after || resumed.reset || resumed.cursor < m_log.lastId() || holdMs == 0) {
        qint64 sent = 0;
        QByteArray body = PollSession::answerFor(this, stream, resumed, &sent);
        HttpResponse r = PollSession::response(std::move(body), corsOrigin);
        r.omitBody = request.method == "HEAD";
        if (!r.omitBody)
            countPollAnswer(transport, stream, resumed.cursor, sent);
        stream->respond(r);
        return;
    }
    auto *session = new PollSession(this, stream, resumed.cursor, corsOrigin);
    // Held no longer than its token lasts: then it is answered 401.
    const qint64 tokenEnd = tokenDeadline(who);
    session->setTokenDeadline(tokenEnd);
    holdPoll(session, qMin(nowMs() + holdMs, tokenEnd));
}

void Hub::handlePollPage(const HttpRequest &request, HttpStream *stream, TransportKind transport,
                         const ResumeResult &resumed, const QByteArray &corsOrigin)
{
    auto guard = std::make_shared<PendingAnswer>(stream);
    const bool head = request.method == "HEAD";
    const int limit = qMin(m_config.maxPollMessages, PollSession::PageEntries);
    const QString epoch = m_log.epoch();
    m_log.read(resumed.cursor, limit, [this, guard, transport, resumed, corsOrigin, head, epoch](ReadResult page) {
        HttpStream *stream = guard->take();
        if (!stream)
            return;
        ResumeResult from = resumed;
        const PollSession::Page *entries = &page.entries;
        if (m_log.epoch() != epoch) {
            // The shared log's epoch changed while the page was read: the page may be either
            // epoch's, so the poll is answered by the resume rule instead (a reset).
            ResumePoint point;
            point.after = resumed.cursor;
            point.epoch = epoch;
            from = resume(point, false);
            entries = nullptr;
        } else if (!page.error.isEmpty()) {
            // Never a silent gap: the client retries, as after any 503.
            qCWarning(lcHub) << "cannot read the history for a poll:" << page.error;
            HttpResponse r = HttpResponse::error(503, QStringLiteral("cannot read the history: %1").arg(page.error));
            r.setHeader("Retry-After", "1");
            r.allowOrigin(corsOrigin);
            stream->respond(r);
            return;
        }
        qint64 sent = 0;
        QByteArray body = PollSession::answerFor(this, stream, from, &sent, entries);
        HttpResponse r = PollSession::response(std::move(body), corsOrigin);
        r.omitBody = head;
        if (!r.omitBody)
            countPollAnswer(transport, stream, from.cursor, sent);
        stream->respond(r);
    });
}

void Hub::openWebSocket(WsChannel *channel)
{
    HttpRequest handshake;
    handshake.target = channel->requestTarget();
    handshake.query = QUrlQuery(QUrl::fromEncoded(handshake.target));
    openWebSocket(channel, handshake);
}

void Hub::openWebSocket(WsChannel *channel, const HttpRequest &handshake)
{
    m_stats.at(TransportKind::WebSocket).requests++;
    // refuseWebSocket() let it through; asked again for the identity (a token can only have
    // expired in between).
    const Authenticator::Access access = m_auth.check(handshake, Permission::Subscribe);
    if (access.refusal) {
        channel->close(1008, QJsonDocument::fromJson(access.refusal->body).object().value(u"error").toString());
        return;
    }
    ResumePoint point;
    QString why;
    if (!parseResume(handshake, &point, &why)) {
        // The handshake is done; the close frame carries the reason (1008: policy violation).
        m_stats.badRequests++;
        m_stats.refuse(Refusal::BadRequest);
        channel->close(1008, why);
        return;
    }
    auto *session = new WsSession(this, channel);
    session->setForwardedFor(clientAddress(handshake, {}));
    if (access.identity) {
        session->setPublisher(access.identity->sub, access.identity->may(Permission::Publish));
        session->setTokenDeadline(tokenDeadline(access.identity));
    }
    m_streams.insert(session);
    m_stats.at(TransportKind::WebSocket).connections++;
    m_stats.at(TransportKind::WebSocket).connectionsTotal++;
    session->start(resume(point, true));
}

void Hub::shutdown()
{
    if (m_shuttingDown)
        return;
    m_shuttingDown = true;
    m_tickTimer.stop();
    const QList<PollSession *> polls = m_polls.values();
    for (PollSession *p : polls)
        p->shutdown();
    const QList<StreamSession *> streams = m_streams.values();
    for (StreamSession *s : streams)
        s->shutdown();
    checkDrained();
}

} // namespace rtlab
