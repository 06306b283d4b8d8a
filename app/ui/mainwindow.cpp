#include "mainwindow.h"

#include "appcontroller.h"
#include "chatview.h"
#include "compareview.h"
#include "dashboardview.h"
#include "labcontroller.h"
#include "labview.h"
#include "ledgerview.h"
#include "resultsexport.h"
#include "palette.h"
#include "timelineview.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QJsonDocument>
#include <QSaveFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMetaEnum>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>

namespace rtlab {

MainWindow::MainWindow(AppController *controller, QWidget *parent) : QMainWindow(parent), m_controller(controller)
{
    setWindowTitle(tr("rtlab — Long Polling, SSE and WebSockets side by side"));
    m_tabs = new QTabWidget(this);
    m_chat = new ChatView(controller, m_tabs);
    m_compare = new CompareView(controller, m_tabs);
    m_tabs->addTab(m_chat, tr("&Chat"));
    m_tabs->addTab(new DashboardView(controller, m_tabs), tr("&Dashboard"));
    m_tabs->addTab(m_compare, tr("C&ompare"));
    m_tabs->addTab(new TimelineView(controller, m_tabs), tr("T&imeline"));
    m_lab = new LabController(controller, this);
    m_labView = new LabView(controller, m_lab, m_tabs);
    m_tabs->addTab(m_labView, tr("&Lab"));
    m_tabs->addTab(new LedgerView(controller, m_tabs), tr("&Bytes"));
    connect(m_lab, &LabController::noticed, this, [this](const QString &m) { statusBar()->showMessage(m, 15000); });
    setCentralWidget(m_tabs);

    // The transport toggle: a segmented control of exclusive actions, Ctrl+1…Ctrl+4.
    QToolBar *bar = addToolBar(tr("Transport"));
    bar->setObjectName(QStringLiteral("transportToolbar"));
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr(" Transport: "), bar));
    m_transports = new QActionGroup(this);
    m_transports->setExclusive(true);
    const std::array<std::pair<RealtimeClient::Mode, QString>, 4> modes { {
            { RealtimeClient::Mode::LongPoll, tr("Long Polling") },
            { RealtimeClient::Mode::Sse, tr("SSE") },
            { RealtimeClient::Mode::WebSocket, tr("WebSocket") },
            { RealtimeClient::Mode::Auto, tr("Auto") },
    } };
    for (size_t i = 0; i < modes.size(); ++i) {
        QAction *a = m_transports->addAction(modes[i].second);
        a->setCheckable(true);
        a->setData(int(modes[i].first));
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + int(i))));
        a->setToolTip(tr("%1 (%2)").arg(modes[i].second, a->shortcut().toString(QKeySequence::NativeText)));
        a->setChecked(modes[i].first == controller->mode());
        bar->addAction(a);
    }
    connect(m_transports, &QActionGroup::triggered, this,
            [this](QAction *a) { m_controller->setMode(RealtimeClient::Mode(a->data().toInt())); });
    connect(controller, &AppController::modeChanged, this, [this](RealtimeClient::Mode m) {
        for (QAction *a : m_transports->actions())
            a->setChecked(a->data().toInt() == int(m));
    });
    bar->addSeparator();
    m_active = new QLabel(bar);
    m_active->setObjectName(QStringLiteral("connectionState"));
    bar->addWidget(m_active);
    bar->addSeparator();
    m_continuity = new QLabel(bar);
    m_continuity->setToolTip(tr("Every message id seen once and in order: gaps and duplicates must stay at zero "
                                "across reconnects and switches."));
    bar->addWidget(m_continuity);

    m_serverStatus = new QLabel(this);
    m_clientStatus = new QLabel(this);
    statusBar()->addWidget(m_serverStatus, 1);
    statusBar()->addPermanentWidget(m_clientStatus);
    buildMenus();

    connect(controller, &AppController::refreshed, this, &MainWindow::refreshStatus);
    connect(controller, &AppController::errorOccurred, this,
            [this](const QString &message) { statusBar()->showMessage(message, 10000); });
    connect(controller->server(), &ServerProcess::stateChanged, this, &MainWindow::refreshStatus);

    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1180, 760);
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_tabs->setCurrentIndex(s.value(QStringLiteral("window/tab"), 0).toInt());
    refreshStatus();
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *exportResults = file->addAction(tr("&Export results…"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                                             &MainWindow::exportResults);
    exportResults->setToolTip(tr("The claims table and the lanes' figures as JSON or CSV, or this tab as a PNG"));
    QAction *reset = file->addAction(tr("Re&set measurements"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                                     m_controller, &AppController::resetMeasurements);
    reset->setToolTip(tr("Every lane's figures, percentiles and charts start over from now"));

    QMenu *server = menuBar()->addMenu(tr("&Server"));
    QAction *restart = server->addAction(tr("&Restart bundled server"), QKeySequence(Qt::CTRL | Qt::Key_R),
                                         m_controller, &AppController::restartServer);
    restart->setToolTip(tr("A new server process: a new epoch, and a reset the clients must handle"));
    server->addAction(tr("S&top bundled server"), m_controller, &AppController::stopServer);
    server->addSeparator();
    server->addAction(tr("&Connect to server…"), QKeySequence(Qt::CTRL | Qt::Key_L), this, &MainWindow::connectToUrl);
    server->addAction(tr("Use the &bundled server"), m_controller, &AppController::useBundledServer);
    server->addSeparator();
    server->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *transport = menuBar()->addMenu(tr("&Transport"));
    transport->addActions(m_transports->actions());
    transport->addSeparator();
    QMenu *policy = transport->addMenu(tr("&Reconnect policy"));
    auto *policies = new QActionGroup(this);
    for (auto [preset, label] : std::initializer_list<std::pair<ReconnectPolicy::Preset, QString>> {
                 { ReconnectPolicy::Preset::Exponential, tr("Exponential 0.5 → 15 s, ±50 % jitter") },
                 { ReconnectPolicy::Preset::SignalR, tr("SignalR: 0, 2, 10, 30 s, then give up") },
                 { ReconnectPolicy::Preset::None, tr("None") } }) {
        QAction *a = policies->addAction(label);
        a->setCheckable(true);
        a->setChecked(preset == m_controller->reconnectPreset());
        connect(a, &QAction::triggered, m_controller, [this, preset] { m_controller->setReconnectPreset(preset); });
        policy->addAction(a);
    }
    QAction *compare = transport->addAction(tr("&Compare all three"), QKeySequence(Qt::CTRL | Qt::Key_T));
    compare->setCheckable(true);
    connect(compare, &QAction::toggled, m_controller, &AppController::setCompareEnabled);
    connect(m_controller, &AppController::compareEnabledChanged, compare, &QAction::setChecked);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Run a short &tour"), m_controller, [this] {
        showTab(QStringLiteral("timeline"));
        m_controller->runTour();
    });
    help->addAction(tr("&About rtlab"), this, [this] {
        QMessageBox::about(this, tr("About rtlab"),
                           tr("<h3>rtlab %1</h3><p>A lab for Long Polling, Server-Sent Events and WebSockets: "
                              "switch transport live, compare them side by side, and watch each one recover.</p>")
                                   .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::exportResults()
{
    QString filter;
    const QString path = QFileDialog::getSaveFileName(
            this, tr("Export results"), QStringLiteral("rtlab-results.json"),
            tr("Claims and lanes as JSON (*.json);;Claims and lanes as CSV (*.csv);;This tab as a picture (*.png)"),
            &filter);
    if (path.isEmpty())
        return;
    if (!writeResults(path))
        QMessageBox::warning(this, tr("Export failed"), tr("Could not write %1.").arg(QDir::toNativeSeparators(path)));
    else
        statusBar()->showMessage(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), 10000);
}

bool MainWindow::writeResults(const QString &path)
{
    if (path.endsWith(u".png", Qt::CaseInsensitive))
        return m_tabs->currentWidget()->grab().save(path, "PNG");
    const QJsonObject exported = m_lab->lessons()->exportJson();
    const QByteArray bytes = path.endsWith(u".csv", Qt::CaseInsensitive)
            ? ResultsExport::toCsv(exported)
            : QJsonDocument(exported).toJson(QJsonDocument::Indented);
    QSaveFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.commit();
}

void MainWindow::showTab(const QString &name)
{
    const QStringList names { QStringLiteral("chat"), QStringLiteral("dashboard"), QStringLiteral("compare"),
                              QStringLiteral("timeline"), QStringLiteral("lab"), QStringLiteral("bytes") };
    const int i = int(names.indexOf(name));
    if (i >= 0)
        m_tabs->setCurrentIndex(i);
}

void MainWindow::connectToUrl()
{
    bool ok = false;
    const QString text = QInputDialog::getText(this, tr("Connect to an rtlab server"), tr("Server URL:"), QLineEdit::Normal,
                                               m_controller->serverUrl().toString(), &ok);
    if (!ok)
        return;
    const QUrl url = QUrl::fromUserInput(text.trimmed());
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty()) {
        QMessageBox::warning(this, tr("Not a server URL"), tr("Expected http://HOST:PORT, got “%1”.").arg(text));
        return;
    }
    m_controller->connectTo(url);
}

void MainWindow::refreshStatus()
{
    const ServerProcess *server = m_controller->server();
    if (m_controller->usingBundledServer()) {
        m_serverStatus->setText(tr("Bundled server %1 — %2")
                                        .arg(server->url().toString(), ServerProcess::stateName(server->state())));
    } else {
        m_serverStatus->setText(tr("Server %1").arg(m_controller->serverUrl().toString()));
    }
    RealtimeClient *client = m_controller->client();
    const char *state = QMetaEnum::fromType<ClientTransport::State>().valueToKey(int(client->state()));
    m_clientStatus->setText(tr("client: %1").arg(QString::fromLatin1(state).toLower()));
    // The truth about the connection: "via X" only while X is open.
    const auto active = client->activeTransport();
    const QString name = active ? tr("<b><span style='color:%1'>%2</span></b>")
                                          .arg(transportColor(*active, palette()).name(), transportKindLabel(*active))
                                : QString();
    QString connection;
    switch (client->state()) {
    case ClientTransport::State::Open:
        connection = active ? tr("open via %1").arg(name) : tr("open");
        break;
    case ClientTransport::State::Reconnecting: {
        const qint64 s = (qMax<qint64>(0, client->msUntilNextAttempt()) + 999) / 1000;
        connection = s == 1 ? tr("reconnecting in 1 s") : tr("reconnecting in %1 s").arg(s);
        if (active)
            connection += tr(" (%1)").arg(name);
        break;
    }
    case ClientTransport::State::Connecting:
        connection = active ? tr("connecting… (%1)").arg(name) : tr("connecting…");
        break;
    case ClientTransport::State::Idle:
    case ClientTransport::State::Closed:
        connection = tr("not connected");
        break;
    }
    if (client->mode() == RealtimeClient::Mode::Auto)
        connection = tr("Auto: %1").arg(connection);
    m_active->setText(QStringLiteral(" %1 ").arg(connection));
    const RealtimeClient::Continuity &c = client->continuity();
    const bool ok = c.gaps == 0 && c.duplicates == 0;
    m_continuity->setText(tr(" continuity: <b>%1</b> gaps · <b>%2</b> duplicates %3 · %4 messages · %5 resets ")
                                  .arg(c.gaps)
                                  .arg(c.duplicates)
                                  .arg(ok ? QStringLiteral("✓") : QStringLiteral("✗"))
                                  .arg(c.delivered)
                                  .arg(c.resets));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
    m_controller->saveSettings();
    event->accept();
}

} // namespace rtlab
