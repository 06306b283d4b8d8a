// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace rtlab {

class AppController;

// Live charts of the server's tick data and of this client's latency, and the server's
// connected clients grouped by transport (who is in the class, and how each is connected).
class DashboardView : public QWidget
{
    Q_OBJECT
public:
    explicit DashboardView(AppController *controller, QWidget *parent = nullptr);

    QLabel *clientCounts() const { return m_counts; }
    QTableView *clientTable() const { return m_table; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void refreshCounts();

    AppController *m_controller;
    QLabel *m_counts;
    QTableView *m_table;
};

} // namespace rtlab
