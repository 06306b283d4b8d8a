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
#include <QVBoxLayout>

namespace rtlab {

CompareView::CompareView(AppController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    m_toggle = new QPushButton(tr("Subscribe with all &three transports"), this);
    m_toggle->setCheckable(true);
    m_toggle->setChecked(controller->compareEnabled());
    connect(m_toggle, &QPushButton::toggled, controller, &AppController::setCompareEnabled);
    connect(controller, &AppController::compareEnabledChanged, m_toggle, &QPushButton::setChecked);
    m_probe = new QPushButton(tr("Publish a &probe message"), this);
    connect(m_probe, &QPushButton::clicked, this, [this] {
        m_controller->sendChat(tr("probe %1").arg(m_controller->ownMessagesSent() + 1));
    });
    auto *hint = new QLabel(tr("The same message reaches each lane: compare how late, how often they reconnect, "
                               "and what every message costs on the wire."),
                            this);
    hint->setWordWrap(true);
    auto *top = new QHBoxLayout;
    top->addWidget(m_toggle);
    top->addWidget(m_probe);
    top->addWidget(hint, 1);

    auto *lanes = new QHBoxLayout;
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind kind = TransportKind(i);
        const QColor color = transportColor(kind, palette());
        auto *box = new QGroupBox(transportKindLabel(kind), this);
        box->setStyleSheet(QStringLiteral("QGroupBox { font-weight: bold; color: %1; }").arg(color.name()));
        Lane &lane = m_lanes[size_t(i)];
        lane.state = new QLabel(box);
        lane.figures = new QLabel(box);
        lane.figures->setTextFormat(Qt::RichText);
        lane.figures->setTextInteractionFlags(Qt::TextSelectableByMouse);
        lane.figures->setAlignment(Qt::AlignTop | Qt::AlignLeft);
        lane.figures->setStyleSheet(QStringLiteral("font-weight: normal;"));
        lane.state->setStyleSheet(QStringLiteral("font-weight: bold;"));
        lane.chart = new TimeSeriesChart(tr("Latency"), tr("ms"), box);
        lane.chart->addLine(&controller->laneLatency(kind), color);
        lane.histogram = new HistogramChart(tr("Latency histogram"), box);
        auto *v = new QVBoxLayout(box);
        v->addWidget(lane.state);
        v->addWidget(lane.figures);
        v->addWidget(lane.chart, 2);
        v->addWidget(lane.histogram, 1);
        lanes->addWidget(box, 1);
    }
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(lanes, 1);
    connect(controller, &AppController::refreshed, this, [this] {
        if (isVisible())
            refresh();
    });
    refresh();
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
            lane.figures->setText(tr("Turn on “Subscribe with all three transports”."));
            lane.histogram->setStats(nullptr, {});
            continue;
        }
        const TransportStats &s = client->stats;
        const char *stateKey = QMetaEnum::fromType<ClientTransport::State>().valueToKey(int(client->state));
        lane.state->setText(QString::fromLatin1(stateKey));
        const double per = s.messages > 0 ? double(s.messages) : 1.0;
        const QString upstream = kind == TransportKind::WebSocket ? tr("same socket (a text frame)")
                                                                  : tr("an extra POST /send request");
        lane.figures->setText(
                tr("<table cellspacing=2>"
                   "<tr><td>messages</td><td align=right><b>%1</b></td></tr>"
                   "<tr><td>latency p50 / p95 / p99</td><td align=right><b>%2 / %3 / %4</b> ms</td></tr>"
                   "<tr><td>reconnects</td><td align=right>%5</td></tr>"
                   "<tr><td>HTTP requests</td><td align=right>%6</td></tr>"
                   "<tr><td>bytes per message</td><td align=right><b>%7</b></td></tr>"
                   "<tr><td>&nbsp;&nbsp;headers / framing / payload</td><td align=right>%8 / %9 / %10</td></tr>"
                   "<tr><td>heartbeats / hold timeouts</td><td align=right>%11 / %12</td></tr>"
                   "<tr><td>upstream</td><td align=right>%13</td></tr></table>")
                        .arg(s.messages)
                        .arg(ms(s.latency.percentile(50)), ms(s.latency.percentile(95)), ms(s.latency.percentile(99)))
                        .arg(s.reconnects)
                        .arg(s.httpRequests)
                        .arg(double(s.wireBytes()) / per, 0, 'f', 1)
                        .arg(double(s.headerBytes) / per, 0, 'f', 1)
                        .arg(double(s.framingBytes) / per, 0, 'f', 1)
                        .arg(double(s.payloadBytes) / per, 0, 'f', 1)
                        .arg(s.heartbeats)
                        .arg(s.holdTimeouts)
                        .arg(upstream));
        lane.histogram->setStats(&s.latency, transportColor(kind, palette()));
        lane.chart->update();
    }
}

} // namespace rtlab
