// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace rtlab {

class AppController;

// Live charts of the server's tick data and of this client's latency, and the server's
// connected clients grouped by transport (who is in the class, and how each is connected). On a
// cluster the charts draw the cluster's total, and a table shows each node's figures.
class DashboardView : public QWidget
{
    Q_OBJECT
public:
    explicit DashboardView(AppController *controller, QWidget *parent = nullptr);

    QLabel *clientCounts() const { return m_counts; }
    QTableView *clientTable() const { return m_table; }
    // On a cluster only: one row per node and the cluster's total (hidden for a single server).
    QWidget *clusterPane() const { return m_cluster; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void refreshCounts();
    void refreshCluster();

    AppController *m_controller;
    QLabel *m_counts;
    QTableView *m_table;
    QWidget *m_cluster;
    QLabel *m_clusterTitle;
    QTableView *m_nodes;
};

} // namespace rtlab
