#include "labview.h"

#include "appcontroller.h"
#include "impairmentrelay.h"
#include "labcontroller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDesktopServices>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rtlab {

static QSpinBox *spin(int max, const QString &suffix, const QString &zero, QWidget *parent)
{
    auto *s = new QSpinBox(parent);
    s->setRange(0, max);
    s->setSuffix(suffix);
    if (!zero.isEmpty())
        s->setSpecialValueText(zero);
    s->setAccelerated(true);
    return s;
}

LabView::LabView(AppController *app, LabController *lab, QWidget *parent) : QWidget(parent), m_app(app), m_lab(lab)
{
    // Faults on purpose: every client of this window goes through the relay.
    auto *faults = new QGroupBox(tr("Faults on purpose (between this window's clients and the server)"), this);
    m_latency = spin(5000, tr(" ms"), tr("none"), faults);
    m_jitter = spin(5000, tr(" ms"), tr("none"), faults);
    m_bandwidth = spin(100000, tr(" KiB/s"), tr("unlimited"), faults);
    m_idleKill = spin(600, tr(" s"), tr("off"), faults);
    m_buffer = spin(4096, tr(" KiB"), tr("off"), faults);
    m_refuse = new QCheckBox(tr("Refuse WebSocket &upgrades (a proxy that does not speak them)"), faults);
    for (QSpinBox *s : { m_latency, m_jitter, m_bandwidth, m_idleKill, m_buffer })
        connect(s, &QSpinBox::valueChanged, this, &LabView::applyFaults);
    connect(m_refuse, &QCheckBox::toggled, this, &LabView::applyFaults);
    auto *drop = new QPushButton(tr("&Drop every connection now"), faults);
    connect(drop, &QPushButton::clicked, lab, [lab] { lab->trigger(QStringLiteral("drop")); });
    m_downFor = spin(600, tr(" s"), {}, faults);
    m_downFor->setValue(5);
    m_downFor->setMinimum(1);
    auto *down = new QPushButton(tr("Take the &network down for"), faults);
    connect(down, &QPushButton::clicked, this, [this] { m_lab->takeNetworkDown(m_downFor->value() * 1000); });
    auto *restart = new QPushButton(tr("&Restart server"), faults);
    connect(restart, &QPushButton::clicked, app, &AppController::restartServer);
    auto *reset = new QPushButton(tr("Clear faults"), faults);
    connect(reset, &QPushButton::clicked, this, [this] {
        m_lab->resetFaults();
        refreshRelay();
    });
    m_relayStatus = new QLabel(faults);
    m_relayStatus->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("Added &latency:"), m_latency);
    form->addRow(tr("&Jitter (±):"), m_jitter);
    form->addRow(tr("&Bandwidth cap:"), m_bandwidth);
    form->addRow(tr("&Idle kill after:"), m_idleKill);
    form->addRow(tr("Buffer res&ponses up to:"), m_buffer);
    form->addRow(m_refuse);
    auto *downRow = new QHBoxLayout;
    downRow->addWidget(down);
    downRow->addWidget(m_downFor);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(drop);
    buttons->addWidget(restart);
    buttons->addWidget(reset);
    auto *fv = new QVBoxLayout(faults);
    fv->addLayout(form);
    fv->addLayout(downRow);
    fv->addLayout(buttons);
    fv->addWidget(m_relayStatus);

    // Lessons.
    auto *lessons = new QGroupBox(tr("Lessons"), this);
    m_lesson = new QComboBox(lessons);
    for (const LabController::Lesson &l : LabController::lessons())
        m_lesson->addItem(l.title, l.key);
    auto *startLesson = new QPushButton(tr("&Start"), lessons);
    m_lessonText = new QTextBrowser(lessons);
    m_lessonText->setMinimumHeight(70);
    auto showLesson = [this] {
        for (const LabController::Lesson &l : LabController::lessons())
            if (l.key == m_lesson->currentData().toString())
                m_lessonText->setHtml(l.text);
    };
    connect(m_lesson, &QComboBox::currentIndexChanged, this, showLesson);
    showLesson();
    connect(startLesson, &QPushButton::clicked, this, [this] {
        m_lab->startLesson(m_lesson->currentData().toString());
        refreshRelay();
    });
    auto *lessonRow = new QHBoxLayout;
    lessonRow->addWidget(m_lesson, 1);
    lessonRow->addWidget(startLesson);
    auto *lv = new QVBoxLayout(lessons);
    lv->addLayout(lessonRow);
    lv->addWidget(m_lessonText);

    // The idle-cost meter: steady state, per client, on the meter's own short-cycle server.
    auto *idle = new QGroupBox(tr("What idle clients cost the server"), this);
    m_idleTransport = new QComboBox(idle);
    m_idleTransport->addItem(tr("All three, in turn"), QStringLiteral("lp,sse,ws"));
    m_idleTransport->addItem(tr("Long Polling"), QStringLiteral("lp"));
    m_idleTransport->addItem(tr("SSE"), QStringLiteral("sse"));
    m_idleTransport->addItem(tr("WebSocket"), QStringLiteral("ws"));
    m_idleClients = spin(3000, tr(" clients"), {}, idle);
    m_idleClients->setMinimum(1);
    m_idleClients->setValue(500);
    auto *startIdle = new QPushButton(idle);
    m_idleResult = new QLabel(idle);
    m_idleResult->setWordWrap(true);
    m_idleResult->setTextFormat(Qt::RichText);
    const auto idleOptions = [this] {
        IdleCostMeter::Options o; // the meter's own server: heartbeat and hold 5 s, 20 s window
        o.clients = m_idleClients->value();
        return o;
    };
    const auto idleTransports = [this] { return m_idleTransport->currentData().toString().split(u','); };
    const auto idleButton = [this, startIdle, idleOptions, idleTransports] {
        if (m_lab->idleMeter()->isRunning()) {
            startIdle->setText(tr("Cancel"));
            return;
        }
        const int seconds = IdleCostMeter::estimatedSeconds(idleOptions(), int(idleTransports().size()));
        startIdle->setText(seconds < 120 ? tr("Measure for about %n s", "", seconds)
                                         : tr("Measure for about %n min", "", (seconds + 30) / 60));
    };
    // The figures per client as a table, each transport with the conditions it was measured in,
    // then what they say about the claims (the meter's notes and its comparison).
    const auto idleShow = [this](const QJsonArray &results, const QString &status) {
        QString html = status.isEmpty() ? QString() : QStringLiteral("<p>%1</p>").arg(status.toHtmlEscaped());
        if (!results.isEmpty()) {
            html += QStringLiteral("<table cellspacing='0' cellpadding='3'><tr><th align='left'>%1</th><th>%2</th>"
                                   "<th>%3</th><th>%4</th><th>%5</th><th>%6</th></tr>")
                            .arg(tr("per idle client"), tr("memory"), tr("fds"), tr("wake-ups/s"), tr("requests/s"),
                                 tr("bytes/s out"));
            QStringList notes, conditions;
            for (const QJsonValue &v : results) {
                const QJsonObject r = v.toObject();
                const auto n = [&](const char *key) { return r.value(QLatin1String(key)).toDouble(); };
                html += QStringLiteral("<tr><td>%1 (%2)</td><td align='right'>%3</td><td align='right'>%4</td>"
                                       "<td align='right'>%5</td><td align='right'>%6</td><td align='right'>%7</td></tr>")
                                .arg(r.value(QLatin1String("transport")).toString())
                                .arg(r.value(QLatin1String("clients")).toInteger())
                                .arg(tr("%1 KiB").arg(n("rssBytesPerClient") / 1024.0, 0, 'f', 1))
                                .arg(n("fdsPerClient"), 0, 'f', 2)
                                .arg(n("wakeupsPerSecPerClient"), 0, 'g', 3)
                                .arg(n("requestsPerSecPerClient"), 0, 'f', 3)
                                .arg(n("bytesPerSecPerClient"), 0, 'f', 1);
                conditions += r.value(QLatin1String("conditions")).toString();
                for (const QJsonValue &note : r.value(QLatin1String("notes")).toArray())
                    notes += QStringLiteral("<b>%1</b>: %2").arg(r.value(QLatin1String("transport")).toString(),
                                                                  note.toString().toHtmlEscaped());
            }
            html += QStringLiteral("</table>");
            // The conditions once when every transport had the same (the usual case), else each.
            conditions.removeDuplicates();
            for (const QString &c : std::as_const(conditions))
                html += QStringLiteral("<p><i>%1</i></p>").arg(c.toHtmlEscaped());
            for (const QString &verdict : IdleCostMeter::compare(results))
                notes += verdict.toHtmlEscaped();
            html += QStringLiteral("<ul><li>%1</li></ul>").arg(notes.join(QStringLiteral("</li><li>")));
        }
        m_idleResult->setText(html);
    };
    idleButton();
    idleShow({}, tr("Idle clients are held by rtlab-bench, a separate process, against a fresh rtlab-server of the "
                    "meter's (no ticks, heartbeat and long-poll hold shortened to 5 s for the lesson), measured "
                    "over 20 s once every client is connected and a full cycle has passed."));
    connect(m_idleTransport, &QComboBox::currentIndexChanged, startIdle, idleButton);
    connect(m_idleClients, &QSpinBox::valueChanged, startIdle, idleButton);
    connect(startIdle, &QPushButton::clicked, this, [this, idleOptions, idleTransports, idleButton, idleShow] {
        if (m_lab->idleMeter()->isRunning()) {
            m_lab->idleMeter()->cancel();
            idleButton();
            idleShow(m_lab->idleMeter()->results(), tr("Cancelled."));
            return;
        }
        m_lab->idleMeter()->startSeries(idleTransports(), idleOptions());
        idleButton();
    });
    connect(lab->idleMeter(), &IdleCostMeter::measuring, this, [this, idleShow](const QString &transport, int seconds) {
        idleShow(m_lab->idleMeter()->results(),
                 tr("Measuring %1 idle %2 clients, about %n s…", "", seconds).arg(m_idleClients->value()).arg(transport));
    });
    connect(lab->idleMeter(), &IdleCostMeter::seriesFinished, this, [idleShow, idleButton](const QJsonArray &results) {
        idleButton();
        idleShow(results, {});
    });
    connect(lab->idleMeter(), &IdleCostMeter::failed, this, [this, idleShow, idleButton](const QString &why) {
        idleButton();
        idleShow(m_lab->idleMeter()->results(), why);
    });
    auto *idleRow = new QHBoxLayout;
    idleRow->addWidget(m_idleTransport);
    idleRow->addWidget(m_idleClients);
    idleRow->addWidget(startIdle);
    // The figures and verdicts can outgrow the group: they scroll inside it.
    auto *idleScroll = new QScrollArea(idle);
    idleScroll->setWidgetResizable(true);
    idleScroll->setFrameShape(QFrame::NoFrame);
    idleScroll->setWidget(m_idleResult);
    m_idleResult->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto *iv = new QVBoxLayout(idle);
    iv->addLayout(idleRow);
    iv->addWidget(idleScroll, 1);

    // The claims.
    m_claims = new QTableView(this);
    m_claims->setModel(lab->claims());
    m_claims->verticalHeader()->hide();
    m_claims->setWordWrap(true);
    m_claims->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::TransportColumn, QHeaderView::ResizeToContents);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::ClaimColumn, QHeaderView::Interactive);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::SeeColumn, QHeaderView::Interactive);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::MeasuredColumn, QHeaderView::Stretch);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::ActionColumn, QHeaderView::ResizeToContents);
    m_claims->setColumnWidth(ClaimsModel::ClaimColumn, 200);
    m_claims->setColumnWidth(ClaimsModel::SeeColumn, 260);
    for (int row = 0; row < lab->claims()->rowCount(); ++row) {
        const QString action = lab->claims()->claims().at(row).action;
        auto *b = new QPushButton(lab->claims()->claims().at(row).actionLabel, m_claims);
        connect(b, &QPushButton::clicked, lab, [lab, action] { lab->trigger(action); });
        m_claims->setIndexWidget(lab->claims()->index(row, ClaimsModel::ActionColumn), b);
    }
    m_claims->resizeRowsToContents();
    connect(lab->claims(), &QAbstractItemModel::dataChanged, m_claims, [this] { m_claims->resizeRowsToContents(); });
    connect(lab, &LabController::openBrowserRequested, this, [](const QUrl &url) { QDesktopServices::openUrl(url); });

    // The claims across the top; the controls in a row below.
    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QHBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addWidget(faults, 3);
    auto *right = new QVBoxLayout;
    right->addWidget(lessons, 1);
    right->addWidget(idle);
    bottomLayout->addLayout(right, 2);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_claims);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 1);
    splitter->setSizes({ 420, 260 });
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(app, &AppController::refreshed, this, [this] {
        if (!isVisible())
            return;
        m_lab->refresh();
        refreshRelay();
    });
    refreshRelay();
}

void LabView::applyFaults()
{
    ImpairmentRelay::Settings s;
    s.latencyMs = m_latency->value();
    s.jitterMs = m_jitter->value();
    s.bandwidthBytesPerSec = qint64(m_bandwidth->value()) * 1024;
    s.idleKillMs = m_idleKill->value() * 1000;
    s.bufferResponseBytes = qint64(m_buffer->value()) * 1024;
    s.refuseUpgrades = m_refuse->isChecked();
    m_lab->relay()->setSettings(s);
}

void LabView::refreshRelay()
{
    ImpairmentRelay *relay = m_lab->relay();
    const ImpairmentRelay::Settings s = relay->settings();
    // Reflect changes made elsewhere (a lesson, a claim's button) without feeding back.
    const QSignalBlocker b1(m_latency), b2(m_jitter), b3(m_bandwidth), b4(m_idleKill), b5(m_buffer), b6(m_refuse);
    m_latency->setValue(s.latencyMs);
    m_jitter->setValue(s.jitterMs);
    m_bandwidth->setValue(int(s.bandwidthBytesPerSec / 1024));
    m_idleKill->setValue(s.idleKillMs / 1000);
    m_buffer->setValue(int(s.bufferResponseBytes / 1024));
    m_refuse->setChecked(s.refuseUpgrades);
    const ImpairmentRelay::Counters c = relay->counters();
    m_relayStatus->setText(tr("Relay %1 → %2%3: %4 connections open, %5 cut, %6 idle kills, %7 upgrades refused, "
                              "%8 refused while down.")
                                   .arg(relay->url().toString(), m_app->serverUrl().toString(),
                                        relay->isDown() ? tr(" — NETWORK DOWN") : QString())
                                   .arg(c.active)
                                   .arg(c.dropped)
                                   .arg(c.idleKills)
                                   .arg(c.refusedUpgrades)
                                   .arg(c.refusedWhileDown));
}

} // namespace rtlab
