// SPDX-License-Identifier: MIT
#include "appcontroller.h"

#include "wirecontract.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QSettings>
#include <QStandardPaths>

#include <cstdio>
#include <functional>

namespace rtlab {

AppController::AppController(QObject *parent) : QObject(parent)
{
    for (auto [s, name] :
         std::initializer_list<std::pair<Series, const char *>> { { Series::ConnectionsLp, "long polling" },
                                                                  { Series::ConnectionsSse, "SSE" },
                                                                  { Series::ConnectionsWs, "WebSocket" },
                                                                  { Series::HeldPolls, "held polls" },
                                                                  { Series::MessagesPerSec, "messages/s" },
                                                                  { Series::BytesLp, "long polling" },
                                                                  { Series::BytesSse, "SSE" },
                                                                  { Series::BytesWs, "WebSocket" },
                                                                  { Series::ClientLatency, "this client" },
                                                                  { Series::Rss, "server RSS" } })
        m_series.emplace(s, TimeSeries(QString::fromLatin1(name), 1200));
    for (int i = 0; i < TransportKindCount; ++i)
        m_laneLatency[size_t(i)] = TimeSeries(transportKindLabel(TransportKind(i)), 1200);
    m_laneWanted.fill(true);

    connect(&m_client, &RealtimeClient::messageReceived, this, &AppController::onMessage);
    connect(&m_client, &RealtimeClient::latencyMeasured, this, [this](TransportKind, qint64 us) {
        m_series.at(Series::ClientLatency).append(QDateTime::currentMSecsSinceEpoch(), double(us) / 1000.0);
    });
    connect(&m_client, &RealtimeClient::publishStateChanged, this,
            [this](const QString &clientMsgId, Outbox::State state) {
                const Outbox::Item *item = m_client.outbox().find(clientMsgId);
                m_chat.setDelivery(clientMsgId, state, item ? item->errorString : QString());
            });
    connect(&m_client, &RealtimeClient::eventOccurred, this,
            [this](const ConnectionEvent &e) { m_events.append(e, QStringLiteral("client")); });
    // A failover on a cluster: the Dashboard's client list and the Lab's figures come from the node
    // the chat client is on, not from a dead one. (The relay is never in front of a cluster.)
    connect(&m_client, &RealtimeClient::serverChanged, this, [this](const QUrl &now) {
        m_clients.setServer(now, m_token);
        emit nodeChanged(now);
    });
    connect(&m_server, &ServerProcess::started, this, [this](const QUrl &url) {
        // Say where it is, so that curl, rtlab-cli or a browser can join in.
        std::printf("rtlab: bundled server listening on %s\n", qPrintable(url.toString()));
        std::fflush(stdout);
        if (m_bundled)
            connectClient({ url }, {});
    });
    connect(&m_server, &ServerProcess::errorOccurred, this, [this](const QString &message) {
        // Also where `rtlab --listen` was typed: a port in use must not go unnoticed.
        std::fprintf(stderr, "rtlab: bundled server: %s\n", qPrintable(message));
        emit errorOccurred(message);
        // A history that would not open (rtlab-server: --store sqlite:PATH: SQLite's message):
        // the user decides whether to go on without it, never silently on memory.
        const QStringList store = m_server.storeArguments();
        if (!store.isEmpty() && m_server.runningArguments().contains(store.last())
            && (message.contains(QLatin1String("--store")) || message.contains(historyPath())))
            emit historyStoreFailed(message);
    });
    // The relay and the compare lanes run on a network thread of their own: the lanes take their
    // receive timestamps there, so that painting and models on the GUI thread cannot delay them
    // (docs/benchmarks.md: the window's p99 was 5-6× rtlab-cli's at 2,000 msg/s when they shared it).
    m_network.setObjectName(QStringLiteral("rtlab network"));
    m_network.start();
    m_networkContext = new QObject;
    m_networkContext->moveToThread(&m_network);
    onNetwork([this] { m_relay = new ImpairmentRelay; });
    m_relay->listen(QHostAddress::LocalHost, 0); // the target is set when a server is known
    // The relay's faults as marks on the X-ray's lifelines. It knows a refused upgrade is a
    // WebSocket's and a refused stream an SSE's; a cut (a drop, an idle kill, network down) may
    // hit any lane's connection, so it is marked on every lifeline.
    connect(m_relay, &ImpairmentRelay::connectionCut, this, [this](const QString &reason) {
        const QString label = tr("relay: %1").arg(reason);
        if (reason == u"upgrade refused")
            m_capture->mark(TransportKind::WebSocket, WireRecord::Kind::Fault, label);
        else if (reason == u"event stream refused")
            m_capture->mark(TransportKind::Sse, WireRecord::Kind::Fault, label);
        else
            for (int i = 0; i < TransportKindCount; ++i)
                m_capture->mark(TransportKind(i), WireRecord::Kind::Fault, label);
    });
    m_refreshTimer.setInterval(250);
    connect(&m_refreshTimer, &QTimer::timeout, this, &AppController::refreshed);
    m_refreshTimer.start();
}

AppController::~AppController()
{
    stopLanes();
    m_client.stop();
    // The relay's upstream sockets belong to this process: while stopAndWait() blocks, nothing
    // here answers the server's goodbyes (a WebSocket close), and the server would wait its
    // whole 3 s grace for them. Cut them now, so it finds nothing left and exits at once.
    m_relay->dropAll();
    m_server.stopAndWait();
    onNetwork([this] {
        delete std::exchange(m_relay, nullptr);
        delete m_networkContext;
    });
    m_network.quit();
    m_network.wait();
}

void AppController::start(const QUrl &server, const QByteArray &token)
{
    QSettings s;
    m_nickname = s.value(QStringLiteral("nickname"), qEnvironmentVariable("USER", QStringLiteral("guest"))).toString();
    RealtimeClient::Mode mode = RealtimeClient::Mode::WebSocket;
    RealtimeClient::modeFromKey(s.value(QStringLiteral("transport"), QStringLiteral("ws")).toString(), &mode);
    m_mode = mode;
    setPollIntervalMs(s.value(QStringLiteral("pollIntervalMs"), 1000).toLongLong());
    m_preset =
            ReconnectPolicy::presetFromName(s.value(QStringLiteral("reconnect"), QStringLiteral("default")).toString())
                    .value_or(ReconnectPolicy::Preset::Exponential);
    m_keepHistory = s.value(QStringLiteral("server/keepHistory"), false).toBool();
    applyStore();
    if (!m_listenFromCommandLine)
        m_server.setListenAddress(ListenAddress::parse(s.value(QStringLiteral("classroom/listen")).toString()));
    QList<QUrl> saved;
    if (!server.isEmpty()) {
        saved = { server };
    } else {
        // serverUrls: every node of a cluster (serverUrl, its first, is what older versions read).
        for (const QString &u : s.value(QStringLiteral("serverUrls")).toStringList())
            if (const QUrl url(u); url.isValid() && !url.isEmpty() && !saved.contains(url))
                saved.append(url);
        if (saved.isEmpty())
            saved = { s.value(QStringLiteral("serverUrl")).toUrl() };
    }
    if (saved.constFirst().isValid() && !saved.constFirst().isEmpty())
        connectTo(saved, server.isEmpty() ? QByteArray() : token); // a token is never saved
    else
        useBundledServer();
}

void AppController::startFresh()
{
    m_nickname = QStringLiteral("lesson");
    useBundledServer();
}

void AppController::saveSettings()
{
    QSettings s;
    s.setValue(QStringLiteral("nickname"), m_nickname);
    s.setValue(QStringLiteral("transport"), RealtimeClient::modeKey(m_mode));
    s.setValue(QStringLiteral("pollIntervalMs"), m_pollIntervalMs);
    s.setValue(QStringLiteral("reconnect"), ReconnectPolicy::presetName(m_preset));
    s.setValue(QStringLiteral("serverUrl"), m_bundled ? QUrl() : m_url);
    QStringList urls;
    if (!m_bundled)
        for (const QUrl &u : std::as_const(m_urls))
            urls.append(u.toString());
    s.setValue(QStringLiteral("serverUrls"), urls);
}

QString AppController::historyPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
            .filePath(QStringLiteral("history.db"));
}

QStringList AppController::storeArguments(bool keepHistory, const QString &path)
{
    if (!keepHistory)
        return {};
    return { QStringLiteral("--store"), QStringLiteral("sqlite:") + path };
}

void AppController::applyStore()
{
    if (m_keepHistory) // the server creates the file, not its directory
        QDir().mkpath(QFileInfo(historyPath()).absolutePath());
    m_server.setStoreArguments(storeArguments(m_keepHistory, historyPath()));
}

bool AppController::setKeepHistory(bool keep)
{
    QSettings().setValue(QStringLiteral("server/keepHistory"), keep);
    if (keep == m_keepHistory)
        return false;
    m_keepHistory = keep;
    applyStore();
    emit keepHistoryChanged(keep);
    // Another store is another server process; a failed one (the history would not open) too.
    if (!m_bundled || m_server.state() == ServerProcess::State::Stopped || !m_server.argumentsChanged())
        return false;
    m_server.restart();
    return true;
}

void AppController::setListenAddress(const ListenAddress &address, bool remember)
{
    if (remember) {
        QSettings s;
        s.setValue(QStringLiteral("classroom/listen"), address.toString());
    } else {
        m_listenFromCommandLine = true;
    }
    if (address == m_server.listenAddress()) {
        // The same address again after it failed (the port was taken, now freed): try again.
        if (m_bundled && m_server.state() == ServerProcess::State::Failed)
            m_server.start();
        return;
    }
    m_server.setListenAddress(address);
    emit listenAddressChanged(address);
    // A new address is a new server process: the clients follow it to its new URL.
    if (m_bundled && m_server.state() != ServerProcess::State::Stopped)
        m_server.restart();
}

void AppController::setNickname(const QString &nickname)
{
    const QString n = nickname.trimmed().left(64);
    if (n.isEmpty() || n == m_nickname)
        return;
    m_nickname = n;
    emit nicknameChanged(n);
}

void AppController::setMode(RealtimeClient::Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    // Live, make before break: the new transport opens from our last id before the old closes.
    m_client.switchTo(mode);
    emit modeChanged(mode);
}

void AppController::setReconnectPreset(ReconnectPolicy::Preset preset)
{
    m_preset = preset;
    m_client.setReconnectPolicy(ReconnectPolicy::preset(preset));
}

void AppController::onNetwork(const std::function<void()> &work) const
{
    QMetaObject::invokeMethod(m_networkContext, work, Qt::BlockingQueuedConnection);
}

std::optional<AppController::LaneSnapshot> AppController::laneSnapshot(TransportKind kind) const
{
    RealtimeClient *lane = m_lanes[size_t(kind)];
    if (!lane)
        return std::nullopt;
    LaneSnapshot s;
    onNetwork([&] {
        s.state = lane->state();
        s.stats = lane->stats(kind);
        s.continuity = lane->continuity();
        s.position = lane->position();
    });
    return s;
}

bool AppController::lanePublish(TransportKind kind, const QString &from, const QString &text)
{
    RealtimeClient *lane = m_lanes[size_t(kind)];
    bool ok = false;
    if (lane)
        onNetwork([&] { ok = lane->publish(from, text); });
    return ok;
}

void AppController::connectClient(const QList<QUrl> &urls, const QByteArray &token)
{
    const QUrl url = urls.value(0);
    const bool changed = urls != m_urls || token != m_token;
    m_url = url;
    m_urls = urls;
    m_token = token;
    if (changed) {
        m_clients.setServer(url, token); // straight to the server: the relay's faults are not its figures
        m_nodes.clear();
    }
    const QHostAddress address(url.host());
    if (urls.size() == 1 && !address.isNull() && url.scheme() == u"http" && m_relay->port() != 0) {
        m_relay->setTarget(address, quint16(url.port(80)));
        m_clientUrl = m_relay->url();
        m_clientUrls = { m_clientUrl };
    } else {
        // A name or TLS, or a cluster (the relay stands in front of one server): straight there,
        // without the relay's faults.
        m_clientUrl = url;
        m_clientUrls = urls;
    }
    m_client.setServerUrls(m_clientUrls);
    m_client.setToken(m_token);
    m_client.setPollHoldMs(m_pollHoldMs);
    m_client.setPollIntervalMs(m_pollIntervalMs);
    m_client.setReconnectPolicy(ReconnectPolicy::preset(m_preset));
    if (changed || m_client.state() == ClientTransport::State::Closed) {
        m_client.start(m_mode, changed ? StreamPosition {} : m_client.position());
        emit serverUrlChanged(url);
    }
    if (m_compare && changed)
        startLanes();
}

void AppController::connectTo(const QUrl &url, const QByteArray &token)
{
    connectTo(QList<QUrl> { url }, token);
}

void AppController::connectTo(const QList<QUrl> &urls, const QByteArray &token)
{
    if (urls.isEmpty())
        return;
    m_bundled = false;
    m_server.stop();
    connectClient(urls, token);
}

void AppController::useBundledServer()
{
    m_bundled = true;
    if (m_server.state() == ServerProcess::State::Running)
        connectClient({ m_server.url() }, {});
    else
        m_server.start();
}

void AppController::restartServer()
{
    if (!m_bundled) {
        useBundledServer();
        return;
    }
    // The clients stay: they reconnect to the new server at the same URL and are told of the
    // new epoch with a reset.
    m_server.restart();
}

void AppController::stopServer()
{
    m_server.stop();
}

bool AppController::setServerOverrides(const QStringList &arguments)
{
    if (arguments == m_server.overrideArguments())
        return false;
    m_server.setOverrideArguments(arguments);
    if (!m_bundled || m_server.state() != ServerProcess::State::Running || !m_server.argumentsChanged())
        return false;
    restartServer();
    return true;
}

bool AppController::sendChat(const QString &text, QString *why)
{
    if (text.trimmed().isEmpty())
        return false;
    QString clientMsgId;
    if (!m_client.publish(m_nickname, text, &clientMsgId, why))
        return false;
    ++m_sent;
    ChatModel::Row row;
    row.type = MessageType::Chat;
    row.from = m_nickname;
    row.text = text;
    row.ts = nowMicros();
    row.via = m_client.activeTransport().value_or(TransportKind::WebSocket); // replaced when it arrives
    row.own = true;
    row.clientMsgId = clientMsgId;
    const Outbox::Item *item = m_client.outbox().find(clientMsgId);
    row.delivery = item ? item->state : Outbox::State::Sent;
    m_chat.addOutgoing(row);
    return true;
}

bool AppController::retryChat(const QString &clientMsgId)
{
    return m_client.retry(clientMsgId);
}

void AppController::setPollHoldMs(qint64 ms)
{
    m_pollHoldMs = qBound(qint64(0), ms, qint64(600000));
    m_client.setPollHoldMs(m_pollHoldMs);
    if (m_compare)
        startLanes();
}

void AppController::setPollIntervalMs(qint64 ms)
{
    const qint64 bounded = qBound(qint64(10), ms, qint64(3600 * 1000));
    if (bounded == m_pollIntervalMs)
        return;
    m_pollIntervalMs = bounded;
    m_client.setPollIntervalMs(m_pollIntervalMs);
    if (m_compare)
        startLanes();
}

void AppController::setCompareEnabled(bool enabled)
{
    if (enabled == m_compare)
        return;
    m_compare = enabled;
    m_laneWanted.fill(true); // compare turned on by hand: every transport
    if (enabled)
        startLanes();
    else
        stopLanes();
    emit compareEnabledChanged(enabled);
}

void AppController::restartLanes(const QList<TransportKind> &kinds)
{
    m_laneWanted.fill(kinds.isEmpty());
    for (TransportKind k : kinds)
        m_laneWanted[size_t(k)] = true;
    if (!m_compare) {
        m_compare = true;
        emit compareEnabledChanged(true);
    }
    startLanes(true);
}

void AppController::resetMeasurements()
{
    m_client.resetStats();
    m_series.at(Series::ClientLatency).clear();
    for (int i = 0; i < TransportKindCount; ++i) {
        m_laneLatency[size_t(i)].clear();
    }
    onNetwork([this] {
        for (RealtimeClient *lane : m_lanes)
            if (lane)
                lane->resetStats();
    });
}

void AppController::startLanes(bool fromLiveEnd)
{
    stopLanes();
    if (!m_url.isValid())
        return;
    const StreamPosition from = fromLiveEnd ? StreamPosition {} : m_client.position();
    for (TimeSeries &series : m_laneLatency)
        series.clear();
    onNetwork([this, from, token = m_token] {
        for (int i = 0; i < TransportKindCount; ++i) {
            const TransportKind kind = TransportKind(i);
            if (!m_laneWanted[size_t(i)])
                continue;
            auto *lane = new RealtimeClient;
            m_lanes[size_t(i)] = lane;
            lane->setReconnectPolicy(ReconnectPolicy::preset(m_preset));
            // Context `this` lives on the GUI thread: these run there, queued.
            connect(lane, &RealtimeClient::eventOccurred, this,
                    [this](const ConnectionEvent &e) { m_events.append(e, QStringLiteral("lane")); });
            connect(lane, &RealtimeClient::latencyMeasured, this, [this, kind](TransportKind, qint64 us) {
                m_laneLatency[size_t(kind)].append(QDateTime::currentMSecsSinceEpoch(), double(us) / 1000.0);
                emit laneLatencyMeasured(kind, us);
            });
            lane->setServerUrls(m_clientUrls);
            lane->setToken(token);
            lane->setPollHoldMs(m_pollHoldMs);
            lane->setPollIntervalMs(m_pollIntervalMs);
            lane->setWireCapture(m_capture);
            lane->start(RealtimeClient::modeFor(kind), from);
        }
    });
    emit lanesRestarted();
}

void AppController::stopLanes()
{
    bool had = false;
    onNetwork([this, &had] {
        for (RealtimeClient *&lane : m_lanes) {
            had = had || lane;
            delete std::exchange(lane, nullptr);
        }
    });
    if (had)
        emit lanesRestarted();
}

void AppController::onMessage(const Message &m, TransportKind via)
{
    const qint64 latency = m.ts > 0 ? oneWayLatencyUs(m.ts, m_client.clock()) : -1;
    if (m.type == MessageType::Tick) {
        onTick(m);
        return;
    }
    ChatModel::Row row;
    row.id = m.id;
    row.type = m.type;
    row.from = m.from;
    row.text = m.text;
    row.ts = m.ts;
    row.via = via;
    row.latencyUs = latency;
    row.clientMsgId = m.clientMsgId;
    row.own = m.type == MessageType::Chat
            && (m_client.outbox().isOwn(m.clientMsgId) || (m.from == m_nickname && m.clientTs.isDouble()));
    if (m.type == MessageType::Reset) {
        row.from = QStringLiteral("server");
        row.text = m.lost < 0 ? tr("New server epoch %1: the server restarted; what was missed cannot be known. "
                                   "Going on from #%2.")
                                        .arg(m.epoch)
                                        .arg(m.cursor)
                              : tr("%1 messages were older than the server's history and are lost. Going on from #%2.")
                                        .arg(m.lost)
                                        .arg(m.cursor);
    }
    m_chat.append(row);
}

void AppController::onTick(const Message &m)
{
    const std::optional<TickData> tick = TickData::fromJson(m.data);
    if (!tick)
        return; // not a tick of this protocol: nothing to draw
    const auto at = [](const std::array<qint64, TransportKindCount> &values, TransportKind kind) {
        return values[size_t(kind)];
    };
    const qint64 t = m.ts / 1000;
    if (!tick->node.isEmpty()) {
        onClusterTick(t, *tick);
        return;
    }
    m_series.at(Series::ConnectionsLp).append(t, double(at(tick->connections, TransportKind::LongPoll)));
    m_series.at(Series::ConnectionsSse).append(t, double(at(tick->connections, TransportKind::Sse)));
    m_series.at(Series::ConnectionsWs).append(t, double(at(tick->connections, TransportKind::WebSocket)));
    m_series.at(Series::HeldPolls).append(t, double(tick->heldPolls));
    m_series.at(Series::MessagesPerSec).append(t, tick->messagesPerSec);
    m_series.at(Series::Rss).append(t, double(tick->rss) / (1024.0 * 1024.0));
    const std::array<std::pair<TransportKind, Series>, 3> lanes { { { TransportKind::LongPoll, Series::BytesLp },
                                                                    { TransportKind::Sse, Series::BytesSse },
                                                                    { TransportKind::WebSocket, Series::BytesWs } } };
    for (size_t i = 0; i < lanes.size(); ++i) {
        const qint64 total = at(tick->bytesOut, lanes[i].first);
        if (m_lastTickMs > 0 && t > m_lastTickMs && total >= m_lastBytes[i])
            m_series.at(lanes[i].second).append(t, double(total - m_lastBytes[i]) * 1000.0 / double(t - m_lastTickMs));
        m_lastBytes[i] = total;
    }
    m_lastTickMs = t;
}

// A cluster's nodes each tick into the shared log: the charts draw the cluster (the sum over live
// nodes, the log's rate once), the table each node; one node's figures between another's ticks
// would make a saw of every line.
void AppController::onClusterTick(qint64 tMs, const TickData &tick)
{
    m_nodes.addTick(tMs, tick);
    const ClusterNodesModel::Figures total = m_nodes.total();
    const auto at = [&total](TransportKind kind) { return double(total.connections[size_t(kind)]); };
    m_series.at(Series::ConnectionsLp).append(tMs, at(TransportKind::LongPoll));
    m_series.at(Series::ConnectionsSse).append(tMs, at(TransportKind::Sse));
    m_series.at(Series::ConnectionsWs).append(tMs, at(TransportKind::WebSocket));
    m_series.at(Series::HeldPolls).append(tMs, double(total.heldPolls));
    m_series.at(Series::MessagesPerSec).append(tMs, total.messagesPerSec);
    m_series.at(Series::Rss).append(tMs, double(total.rss) / (1024.0 * 1024.0));
    m_series.at(Series::BytesLp).append(tMs, total.bytesPerSec[size_t(TransportKind::LongPoll)]);
    m_series.at(Series::BytesSse).append(tMs, total.bytesPerSec[size_t(TransportKind::Sse)]);
    m_series.at(Series::BytesWs).append(tMs, total.bytesPerSec[size_t(TransportKind::WebSocket)]);
}

} // namespace rtlab
