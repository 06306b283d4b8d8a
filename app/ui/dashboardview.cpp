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

    auto *connections = new TimeSeriesChart(tr("Server connections by transport"), {}, this);
    connections->addLine(&c->series(S::ConnectionsLp), lp);
    connections->addLine(&c->series(S::ConnectionsSse), sse);
    connections->addLine(&c->series(S::ConnectionsWs), ws);
    auto *held = new TimeSeriesChart(tr("Long polls held by the server"), {}, this);
    held->addLine(&c->series(S::HeldPolls), lp);
    auto *rate = new TimeSeriesChart(tr("Messages per second"), {}, this);
    rate->addLine(&c->series(S::MessagesPerSec), accent);
    auto *bytes = new TimeSeriesChart(tr("Bytes out per second by transport"), tr("B/s"), this);
    bytes->addLine(&c->series(S::BytesLp), lp);
    bytes->addLine(&c->series(S::BytesSse), sse);
    bytes->addLine(&c->series(S::BytesWs), ws);
    auto *latency = new TimeSeriesChart(tr("This client's latency, server → here"), tr("ms"), this);
    latency->addLine(&c->series(S::ClientLatency), accent);
    auto *rss = new TimeSeriesChart(tr("Server memory"), tr("MiB"), this);
    rss->addLine(&c->series(S::Rss), pal.color(QPalette::Text));

    auto *grid = new QGridLayout(this);
    grid->addWidget(connections, 0, 0);
    grid->addWidget(held, 0, 1);
    grid->addWidget(rate, 1, 0);
    grid->addWidget(bytes, 1, 1);
    grid->addWidget(latency, 2, 0);
    grid->addWidget(rss, 2, 1);
    for (QWidget *w : { static_cast<QWidget *>(connections), static_cast<QWidget *>(held), static_cast<QWidget *>(rate),
                        static_cast<QWidget *>(bytes), static_cast<QWidget *>(latency), static_cast<QWidget *>(rss) })
        connect(c, &AppController::refreshed, w, [w] {
            if (w->isVisible())
                w->update();
        });
}

} // namespace rtlab
