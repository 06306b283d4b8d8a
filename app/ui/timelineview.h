// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace rtlab {

class AppController;
class EventLogModel;

// Connection events on a shared time axis, one row per transport.
class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineWidget(EventLogModel *model, QWidget *parent = nullptr);
    void setWindowMs(qint64 ms);
    QSize sizeHint() const override { return { 800, 200 }; }
    QSize minimumSizeHint() const override { return { 300, 150 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    EventLogModel *m_model;
    qint64 m_windowMs = 60000;
};

// The timeline and the filterable event log under it.
class TimelineView : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineView(AppController *controller, QWidget *parent = nullptr);

protected:
    void changeEvent(QEvent *event) override;

private:
    // The log's row height and time column, from the font now (the presenter zoom changes it).
    void fitLogToFont();

    TimelineWidget *m_timeline;
    QLineEdit *m_filter;
    QComboBox *m_window;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
};

} // namespace rtlab
