// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QWidget>

#include <array>

class QLabel;
class QPushButton;

namespace rtlab {

class AppController;
class HistogramChart;
class TimeSeriesChart;

// Every transport subscribed at once, side by side (the three real-time transports and short
// polling, the baseline): the same messages, four costs.
// It shows copies of the lanes' figures, re-read whenever it is shown, whenever the lanes are
// replaced, and a few times a second while visible: never a lane that is gone.
class CompareView : public QWidget
{
    Q_OBJECT
public:
    explicit CompareView(AppController *controller, QWidget *parent = nullptr);
    QPushButton *toggle() const { return m_toggle; }
    HistogramChart *histogram(TransportKind kind) const { return m_lanes[size_t(kind)].histogram; }
    QLabel *figures(TransportKind kind) const { return m_lanes[size_t(kind)].figures; }

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Lane
    {
        QLabel *state = nullptr;
        QLabel *figures = nullptr;
        TimeSeriesChart *chart = nullptr;
        HistogramChart *histogram = nullptr;
    };
    void refresh();

    AppController *m_controller;
    QPushButton *m_toggle;
    QPushButton *m_probe;
    std::array<Lane, TransportKindCount> m_lanes;
};

} // namespace rtlab
