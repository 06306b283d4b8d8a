// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "appcontroller.h"
#include "chatview.h"
#include "classroom.h"
#include "classroompanel.h"
#include "compareview.h"
#include "connectdialog.h"
#include "dashboardview.h"
#include "fittinglabel.h"
#include "fontzoom.h"
#include "guidedtour.h"
#include "harwriter.h"
#include "labcontroller.h"
#include "labview.h"
#include "ledgerview.h"
#include "palette.h"
#include "presenterbanner.h"
#include "resultsexport.h"
#include "startpage.h"
#include "timelineview.h"
#include "tourpanel.h"
#include "xrayview.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMetaEnum>
#include <QProcess>
#include <QPushButton>
#include <QSaveFile>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

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
    // The X-ray draws the Compare lanes' traffic: next to them.
    m_xray = new XRayView(controller->wireCapture(), m_tabs);
    m_tabs->addTab(m_xray, tr("&X-ray"));
    connect(m_xray, &XRayView::harExportRequested, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the capture as HAR"),
                                                          QStringLiteral("rtlab.har"), tr("HTTP Archive (*.har)"));
        if (!path.isEmpty())
            exportHar(path);
    });
    m_tabs->addTab(new TimelineView(controller, m_tabs), tr("T&imeline"));
    m_lab = new LabController(controller, this);
    m_labView = new LabView(controller, m_lab, m_tabs);
    m_tabs->addTab(m_labView, tr("&Lab"));
    m_tabs->addTab(new LedgerView(controller, m_tabs), tr("&Bytes"));
    connect(m_lab, &LabController::noticed, this, [this](const QString &m) { showNotice(m, 15000); });
    connect(m_lab, &LabController::openBrowserRequested, this, &MainWindow::openInBrowser);

    // The fault banner: a fault left on in the Lab changes what every tab shows, so every tab
    // says so. Not by colour alone: it starts with a warning sign and says "Faults on".
    m_faultBanner = new QFrame(this);
    m_faultBanner->setObjectName(QStringLiteral("faultBanner"));
    m_faultBanner->setFrameShape(QFrame::StyledPanel);
    m_faultBanner->setAutoFillBackground(true);
    {
        QPalette pal = m_faultBanner->palette();
        const bool dark = isDark(pal);
        pal.setColor(QPalette::Window, dark ? QColor(0x3a, 0x2e, 0x0c) : QColor(0xff, 0xf3, 0xc4));
        pal.setColor(QPalette::WindowText, dark ? QColor(0xf0, 0xe6, 0xc8) : QColor(0x3d, 0x2e, 0x00));
        m_faultBanner->setPalette(pal);
    }
    m_faultText = new QLabel(m_faultBanner);
    m_faultText->setWordWrap(true);
    m_faultText->setTextFormat(Qt::RichText);
    m_faultText->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_clearFaults = new QPushButton(tr("Clear faults"), m_faultBanner);
    m_clearFaults->setToolTip(tr("Back to a clean relay: no added latency, jitter, cap, idle kill or buffering; "
                                 "upgrades allowed; network up; long polls held 25 s"));
    connect(m_clearFaults, &QPushButton::clicked, m_lab, [this] {
        m_lab->resetFaults();
        refreshFaultBanner();
    });
    auto *bannerLayout = new QHBoxLayout(m_faultBanner);
    bannerLayout->setContentsMargins(8, 3, 4, 3);
    bannerLayout->addWidget(m_faultText, 1);
    bannerLayout->addWidget(m_clearFaults);
    connect(controller->relay(), &ImpairmentRelay::settingsChanged, this, &MainWindow::refreshFaultBanner);
    connect(controller->relay(), &ImpairmentRelay::downChanged, this, &MainWindow::refreshFaultBanner);
    connect(controller, &AppController::refreshed, this, &MainWindow::refreshFaultBanner);

    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(2);
    centralLayout->addWidget(m_faultBanner);
    buildStartPageAndTour();
    centralLayout->addWidget(m_tourPanel);
    centralLayout->addWidget(m_pages, 1);
    setCentralWidget(central);

    // The transport toggle: a segmented control of exclusive actions, Ctrl+1…Ctrl+5. Short polling,
    // the baseline, comes last and apart, so that the others keep their shortcuts.
    QToolBar *bar = addToolBar(tr("Transport"));
    bar->setObjectName(QStringLiteral("transportToolbar"));
    bar->setMovable(false);
    // No "Transport:" caption: the buttons name themselves (and the Transport menu holds them too),
    // and the width goes to the state and continuity labels, which must stay in sight at 1.5×.
    m_transports = new QActionGroup(this);
    m_transports->setExclusive(true);
    const std::array<std::pair<RealtimeClient::Mode, QString>, 5> modes { {
            { RealtimeClient::Mode::LongPoll, tr("Long Polling") },
            { RealtimeClient::Mode::Sse, tr("SSE") },
            { RealtimeClient::Mode::WebSocket, tr("WebSocket") },
            { RealtimeClient::Mode::Auto, tr("Auto") },
            { RealtimeClient::Mode::Poll, tr("Short Polling") },
    } };
    for (size_t i = 0; i < modes.size(); ++i) {
        if (modes[i].first == RealtimeClient::Mode::Poll)
            bar->addSeparator();
        QAction *a = m_transports->addAction(modes[i].second);
        a->setCheckable(true);
        a->setData(QVariant::fromValue(modes[i].first)); // the mode itself: no int to cast back
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + int(i))));
        a->setToolTip(tr("%1 (%2)").arg(modes[i].second, a->shortcut().toString(QKeySequence::NativeText)));
        if (modes[i].first == RealtimeClient::Mode::Poll)
            a->setToolTip(tr("Traditional (short) polling: a poll answered at once, every interval (Transport → "
                             "Short polling interval) — the baseline the real-time transports are compared against; "
                             "Auto never picks it (%1)")
                                  .arg(a->shortcut().toString(QKeySequence::NativeText)));
        a->setChecked(modes[i].first == controller->mode());
        bar->addAction(a);
    }
    connect(m_transports, &QActionGroup::triggered, this,
            [this](QAction *a) { m_controller->setMode(a->data().value<RealtimeClient::Mode>()); });
    connect(controller, &AppController::modeChanged, this, [this](RealtimeClient::Mode m) {
        for (QAction *a : m_transports->actions())
            a->setChecked(a->data().value<RealtimeClient::Mode>() == m);
    });
    bar->addSeparator();
    m_active = new QLabel(bar);
    m_active->setObjectName(QStringLiteral("connectionState"));
    bar->addWidget(m_active);
    bar->addSeparator();
    // A short form where the bar is narrow (a large font or scale): never hidden behind "»".
    auto *continuity = new FittingLabel(bar);
    continuity->setExplanation(tr("Every message id seen once and in order: gaps and duplicates must stay at zero "
                                  "across reconnects and switches."));
    m_continuity = continuity;
    bar->addWidget(m_continuity);

    // Status texts change all the time: they are cut, never widen the window.
    m_serverStatus = new QLabel(this);
    m_serverStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_clientStatus = new QLabel(this);
    m_clientStatus->setFixedWidth(fontMetrics().horizontalAdvance(tr("client: reconnecting")) + 8);
    statusBar()->addWidget(m_serverStatus, 1);
    statusBar()->addPermanentWidget(m_clientStatus);
    connect(statusBar(), &QStatusBar::messageChanged, this, [this](const QString &m) {
        if (m.isEmpty())
            statusBar()->setToolTip({}); // the cut notice's whole text goes with it
    });
    buildMenus();
    buildClassroom();

    connect(controller, &AppController::refreshed, this, &MainWindow::refreshStatus);
    connect(controller->client(), &RealtimeClient::authRefused, this, [this](const QString &why) {
        showNotice(tr("The server refused the token: %1 (Server ▸ Connect… takes another)").arg(why));
        refreshStatus();
    });
    connect(controller, &AppController::errorOccurred, this,
            [this](const QString &message) { showNotice(message, 10000); });
    connect(controller->server(), &ServerProcess::stateChanged, this, &MainWindow::refreshStatus);
    connect(controller->server(), &ServerProcess::stateChanged, this, &MainWindow::refreshServerActions);

    QSettings s;
    if (!restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1180, 760);
    fitToScreen();
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_tabs->setCurrentIndex(s.value(QStringLiteral("window/tab"), 0).toInt());
    // The first launch (no window saved yet) opens on the start page; later ones where the user left.
    if (!s.contains(QStringLiteral("window/geometry")))
        showStartPage();
    refreshStatus();
    refreshServerActions();
    refreshFaultBanner();
}

void MainWindow::fitToScreen()
{
    // A saved or default size larger than this screen (a small one, or a large scale factor)
    // would put the right and bottom of the window off-screen.
    const QScreen *screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
    if (!screen)
        return;
    const QRect avail = screen->availableGeometry();
    const QSize frame(40, 60); // room for a window manager's frame and title bar
    const QSize fit = size().boundedTo(avail.size() - frame).expandedTo(minimumSizeHint());
    if (fit != size())
        resize(fit);
    if (!avail.contains(geometry()))
        move(avail.topLeft());
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *exportResults = file->addAction(tr("&Export results…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
                                             this, &MainWindow::exportResults);
    exportResults->setToolTip(tr("The claims table and the lanes' figures as JSON or CSV, or this tab as a PNG"));
    QAction *reset = file->addAction(tr("Re&set measurements"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                                     m_controller, &AppController::resetMeasurements);
    reset->setToolTip(tr("Every lane's figures, percentiles and charts start over from now"));

    QMenu *server = menuBar()->addMenu(tr("&Server"));
    QAction *restart = server->addAction(tr("&Restart bundled server"), QKeySequence(Qt::CTRL | Qt::Key_R),
                                         m_controller, &AppController::restartServer);
    restart->setToolTip(tr("A new server process. On memory: a new epoch, and a reset the clients must handle; "
                           "with Settings → Keep history across restarts, they resume with nothing lost"));
    m_startServer = server->addAction(tr("St&art bundled server"), m_controller, &AppController::useBundledServer);
    m_startServer->setToolTip(tr("Start the bundled server (and connect to it)"));
    m_stopServer = server->addAction(tr("S&top bundled server"), m_controller, &AppController::stopServer);
    server->addSeparator();
    server->addAction(tr("&Connect to server…"), QKeySequence(Qt::CTRL | Qt::Key_L), this, &MainWindow::connectToUrl);
    server->addAction(tr("Use the &bundled server"), m_controller, &AppController::useBundledServer);
    server->addSeparator();
    server->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *transport = menuBar()->addMenu(tr("&Transport"));
    transport->addActions(m_transports->actions());
    transport->addSeparator();
    transport->addAction(tr("Short polling &interval…"), this, [this] {
        bool ok = false;
        const int ms =
                QInputDialog::getInt(this, tr("Short polling interval"), tr("Milliseconds from one poll to the next:"),
                                     int(m_controller->pollIntervalMs()), 10, 3600 * 1000, 100, &ok);
        if (ok)
            m_controller->setPollIntervalMs(ms);
    });
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
    QAction *compare = transport->addAction(tr("&Compare every transport"), QKeySequence(Qt::CTRL | Qt::Key_T));
    compare->setCheckable(true);
    connect(compare, &QAction::toggled, m_controller, &AppController::setCompareEnabled);
    connect(m_controller, &AppController::compareEnabledChanged, compare, &QAction::setChecked);

    buildSettingsMenu();

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Start page"), this, &MainWindow::showStartPage);
    help->addAction(tr("Take the guided &tour"), m_tour, &GuidedTour::start);
    help->addAction(tr("&About rtlab"), this, [this] {
        QMessageBox::about(this, tr("About rtlab"),
                           tr("<h3>rtlab %1</h3><p>A lab for Long Polling, Server-Sent Events and WebSockets: "
                              "switch transport live, compare them side by side, and watch each one recover.</p>")
                                   .arg(QCoreApplication::applicationVersion()));
    });
}

// Settings: what the app keeps between runs. "Keep history across restarts" runs the bundled server
// on SQLite in the user's data directory; it restarts the server, so the user is asked first.
void MainWindow::buildSettingsMenu()
{
    QMenu *settings = menuBar()->addMenu(tr("Se&ttings"));
    m_keepHistory = settings->addAction(tr("&Keep history across restarts"));
    m_keepHistory->setObjectName(QStringLiteral("keepHistory"));
    m_keepHistory->setCheckable(true);
    m_keepHistory->setChecked(m_controller->keepHistory());
    m_keepHistory->setToolTip(tr("The bundled server keeps its messages in %1 (SQLite): after a restart every "
                                 "client resumes with nothing lost. Off: memory, and a restart is a new epoch.")
                                      .arg(QDir::toNativeSeparators(AppController::historyPath())));
    connect(m_keepHistory, &QAction::triggered, this, &MainWindow::askKeepHistory);
    connect(m_controller, &AppController::keepHistoryChanged, m_keepHistory, &QAction::setChecked);
    connect(m_controller, &AppController::historyStoreFailed, this, &MainWindow::offerMemory);
}

void MainWindow::askKeepHistory(bool keep)
{
    m_keepHistory->setChecked(m_controller->keepHistory()); // until the user has said yes
    const bool restarts =
            m_controller->usingBundledServer() && m_controller->server()->state() != ServerProcess::State::Stopped;
    if (!restarts) { // nothing to restart: it applies from the bundled server's next start
        m_controller->setKeepHistory(keep);
        statusBar()->showMessage(keep ? tr("History kept from the bundled server's next start")
                                      : tr("The bundled server keeps its log in memory from its next start"),
                                 10000);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("Keep history across restarts"), QString(),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("keepHistoryQuestion"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setText(keep ? tr("<p>The bundled server <b>restarts now</b> and keeps its messages in<br><tt>%1</tt>.</p>"
                           "<p>Its clients reconnect and get a reset this once (a new log). From then on a "
                           "restart resumes every client with nothing lost.</p>")
                                 .arg(QDir::toNativeSeparators(AppController::historyPath()).toHtmlEscaped())
                      : tr("<p>The bundled server <b>restarts now</b> and keeps its messages in memory: the "
                           "history stays on disk but the server no longer reads it, and from then on a restart "
                           "loses the log (a new epoch, a reset).</p>"));
    QPushButton *yes =
            box->addButton(keep ? tr("Restart with history") : tr("Restart on memory"), QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(yes);
    connect(box, &QMessageBox::finished, this, [this, box, yes, keep] {
        if (box->clickedButton() == yes)
            m_controller->setKeepHistory(keep);
    });
    box->open();
}

// The history did not open (a file that is not a database, a directory it may not write): the
// server's words, and the choice to go on without it rather than a silent fall-back.
void MainWindow::offerMemory(const QString &why)
{
    if (findChild<QMessageBox *>(QStringLiteral("historyFailed")))
        return; // already asking
    auto *box = new QMessageBox(QMessageBox::Warning, tr("The history could not be opened"), QString(),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("historyFailed"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::RichText);
    box->setTextInteractionFlags(Qt::TextBrowserInteraction);
    box->setText(tr("<p>The bundled server did not start: it could not open the kept history.</p><p><tt>%1</tt></p>"
                    "<p>Go on with the memory store? The history is not touched, and the server forgets its "
                    "messages at each restart until the setting is on again.</p>")
                         .arg(why.toHtmlEscaped()));
    QPushButton *memory = box->addButton(tr("Go on with memory"), QMessageBox::AcceptRole);
    box->addButton(tr("Leave it stopped"), QMessageBox::RejectRole);
    box->setDefaultButton(memory);
    connect(box, &QMessageBox::finished, this, [this, box, memory] {
        if (box->clickedButton() == memory)
            m_controller->setKeepHistory(false);
    });
    box->open();
}

bool MainWindow::exportHar(const QString &path)
{
    QString error;
    if (!writeHar(path, m_controller->wireCapture()->snapshot(), &error)) {
        QMessageBox::warning(this, tr("Export failed"), error);
        return false;
    }
    showNotice(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), 10000);
    return true;
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
        showNotice(tr("Wrote %1").arg(QDir::toNativeSeparators(path)), 10000);
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
                              QStringLiteral("xray"), QStringLiteral("timeline"),  QStringLiteral("lab"),
                              QStringLiteral("bytes") };
    const int i = int(names.indexOf(name));
    if (i >= 0) {
        m_tabs->setCurrentIndex(i);
        m_pages->setCurrentWidget(m_tabs);
    }
}

void MainWindow::buildStartPageAndTour()
{
    m_startPage = new StartPage(this);
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(m_tabs);
    m_pages->addWidget(m_startPage);
    m_tour = new GuidedTour(GuidedTour::transportScript(m_controller, m_lab->lessons()), this);
    m_tourPanel = new TourPanel(m_tour, this);
    connect(m_startPage, &StartPage::lessonRequested, this, &MainWindow::startLesson);
    connect(m_startPage, &StartPage::tourRequested, m_tour, &GuidedTour::start);
    connect(m_startPage, &StartPage::chatRequested, this, [this] {
        showTab(QStringLiteral("chat"));
        m_chat->input()->setFocus();
    });
    connect(m_tour, &GuidedTour::started, this,
            [this] { m_tabBeforeTour = isStartPageShown() ? -1 : m_tabs->currentIndex(); });
    connect(m_tour, &GuidedTour::stepEntered, this, [this](int i) { showTab(m_tour->step(i).tab); });
    connect(m_tour, &GuidedTour::ended, this, [this] {
        if (m_tabBeforeTour < 0) {
            showStartPage();
        } else {
            m_tabs->setCurrentIndex(m_tabBeforeTour);
            m_pages->setCurrentWidget(m_tabs);
        }
    });
}

bool MainWindow::isStartPageShown() const
{
    return m_pages->currentWidget() == m_startPage;
}

void MainWindow::showStartPage()
{
    m_pages->setCurrentWidget(m_startPage);
    m_startPage->tourButton()->setFocus();
}

void MainWindow::showNotice(const QString &text, int timeoutMs)
{
    // A status bar cannot wrap: a notice longer than the room left of the client's state ran
    // under it and stopped mid-word (at 1.5x, every lesson's ended notice). Cut it with "…"
    // and keep the whole text as the bar's tooltip.
    QStatusBar *bar = statusBar();
    // Less the bar's margins and the gap before the client's state.
    const int room = bar->width() - m_clientStatus->width() - 4 * bar->fontMetrics().averageCharWidth();
    const QString shown = bar->fontMetrics().elidedText(text, Qt::ElideRight, qMax(80, room));
    bar->setToolTip(shown == text ? QString() : text);
    bar->showMessage(shown, timeoutMs);
}

bool MainWindow::startLesson(const QString &id)
{
    m_tour->end(); // the lesson sets up its own transport
    showTab(QStringLiteral("lab"));
    return m_labView->runLesson(id);
}

void MainWindow::connectToUrl()
{
    ConnectDialog dialog(this);
    dialog.setUrls(m_controller->serverUrls());
    dialog.setToken(m_controller->token());
    if (dialog.exec() == QDialog::Accepted)
        m_controller->connectTo(dialog.urls(), dialog.token());
}

void MainWindow::refreshServerActions()
{
    const ServerProcess::State st = m_controller->server()->state();
    const bool up = st == ServerProcess::State::Starting || st == ServerProcess::State::Running;
    m_startServer->setEnabled(!up && st != ServerProcess::State::Stopping);
    m_stopServer->setEnabled(up);
}

MainWindow::~MainWindow()
{
    // A running lesson ends and puts everything back while this window is whole: it says so in the
    // status bar, which is gone once ~QWidget deletes the lab with the other children.
    m_lab->lessons()->stop();
    // A launcher still running may be the browser itself (xdg-open waits for it): QProcess would
    // kill it on destruction. Leave it running; the system reaps it when this process is gone.
    for (QProcess *p : std::as_const(m_browserLaunchers)) {
        p->disconnect(this);
        p->setParent(nullptr);
    }
}

static constexpr int MaxBrowserLaunchers = 4;

void MainWindow::openInBrowser(const QUrl &url)
{
    // QDesktopServices::openUrl() only says whether xdg-open could be started, not whether a
    // browser came up (a missing or broken browser fails later, silently). Where xdg-open is
    // there, run it and watch its exit status.
    const QString xdgOpen = QStandardPaths::findExecutable(QStringLiteral("xdg-open"));
    if (xdgOpen.isEmpty() || m_browserLaunchers.size() >= MaxBrowserLaunchers) {
        if (!QDesktopServices::openUrl(url))
            showBrowserFailed(url, tr("the system has no default browser set up"));
        return;
    }
    auto *p = new QProcess(this);
    m_browserLaunchers.append(p);
    p->setProcessChannelMode(QProcess::MergedChannels);
    p->setStandardOutputFile(QProcess::nullDevice());
    auto done = [this, p] {
        m_browserLaunchers.removeOne(p);
        p->deleteLater();
    };
    connect(p, &QProcess::finished, this, [this, url, done](int code, QProcess::ExitStatus status) {
        done();
        if (status != QProcess::NormalExit || code != 0)
            showBrowserFailed(url,
                              code == 3 ? tr("no browser was found (xdg-open: a required tool is missing)")
                                        : tr("the browser did not start (xdg-open exited with status %1)").arg(code));
    });
    connect(p, &QProcess::errorOccurred, this, [this, p, url, done](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        const QString why = p->errorString();
        done();
        showBrowserFailed(url, tr("xdg-open could not be started: %1").arg(why));
    });
    p->start(xdgOpen, { url.toString() });
}

void MainWindow::showBrowserFailed(const QUrl &url, const QString &why)
{
    if (!m_browserFailed) {
        m_browserFailed = new QMessageBox(QMessageBox::Warning, tr("No browser"), QString(), QMessageBox::Ok, this);
        m_browserFailed->setObjectName(QStringLiteral("browserFailed"));
        m_browserFailed->setTextFormat(Qt::RichText);
        m_browserFailed->setTextInteractionFlags(Qt::TextBrowserInteraction);
    }
    m_browserFailed->setText(tr("<p>No web browser could be opened: %1.</p><p>Open this address in a browser "
                                "yourself (select and copy it):</p><p><b>%2</b></p>")
                                     .arg(why.toHtmlEscaped(), url.toString().toHtmlEscaped()));
    m_browserFailed->open();
}

// The relay's faults in words, one entry each; empty when the relay is clean.
static QStringList describeFaults(const ImpairmentRelay::Settings &s, bool down, qint64 pollHoldMs)
{
    QStringList out;
    if (down)
        out << MainWindow::tr("network down");
    if (s.latencyMs > 0)
        out << MainWindow::tr("added latency %1 ms").arg(s.latencyMs);
    if (s.jitterMs > 0)
        out << MainWindow::tr("jitter ±%1 ms").arg(s.jitterMs);
    if (s.bandwidthBytesPerSec > 0)
        out << MainWindow::tr("bandwidth cap %1 KiB/s").arg(double(s.bandwidthBytesPerSec) / 1024.0, 0, 'g', 4);
    if (s.idleKillMs > 0)
        out << MainWindow::tr("idle connections cut after %1 s").arg(double(s.idleKillMs) / 1000.0, 0, 'g', 3);
    if (s.bufferResponseBytes > 0)
        out << MainWindow::tr("responses buffered up to %1 KiB").arg(double(s.bufferResponseBytes) / 1024.0, 0, 'g', 4);
    if (s.refuseUpgrades)
        out << MainWindow::tr("WebSocket upgrades refused");
    if (s.refuseEventStreams)
        out << MainWindow::tr("event streams refused");
    if (pollHoldMs != 25000)
        out << MainWindow::tr("long polls held %1 s").arg(double(pollHoldMs) / 1000.0, 0, 'g', 3);
    return out;
}

void MainWindow::refreshFaultBanner()
{
    ImpairmentRelay *relay = m_controller->relay();
    const QStringList faults = describeFaults(relay->settings(), relay->isDown(), m_controller->pollHoldMs());
    if (!faults.isEmpty()) {
        const QString text = tr("⚠ <b>Faults on</b> (Lab): %1").arg(faults.join(QStringLiteral(" · ")).toHtmlEscaped());
        if (m_faultText->text() != text)
            m_faultText->setText(text);
        m_faultText->setToolTip(faults.join(QLatin1Char('\n')));
    }
    m_faultBanner->setVisible(!faults.isEmpty());
}

void MainWindow::refreshStatus()
{
    const ServerProcess *server = m_controller->server();
    // Where the server keeps its log, in its own words (/stats "store": "memory", "sqlite:PATH (WAL, …)").
    const std::optional<StatsSnapshot> &stats = m_lab->serverStats()->latest();
    const QString store = stats && !stats->store.isEmpty() ? tr(" — store: %1").arg(stats->store) : QString();
    if (m_controller->usingBundledServer()) {
        const bool running = server->state() == ServerProcess::State::Running;
        m_serverStatus->setText(tr("Bundled server %1 — %2%3")
                                        .arg(server->url().toString(), ServerProcess::stateName(server->state()),
                                             running ? store : QString()));
        if (server->state() == ServerProcess::State::Failed) // why, for as long as it lasts
            m_serverStatus->setText(tr("Bundled server failed: %1").arg(server->errorString()));
    } else if (const qsizetype nodes = m_controller->serverUrls().size(); nodes > 1) {
        // A cluster: which node the chat client is on now (it moves when one fails).
        m_serverStatus->setText(tr("Cluster of %1 nodes — on %2%3")
                                        .arg(nodes)
                                        .arg(m_controller->client()->serverUrl().toString(), store));
    } else {
        m_serverStatus->setText(tr("Server %1%2").arg(m_controller->serverUrl().toString(), store));
    }
    m_serverStatus->setToolTip(m_serverStatus->text()); // whole, where the bar cuts it
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
    case ClientTransport::State::Open: connection = active ? tr("open via %1").arg(name) : tr("open"); break;
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
        // A refused token says what to do about it ("token expired — get a new one"), in place.
        connection = client->authError().isEmpty() ? tr("not connected")
                                                   : tr("not connected: %1").arg(client->authError().toHtmlEscaped());
        break;
    }
    if (client->mode() == RealtimeClient::Mode::Auto)
        connection = tr("Auto: %1").arg(connection);
    m_active->setText(QStringLiteral(" %1 ").arg(connection));
    const RealtimeClient::Continuity &c = client->continuity();
    const bool ok = c.gaps == 0 && c.duplicates == 0;
    // Singular and plural spelled out: no translation is loaded to pick a plural form.
    const auto count = [](qint64 n, const QString &one, const QString &many) { return (n == 1 ? one : many).arg(n); };
    const QString gaps = count(c.gaps, tr("<b>%1</b> gap"), tr("<b>%1</b> gaps"));
    const QString mark = ok ? QStringLiteral("✓") : QStringLiteral("✗");
    static_cast<FittingLabel *>(m_continuity)
            ->setTexts(tr(" continuity: %1 · %2 %3 · %4 · %5 ")
                               .arg(gaps, count(c.duplicates, tr("<b>%1</b> duplicate"), tr("<b>%1</b> duplicates")),
                                    mark, count(c.delivered, tr("%1 message"), tr("%1 messages")),
                                    count(c.resets, tr("%1 reset"), tr("%1 resets"))),
                       tr(" %1 · %2 %3 ")
                               .arg(gaps, count(c.duplicates, tr("<b>%1</b> dup."), tr("<b>%1</b> dup.")), mark));
}

// Classroom mode and presenter view: the View menu, the lesson banner above the tabs, the
// classroom panel (opened by itself the first time the server listens beyond loopback).
void MainWindow::buildClassroom()
{
    m_zoom = new FontZoom(this);
    m_presenter = new PresenterBanner(m_lab->lessons(), this);
    if (auto *layout = qobject_cast<QVBoxLayout *>(centralWidget()->layout()))
        layout->insertWidget(0, m_presenter);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    menuBar()->insertMenu(menuBar()->actions().at(menuBar()->actions().size() - 2), view); // before Help
    QAction *classroom = view->addAction(tr("&Classroom…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K), this,
                                         &MainWindow::showClassroom);
    classroom->setToolTip(tr("Listen for students, and show them where to join (URL and QR code)"));
    m_presenterAction = view->addAction(tr("&Presenter view"));
    m_presenterAction->setCheckable(true);
    m_presenterAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_presenterAction->setToolTip(tr("The running lesson's title and text, large, above the tabs"));
    connect(m_presenterAction, &QAction::toggled, m_presenter, [this](bool on) {
        m_presenter->setPresenterEnabled(on);
        QSettings().setValue(QStringLiteral("view/presenter"), on);
    });
    m_presenterAction->setChecked(QSettings().value(QStringLiteral("view/presenter"), false).toBool());
    view->addSeparator();
    QAction *in = view->addAction(tr("Zoom &in"), m_zoom, &FontZoom::zoomIn);
    // Ctrl+= as well: keyboards without a plus key, where Ctrl++ needs Shift.
    in->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence(Qt::CTRL | Qt::Key_Equal) });
    QAction *out = view->addAction(tr("Zoom &out"), m_zoom, &FontZoom::zoomOut);
    out->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Minus));
    view->addAction(tr("&Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), m_zoom, &FontZoom::reset);
    for (QAction *a : view->actions())
        addAction(a); // shortcuts work with the menu bar hidden too

    connect(m_controller->server(), &ServerProcess::started, this, [this] {
        const ListenAddress a = m_controller->server()->runningAddress();
        if (!a.reachesBeyondLoopback())
            return;
        const QList<QHostAddress> join = Classroom::joinAddresses(a, Classroom::lanAddresses());
        if (!join.isEmpty())
            showNotice(tr("Students join at %1").arg(Classroom::joinUrl(join.first(), a.port()).toString()), 30000);
        if (!std::exchange(m_classroomShown, true))
            showClassroom();
    });
}

ClassroomPanel *MainWindow::classroomPanel()
{
    if (!m_classroom)
        m_classroom = new ClassroomPanel(m_controller, this);
    return m_classroom;
}

void MainWindow::showClassroom()
{
    ClassroomPanel *panel = classroomPanel();
    panel->show();
    panel->raise();
    panel->activateWindow();
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
