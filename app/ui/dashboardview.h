#pragma once

#include <QWidget>

namespace rtlab {

class AppController;

// Live charts of the server's tick data and of this client's latency.
class DashboardView : public QWidget
{
    Q_OBJECT
public:
    explicit DashboardView(AppController *controller, QWidget *parent = nullptr);
};

} // namespace rtlab
