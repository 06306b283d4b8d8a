#include "dashboardview.h"

#include "appcontroller.h"
#include "palette.h"
#include "timeserieschart.h"

#include <QGridLayout>

namespace rtlab {

DashboardView::DashboardView(AppController *c, QWidget *parent) : QWidget(parent)
{
    const QPalette &pal = palette();
    using S = AppController::Series;
    const QColor lp = transportColor(TransportKind::LongPoll, pal);
    const QColor sse = transportColor(TransportKind::Sse, pal);
    const QColor ws = transportColor(TransportKind::WebSocket, pal);
    const QColor accent = pal.color(QPalette::Highlight);

    using K = TransportKind;
    auto addTransport = [](TimeSeriesChart *chart, const TimeSeries *series, TransportKind kind, const QColor &color) {
        chart->addLine(series, color, transportPenStyle(kind), transportMarker(kind));
    };
    auto *connections = new TimeSeriesChart(tr("Server connections by transport"), {}, this);
    addTransport(connections, &c->series(S::ConnectionsLp), K::LongPoll, lp);
    addTransport(connections, &c->series(S::ConnectionsSse), K::Sse, sse);
    addTransport(connections, &c->series(S::ConnectionsWs), K::WebSocket, ws);
    auto *held = new TimeSeriesChart(tr("Long polls held by the server"), {}, this);
    addTransport(held, &c->series(S::HeldPolls), K::LongPoll, lp);
    auto *rate = new TimeSeriesChart(tr("Messages per second"), {}, this);
    rate->addLine(&c->series(S::MessagesPerSec), accent);
    auto *bytes = new TimeSeriesChart(tr("Bytes out per second by transport"), tr("B/s"), this);
    addTransport(bytes, &c->series(S::BytesLp), K::LongPoll, lp);
    addTransport(bytes, &c->series(S::BytesSse), K::Sse, sse);
    addTransport(bytes, &c->series(S::BytesWs), K::WebSocket, ws);
    auto *latency = new TimeSeriesChart(tr("This client's latency, server → here"), tr("ms"), this);
    latency->addLine(&c->series(S::ClientLatency), accent);
    auto *rss = new TimeSeriesChart(tr("Server memory"), tr("MiB"), this);
    rss->addLine(&c->series(S::Rss), pal.color(QPalette::Text));

    // Two rows of three: short enough for a 480-pixel-high screen.
    auto *grid = new QGridLayout(this);
    grid->addWidget(connections, 0, 0);
    grid->addWidget(bytes, 0, 1);
    grid->addWidget(held, 0, 2);
    grid->addWidget(rate, 1, 0);
    grid->addWidget(latency, 1, 1);
    grid->addWidget(rss, 1, 2);
    for (QWidget *w : { static_cast<QWidget *>(connections), static_cast<QWidget *>(held), static_cast<QWidget *>(rate),
                        static_cast<QWidget *>(bytes), static_cast<QWidget *>(latency), static_cast<QWidget *>(rss) })
        connect(c, &AppController::refreshed, w, [w] {
            if (w->isVisible())
                w->update();
        });
}

} // namespace rtlab
