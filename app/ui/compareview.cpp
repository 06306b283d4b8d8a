// SPDX-License-Identifier: MIT
#include "compareview.h"

#include "appcontroller.h"
#include "histogramchart.h"
#include "palette.h"
#include "timeserieschart.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMetaEnum>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>

namespace rtlab {

CompareView::CompareView(AppController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    m_toggle = new QPushButton(tr("Subscribe with &every transport"), this);
    m_toggle->setToolTip(tr("Subscribe with every transport at once, each in its own lane: the three real-time "
                            "transports and traditional (short) polling, the baseline"));
    m_toggle->setCheckable(true);
    m_toggle->setChecked(controller->compareEnabled());
    connect(m_toggle, &QPushButton::toggled, controller, &AppController::setCompareEnabled);
    connect(controller, &AppController::compareEnabledChanged, m_toggle, &QPushButton::setChecked);
    m_probe = new QPushButton(tr("Publish a &probe"), this);
    m_probe->setToolTip(tr("Publish one message: every lane receives it"));
    connect(m_probe, &QPushButton::clicked, this,
            [this] { m_controller->sendChat(tr("probe %1").arg(m_controller->ownMessagesSent() + 1)); });
    auto *hint = new QLabel(tr("The same message reaches each lane: compare how late, how often they reconnect, "
                               "and what every message costs on the wire."),
                            this);
    hint->setWordWrap(true);
    auto *top = new QHBoxLayout;
    top->addWidget(m_toggle);
    top->addWidget(m_probe);
    top->addWidget(hint, 1);

    // One lane per transport in a splitter, each scrolling on its own: they fit side by side on a small
    // screen, and growing numbers never widen the window.
    auto *lanes = new QSplitter(Qt::Horizontal, this);
    lanes->setChildrenCollapsible(false);
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind kind = TransportKind(i);
        const QColor color = transportColor(kind, palette());
        auto *box = new QGroupBox(transportKindLabel(kind), lanes);
        box->setStyleSheet(QStringLiteral("QGroupBox { font-weight: bold; color: %1; }").arg(color.name()));
        auto *content = new QWidget;
        Lane &lane = m_lanes[size_t(i)];
        lane.state = new QLabel(content);
        lane.state->setStyleSheet(QStringLiteral("font-weight: bold;"));
        lane.figures = new QLabel(content);
        lane.figures->setToolTip(tr(
                "<p><b>latency</b>: one-way, this lane's receive time − the server's timestamp for the message, "
                "corrected by the estimated clock offset (zero on loopback); percentiles of the last 2,048 live "
                "messages, measured on the network thread where the bytes arrive.</p>"
                "<p><b>replayed after an outage</b>: messages the server sent before this connection attempt "
                "began (they waited in its history): counted, but never in the latency, which they would turn into "
                "a measure of the outage.</p>"
                "<p><b>bytes per message</b>: the bytes of each message's own frame (WebSocket), event (SSE) or poll "
                "request and answer (long and short polling): headers sent for it, framing, payload. Connection "
                "set-up (SSE's "
                "request and response head, the WebSocket handshake) is shown apart, and heartbeats are not in it."
                "</p><p><b>HTTP requests</b>: every request this lane made: polls, the stream, the handshake, and "
                "POSTs to publish.</p>"));
        lane.figures->setTextFormat(Qt::RichText);
        lane.figures->setTextInteractionFlags(Qt::TextSelectableByMouse);
        lane.figures->setAlignment(Qt::AlignTop | Qt::AlignLeft);
        lane.figures->setStyleSheet(QStringLiteral("font-weight: normal;"));
        lane.figures->setWordWrap(true);
        auto *upstream =
                new QLabel(kind == TransportKind::WebSocket ? tr("Publishing: the same socket (a text frame).")
                                                            : tr("Publishing: an extra POST /send request each."),
                           content);
        upstream->setWordWrap(true);
        upstream->setStyleSheet(QStringLiteral("font-weight: normal;"));
        lane.chart = new TimeSeriesChart(tr("Latency"), tr("ms"), box);
        lane.chart->addLine(&controller->laneLatency(kind), color, transportPenStyle(kind), transportMarker(kind));
        // One y scale for the lanes, so that side by side the taller line is the slower one.
        lane.chart->setScaleWith(
                { &controller->laneLatency(TransportKind::LongPoll), &controller->laneLatency(TransportKind::Sse),
                  &controller->laneLatency(TransportKind::WebSocket), &controller->laneLatency(TransportKind::Poll) });
        lane.histogram = new HistogramChart(tr("Latency histogram"), box);
        auto *v = new QVBoxLayout(content);
        v->setContentsMargins(0, 0, 0, 0);
        v->addWidget(lane.state);
        v->addWidget(lane.figures);
        v->addWidget(upstream);
        v->addStretch(1);
        auto *scroll = new QScrollArea(box);
        scroll->setWidget(content);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        // At least five rows of figures (the claims' own come first, see refresh()): where the
        // lane is short — 1.5×, a large zoom, the tour panel open — the charts give way to them.
        scroll->setMinimumHeight(fontMetrics().height() * 5);
        // Figures, line chart and histogram share the lane's height; on a small screen the
        // figures scroll and the user can drag the split.
        auto *split = new QSplitter(Qt::Vertical, box);
        split->setChildrenCollapsible(false);
        split->setStyleSheet(QStringLiteral("font-weight: normal;")); // not the title's bold
        split->addWidget(scroll);
        split->addWidget(lane.chart);
        split->addWidget(lane.histogram);
        split->setSizes({ 400, 320, 280 }); // relative weights: the figures first
        auto *bv = new QVBoxLayout(box);
        bv->setContentsMargins(4, 4, 4, 4);
        bv->addWidget(split);
        box->setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 20);
        lanes->addWidget(box);
        lanes->setStretchFactor(i, 1);
    }
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(lanes, 1);
    connect(controller, &AppController::refreshed, this, [this] {
        if (isVisible())
            refresh();
    });
    // Hidden or not: the old lanes' figures must not stay on screen, nor be painted later.
    connect(controller, &AppController::lanesRestarted, this, &CompareView::refresh);
    refresh();
}

void CompareView::showEvent(QShowEvent *event)
{
    refresh(); // it did not refresh while hidden
    QWidget::showEvent(event);
}

static QString ms(qint64 us)
{
    return us < 0 ? QStringLiteral("–") : QString::number(double(us) / 1000.0, 'f', 2);
}

void CompareView::refresh()
{
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind kind = TransportKind(i);
        Lane &lane = m_lanes[size_t(i)];
        const std::optional<AppController::LaneSnapshot> client = m_controller->laneSnapshot(kind);
        if (!client) {
            lane.state->setText(tr("not subscribed"));
            lane.figures->setText(m_controller->compareEnabled()
                                          ? tr("Not in this comparison: a lesson chose its lanes. Turn “Subscribe "
                                               "with every transport” off and on again for every lane.")
                                          : tr("Turn on “Subscribe with every transport”."));
            lane.histogram->clear();
            lane.chart->update();
            continue;
        }
        const TransportStats &s = client->stats;
        const char *stateKey = QMetaEnum::fromType<ClientTransport::State>().valueToKey(int(client->state));
        lane.state->setText(QString::fromLatin1(stateKey));
        const MessageCost cost = messageCost(s);
        const auto perMessage = [&](double v) {
            return cost.messages > 0 ? QString::number(v, 'f', 1) : QStringLiteral("–");
        };
        // The four figures the claims compare come first, so that a short lane (a small screen, a
        // large zoom, the tour panel open) still shows them; the details follow.
        lane.figures->setText(
                tr("<table width=100% cellspacing=1>"
                   "<tr><td>messages</td><td align=right><b>%1</b></td></tr>"
                   "<tr><td>latency p50</td><td align=right><b>%3</b> ms</td></tr>"
                   "<tr><td>HTTP requests</td><td align=right><b>%7</b></td></tr>"
                   "<tr><td>bytes per message</td><td align=right><b>%8</b></td></tr>"
                   "<tr><td>&nbsp;&nbsp;headers</td><td align=right>%9</td></tr>"
                   "<tr><td>&nbsp;&nbsp;framing</td><td align=right>%10</td></tr>"
                   "<tr><td>&nbsp;&nbsp;payload</td><td align=right>%11</td></tr>"
                   "<tr><td>latency p95</td><td align=right>%4 ms</td></tr>"
                   "<tr><td>latency p99</td><td align=right>%5 ms</td></tr>"
                   "<tr><td>replayed after an outage</td><td align=right>%2</td></tr>"
                   "<tr><td>reconnects</td><td align=right>%6</td></tr>"
                   "<tr><td>connection set-up</td><td align=right>%12 B</td></tr>"
                   "<tr><td>heartbeats</td><td align=right>%13</td></tr>"
                   "<tr><td>%14</td><td align=right>%15</td></tr></table>")
                        .arg(s.messages)
                        .arg(s.replayed)
                        .arg(ms(s.latency.percentile(50)), ms(s.latency.percentile(95)), ms(s.latency.percentile(99)))
                        .arg(s.reconnects)
                        .arg(s.httpRequests)
                        .arg(perMessage(cost.perMessage()), perMessage(cost.headers), perMessage(cost.framing),
                             perMessage(cost.payload))
                        .arg(cost.setupBytes)
                        .arg(s.heartbeats)
                        // Short polling's empty answers are its idle polls, not hold timeouts.
                        .arg(kind == TransportKind::Poll ? tr("idle polls") : tr("hold timeouts"))
                        .arg(kind == TransportKind::Poll ? s.idlePolls : s.holdTimeouts));
        lane.histogram->setStats(&s.latency, transportColor(kind, palette()));
        lane.chart->update();
    }
}

} // namespace rtlab
