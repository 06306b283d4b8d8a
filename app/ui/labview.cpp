// SPDX-License-Identifier: MIT
#include "labview.h"

#include "appcontroller.h"
#include "impairmentrelay.h"
#include "labcontroller.h"
#include "lessoncatalog.h"
#include "scaleoutpanel.h"

#include <QAbstractTextDocumentLayout>
#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

namespace rtlab {

// Scrolling the Lab's pages must not turn a spin box it passes over (a fault set by accident):
// a spin box takes the wheel only once it has focus.
class WheelNeedsFocus : public QObject
{
public:
    using QObject::QObject;
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        auto *w = qobject_cast<QWidget *>(watched);
        if (event->type() == QEvent::Wheel && w && !w->hasFocus()) {
            event->ignore();
            return true;
        }
        return false;
    }
};

static QSpinBox *spin(int max, const QString &suffix, const QString &zero, QWidget *parent)
{
    auto *s = new QSpinBox(parent);
    s->setFocusPolicy(Qt::StrongFocus);
    s->installEventFilter(new WheelNeedsFocus(s));
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
    m_refuseStreams = new QCheckBox(tr("Refuse event streams (a proxy that blocks text/event-stream)"), faults);
    connect(m_refuseStreams, &QCheckBox::toggled, this, &LabView::applyFaults);
    auto *drop = new QPushButton(tr("Drop conn&ections"), faults);
    drop->setToolTip(tr("Cut every connection through the relay now"));
    connect(drop, &QPushButton::clicked, lab, [lab] { lab->trigger(LabAction::DropConnections); });
    m_downFor = spin(600, tr(" s"), {}, faults);
    m_downFor->setValue(5);
    m_downFor->setMinimum(1);
    auto *down = new QPushButton(tr("Take the &network down for"), faults);
    connect(down, &QPushButton::clicked, this, [this] { m_lab->takeNetworkDown(m_downFor->value() * 1000); });
    auto *restart = new QPushButton(tr("Restart ser&ver"), faults);
    connect(restart, &QPushButton::clicked, app, &AppController::restartServer);
    auto *reset = new QPushButton(tr("Clear faults"), faults);
    connect(reset, &QPushButton::clicked, this, [this] {
        m_lab->resetFaults();
        refreshRelay();
    });
    m_relayStatus = new QLabel(faults);
    m_relayStatus->setWordWrap(true);
    // Two label/field pairs a row: half the height of a form, for small screens.
    auto *form = new QGridLayout;
    auto addField = [form, faults](int row, int col, const QString &label, QWidget *field) {
        auto *l = new QLabel(label, faults);
        l->setBuddy(field);
        form->addWidget(l, row, col * 2, Qt::AlignRight);
        form->addWidget(field, row, col * 2 + 1);
    };
    addField(0, 0, tr("Added l&atency:"), m_latency);
    addField(0, 1, tr("&Jitter (±):"), m_jitter);
    addField(1, 0, tr("Band&width cap:"), m_bandwidth);
    addField(1, 1, tr("Idle &kill after:"), m_idleKill);
    addField(2, 0, tr("Buffer res&ponses:"), m_buffer);
    m_buffer->setToolTip(tr("Hold each response until this many bytes have come (or it ends), like a buffering proxy"));
    form->addWidget(m_refuse, 3, 0, 1, 4);
    form->addWidget(m_refuseStreams, 4, 0, 1, 4);
    auto *downRow = new QHBoxLayout;
    downRow->addWidget(down);
    downRow->addWidget(m_downFor);
    downRow->addStretch(1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(drop);
    buttons->addWidget(restart);
    buttons->addWidget(reset);
    buttons->addStretch(1);
    auto *fv = new QVBoxLayout(faults);
    fv->addLayout(form);
    fv->addLayout(downRow);
    fv->addLayout(buttons);
    fv->addWidget(m_relayStatus);

    // Lessons.
    auto *lessons = new QGroupBox(tr("Lessons"), this);
    m_lesson = new QComboBox(lessons);
    for (const LessonInfo &l : LessonCatalog::all())
        if (l.unavailable.isEmpty())
            m_lesson->addItem(l.title, l.id);
    auto *startLesson = new QPushButton(tr("Sta&rt"), lessons);
    auto *stopLesson = new QPushButton(tr("Stop"), lessons);
    m_lessonText = new QTextBrowser(lessons);
    // As tall as its text, so that no line is hidden behind the frame: the panel around it
    // scrolls instead.
    m_lessonText->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_lessonText->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Minimum);
    connect(m_lessonText->document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, m_lessonText,
            [this](const QSizeF &size) {
                const QMargins m = m_lessonText->contentsMargins();
                m_lessonText->setFixedHeight(int(std::ceil(size.height())) + m.top() + m.bottom() + 2);
            });
    m_lessonStatus = new QLabel(lessons);
    m_lessonStatus->setObjectName(QStringLiteral("lessonStatus"));
    m_lessonStatus->setTextFormat(Qt::RichText);
    m_lessonStatus->setWordWrap(true);
    auto showLesson = [this] {
        if (const LessonInfo *l = LessonCatalog::find(m_lesson->currentData().toString()))
            m_lessonText->setHtml(l->text);
    };
    connect(m_lesson, &QComboBox::currentIndexChanged, this, showLesson);
    showLesson();
    connect(startLesson, &QPushButton::clicked, this, [this] {
        m_lab->startLesson(m_lesson->currentData().toString());
        refreshRelay();
    });
    connect(stopLesson, &QPushButton::clicked, m_lab->lessons(), &LessonRunner::stop);
    connect(m_lab->lessons(), &LessonRunner::stateChanged, this, [this, stopLesson](LessonRunner::State s) {
        stopLesson->setEnabled(s != LessonRunner::State::Idle);
        m_lab->refresh();
        refreshLesson();
        refreshRelay();
        // The running lesson's row in view: its figures and verdict are what the lesson is for,
        // and a lesson started from the start page or the tour finds the table anywhere.
        const int row = m_lab->claims()->rowOf(m_lab->lessons()->currentLesson());
        if (s != LessonRunner::State::Idle && row >= 0)
            m_claims->scrollTo(m_claims->model()->index(row, ClaimsModel::MeasuredColumn));
    });
    // How the last lesson ended stays on its line: the status bar's copy goes after 15 s, and a
    // small screen cuts it off.
    connect(m_lab, &LabController::noticed, this, [this](const QString &notice) {
        m_lastNotice = notice;
        refreshLesson();
    });
    stopLesson->setEnabled(false);
    auto *lessonRow = new QHBoxLayout;
    lessonRow->addWidget(m_lesson, 1);
    lessonRow->addWidget(startLesson);
    lessonRow->addWidget(stopLesson);
    // The lesson's line (time left, figures, verdict) straight under its buttons, above the text:
    // at 1.5x on a small screen the text fills the page and a line under it was scrolled away.
    auto *lv = new QVBoxLayout(lessons);
    lv->addLayout(lessonRow);
    lv->addWidget(m_lessonStatus);
    lv->addWidget(new ScaleOutPanel(m_lab->lessons(), lessons)); // shown while scale-out runs
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
            const QList<IdleCostResult> read = IdleCostResult::fromJsonArray(results);
            for (const IdleCostResult &r : read) {
                const auto n = [](const std::optional<double> &figure) { return figure.value_or(0); };
                html += QStringLiteral(
                                "<tr><td>%1 (%2)</td><td align='right'>%3</td><td align='right'>%4</td>"
                                "<td align='right'>%5</td><td align='right'>%6</td><td align='right'>%7</td></tr>")
                                .arg(r.transport)
                                .arg(r.clients)
                                .arg(tr("%1 KiB").arg(n(r.rssBytesPerClient) / 1024.0, 0, 'f', 1))
                                .arg(n(r.fdsPerClient), 0, 'f', 2)
                                .arg(n(r.wakeupsPerSecPerClient), 0, 'g', 3)
                                .arg(n(r.requestsPerSecPerClient), 0, 'f', 3)
                                .arg(n(r.bytesPerSecPerClient), 0, 'f', 1);
                conditions += r.conditions;
                for (const QString &note : r.notes)
                    notes += QStringLiteral("<b>%1</b>: %2").arg(r.transport, note.toHtmlEscaped());
            }
            html += QStringLiteral("</table>");
            // The conditions once when every transport had the same (the usual case), else each.
            conditions.removeDuplicates();
            for (const QString &c : std::as_const(conditions))
                html += QStringLiteral("<p><i>%1</i></p>").arg(c.toHtmlEscaped());
            for (const QString &verdict : IdleCostMeter::compare(read))
                notes += verdict.toHtmlEscaped();
            html += QStringLiteral("<ul><li>%1</li></ul>").arg(notes.join(QStringLiteral("</li><li>")));
        }
        m_idleResult->setText(html);
    };
    idleButton();
    idleShow({},
             tr("Idle clients are held by rtlab-bench, a separate process, against a fresh rtlab-server of the "
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
                 tr("Measuring %1 idle %2 clients, about %n s…", "", seconds)
                         .arg(m_idleClients->value())
                         .arg(transport));
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
    // The text columns share what is left (wrapping), so that the "Set it up" buttons stay on
    // screen however narrow the window.
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::ClaimColumn, QHeaderView::Stretch);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::ExpectedColumn, QHeaderView::Stretch);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::MeasuredColumn, QHeaderView::Stretch);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::HoldsColumn, QHeaderView::ResizeToContents);
    m_claims->horizontalHeader()->setSectionResizeMode(ClaimsModel::ActionColumn, QHeaderView::ResizeToContents);
    m_claims->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // A measured row can be taller than the table (ws-security's, scaled up): scrolling by rows
    // would never show its end.
    m_claims->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    for (int row = 0; row < lab->claims()->rowCount(); ++row) {
        const ClaimsModel::Claim &claim = lab->claims()->claims().at(row);
        auto *b = new QPushButton(tr("Run lesson"), m_claims);
        b->setEnabled(claim.unavailable.isEmpty());
        const QString lesson = claim.lesson;
        connect(b, &QPushButton::clicked, this, [this, lesson] { runLesson(lesson); });
        m_claims->setIndexWidget(lab->claims()->index(row, ClaimsModel::ActionColumn), b);
    }
    m_claims->resizeRowsToContents();
    connect(lab->claims(), &QAbstractItemModel::dataChanged, this, &LabView::resizeClaimRows);

    // Rows as tall as their wrapped text at the columns' real widths (not those before the first show).
    connect(m_claims->horizontalHeader(), &QHeaderView::sectionResized, this, &LabView::resizeClaimRows,
            Qt::QueuedConnection);

    // The claims across the top; below, one page each for the lessons, the faults and the idle
    // cost, full width and scrolling, so that each fits a small screen at 1.5x.
    auto scrolled = [](QWidget *content) {
        auto *page = new QWidget;
        auto *v = new QVBoxLayout(page);
        v->setContentsMargins(0, 0, 0, 0);
        v->addWidget(content);
        v->addStretch(1);
        auto *scroll = new QScrollArea;
        scroll->setWidget(page);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        return scroll;
    };
    auto *bottomScroll = new QTabWidget(this);
    bottomScroll->setObjectName(QStringLiteral("labPages"));
    bottomScroll->addTab(scrolled(lessons), tr("Lessons"));
    bottomScroll->addTab(scrolled(faults), tr("Faults on purpose"));
    bottomScroll->addTab(scrolled(idle), tr("Idle cost"));
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(m_claims);
    splitter->addWidget(bottomScroll);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ 400, 300 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);

    connect(app, &AppController::refreshed, this, [this] {
        if (!isVisible())
            return;
        m_lab->refresh();
        refreshRelay();
        refreshLesson();
    });
    refreshRelay();
}

void LabView::resizeClaimRows()
{
    // Rows rewrap when the columns change width (the window, or the Holds column widening for
    // "… measuring"), and those above the running lesson's row push it out of view: a row that
    // was in view stays there. One the user scrolled away from stays away.
    const int row = m_lab->claims()->rowOf(m_lab->lessons()->currentLesson());
    const QModelIndex cell = m_lab->lessons()->state() != LessonRunner::State::Idle && row >= 0
            ? m_claims->model()->index(row, ClaimsModel::MeasuredColumn)
            : QModelIndex();
    const bool inView = cell.isValid() && m_claims->viewport()->rect().intersects(m_claims->visualRect(cell));
    m_claims->resizeRowsToContents();
    if (!inView)
        return;
    // The scroll bar's range follows the new heights only at the view's next layout: clamped to
    // the old one, the scroll would stop short.
    QScrollBar *bar = m_claims->verticalScrollBar();
    bar->setMaximum(qMax(bar->maximum(), m_claims->verticalHeader()->length() - m_claims->viewport()->height()));
    m_claims->scrollTo(cell);
}

bool LabView::runLesson(const QString &id)
{
    const int i = m_lesson->findData(id);
    if (i >= 0)
        m_lesson->setCurrentIndex(i);
    // The lesson's text (what to watch) in view.
    if (auto *pages = findChild<QTabWidget *>(QStringLiteral("labPages")))
        pages->setCurrentIndex(0);
    return m_lab->startLesson(id);
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
    s.refuseEventStreams = m_refuseStreams->isChecked();
    m_lab->relay()->setSettings(s);
}

void LabView::refreshRelay()
{
    ImpairmentRelay *relay = m_lab->relay();
    const ImpairmentRelay::Settings s = relay->settings();
    // Reflect changes made elsewhere (a lesson, a claim's button) without feeding back.
    const QSignalBlocker b1(m_latency), b2(m_jitter), b3(m_bandwidth), b4(m_idleKill), b5(m_buffer), b6(m_refuse),
            b7(m_refuseStreams);
    m_latency->setValue(s.latencyMs);
    m_jitter->setValue(s.jitterMs);
    m_bandwidth->setValue(int(s.bandwidthBytesPerSec / 1024));
    m_idleKill->setValue(s.idleKillMs / 1000);
    m_buffer->setValue(int(s.bufferResponseBytes / 1024));
    m_refuse->setChecked(s.refuseUpgrades);
    m_refuseStreams->setChecked(s.refuseEventStreams);
    const ImpairmentRelay::Counters c = relay->counters();
    // Singular and plural spelled out: there is no translation to pick a plural form from.
    auto count = [](qint64 n, const QString &one, const QString &many) { return (n == 1 ? one : many).arg(n); };
    const QStringList counts { count(c.active, tr("%1 connection open"), tr("%1 connections open")),
                               tr("%1 cut").arg(c.dropped),
                               count(c.idleKills, tr("%1 idle kill"), tr("%1 idle kills")),
                               count(c.refusedUpgrades, tr("%1 upgrade refused"), tr("%1 upgrades refused")),
                               count(c.refusedStreams, tr("%1 stream refused"), tr("%1 streams refused")),
                               tr("%1 refused while down").arg(c.refusedWhileDown) };
    m_relayStatus->setText(tr("Relay %1 → %2%3: %4.")
                                   .arg(relay->url().toString(), m_app->serverUrl().toString(),
                                        relay->isDown() ? tr(" — NETWORK DOWN") : QString(),
                                        counts.join(QStringLiteral(", "))));
}

void LabView::refreshLesson()
{
    const LessonRunner *runner = m_lab->lessons();
    const LessonInfo *l = LessonCatalog::find(runner->currentLesson());
    switch (runner->state()) {
    case LessonRunner::State::Idle:
        m_lessonStatus->setText(m_lastNotice.isEmpty()
                                        ? tr("No lesson running. Each lesson sets up its own conditions and puts "
                                             "them back when it ends.")
                                        : m_lastNotice.toHtmlEscaped());
        break;
    case LessonRunner::State::SettingUp:
        m_lessonStatus->setText(tr("<b>%1</b>: setting up (restarting the bundled server with the lesson's options)…")
                                        .arg(l ? l->title : QString()));
        break;
    case LessonRunner::State::Running: {
        const qint64 left = qMax<qint64>(0, (runner->durationMs() - runner->elapsedMs() + 999) / 1000);
        // What LabController::refresh() just measured into the claims table: not measured again.
        const ClaimsModel::Claim *c = m_lab->claims()->claim(runner->currentLesson());
        m_lessonStatus->setText(tr("<b>%1</b>: running, %2 s left: %3 — %4")
                                        .arg(l ? l->title : QString())
                                        .arg(left)
                                        .arg(c && c->running ? c->measured.toHtmlEscaped() : QString(),
                                             ClaimsModel::verdict(c && c->running ? c->holds : std::nullopt, true)));
        break;
    }
    }
}

} // namespace rtlab
