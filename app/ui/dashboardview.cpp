// SPDX-License-Identifier: MIT
#include "dashboardview.h"

#include "appcontroller.h"
#include "palette.h"
#include "timeserieschart.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace rtlab {

// A pane of the lower half: a line of text over a table of `model` whose `stretch` column takes
// the width left.
static QWidget *tablePane(QWidget *parent, const QString &name, QLabel **label, QTableView **table,
                          QAbstractItemModel *model, int stretch)
{
    auto *pane = new QWidget(parent);
    *label = new QLabel(pane);
    (*label)->setWordWrap(true);
    (*label)->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    *table = new QTableView(pane);
    (*table)->setObjectName(name);
    (*table)->setModel(model);
    (*table)->setAlternatingRowColors(true);
    (*table)->verticalHeader()->hide();
    (*table)->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    (*table)->horizontalHeader()->setSectionResizeMode(stretch, QHeaderView::Stretch);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(*label);
    layout->addWidget(*table, 1);
    return pane;
}

DashboardView::DashboardView(AppController *c, QWidget *parent) : QWidget(parent), m_controller(c)
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
    auto *charts = new QWidget(this);
    auto *grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(connections, 0, 0);
    grid->addWidget(bytes, 0, 1);
    grid->addWidget(held, 0, 2);
    grid->addWidget(rate, 1, 0);
    grid->addWidget(latency, 1, 1);
    grid->addWidget(rss, 1, 2);

    // The connected clients: counts per transport on top (the server's own, all of them), then
    // one row per client (the first 500 the server lists), grouped by transport.
    QWidget *clients = tablePane(this, QStringLiteral("clientTable"), &m_counts, &m_table, c->connectedClients(),
                                 ConnectedClientsModel::PeerColumn);
    m_counts->setObjectName(QStringLiteral("clientCounts"));
    m_counts->setTextFormat(Qt::RichText);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    connect(c->connectedClients(), &ConnectedClientsModel::updated, this, &DashboardView::refreshCounts);

    // A cluster's nodes (their ticks name them): hidden until a tick names one.
    m_cluster = tablePane(this, QStringLiteral("clusterNodes"), &m_clusterTitle, &m_nodes, c->clusterNodes(),
                          ClusterNodesModel::NodeColumn);
    m_cluster->setObjectName(QStringLiteral("clusterPane"));
    m_clusterTitle->setObjectName(QStringLiteral("clusterTitle"));
    m_nodes->setSelectionMode(QAbstractItemView::NoSelection);
    connect(c->clusterNodes(), &QAbstractItemModel::modelReset, this, &DashboardView::refreshCluster);
    connect(c->clusterNodes(), &QAbstractItemModel::rowsInserted, this, &DashboardView::refreshCluster);
    connect(c->clusterNodes(), &QAbstractItemModel::rowsRemoved, this, &DashboardView::refreshCluster);
    refreshCluster();

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(charts);
    split->addWidget(m_cluster);
    split->addWidget(clients);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setStretchFactor(2, 1);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);
    refreshCounts();

    for (QWidget *w : { static_cast<QWidget *>(connections), static_cast<QWidget *>(held), static_cast<QWidget *>(rate),
                        static_cast<QWidget *>(bytes), static_cast<QWidget *>(latency), static_cast<QWidget *>(rss) })
        connect(c, &AppController::refreshed, w, [w] {
            if (w->isVisible())
                w->update();
        });
}

void DashboardView::showEvent(QShowEvent *event)
{
    m_controller->connectedClients()->setActive(true);
    QWidget::showEvent(event);
}

void DashboardView::hideEvent(QHideEvent *event)
{
    m_controller->connectedClients()->setActive(false);
    QWidget::hideEvent(event);
}

void DashboardView::refreshCluster()
{
    const ClusterNodesModel *nodes = m_controller->clusterNodes();
    m_cluster->setVisible(nodes->isCluster());
    // Every row in view where there is room, the cluster's total included (up to six; beyond, it
    // scrolls); on a short screen the charts keep their share and the table scrolls from one row.
    const int rows = qMin(nodes->rowCount(), 6);
    const int chrome = m_nodes->horizontalHeader()->sizeHint().height() + 2 * m_nodes->frameWidth();
    const int row = m_nodes->verticalHeader()->defaultSectionSize();
    m_nodes->setMinimumHeight(chrome + row);
    m_nodes->setMaximumHeight(chrome + rows * row);
    m_clusterTitle->setText(nodes->nodeCount() == 1
                                    ? tr("Cluster — 1 node on this log; the charts above show the cluster's total.")
                                    : tr("Cluster — %1 nodes on this log; the charts above show the cluster's total.")
                                              .arg(nodes->nodeCount()));
}

void DashboardView::refreshCounts()
{
    const ConnectedClientsModel *model = m_controller->connectedClients();
    QStringList parts;
    const QPalette &pal = palette();
    const std::array<TransportKind, 4> kinds { TransportKind::LongPoll, TransportKind::Sse, TransportKind::WebSocket,
                                               TransportKind::Poll };
    for (size_t i = 0; i < kinds.size(); ++i) {
        const qint64 n = model->count(kinds[i]);
        parts << tr("<b><span style='color:%1'>%2</span></b>: %3")
                         .arg(transportColor(kinds[i], pal).name(), transportKindLabel(kinds[i]),
                              n == 1 ? tr("1 client") : tr("%1 clients").arg(n));
    }
    if (model->refusedStatus() != 0) {
        // Nothing to list, and no stale figures: say why in words, the server's reason after.
        const QString why = model->refusedStatus() == 403 ? tr("this token may not read the server's figures")
                                                          : tr("the server wants a valid token to show its figures");
        m_counts->setText(tr("Connected clients — <b>%1</b> (HTTP %2: %3)")
                                  .arg(why.toHtmlEscaped())
                                  .arg(model->refusedStatus())
                                  .arg(model->refusal().toHtmlEscaped()));
        return;
    }
    QString text = tr("Connected clients — %1").arg(parts.join(QStringLiteral(" · ")));
    if (model->truncated() > 0)
        text += tr(" (the list shows the first 500; %1 more not listed)").arg(model->truncated());
    m_counts->setText(text);
}

} // namespace rtlab
