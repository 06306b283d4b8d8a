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

// The three transports subscribed at once, side by side: the same messages, three costs.
class CompareView : public QWidget
{
    Q_OBJECT
public:
    explicit CompareView(AppController *controller, QWidget *parent = nullptr);
    QPushButton *toggle() const { return m_toggle; }

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
