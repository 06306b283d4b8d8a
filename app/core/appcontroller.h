// SPDX-License-Identifier: MIT
#pragma once

#include "chatmodel.h"
#include "clusternodesmodel.h"
#include "connectedclientsmodel.h"
#include "eventlogmodel.h"
#include "impairmentrelay.h"
#include "realtimeclient.h"
#include "serverprocess.h"
#include "timeseries.h"

#include <QObject>
#include <QThread>
#include <QTimer>

#include <array>
#include <functional>
#include <map>
#include <optional>

namespace rtlab {

// The desktop client's logic, free of widgets: the bundled server, the chat client and its
// transport, the compare lanes, the dashboard series, the event log, the settings. Widgets
// show what it holds and forward what the user does.
class AppController : public QObject
{
    Q_OBJECT
public:
    enum class Series {
        ConnectionsLp,
        ConnectionsSse,
        ConnectionsWs,
        HeldPolls,
        MessagesPerSec,
        BytesLp,
        BytesSse,
        BytesWs,
        ClientLatency,
        Rss,
    };

    explicit AppController(QObject *parent = nullptr);
    ~AppController() override;

    // Loads the settings and connects: to `server` if given, else to a saved server URL, else
    // to the bundled server.
    void start(const QUrl &server = {}, const QByteArray &token = {});
    // Starts with the defaults and the bundled server, reading no settings: a headless lesson run.
    void startFresh();
    void saveSettings();

    ServerProcess *server() { return &m_server; }
    RealtimeClient *client() { return &m_client; }
    ChatModel *chat() { return &m_chat; }
    EventLogModel *events() { return &m_events; }
    // The compare lanes live on the network thread: the GUI reads a copy of their figures, taken
    // there, and publishes through them by asking there.
    struct LaneSnapshot
    {
        ClientTransport::State state = ClientTransport::State::Closed;
        TransportStats stats;
        RealtimeClient::Continuity continuity;
        StreamPosition position; // the epoch and last id it has: where it resumes from
    };
    std::optional<LaneSnapshot> laneSnapshot(TransportKind kind) const;
    bool hasLane(TransportKind kind) const { return m_lanes[size_t(kind)] != nullptr; }
    bool lanePublish(TransportKind kind, const QString &from, const QString &text);
    // What the compare lanes sent and received, exchange by exchange and frame by frame (the
    // protocol X-ray). One capture for all lanes; it outlives a restart of the lanes.
    std::shared_ptr<WireCapture> wireCapture() const { return m_capture; }
    TimeSeries &series(Series s) { return m_series.at(s); }
    TimeSeries &laneLatency(TransportKind kind) { return m_laneLatency[size_t(kind)]; }

    QString nickname() const { return m_nickname; }
    void setNickname(const QString &nickname);
    RealtimeClient::Mode mode() const { return m_mode; }
    void setMode(RealtimeClient::Mode mode);
    ReconnectPolicy::Preset reconnectPreset() const { return m_preset; }
    void setReconnectPreset(ReconnectPolicy::Preset preset);

    bool usingBundledServer() const { return m_bundled; }
    QUrl serverUrl() const { return m_url; }
    // Every server the clients may use, the first being serverUrl(): the nodes of a cluster,
    // which the chat client and every lane move between when one fails (RealtimeClient).
    QList<QUrl> serverUrls() const { return m_urls; }
    // Where this window's clients connect: the impairment relay in front of the server (when
    // the server has an IP address), so that faults can be made on purpose.
    QUrl clientUrl() const { return m_clientUrl; }
    ImpairmentRelay *relay() { return m_relay; }
    // The hold long polls ask for (the server caps it); the lanes restart with it.
    void setPollHoldMs(qint64 ms);
    qint64 pollHoldMs() const { return m_pollHoldMs; }
    // The clients the server has now, per transport (its /stats?clients=1), for the Dashboard.
    ConnectedClientsModel *connectedClients() { return &m_clients; }
    // On a cluster: each node's figures from its ticks, and the cluster's (the Dashboard's table).
    ClusterNodesModel *clusterNodes() { return &m_nodes; }
    // Classroom mode: where the bundled server listens (invalid: loopback on a free port).
    // Restarts a running bundled server there. `remember` keeps it for the next launch (the
    // Classroom panel); rtlab --listen applies it to this run only.
    void setListenAddress(const ListenAddress &address, bool remember = true);
    ListenAddress listenAddress() const { return m_server.listenAddress(); }
    // Short polling's interval, from one poll to the next (a setting; 10 ms to 1 h). The chat
    // client uses it from its next short-polling transport on; the lanes restart with it.
    void setPollIntervalMs(qint64 ms);
    qint64 pollIntervalMs() const { return m_pollIntervalMs; }
    // Connects the chat client (and the compare lanes) to `url`, with `token` for a server started
    // with --auth-key (empty: none). The token is kept in memory only, never in the settings, and
    // goes to that server only: the bundled server gets none.
    void connectTo(const QUrl &url, const QByteArray &token = {});
    // The same with the nodes of a cluster, in the order the clients try them (straight there:
    // the impairment relay stands in front of one server only).
    void connectTo(const QList<QUrl> &urls, const QByteArray &token = {});
    QByteArray token() const { return m_token; }
    void useBundledServer();
    void restartServer();
    void stopServer();
    // Settings → "Keep history across restarts": the bundled server keeps its log in SQLite in
    // the user's data directory (historyPath()), so a restart resumes every client with nothing
    // lost. Off by default: a restart that loses the log is a lesson. Saved at once; a running
    // bundled server restarts with it (returns true if it did).
    bool keepHistory() const { return m_keepHistory; }
    bool setKeepHistory(bool keep);
    // <AppDataLocation>/history.db: where the kept history lives.
    static QString historyPath();
    // The bundled server's store arguments for the setting: none for memory (its default).
    static QStringList storeArguments(bool keepHistory, const QString &path);
    // A lesson's server options on top of the usual ones (empty: none). Restarts the bundled
    // server when they change; returns true if it did.
    bool setServerOverrides(const QStringList &arguments);

    // Hands a chat message to the client's outbox and shows it at once as an outgoing row. False
    // when nothing was queued: an empty text, or the outbox refused it (*why says why).
    bool sendChat(const QString &text, QString *why = nullptr);
    // Sends a failed message again.
    bool retryChat(const QString &clientMsgId);
    qint64 ownMessagesSent() const { return m_sent; }

    bool compareEnabled() const { return m_compare; }
    void setCompareEnabled(bool enabled);
    // New compare lanes (compare turns on), starting from the server's live end: their figures
    // begin now, free of any backlog. `kinds`: the lanes to run (empty: one per transport, as
    // turning compare on runs); a lesson names the lanes its claim compares.
    void restartLanes(const QList<TransportKind> &kinds = {});
    // Whether compare runs a lane for this transport now (a lesson may have chosen fewer).
    bool laneRuns(TransportKind kind) const { return m_compare && m_laneWanted[size_t(kind)]; }
    // Every figure starts over: the chat client's and the lanes' statistics and latency charts.
    void resetMeasurements();

signals:
    void serverUrlChanged(const QUrl &url);
    // On a cluster: the chat client moved to another node (a failover); the figures follow it.
    void nodeChanged(const QUrl &url);
    void modeChanged(rtlab::RealtimeClient::Mode mode);
    void compareEnabledChanged(bool enabled);
    void nicknameChanged(const QString &nickname);
    void listenAddressChanged(const rtlab::ListenAddress &address);
    void errorOccurred(const QString &message);
    void keepHistoryChanged(bool keep);
    // The bundled server could not open the kept history: `why` in the server's words (the path
    // and SQLite's message). The window offers to go on with memory.
    void historyStoreFailed(const QString &why);
    // The lanes were replaced: views drop what they hold of the old ones.
    void lanesRestarted();
    // A lane's live one-way latency sample (µs), as the lane measured it on the network thread.
    void laneLatencyMeasured(rtlab::TransportKind kind, qint64 micros);
    // A few times a second: figures moved; views re-read them.
    void refreshed();

private:
    void connectClient(const QList<QUrl> &urls, const QByteArray &token);
    void applyStore(); // the setting → the bundled server's store arguments
    void startLanes(bool fromLiveEnd = false);
    void stopLanes();
    void onMessage(const Message &m, TransportKind via);
    void onTick(const Message &m);
    void onClusterTick(qint64 tMs, const TickData &tick);
    // Runs work on the network thread and waits for it.
    void onNetwork(const std::function<void()> &work) const;

    ServerProcess m_server;
    QThread m_network;
    QObject *m_networkContext = nullptr; // lives on m_network
    ImpairmentRelay *m_relay = nullptr;  // lives on m_network
    RealtimeClient m_client;
    std::array<RealtimeClient *, TransportKindCount> m_lanes {}; // live on m_network
    std::array<bool, TransportKindCount> m_laneWanted {};        // which lanes startLanes() runs
    std::shared_ptr<WireCapture> m_capture = std::make_shared<WireCapture>();
    ChatModel m_chat;
    ConnectedClientsModel m_clients;
    ClusterNodesModel m_nodes;
    QList<QUrl> m_urls;
    QList<QUrl> m_clientUrls; // where the clients connect: the relay for one server, else m_urls
    bool m_listenFromCommandLine = false;
    EventLogModel m_events;
    std::map<Series, TimeSeries> m_series;
    std::array<TimeSeries, TransportKindCount> m_laneLatency;
    QTimer m_refreshTimer;
    QString m_nickname;
    RealtimeClient::Mode m_mode = RealtimeClient::Mode::WebSocket;
    ReconnectPolicy::Preset m_preset = ReconnectPolicy::Preset::Exponential;
    QUrl m_url;
    QByteArray m_token; // in memory only (see connectTo)
    QUrl m_clientUrl;
    qint64 m_pollHoldMs = 25000;
    qint64 m_pollIntervalMs = 1000;
    bool m_bundled = true;
    bool m_keepHistory = false;
    bool m_compare = false;
    qint64 m_sent = 0;
    // The previous tick's cumulative bytes, for rates.
    qint64 m_lastTickMs = 0;
    std::array<qint64, TransportKindCount> m_lastBytes {};
};

} // namespace rtlab
