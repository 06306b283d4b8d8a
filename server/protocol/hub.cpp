// SPDX-License-Identifier: MIT
#include "hub.h"

#include "pollsession.h"
#include "processinfo.h"
#include "sseencoder.h"
#include "ssesession.h"
#include "wshandshake.h"
#include "wssession.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

Q_LOGGING_CATEGORY(lcHub, "rtlab.server.hub")

namespace rtlab {

// The default clock: time since the hub started, never set back.
static Hub::Clock elapsedClock()
{
    QElapsedTimer started;
    started.start();
    return [started] { return started.elapsed(); };
}

Hub::Hub(const ServerConfig &config, QObject *parent) : Hub(config, elapsedClock(), parent) { }

Hub::Hub(const ServerConfig &config, Clock clock, QObject *parent)
    : QObject(parent), m_config(config), m_auth(config.authKey, config.allowQueryToken),
      m_publishRate(config.maxPublishRate), m_log({ config.historyCount, config.historyAgeMs }),
      m_clock(std::move(clock))
{
    connect(&m_log, &MessageLog::appended, this, &Hub::onAppended);

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
    if (m_shuttingDown && m_streams.isEmpty() && m_polls.isEmpty())
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

void Hub::onAppended(const LogEntryPtr &entry)
{
    // Fan-out: the same prepared bytes go to every subscriber. Copies, because a session may
    // leave (a slow reader cut off) while we go through them.
    const QList<StreamSession *> streams = m_streams.values();
    for (StreamSession *s : streams)
        s->pump();
    if (m_polls.isEmpty())
        return;
    // Every poll woken at the live end gets the same answer: build it once.
    const quint64 before = entry->message.id - 1;
    QByteArray shared;
    const QList<PollSession *> polls = m_polls.values();
    for (PollSession *p : polls) {
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
    return data;
}

void Hub::publishTick()
{
    if (m_shuttingDown)
        return;
    Message m;
    m.type = MessageType::Tick;
    m.data = tickData().toJson();
    m_log.append(std::move(m));
}

LogEntryPtr Hub::publish(const PublishRequest &request, bool *duplicate)
{
    if (LogEntryPtr original = m_log.findPublished(request.from, request.clientMsgId)) {
        m_stats.duplicatePublishes++;
        if (duplicate)
            *duplicate = true;
        return original;
    }
    if (duplicate)
        *duplicate = false;
    Message m;
    m.type = MessageType::Chat;
    m.from = request.from;
    m.text = request.text;
    m.clientTs = request.clientTs;
    m.clientMsgId = request.clientMsgId;
    m_stats.published++;
    return m_log.append(std::move(m));
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

Hub::OriginVerdict Hub::checkOrigin(const HttpRequest &request) const
{
    if (!request.hasHeader("origin"))
        return OriginVerdict::Absent;
    const QByteArray origin = request.header("origin");
    const QByteArray host = request.header("host");
    if (!host.isEmpty() && origin.compare("http://" + host, Qt::CaseInsensitive) == 0)
        return OriginVerdict::SameOrigin;
    for (const QString &allowed : m_config.allowOrigins) {
        if (allowed == u"*" || origin.compare(allowed.toUtf8(), Qt::CaseInsensitive) == 0)
            return OriginVerdict::Allowed;
    }
    return OriginVerdict::Foreign;
}

std::optional<HttpResponse> Hub::refuseWebSocket(const HttpRequest &request)
{
    std::optional<HttpResponse> refusal;
    if (checkOrigin(request) == OriginVerdict::Foreign) {
        m_stats.rejectedOrigin++;
        refusal = HttpResponse::error(
                403, QStringLiteral("origin not allowed: %1").arg(QString::fromUtf8(request.header("origin"))));
    } else if (request.header("sec-websocket-version").trimmed() != "13") {
        refusal = HttpResponse::error(426, QStringLiteral("unsupported WebSocket version; use 13"));
        refusal->setHeader("Sec-WebSocket-Version", "13");
    } else if (!WsHandshake::isValidKey(request.header("sec-websocket-key").trimmed())) {
        refusal = HttpResponse::error(400, QStringLiteral("missing or malformed Sec-WebSocket-Key"));
    }
    if (refusal) {
        m_stats.badRequests++;
    } else {
        // Tokens: refused with the same 401/403 as any request, before the upgrade.
        refusal = m_auth.check(request, Permission::Subscribe).refusal;
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

HttpResponse Hub::cors(const HttpRequest &request, HttpResponse response) const
{
    if (checkOrigin(request) == OriginVerdict::Allowed)
        response.allowOrigin(request.header("origin"));
    return response;
}

static HttpResponse methodNotAllowed(const QByteArray &allow)
{
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
    if (stream)
        m_pollClients.remove(stream);
}

void Hub::pollDelivered(const HttpStream *stream, qint64 messages)
{
    const auto found = m_pollClients.find(stream);
    if (found != m_pollClients.end())
        found->delivered += messages;
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
    };
    std::vector<Row> rows;
    rows.reserve(size_t(m_pollClients.size() + m_streams.size()));
    for (auto it = m_pollClients.cbegin(); it != m_pollClients.cend(); ++it)
        rows.push_back({ it->sinceMs, it->transport, it->delivered, it.key(), nullptr });
    for (const StreamSession *s : m_streams)
        rows.push_back({ s->sinceMs(), s->transport(), s->delivered(), nullptr, s });
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
        clients.append({ r.transport,
                         QString::fromLatin1(r.stream ? r.stream->peerAddress() : r.session->peerAddress()),
                         wallNow - (now - r.sinceMs), r.delivered });
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
    auto answer = [&](HttpResponse r) {
        r.omitBody = method == "HEAD";
        stream->respond(cors(request, std::move(r)));
    };

    if (m_shuttingDown) {
        HttpResponse r = HttpResponse::error(503, QStringLiteral("server is shutting down"));
        r.closeConnection = true;
        answer(r);
        return;
    }
    QByteArray pageType;
    const QString page = pageResource(path, &pageType);
    const bool known = !page.isEmpty() || path == "/events" || path == "/poll" || path == "/send" || path == "/ws"
            || path == "/stats" || path == "/healthz" || path == "/auth";
    if (!known) {
        answer(HttpResponse::error(404, QStringLiteral("no such resource: %1").arg(QString::fromUtf8(path))));
        return;
    }
    if (method == "OPTIONS") {
        // CORS preflight (Fetch standard): only for origins we would serve.
        if (checkOrigin(request) == OriginVerdict::Foreign) {
            m_stats.rejectedOrigin++;
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
        answer(std::move(*access.refusal));
        return;
    }
    const Identity &who = access.identity;

    if (path == "/send") {
        if (method != "POST") {
            answer(methodNotAllowed("POST, OPTIONS"));
            return;
        }
        handleSend(request, stream, who);
        return;
    }
    if (!get) {
        answer(methodNotAllowed("GET, HEAD, OPTIONS"));
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
        HttpResponse r = HttpResponse::error(426, QStringLiteral("/ws needs a WebSocket upgrade"));
        r.setHeader("Upgrade", "websocket");
        r.setHeader("Connection", "Upgrade");
        answer(r);
        return;
    }
    if (path == "/stats") {
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
    const QUrlQuery &q = request.query;
    if (q.hasQueryItem(QStringLiteral("after"))) {
        bool ok = false;
        const quint64 after = q.queryItemValue(QStringLiteral("after")).toULongLong(&ok);
        if (!ok) {
            *why = QStringLiteral("\"after\" must be a message id (an unsigned integer)");
            return false;
        }
        point->after = after;
    }
    point->epoch = q.queryItemValue(QStringLiteral("epoch"));
    return true;
}

void Hub::handleAuth(const HttpRequest &request, HttpStream *stream)
{
    // The cookie is for this server's own page: a foreign page must not plant or clear it.
    const OriginVerdict origin = checkOrigin(request);
    if (origin != OriginVerdict::Absent && origin != OriginVerdict::SameOrigin) {
        m_stats.rejectedOrigin++;
        stream->respond(HttpResponse::error(403, QStringLiteral("POST /auth is for same-origin pages only")));
        return;
    }
    // Secure once the server knows its public origin is https (not yet an option here).
    const bool secure = false;
    if (request.method == "POST")
        stream->respond(m_auth.login(request, secure));
    else if (request.method == "DELETE")
        stream->respond(Authenticator::logout(secure));
    else
        stream->respond(methodNotAllowed("POST, DELETE, OPTIONS"));
}

void Hub::handleSend(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    m_stats.other.requests++;
    if (checkOrigin(request) == OriginVerdict::Foreign) {
        // A page from a foreign origin could post here without any preflight (a "simple"
        // text/plain request): refuse it rather than let any site publish as our users.
        m_stats.rejectedOrigin++;
        stream->respond(HttpResponse::error(403, QStringLiteral("origin not allowed to publish")));
        return;
    }
    PublishRequest publishRequest;
    QString why;
    const auto error = MessageCodec::decodePublish(request.body, PublishLimits { m_config.maxTextBytes, 64 },
                                                   &publishRequest, &why);
    if (error != MessageCodec::Error::None) {
        m_stats.badRequests++;
        stream->respond(cors(request, HttpResponse::error(MessageCodec::httpStatus(error), why)));
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
    bool duplicate = false;
    const LogEntryPtr entry = publish(publishRequest, &duplicate);
    QJsonObject o;
    o.insert(QLatin1String("id"), qint64(entry->message.id));
    o.insert(QLatin1String("epoch"), m_log.epoch());
    if (!publishRequest.clientMsgId.isEmpty())
        o.insert(MessageCodec::clientMsgIdKey(), publishRequest.clientMsgId);
    if (duplicate)
        o.insert(MessageCodec::duplicateKey(), true);
    stream->respond(cors(request, HttpResponse::json(202, o)));
}

void Hub::handleEvents(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    m_stats.at(TransportKind::Sse).requests++;
    // The browser's own reconnect sends Last-Event-ID; a page that reopens the stream itself
    // names it in the query. The header is the newer of the two.
    QString lastEventId = QString::fromUtf8(request.header("last-event-id"));
    if (!request.hasHeader("last-event-id"))
        lastEventId = request.query.queryItemValue(QStringLiteral("lastEventId"), QUrl::FullyDecoded);
    ResumePoint point;
    if (!lastEventId.isEmpty()) {
        quint64 id = 0;
        QString epoch;
        bool ok = false;
        if (MessageCodec::parseEventId(lastEventId, &epoch, &id)) {
            point.after = id;
            point.epoch = epoch;
        } else if (id = lastEventId.toULongLong(&ok); ok) {
            point.after = id;
        } else {
            m_stats.badRequests++;
            stream->respond(cors(request,
                                 HttpResponse::error(400,
                                                     QStringLiteral("Last-Event-ID must be "
                                                                    "\"<epoch>:<id>\""))));
            return;
        }
    }
    HttpResponse head;
    head.streamed = true;
    head.setHeader("Content-Type", "text/event-stream");
    head.setHeader("Cache-Control", "no-cache");
    // Tells a buffering reverse proxy (nginx) to pass events through as they come.
    head.setHeader("X-Accel-Buffering", "no");
    auto *session = new SseSession(this, stream, cors(request, head));
    session->setTokenDeadline(tokenDeadline(who));
    m_streams.insert(session);
    m_stats.at(TransportKind::Sse).connections++;
    m_stats.at(TransportKind::Sse).connectionsTotal++;
    if (!point.after) {
        // New messages only: say where that starts, so that a reconnect before the first
        // message resumes from here instead of losing what came in between.
        stream->write(SseEncoder::lastEventId(MessageCodec::eventId(m_log.epoch(), m_log.lastId()).toUtf8()));
    }
    session->start(m_log.resume(point));
}

void Hub::handlePoll(const HttpRequest &request, HttpStream *stream, const Identity &who)
{
    const TransportKind transport = pollTransport(request);
    m_stats.at(transport).requests++;
    ResumePoint point;
    QString why;
    if (!parseResume(request, &point, &why)) {
        m_stats.badRequests++;
        stream->respond(cors(request, HttpResponse::error(400, why)));
        return;
    }
    if (!m_pollClients.contains(stream))
        m_pollClients.insert(stream, PollClient { nowMs(), 0, transport });
    qint64 holdMs = m_config.pollTimeoutMs;
    if (request.query.hasQueryItem(QStringLiteral("timeout"))) {
        bool ok = false;
        const double seconds = request.query.queryItemValue(QStringLiteral("timeout")).toDouble(&ok);
        if (!ok || !std::isfinite(seconds) || seconds < 0) {
            m_stats.badRequests++;
            stream->respond(
                    cors(request, HttpResponse::error(400, QStringLiteral("\"timeout\" must be seconds >= 0"))));
            return;
        }
        holdMs = qMin(holdMs, qint64(std::llround(seconds * 1000)));
    }
    const QByteArray corsOrigin =
            checkOrigin(request) == OriginVerdict::Allowed ? request.header("origin") : QByteArray();
    const ResumeResult resume = m_log.resume(point);
    // No id named: answer at once with the live end, so the client learns where to start.
    if (!point.after || resume.reset || resume.cursor < m_log.lastId() || holdMs == 0) {
        const qint64 sent = qint64(qMin<quint64>(m_log.lastId() - resume.cursor, quint64(m_config.maxPollMessages)));
        m_stats.at(transport).messages += sent;
        pollDelivered(stream, sent);
        stream->respond(
                PollSession::response(PollSession::answer(m_log, resume, m_config.maxPollMessages), corsOrigin));
        return;
    }
    auto *session = new PollSession(this, stream, resume.cursor, corsOrigin);
    // Held no longer than its token lasts: then it is answered 401.
    const qint64 tokenEnd = tokenDeadline(who);
    session->setTokenDeadline(tokenEnd);
    holdPoll(session, qMin(nowMs() + holdMs, tokenEnd));
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
        channel->close(1008, why);
        return;
    }
    auto *session = new WsSession(this, channel);
    if (access.identity) {
        session->setPublisher(access.identity->sub, access.identity->may(Permission::Publish));
        session->setTokenDeadline(tokenDeadline(access.identity));
    }
    m_streams.insert(session);
    m_stats.at(TransportKind::WebSocket).connections++;
    m_stats.at(TransportKind::WebSocket).connectionsTotal++;
    session->start(m_log.resume(point));
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
