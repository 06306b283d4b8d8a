// SPDX-License-Identifier: MIT
#include "lessoncatalog.h"

#include "connectionevent.h"

#include <QCoreApplication>
#include <QHash>

namespace rtlab {

static QString tr(const char *text)
{
    return QCoreApplication::translate("rtlab::LessonCatalog", text);
}

static QList<LessonInfo> makeCatalog()
{
    const QString xray = tr("needs traditional (short) polling and the protocol X-ray, which come in a later release");
    return {
        { QStringLiteral("lp-simple"),
          QStringLiteral("lp"),
          tr("simple to implement"),
          tr("every message arrives over plain HTTP requests (GET /poll, POST /send): no upgrade, no stream"),
          tr("Long polling is plain HTTP"),
          tr("<p>Long polling needs nothing but ordinary HTTP requests: ask, wait for the answer, ask again. The "
             "browser page does it with <code>fetch</code> alone.</p><p><b>Watch</b>: Compare → the Long Polling "
             "lane's <i>HTTP requests</i> and <i>messages</i>; Bytes → a poll is an ordinary request and a JSON "
             "answer.</p>"),
          8,
          {} },
        { QStringLiteral("lp-fallback"),
          QStringLiteral("lp"),
          tr("a fallback where newer transports are missing"),
          tr("with upgrades and event streams refused by a proxy, Auto ends on Long Polling and keeps delivering"),
          tr("Long polling as the fallback"),
          tr("<p>The relay now refuses WebSocket upgrades and event streams (<code>text/event-stream</code>), like "
             "an old proxy: a stream never gets through, a complete answer does. The chat client runs in "
             "<b>Auto</b>.</p>"
             "<p><b>Watch</b>: the toolbar and Timeline → <i>fell back</i> twice, WebSocket → SSE → Long Polling; "
             "Chat keeps receiving. The lesson puts the relay and the transport back when it ends.</p>"),
          20,
          {} },
        { QStringLiteral("lp-vs-polling"),
          QStringLiteral("lp"),
          tr("more real-time than traditional polling"),
          tr("with messages rarer than the polling interval, long polling's median latency is lower than short "
             "polling's and it makes fewer HTTP requests per delivered message"),
          tr("Long polling vs traditional polling"),
          tr("<p>A Long Polling lane and a <b>Short Polling</b> lane (traditional polling: a poll answered at once, "
             "every second by default) subscribe side by side, on a server <b>without ticks</b>. A chat message is "
             "published every 1.7 s, 8 in all: each lands somewhere between two short polls and waits for the next "
             "one, on average half the interval; a held long poll answers at once.</p><p><b>Watch</b>: Compare → "
             "the two lanes' latency percentiles and <i>HTTP requests</i>; the claims row gives requests per "
             "message. Short polling asks every interval whether or not anything came (its <i>idle polls</i>); "
             "long polling asks once per answer. With messages far more frequent than the interval the request "
             "count turns the other way: one short poll then fetches many.</p>"),
          12,
          {} },
        { QStringLiteral("lp-resource"),
          QStringLiteral("lp"),
          tr("resource intensive"),
          tr("long polling makes HTTP requests per second while SSE and WebSocket make none after they opened"),
          tr("Long polling costs requests"),
          tr("<p>With the dashboard ticking 5 times a second, each delivery to a long-polling client ends its "
             "request: the client must send another, and the server must parse it, look up the log and hold it "
             "again.</p><p><b>Watch</b>: Compare → <i>HTTP requests</i> of each lane; the Lab's claims row gives the "
             "requests per second. Meanwhile rtlab-bench holds 200 idle long-polling clients, then 200 idle "
             "WebSocket clients, on a server of its own (no ticks, 5 s hold and heartbeat) and measures each "
             "client's steady-state cost: requests and wake-ups per second, sockets, memory.</p>"),
          8,
          {} },
        { QStringLiteral("lp-hold-timeouts"),
          QStringLiteral("lp"),
          tr("timed-out requests must be retried"),
          tr("hold timeouts > 0, each followed by a new request: more requests than messages"),
          tr("Long polling: hold timeouts"),
          tr("<p>The server restarts <b>without ticks</b>, and long polls ask to be held <b>3 s</b>. A chat message "
             "comes only every 10 s, so most polls come back <b>empty</b> when the hold passes, and the client must "
             "ask again.</p><p><b>Watch</b>: Compare → the Long Polling lane's <i>hold timeouts</i> and <i>HTTP "
             "requests</i> climb while SSE and WebSocket stay on one connection; Timeline → the event log lists "
             "each <i>hold-timeout</i>. When the lesson ends, ticks and the 25 s hold come back.</p>"),
          20,
          {} },
        { QStringLiteral("lp-latency"),
          QStringLiteral("lp"),
          tr("latency suffers"),
          tr("with network latency added, long polling's median latency is above WebSocket's: after each answer "
             "the next request must first cross the network"),
          tr("Long polling: latency suffers"),
          tr("<p>The relay adds <b>50 ms each way</b> (a 100 ms round trip), and the dashboard ticks <b>20 times a "
             "second</b>, faster than the round trip. A WebSocket or SSE message needs one trip; a message that comes "
             "while the long-polling client's next request is still on its way waits for it.</p><p><b>Watch</b>: "
             "Compare → the "
             "latency percentiles and histograms; Long Polling's p50 and p99 sit above WebSocket's. On loopback "
             "with no added latency the three are alike: the round trip is what costs.</p>"),
          12,
          {} },
        { QStringLiteral("ws-low-overhead"),
          QStringLiteral("ws"),
          tr("low overhead: no headers per message"),
          tr("bytes per message: WebSocket < SSE < Long Polling"),
          tr("WebSocket: bytes per message"),
          tr("<p>The same tick messages reach all three lanes. A WebSocket message costs a frame header of 2 "
             "bytes (4 from 126 bytes of payload, as these ticks are); an SSE event its field names; a long poll a "
             "whole HTTP request and response head.</p>"
             "<p><b>Watch</b>: Compare → <i>bytes per message</i> and its split; Bytes → the exact bytes of one "
             "message on each lane.</p>"),
          8,
          {} },
        { QStringLiteral("ws-bidirectional"),
          QStringLiteral("ws"),
          tr("bi-directional"),
          tr("publishing over WebSocket adds no HTTP request; each publish from SSE or Long Polling is a POST"),
          tr("WebSocket: both ways on one socket"),
          tr("<p>Each lane publishes a message once a second. The WebSocket lane sends a frame on the socket it "
             "receives on; the others need a separate <code>POST /send</code> for every message.</p><p><b>Watch"
             "</b>: Compare → <i>HTTP requests</i> and <i>upstream</i> of each lane.</p>"),
          7,
          {} },
        { QStringLiteral("ws-many-connections"),
          QStringLiteral("ws"),
          tr("many open connections"),
          tr("every idle WebSocket client holds one socket (file descriptor) and memory on the server"),
          tr("WebSocket: idle connections cost"),
          tr("<p>rtlab-bench, a separate process, holds <b>200 idle WebSocket clients</b> on a server of its own "
             "(no ticks, a 5 s heartbeat); once they are all connected and a heartbeat has passed, the server's own "
             "figures give the cost per client.</p><p><b>Watch</b>: the claims row: open sockets, memory and "
             "wake-ups per client (the times the server process was woken, read from /proc; one wake-up serves "
             "every client whose pong arrived with it, so there are far fewer than one per pong). The "
             "<i>Idle cost</i> page beside this one compares all three transports the same way.</p>"),
          20,
          {} },
        { QStringLiteral("ws-complex"),
          QStringLiteral("ws"),
          tr("complex to implement"),
          tr("a WebSocket client must compute the handshake's accept from its key, mask every frame it sends with a "
             "fresh key, answer pings with pongs and close with codes; Long Polling and SSE need none of it"),
          tr("WebSocket: complex to implement"),
          tr("<p>The server restarts <b>without ticks</b> and pings every <b>2 s</b>. Each lane publishes one "
             "message; once a ping has been answered, the lanes close and open again. rtlab's WebSocket client "
             "does every step itself: the upgrade request with a random <code>Sec-WebSocket-Key</code>, the check "
             "of the server's <code>Sec-WebSocket-Accept</code> (SHA-1 of the key and a fixed GUID), a new 4-byte "
             "mask for every frame it sends, a pong for every ping, and a close frame with a code, answered by the "
             "server's.</p><p><b>Watch</b>: the claims row counts each of them from what the lanes recorded; the "
             "X-ray draws them (click an arrow for its exact bytes). Long Polling and SSE send plain HTTP requests "
             "and need none of it. When the lesson ends, ticks and the 15 s heartbeat come back.</p>"),
          10,
          {} },
        { QStringLiteral("ws-blocked"),
          QStringLiteral("ws"),
          tr("may be blocked by network infrastructure"),
          tr("a proxy that refuses upgrades: refused handshakes > 0, Auto falls back to SSE and keeps delivering"),
          tr("WebSocket upgrade blocked"),
          tr("<p>The relay refuses WebSocket upgrades with 403, as some proxies do, and the chat client runs in "
             "<b>Auto</b>: it falls back to SSE and keeps delivering.</p><p><b>Watch</b>: the toolbar, Timeline → "
             "<i>fell back</i>. When the lesson ends, the relay lets upgrades through again and the chat client goes "
             "back to the transport it had before.</p>"),
          10,
          {} },
        { QStringLiteral("ws-security"),
          QStringLiteral("ws"),
          tr("security needs care"),
          tr("a foreign Origin is refused (403, own origin 101); with a token a forged sender arrives as the "
             "token's; a URL token is redacted from logs, the POST /auth cookie is HttpOnly, SameSite=Strict"),
          tr("WebSocket: a foreign Origin, and tokens"),
          tr("<p>Browsers let any page open a WebSocket to any server; only the server's check of the "
             "<code>Origin</code> header stops a foreign page from using a visitor's session. The lesson opens "
             "three handshakes that claim to come from <code>http://evil.example</code>.</p><p>Then it starts a "
             "second rtlab-server with a key file of its own (<code>--auth-key</code>, "
             "<code>--allow-query-token</code>), mints a token for <b>ann</b> with <code>rtlab-server token</code> "
             "and asks that server, with raw HTTP: a handshake from a foreign Origin and from its own; a publish "
             "claiming to be <b>mallory</b> with ann's token (a poll shows who it arrived as); a token in the URL "
             "(what the server's log line shows of it — the URL itself still sits in browser history, proxy logs and "
             "<code>Referer</code>); and the cookie <code>POST /auth</code> sets instead.</p><p><b>Watch</b>: the "
             "claims row: every figure and header in it is the server's answer.</p>"),
          5,
          {} },
        { QStringLiteral("sse-efficient"),
          QStringLiteral("sse"),
          tr("efficient: bytes only when there is data"),
          tr("on an idle stream only heartbeats cross: no payload bytes, a few bytes per second"),
          tr("SSE: an idle stream is nearly silent"),
          tr("<p>The server restarts <b>without ticks</b> and with a heartbeat every <b>2 s</b> (15 s by "
             "default), so that a short lesson sees a few. Nothing is published.</p><p><b>Watch</b>: the claims "
             "row: the SSE lane's bytes per second, all of them heartbeats. When the lesson ends, ticks and the 15 s "
             "heartbeat come back.</p>"),
          10,
          {} },
        { QStringLiteral("sse-plain-http"),
          QStringLiteral("sse"),
          tr("plain HTTP, passes infrastructure"),
          tr("SSE delivers every message through a plain HTTP relay with no gap; a buffering proxy delays it"),
          tr("SSE through an HTTP proxy"),
          tr("<p>Every lane goes through rtlab's relay, a plain HTTP proxy: SSE needs nothing special from it. In "
             "the second half the relay <b>buffers responses</b> up to 2 KiB, like a proxy that does not stream: "
             "events arrive late, in lumps.</p><p><b>Watch</b>: Compare → the SSE lane's messages and gaps, then its "
             "latency when buffering starts (the claims row gives both medians).</p>"),
          12,
          {} },
        { QStringLiteral("sse-server-loop"),
          QStringLiteral("sse"),
          tr("suits server-generated data in a loop"),
          tr("the server's tick loop pushes dashboard data to the SSE lane, which sends no request after it opened"),
          tr("SSE: the server pushes the dashboard"),
          tr("<p>The server's tick loop publishes dashboard data 5 times a second. The SSE lane asked once and "
             "receives them all.</p><p><b>Watch</b>: Dashboard; Compare → the SSE lane's <i>HTTP requests</i> stays "
             "at 1 while messages climb.</p>"),
          8,
          {} },
        { QStringLiteral("sse-one-way"),
          QStringLiteral("sse"),
          tr("one-way"),
          tr("every publish from the SSE client is a separate POST /send; nothing goes up the stream"),
          tr("SSE: one-way"),
          tr("<p>The SSE lane publishes a message once a second. An event stream only flows down, so each publish "
             "is a separate <code>POST /send</code>.</p><p><b>Watch</b>: Compare → the SSE lane's <i>HTTP "
             "requests</i> grow by one per publish.</p>"),
          7,
          {} },
        { QStringLiteral("sse-connection-limit"),
          QStringLiteral("sse"),
          tr("browser connection limit"),
          tr("an HTTP/1.1 client opens at most 6 connections per origin: 6 streams open, the 7th waits"),
          tr("SSE: six streams per origin"),
          tr("<p>Browsers open at most <b>6</b> HTTP/1.1 connections to one origin, and an SSE stream holds one "
             "for as long as it lives: a 7th stream (in a 7th tab, say) waits. Qt's HTTP client has the same "
             "limit: the lesson opens 7 streams with it and counts those that open.</p><p><b>Watch</b>: the claims "
             "row; <i>Open the browser page</i> shows the same in your browser (its connection-limit panel).</p>"),
          6,
          {} },
        { QStringLiteral("sse-reconnect"),
          QStringLiteral("sse"),
          tr("reconnection logic required"),
          tr("after each cut the SSE client reconnects with Last-Event-ID and loses nothing: reconnects > 0, 0 gaps"),
          tr("SSE: reconnect and resume"),
          tr("<p>The relay cuts every connection every 3 s. The SSE client reconnects after the server's "
             "<code>retry:</code> delay and sends <code>Last-Event-ID</code>; the server replays what it missed."
             "</p><p><b>Watch</b>: Compare → reconnects; the toolbar's continuity stays at 0 gaps; Timeline → "
             "closed / retry / opened.</p>"),
          12,
          {} },
        { QStringLiteral("proxy-idle-kill"),
          QStringLiteral("all"),
          tr("a proxy's idle timeout cuts quiet connections"),
          tr("all three are cut when quiet for 5 s and resume without a gap"),
          tr("A proxy kills idle connections"),
          tr("<p>The relay cuts any connection silent for 5 s, like a proxy's idle timeout, and the server runs "
             "without ticks. SSE and WebSocket send a heartbeat only every 15 s, and a poll is held 25 s: all three "
             "are cut and must reconnect and resume.</p><p><b>Watch</b>: Timeline → closed / retry / opened; "
             "Compare → reconnects; continuity stays at 0 gaps. <b>Fix</b>: heartbeats shorter than the proxy's "
             "timeout (rtlab-server --heartbeat 2).</p>"),
          14,
          {} },
        { QStringLiteral("server-restart"),
          QStringLiteral("all"),
          tr("a restart is announced, never a silent gap"),
          tr("after a server restart every lane receives a reset and counts no gap"),
          tr("Server restart and reset"),
          tr("<p>The bundled server restarts: a new process, a new log, a new <b>epoch</b>. Clients reconnect with "
             "their last id and its epoch; the server cannot know what they missed and says so with a "
             "<b>reset</b> — never a silent gap.</p><p><b>Watch</b>: Chat → the reset row; Timeline → the reset "
             "mark; the toolbar's reset count.</p>"),
          8,
          {} },
        { QStringLiteral("durable-restart"),
          QStringLiteral("all"),
          tr("a durable log survives a restart: clients resume, nothing lost"),
          tr("after a crash on the memory store every lane gets a reset with an unknown loss; after a crash on "
             "SQLite every lane resumes in the same epoch with no reset and no gap"),
          tr("History that survives a restart"),
          tr("<p>The bundled server is killed (<b>kill -9</b>, a crash) twice. First on the <b>memory</b> store: "
             "a new log and a new epoch, so every lane gets a <b>reset</b> with an unknown loss. Then on a "
             "<b>SQLite</b> file of the lesson's own (not your history): the log, its epoch and its ids are on "
             "disk, so every lane resumes from its last id with <b>nothing lost and no reset</b>.</p>"
             "<p><b>Watch</b>: Timeline → a reset at the first crash and none at the second, only a close and an "
             "open; the claim's figures per lane. (Moving to the lesson's new file, and back to your own store at "
             "the end, is a new log too: a reset each time.)</p>"),
          12,
          {} },
        { QStringLiteral("scale-out"),
          QStringLiteral("all"),
          tr("several servers on one log: a node or Redis dies, clients fail over, nothing lost"),
          tr("with two nodes on one Redis log, after kill -9 of a node every lane on it moves to the other and "
             "after kill -9 of Redis every lane resumes: 0 lost, 0 duplicated, 0 resets on every lane, and "
             "publishes during Redis's outage answered 503"),
          tr("Scale out: two nodes, one Redis log"),
          tr("<p>The lesson starts a <b>redis-server</b> of its own (on a free loopback port, its data in a "
             "temporary directory, every write on disk before it is acknowledged) and two rtlab-servers, nodes "
             "<b>A</b> and <b>B</b>, on one log in it. Three lanes connect: Long Polling and WebSocket to A with "
             "B as their fallback, SSE to B with A as its fallback. A publisher posts 20 messages a second to "
             "the nodes in turn.</p><p>Then it kills node A (<b>kill -9</b>): its lanes move to B and resume "
             "from their last id — no sticky sessions, the ids are the cluster's. A comes back. Then it kills "
             "<b>Redis</b>: publishes are answered <b>503</b> (not acknowledged, so not lost), subscribers wait; "
             "Redis comes back from its append-only file and every node's tail catches up. Each lane counts "
             "what it received against every publish a node acknowledged.</p><p><b>Watch</b>: the lesson's "
             "panel — each process with its PID, each lane's node and its moves; kill or restart a node or "
             "Redis yourself with its buttons (the lesson then does only what you ask). Needs redis-server "
             "(<code>sudo apt-get install redis-server</code>).</p>"),
          30,
          {} },
    };
}

const QList<LessonInfo> &LessonCatalog::all()
{
    static const QList<LessonInfo> catalog = makeCatalog();
    return catalog;
}

const LessonInfo *LessonCatalog::find(const QString &id)
{
    for (const LessonInfo &l : all())
        if (l.id == id)
            return &l;
    return nullptr;
}

QString LessonCatalog::transportLabel(const QString &key)
{
    TransportKind kind;
    return transportKindFromKey(key, &kind) ? transportKindLabel(kind) : tr("All three");
}

QString LessonCatalog::cardTitle(const QString &id)
{
    // Apart from the catalog's entries, so that a new lesson needs no card title to run.
    static const QHash<QString, const char *> titles {
        { QStringLiteral("lp-simple"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "See long polling work with plain HTTP") },
        { QStringLiteral("lp-fallback"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Block WebSockets and streams, watch Long Polling take over") },
        { QStringLiteral("lp-vs-polling"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Race long polling against polling every second") },
        { QStringLiteral("lp-resource"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "See why long polling costs requests") },
        { QStringLiteral("lp-hold-timeouts"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Watch empty polls time out and ask again") },
        { QStringLiteral("lp-latency"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Add a 100 ms round trip and watch long polling lag") },
        { QStringLiteral("ws-low-overhead"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Count the bytes each message costs") },
        { QStringLiteral("ws-bidirectional"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Send both ways on one WebSocket") },
        { QStringLiteral("ws-many-connections"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Hold 200 idle WebSockets and weigh them") },
        { QStringLiteral("ws-complex"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Look inside a WebSocket: handshake, masks, pings, close") },
        { QStringLiteral("ws-blocked"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Block WebSockets and watch the fallback") },
        { QStringLiteral("ws-security"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Knock from a foreign Origin and forge a sender") },
        { QStringLiteral("sse-efficient"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Hear how quiet an idle SSE stream is") },
        { QStringLiteral("sse-plain-http"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Stream SSE through a buffering proxy") },
        { QStringLiteral("sse-server-loop"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Let the server push the dashboard over SSE") },
        { QStringLiteral("sse-one-way"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "See SSE send each publish as a POST") },
        { QStringLiteral("sse-connection-limit"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Open a 7th SSE stream, like a 7th browser tab") },
        { QStringLiteral("sse-reconnect"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Cut SSE every 3 s and watch it resume") },
        { QStringLiteral("proxy-idle-kill"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Let a proxy kill quiet connections") },
        { QStringLiteral("server-restart"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Restart the server and catch the reset") },
        { QStringLiteral("durable-restart"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Crash the server on memory, then on SQLite") },
        { QStringLiteral("scale-out"),
          QT_TRANSLATE_NOOP("rtlab::LessonCatalog", "Kill a node, then Redis, and watch every lane fail over") },
    };
    if (const char *t = titles.value(id))
        return tr(t);
    const LessonInfo *l = find(id);
    return l ? l->title : QString();
}

} // namespace rtlab
