// SPDX-License-Identifier: MIT
#pragma once

#include "authenticator.h"
#include "forwardedpeers.h"
#include "httprequest.h"
#include "httpresponse.h"
#include "httpstream.h"
#include "messagecodec.h"
#include "messagelog.h"
#include "originpolicy.h"
#include "ratelimiter.h"
#include "serverconfig.h"
#include "serverstats.h"
#include "wirecontract.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <deque>
#include <map>
#include <optional>

namespace rtlab {

class PollSession;
class StreamSession;

// What became of a publish: the entry (the original one for a duplicate), or the store's refusal
// (status 503: nothing was kept, no id was used; the client may retry).
struct PublishResult
{
    LogEntryPtr entry; // null for a duplicate this node does not hold (duplicateOf names it)
    bool duplicate = false;
    int status = 0;
    QString error;
    // A shared store's duplicate: the id the log already gave this clientMsgId (through any node),
    // when its entry is not in this node's ring.
    quint64 duplicateOf = 0;
    quint64 id() const { return entry ? entry->message.id : duplicateOf; }
};
using PublishDone = std::function<void(const PublishResult &)>;

// The protocol side of the server, independent of sockets: routes HTTP requests, runs the
// long poll, SSE and WebSocket sessions over the one message log, publishes, keeps the
// figures, sends heartbeats and ticks. The connection layer hands it HttpStreams and WsChannels.
class Hub : public QObject
{
    Q_OBJECT
public:
    // Milliseconds on a monotonic clock: nowMs(), hold deadlines, heartbeats, the tick rate.
    using Clock = MessageLog::Clock;

    explicit Hub(const ServerConfig &config, QObject *parent = nullptr);
    // With its own clock (tests): they move time on and run the periodic work themselves
    // (sweepHeartbeats(), firePollDeadlines()) instead of waiting for the timers.
    Hub(const ServerConfig &config, Clock clock, QObject *parent = nullptr);
    // With its own store (tests), used instead of the one config.store names.
    Hub(const ServerConfig &config, Clock clock, std::unique_ptr<LogStore> store, QObject *parent = nullptr);
    ~Hub() override;

    // Opens the log's store (before serving; a synchronous store is opened by the constructor).
    // False with the store's reason: the server must not serve an empty log in its place.
    bool openLog(QString *error);

    const ServerConfig &config() const { return m_config; }
    MessageLog &log() { return m_log; }
    ServerStats &stats() { return m_stats; }
    // GET /stats; with a limit, /stats?clients=1: the connected clients, oldest first, at most
    // `clientsLimit`, and how many more. A long-polling client is its connection (kept alive
    // between polls); SSE and WebSocket clients are their streams.
    StatsSnapshot statsSnapshot(std::optional<int> clientsLimit = std::nullopt) const;
    static constexpr int MaxListedClients = 500;

    // Answers one HTTP request on the stream (some answer later: held polls, SSE). The transport
    // its bytes count under is exchangeTransport()'s, asked first (an answer may be written at once).
    void handleRequest(const HttpRequest &request, HttpStream *stream);
    // Which transport an exchange's bytes belong to. A connection's first poll makes it a
    // polling connection until it closes — long, or short when it says `mode=short` — and
    // *countedAs (Other until then) remembers which for the caller, which gives it back with
    // connectionClosed().
    CountedTransport exchangeTransport(const HttpRequest &request, CountedTransport *countedAs);
    void connectionClosed(CountedTransport countedAs, const HttpStream *stream = nullptr);
    // The checks of a WebSocket handshake before either core accepts it: a Host not served (421,
    // as for every request: OriginPolicy), a foreign Origin (403,
    // RFC 6455 §10.2), another Sec-WebSocket-Version (426 naming 13, §4.4), a missing or malformed
    // key (400, §4.2.1). Returns the answer (counted in the stats; it closes the connection), or
    // nothing when the handshake may go on.
    std::optional<HttpResponse> refuseWebSocket(const HttpRequest &request);
    // A WebSocket whose handshake the connection layer accepted, with that handshake (its target,
    // its headers for the token, the client's address behind a proxy); without it, the channel's
    // target alone.
    void openWebSocket(WsChannel *channel, const HttpRequest &handshake);
    void openWebSocket(WsChannel *channel);

    // Tokens (server/auth): who a request is and what it may do. Off without --auth-key.
    const Authenticator &authenticator() const { return m_auth; }
    // --max-publish-rate: admits one publish by the token's sub or, without tokens, by the client
    // address of `peer` ("host:port"). Nothing, or the seconds to wait (a 429's Retry-After).
    std::optional<int> admitPublish(const QByteArray &peer, const QString &sub);

    using OriginVerdict = OriginPolicy::Verdict;
    OriginVerdict checkOrigin(const HttpRequest &request) const { return m_origins.checkOrigin(request); }
    const OriginPolicy &originPolicy() const { return m_origins; }
    // The client's address for this request, as /stats?clients=1 and the logs show it: the peer's
    // ("address:port"), or with --trust-proxy X-Forwarded-For's last hop. The one place that decides.
    QByteArray clientAddress(const HttpRequest &request, const QByteArray &peer) const
    {
        return m_origins.clientAddress(request, peer);
    }

    // Publishes a chat message to every transport; `done` runs once the store has committed it (at
    // once with a synchronous store), or failed to (503). A repeat of a clientMsgId the log still
    // remembers for the same sender appends nothing: it gets the original entry, marked duplicate;
    // a repeat of one still waiting for its commit waits for it and is answered the same way
    // (docs/protocol.md, "Publishing").
    void publish(const PublishRequest &request, PublishDone done = {});
    // Publishes that wait for their commit.
    int pendingPublishes() const { return m_log.pendingAppends(); }
    // The dashboard sample of the server's own state, published as a tick message.
    TickData tickData();

    // Ends every stream politely: held polls are answered, SSE streams end, WebSockets close
    // with 1001. New requests get 503; publishes waiting for their commit are answered when it
    // comes back. Emits drained() once no session and no pending publish is left.
    void shutdown();
    bool isShuttingDown() const { return m_shuttingDown; }
    int sessionCount() const;

    // Called by sessions.
    void detach(StreamSession *session);
    void detach(PollSession *session);
    void holdPoll(PollSession *session, qint64 deadlineMs);
    // A poll answer about to be written with the `sent` messages after `cursor` (cut by count and
    // by bytes, PollSession::answerFor): counted under the transport, on the connection's line in the client list, and
    // each one's delivery latency.
    void countPollAnswer(TransportKind transport, const HttpStream *stream, quint64 cursor, qint64 sent);
    qint64 nowMs() const { return m_clock(); }
    // When a message is written, for its delivery latency (LogEntry::steadyNs()). Within a fan-out
    // one clock read serves FanoutClockEvery writes: on a VM without a vDSO clock a read cost 340 ns,
    // as much as the rest of a delivery, while 64 writes take a few µs, under the first bucket (100 µs).
    qint64 writeClockNs() const { return m_fanoutNs >= 0 ? m_fanoutNs : LogEntry::steadyNs(); }
    static constexpr int FanoutClockEvery = 64;

    // The timers' work, callable on its own so that a test with its own clock needs no timer:
    // the heartbeat round (an SSE comment on each quiet stream; a ping to each WebSocket, cut
    // after two unanswered), and the answer to every held poll whose deadline has passed.
    void sweepHeartbeats();
    void firePollDeadlines();

signals:
    void drained();

private:
    // The shared log's epoch changed: every session learns by the resume rule from `oldEpoch`.
    void onEpochReset(const QString &oldEpoch);
    void onAppended(const LogEntryPtr &first, const LogEntryPtr &last);
    void handlePollPage(const HttpRequest &request, HttpStream *stream, TransportKind transport,
                        const ResumeResult &resumed, const QByteArray &corsOrigin);
    void armPollTimer();
    void publishTick();
    void listClients(int limit, StatsSnapshot *snapshot) const;
    void checkDrained();

    HttpResponse cors(const HttpRequest &request, HttpResponse response) const;
    // Answers with CORS, and without the body when the request is a HEAD.
    void answer(const HttpRequest &request, HttpStream *stream, HttpResponse response) const;
    using Identity = std::optional<Authenticator::Identity>;
    void handlePoll(const HttpRequest &request, HttpStream *stream, const Identity &who);
    void handleEvents(const HttpRequest &request, HttpStream *stream, const Identity &who);
    void handleSend(const HttpRequest &request, HttpStream *stream, const Identity &who);
    void handleAuth(const HttpRequest &request, HttpStream *stream);
    // When a token stops being accepted, on this hub's clock (the far future without one).
    qint64 tokenDeadline(const Identity &who) const;
    bool parseResume(const HttpRequest &request, ResumePoint *point, QString *why) const;
    // 421 for a request whose Host this server does not serve (OriginPolicy::hostAllowed), counted.
    std::optional<HttpResponse> refuseHost(const HttpRequest &request);
    // rtlab_resumes_total: a subscription that named a position (`counted`), and any reset.
    ResumeResult resume(const ResumePoint &point, bool counted);

    ServerConfig m_config;
    QString m_storeError; // the store config.store names could not be made (before m_log)
    OriginPolicy m_origins;
    Authenticator m_auth;
    RateLimiter m_publishRate;
    MessageLog m_log;
    ServerStats m_stats;
    Clock m_clock;
    QSet<StreamSession *> m_streams;
    QSet<PollSession *> m_polls;
    std::multimap<qint64, PollSession *> m_pollDeadlines;
    // Where each held poll sits in m_pollDeadlines: a woken poll leaves in O(log n), not by a scan
    // (5,000 polls woken by one message were 12 million steps).
    QHash<PollSession *, std::multimap<qint64, PollSession *>::iterator> m_pollDeadlineOf;
    QTimer m_heartbeatTimer;
    QTimer m_pollTimer;
    QTimer m_tickTimer;
    QTimer m_expireTimer;
    std::deque<std::pair<qint64, quint64>> m_rateSamples; // (ms, lastId) for messages/s
    // The connections that have polled, for the client list: one entry per connection, gone when
    // it closes (so bounded by the open connections).
    struct PollClient
    {
        qint64 sinceMs = 0;
        qint64 delivered = 0;
        TransportKind transport = TransportKind::LongPoll; // or Poll (short polling)
        QByteArray forwardedFor;                           // the client behind a trusted proxy, from the last poll
    };
    QHash<const HttpStream *, PollClient> m_pollClients;
    ForwardedPeers m_forwardedPeers; // --max-conns-per-ip behind --trust-proxy
    bool m_shuttingDown = false;
    qint64 m_fanoutNs = -1; // writeClockNs() during a fan-out, -1 outside one
    // Publishes waiting for their commit, by sender + clientMsgId: a repeat waits with the first.
    QHash<QString, std::vector<PublishDone>> m_pendingByClientMsgId;
};

} // namespace rtlab
