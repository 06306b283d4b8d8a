// SPDX-License-Identifier: MIT
#include "ledgerview.h"

#include "appcontroller.h"
#include "bytesformat.h"
#include "ledgerfollower.h"
#include "palette.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rtlab {

LedgerView::LedgerView(AppController *app, QWidget *parent) : QWidget(parent), m_app(app)
{
    m_follower = new LedgerFollower(
            // The lanes live on the network thread: the follower reads a copy, valid until the
            // next read of the same lane.
            [this, app](TransportKind kind) -> TransportStats * {
                std::optional<TransportStats> &copy = m_copies[size_t(kind)];
                const std::optional<AppController::LaneSnapshot> lane = app->laneSnapshot(kind);
                copy = lane ? std::optional<TransportStats>(lane->stats) : std::nullopt;
                return copy ? &*copy : nullptr;
            },
            this);
    m_hint = new QLabel(
            tr("For one message, the bytes each transport put on the wire to carry it, counted the same "
               "way on every lane: the frame (WebSocket), the event (SSE) or the poll's request and answer "
               "(long and short polling) — payload, framing and any headers sent for that message. Once-per-connection "
               "set-up (SSE's request and response head, the WebSocket handshake) is never in it: it is "
               "shown apart, amortised over the messages."),
            this);
    m_hint->setWordWrap(true);
    auto *probe = new QPushButton(tr("Publish one message and show its bytes"), this);
    connect(probe, &QPushButton::clicked, this, [this] {
        m_app->setCompareEnabled(true);
        m_follower->publishAndFollow([this] { return m_app->sendChat(tr("ledger probe")); });
        refresh();
    });
    m_choice = new QComboBox(this);
    m_choice->setEditable(true);
    m_choice->setInsertPolicy(QComboBox::NoInsert);
    m_choice->setMinimumContentsLength(28);
    m_choice->setToolTip(tr("The message to show: the latest, one of the last ones, or type its id and press Enter."));
    m_choice->setAccessibleName(tr("Message to show"));
    connect(m_choice, qOverload<int>(&QComboBox::activated), this,
            [this](int index) { choose(m_choice->itemText(index)); });
    connect(m_choice->lineEdit(), &QLineEdit::returnPressed, this, [this] { choose(m_choice->currentText()); });
    m_pause = new QPushButton(tr("Pause"), this);
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Freeze the view: new messages do not change it until you choose again or resume."));
    connect(m_pause, &QPushButton::toggled, this, [this](bool on) {
        m_follower->setPaused(on);
        refresh();
    });
    m_status = new QLabel(this);
    m_status->setWordWrap(true);

    auto *top = new QHBoxLayout;
    top->addWidget(probe);
    top->addWidget(new QLabel(tr("Show:"), this));
    top->addWidget(m_choice);
    top->addWidget(m_pause);
    top->addWidget(m_status, 1);
    auto *lanes = new QHBoxLayout;
    for (int i = 0; i < TransportKindCount; ++i) {
        auto *column = new QVBoxLayout;
        m_lanes[size_t(i)] = new QTextBrowser(this);
        m_lanes[size_t(i)]->setAccessibleName(transportKindLabel(TransportKind(i)));
        m_averages[size_t(i)] = new QLabel(this);
        m_averages[size_t(i)]->setWordWrap(true);
        m_averages[size_t(i)]->setAccessibleName(tr("%1: bytes per message").arg(transportKindLabel(TransportKind(i))));
        column->addWidget(m_lanes[size_t(i)], 1);
        column->addWidget(m_averages[size_t(i)]);
        lanes->addLayout(column, 1);
    }
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_hint);
    layout->addLayout(top);
    layout->addLayout(lanes, 1);
    connect(app, &AppController::refreshed, this, [this] {
        if (!isVisible())
            return;
        m_follower->update();
        refresh();
    });
    m_follower->update();
    refreshChoices();
}

void LedgerView::choose(const QString &text)
{
    static const QRegularExpression number(QStringLiteral("^\\s*#?\\s*(\\d+)"));
    const QRegularExpressionMatch match = number.match(text);
    if (match.hasMatch())
        m_follower->followId(match.captured(1).toULongLong());
    else
        m_follower->followLatest();
    refresh();
}

QString LedgerView::renderBytes(const QByteArray &bytes)
{
    return BytesFormat::bytes(bytes);
}

static QString describe(quint64 id, MessageType type, const QString &from, const QString &text)
{
    QString out = QStringLiteral("#%1 %2").arg(id).arg(messageTypeName(type));
    if (!from.isEmpty())
        out += QStringLiteral(" %1:").arg(from);
    if (!text.isEmpty())
        out += QStringLiteral(" %1").arg(text.left(24));
    return out;
}

static QString bytesText(qint64 n)
{
    return BytesFormat::bytesText(n);
}

static QString messagesText(qint64 n)
{
    return n == 1 ? LedgerView::tr("1 message") : LedgerView::tr("%1 messages").arg(n);
}

// The same role-tinted runs as the X-ray's detail pane.
static QString renderParts(const QList<WirePart> &parts, const QPalette &palette)
{
    return BytesFormat::parts(parts, palette);
}

void LedgerView::refreshChoices()
{
    // Not while the user is choosing or typing.
    if (m_choice->view()->isVisible() || m_choice->lineEdit()->hasFocus())
        return;
    QStringList items { tr("Latest message") };
    for (const LedgerFollower::Entry &e : m_follower->recent(32)) {
        QString item = describe(e.id, e.type, e.from, e.text);
        if (e.own)
            item += tr(" (published here)");
        items.append(item);
    }
    const QString shown = m_follower->followedId() ? QStringLiteral("#%1").arg(*m_follower->followedId())
            : m_follower->mode() == LedgerFollower::Mode::Published ? tr("the published message")
                                                                    : items.first();
    QStringList current;
    for (int i = 0; i < m_choice->count(); ++i)
        current.append(m_choice->itemText(i));
    if (current == items && m_choice->currentText() == shown)
        return;
    const QSignalBlocker blocker(m_choice);
    if (current != items) {
        m_choice->clear();
        m_choice->addItems(items);
    }
    m_choice->setEditText(shown);
}

void LedgerView::refresh()
{
    using Mode = LedgerFollower::Mode;
    const LedgerFollower &f = *m_follower;
    QString status;
    if (f.mode() == Mode::Latest)
        status = tr("Each lane's latest message: it changes with every tick. Choose one, or Pause.");
    else if (f.mode() == Mode::Published && !f.followedId())
        status = tr("Published: waiting for the message to come back…");
    else if (f.mode() == Mode::Published)
        status = tr("Following #%1, the message just published.").arg(*f.followedId());
    else
        status = tr("Following #%1.").arg(*f.followedId());
    if (f.isPaused())
        status += tr(" <b>Paused.</b>");
    m_status->setText(status);
    if (m_pause->isChecked() != f.isPaused()) {
        const QSignalBlocker blocker(m_pause);
        m_pause->setChecked(f.isPaused());
    }
    if (!f.isPaused())
        refreshChoices();

    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind kind = TransportKind(i);
        const LedgerFollower::Lane &lane = f.lane(kind);
        QTextBrowser *view = m_lanes[size_t(i)];
        const QString color = transportColor(kind, palette()).name();
        QString html =
                QStringLiteral("<style>.c{color:%1} pre{white-space:pre-wrap}</style><h3 style='color:%2'>%3</h3>")
                        .arg(palette().color(QPalette::PlaceholderText).name(), color, transportKindLabel(kind));
        if (!lane.subscribed) {
            // Compare already on: a lesson chose its lanes, and the button brings no other.
            html += m_app->compareEnabled()
                    ? tr("<p>Not subscribed: a lesson chose its lanes. Turn Compare (“Subscribe with every "
                         "transport”) off and on again for every lane.</p>")
                    : tr("<p>Not subscribed: the button above turns on Compare (or turn it on there).</p>");
        } else if (!lane.ledger) {
            if (f.mode() == Mode::Latest)
                html += tr("<p>No message seen yet.</p>");
            else if (!f.followedId())
                html += tr("<p>Waiting for the published message…</p>");
            else if (lane.oldestKept > 0 && *f.followedId() < lane.oldestKept)
                html += tr("<p>Message #%1 is not among the messages this lane keeps (#%2 to #%3, at most %4): it is "
                           "older, or came before the lane subscribed.</p>")
                                .arg(*f.followedId())
                                .arg(lane.oldestKept)
                                .arg(lane.newestKept)
                                .arg(TransportStats::MaxLedgers);
            else
                html += tr("<p>Message #%1 has not come on this lane yet.</p>").arg(*f.followedId());
        } else {
            const WireLedger &l = *lane.ledger;
            html += QStringLiteral("<p><b>%1</b></p>").arg(describe(l.id, l.type, l.from, l.text).toHtmlEscaped());
            html += tr("<p><b>%1</b> carried this message (its own %2; connection set-up not included):</p>")
                            .arg(bytesText(l.wireBytes()),
                                 kind == TransportKind::WebSocket     ? tr("frame")
                                         : kind == TransportKind::Sse ? tr("event")
                                                                      : tr("poll request and answer"));
            if (l.sharedBy > 1)
                html += tr("<p>That answer carried %1: its heads and envelope are shared; this message's "
                           "share is <b>%2 bytes</b>.</p>")
                                .arg(messagesText(l.sharedBy))
                                .arg(l.cost(), 0, 'f', 1);
            html += renderParts(l.parts, palette());
        }
        QString average;
        if (lane.subscribed) {
            const MessageCost &c = lane.cost;
            html += tr("<hr><h4>Connection set-up: once per connection, not in the figure above</h4>");
            if (kind == TransportKind::LongPoll || kind == TransportKind::Poll) {
                html += tr("<p>None: every poll is a request of its own, and its request and response head are "
                           "counted with the messages it carried.</p>");
            } else {
                html += renderParts(lane.setup, palette());
            }
            average = tr("Per message on average (%1): ").arg(messagesText(c.messages));
            if (c.messages > 0)
                average += tr("<b>%1 B</b> = headers %2 + framing %3 + payload %4.")
                                   .arg(c.perMessage(), 0, 'f', 1)
                                   .arg(c.headers, 0, 'f', 1)
                                   .arg(c.framing, 0, 'f', 1)
                                   .arg(c.payload, 0, 'f', 1);
            else
                average += QStringLiteral("–.");
            average += QLatin1Char(' ');
            if (kind == TransportKind::LongPoll || kind == TransportKind::Poll)
                average += tr("No set-up.");
            else if (c.messages > 0)
                average += tr("Set-up apart: %1, %2 B per message amortised.")
                                   .arg(bytesText(c.setupBytes))
                                   .arg(c.setupPerMessage, 0, 'f', 1);
            else
                average += tr("Set-up apart: %1.").arg(bytesText(c.setupBytes));
            average += tr(" Idle apart (heartbeats, pongs, empty polls): %1.").arg(bytesText(c.idleBytes));
        }
        if (m_averages[size_t(i)]->text() != average)
            m_averages[size_t(i)]->setText(average);
        // Only when it changed, so that reading (and scrolling) is not disturbed four times a second.
        if (view->property("rtlabHtml").toString() != html) {
            view->setProperty("rtlabHtml", html);
            view->setHtml(html);
        }
    }
}

} // namespace rtlab
