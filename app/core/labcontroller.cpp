#include "labcontroller.h"

#include "appcontroller.h"
#include "impairmentrelay.h"

#include <QDateTime>
#include <QWebSocket>

namespace rtlab {

static constexpr int BurstSize = 200;

LabController::LabController(AppController *app, QObject *parent) : QObject(parent), m_app(app)
{
    connect(app, &AppController::serverUrlChanged, this, &LabController::onServerUrl);
    if (app->serverUrl().isValid())
        onServerUrl(app->serverUrl());
    m_stats.start();
}

ImpairmentRelay *LabController::relay()
{
    return m_app->relay();
}

void LabController::onServerUrl(const QUrl &url)
{
    // The server's own figures come straight from it, not through the faults.
    m_stats.setServer(url);
}

void LabController::trigger(const QString &action)
{
    if (action == u"compare") {
        m_app->setCompareEnabled(true);
    } else if (action == u"shortHold") {
        m_app->setCompareEnabled(true);
        m_app->setPollHoldMs(3000);
        emit noticed(tr("Long polls now ask to be held 3 s: each empty answer is a hold timeout and a new request."));
    } else if (action == u"burst") {
        m_app->setCompareEnabled(true);
        ++m_bursts;
        for (int i = 1; i <= BurstSize; ++i)
            m_app->sendChat(tr("burst %1 · %2/%3").arg(m_bursts).arg(i).arg(BurstSize));
    } else if (action == u"publishEach") {
        m_app->setCompareEnabled(true);
        for (int i = 0; i < TransportKindCount; ++i) {
            const TransportKind k = TransportKind(i);
            if (RealtimeClient *lane = m_app->lane(k))
                lane->publish(m_app->nickname(), tr("sent from the %1 lane").arg(transportKindLabel(k)));
        }
    } else if (action == u"blockUpgrades") {
        ImpairmentRelay::Settings s = relay()->settings();
        s.refuseUpgrades = true;
        relay()->setSettings(s);
        m_app->setMode(RealtimeClient::Mode::Auto);
        relay()->dropAll(); // the open WebSocket goes too, and cannot come back through this proxy
        emit noticed(tr("The relay now refuses WebSocket upgrades, like a proxy that does not speak them. "
                        "Watch Auto fall back (timeline), and go back up when you untick it."));
    } else if (action == u"foreignOrigin") {
        ++m_foreignAttempts;
        auto *ws = new QWebSocket(QStringLiteral("http://evil.example"), QWebSocketProtocol::VersionLatest, this);
        connect(ws, &QWebSocket::connected, ws, [ws] { ws->close(); });
        connect(ws, &QWebSocket::disconnected, ws, &QObject::deleteLater);
        QUrl url = m_app->serverUrl();
        url.setScheme(QStringLiteral("ws"));
        url.setPath(QStringLiteral("/ws"));
        ws->open(url);
    } else if (action == u"quietServer") {
        if (!m_app->usingBundledServer()) {
            emit noticed(tr("Only the bundled server can be restarted from here."));
            return;
        }
        m_app->setCompareEnabled(true);
        m_app->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("0") });
        m_app->restartServer();
        m_sseBytes.clear();
        emit noticed(tr("The bundled server restarts without ticks: now only heartbeats cross an idle stream."));
    } else if (action == u"openBrowser") {
        emit openBrowserRequested(m_app->serverUrl());
    } else if (action == u"drop") {
        relay()->dropAll();
    }
}

void LabController::takeNetworkDown(int ms)
{
    relay()->takeDownFor(qBound(100, ms, 600000));
}

void LabController::resetFaults()
{
    relay()->setSettings({});
    relay()->setDown(false);
    m_app->setPollHoldMs(25000);
}

QList<LabController::Lesson> LabController::lessons()
{
    return {
        { QStringLiteral("holdTimeouts"), tr("Long polling: hold timeouts"),
          tr("<p>Long polls are held by the server until a message comes or the hold time passes. With a 3 s hold "
             "and nothing to say, every 3 s a poll comes back <b>empty</b> and the client must ask again.</p>"
             "<p><b>Watch</b>: Compare → the long-polling lane's <i>hold timeouts</i> and <i>HTTP requests</i> "
             "climb while the other lanes stay at one connection; Timeline → <i>hold-timeout</i> ticks.</p>") },
        { QStringLiteral("idleKill"), tr("A proxy kills idle connections"),
          tr("<p>The relay now cuts any connection silent for 5 s, like a proxy's idle timeout, and the server runs "
             "without ticks. SSE and WebSocket send a heartbeat only every 15 s, and a poll is held 25 s: all three "
             "are cut and must reconnect and resume.</p><p><b>Watch</b>: Timeline → closed / retry / opened on every "
             "row; Compare → reconnects; the continuity indicator stays at 0 gaps. <b>Fix</b>: heartbeats shorter than "
             "the proxy's timeout (rtlab-server --heartbeat 2).</p>") },
        { QStringLiteral("restart"), tr("Server restart and reset"),
          tr("<p>The bundled server restarts: a new process, a new log, a new <b>epoch</b>. Clients reconnect with "
             "their last id and its epoch; the server cannot know what they missed and says so with a "
             "<b>reset</b> — never a silent gap.</p><p><b>Watch</b>: Chat → the yellow reset row; Timeline → the "
             "reset diamond; the toolbar's reset count.</p>") },
        { QStringLiteral("upgradeBlocked"), tr("WebSocket upgrade blocked"),
          tr("<p>The relay refuses WebSocket upgrades with 403, as some proxies do. In Auto mode the client falls "
             "back to SSE, and tries WebSocket again every 30 s.</p><p><b>Watch</b>: Timeline → <i>fell-back</i>; the "
             "toolbar says <i>via SSE</i>. Untick <i>Refuse WebSocket upgrades</i> and Auto goes back up.</p>") },
    };
}

void LabController::startLesson(const QString &key)
{
    resetFaults();
    if (key == u"holdTimeouts") {
        trigger(QStringLiteral("shortHold"));
    } else if (key == u"idleKill") {
        m_app->setCompareEnabled(true);
        if (m_app->usingBundledServer()) {
            m_app->server()->setExtraArguments({ QStringLiteral("--tick-rate"), QStringLiteral("0") });
            m_app->restartServer();
        }
        ImpairmentRelay::Settings s;
        s.idleKillMs = 5000;
        relay()->setSettings(s);
    } else if (key == u"restart") {
        m_app->setCompareEnabled(true);
        m_app->restartServer();
    } else if (key == u"upgradeBlocked") {
        trigger(QStringLiteral("blockUpgrades"));
    }
}

static QString ms(qint64 us)
{
    return us < 0 ? QStringLiteral("–") : QString::number(double(us) / 1000.0, 'f', 1);
}

double LabController::sseIdleBytesPerSec() const
{
    if (m_sseBytes.size() < 2)
        return -1;
    const auto &[t0, b0] = m_sseBytes.front();
    const auto &[t1, b1] = m_sseBytes.back();
    return t1 > t0 ? double(b1 - b0) * 1000.0 / double(t1 - t0) : -1;
}

void LabController::refresh()
{
    RealtimeClient *lp = m_app->lane(TransportKind::LongPoll);
    RealtimeClient *sse = m_app->lane(TransportKind::Sse);
    RealtimeClient *ws = m_app->lane(TransportKind::WebSocket);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (sse) {
        m_sseBytes.emplace_back(now, sse->stats(TransportKind::Sse).wireBytes());
        while (!m_sseBytes.empty() && now - m_sseBytes.front().first > 10000)
            m_sseBytes.pop_front();
    }
    const ImpairmentRelay::Counters relayCounters = relay()->counters();
    const QJsonObject server = m_stats.latest();
    auto lane = [](RealtimeClient *c, TransportKind k) -> const TransportStats * { return c ? &c->stats(k) : nullptr; };
    const TransportStats *l = lane(lp, TransportKind::LongPoll);
    const TransportStats *s = lane(sse, TransportKind::Sse);
    const TransportStats *w = lane(ws, TransportKind::WebSocket);
    auto perMsg = [](const TransportStats *t) {
        if (!t || t->messages == 0)
            return QStringLiteral("–");
        const double n = double(t->messages);
        return tr("%1 B (%2 / %3 / %4)")
                .arg(double(t->wireBytes()) / n, 0, 'f', 0)
                .arg(double(t->headerBytes) / n, 0, 'f', 0)
                .arg(double(t->framingBytes) / n, 0, 'f', 0)
                .arg(double(t->payloadBytes) / n, 0, 'f', 0);
    };
    qint64 fellBack = 0;
    for (const EventLogModel::Row &r : m_app->events()->rows())
        if (r.event.type == ConnectionEvent::Type::FellBack)
            ++fellBack;

    if (l) {
        m_claims.setMeasured(0, tr("%1 plain HTTP requests carried %2 messages").arg(l->httpRequests).arg(l->messages));
        m_claims.setMeasured(2, tr("%1 hold timeouts, each followed by a new poll (hold %2 s)")
                                        .arg(l->holdTimeouts)
                                        .arg(double(m_app->pollHoldMs()) / 1000.0));
    }
    if (!server.isEmpty()) {
        m_claims.setMeasured(1, tr("server: %1 polls held, %2 poll requests/s, %3 sockets for long polling")
                                        .arg(m_stats.transportValue(QStringLiteral("lp"), QStringLiteral("held")))
                                        .arg(m_stats.transportRate(QStringLiteral("lp"), QStringLiteral("requests")), 0, 'f', 1)
                                        .arg(m_stats.transportValue(QStringLiteral("lp"), QStringLiteral("connections"))));
        m_claims.setMeasured(7, tr("server refused %1 foreign-Origin handshakes (%2 tried from here)")
                                        .arg(server.value(QLatin1String("rejectedOrigin")).toInteger())
                                        .arg(m_foreignAttempts));
    }
    if (l && w)
        m_claims.setMeasured(3, tr("p99 %1 ms long polling vs %2 ms WebSocket (p50 %3 vs %4), %5 bursts of %6")
                                        .arg(ms(l->latency.percentile(99)), ms(w->latency.percentile(99)),
                                             ms(l->latency.percentile(50)), ms(w->latency.percentile(50)))
                                        .arg(m_bursts)
                                        .arg(BurstSize));
    if (l && s && w) {
        m_claims.setMeasured(4, tr("per message, headers/framing/payload: WS %1 · SSE %2 · LP %3")
                                        .arg(perMsg(w), perMsg(s), perMsg(l)));
        m_claims.setMeasured(5, tr("WebSocket: %1 publishes on its one socket (%2 HTTP request in all); "
                                   "long polling and SSE: %3 extra POSTs")
                                        .arg(w->publishes)
                                        .arg(w->httpRequests)
                                        .arg(l->publishes + s->publishes));
        m_claims.setMeasured(10, tr("%1 publishes from the SSE lane, each a POST /send beside the stream")
                                         .arg(s->publishes));
        const double idle = sseIdleBytesPerSec();
        m_claims.setMeasured(8, idle < 0 ? tr("measuring…")
                                         : tr("SSE lane: %1 B/s over the last 10 s (%2 heartbeats so far)")
                                                   .arg(idle, 0, 'f', 1)
                                                   .arg(s->heartbeats));
        m_claims.setMeasured(9, tr("%1 SSE messages through the plain HTTP relay (%2 bytes down), %3 gaps")
                                        .arg(s->messages)
                                        .arg(relayCounters.bytesDown)
                                        .arg(sse->continuity().gaps));
        m_claims.setMeasured(12, tr("SSE lane: %1 reconnects with Last-Event-ID, %2 gaps, %3 resets")
                                         .arg(s->reconnects)
                                         .arg(sse->continuity().gaps)
                                         .arg(s->resets));
    }
    m_claims.setMeasured(6, tr("relay refused %1 upgrades; Auto fell back %2 times; now via %3")
                                    .arg(relayCounters.refusedUpgrades)
                                    .arg(fellBack)
                                    .arg(m_app->client()->activeTransport()
                                                 ? transportKindLabel(*m_app->client()->activeTransport())
                                                 : tr("nothing")));
    m_claims.setMeasured(11, tr("open %1 in a browser: the 7th stream waits").arg(m_app->serverUrl().toString()));
}

} // namespace rtlab
