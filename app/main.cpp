// rtlab: the desktop client. Starts its own rtlab-server unless told to connect elsewhere.
#include "appcontroller.h"
#include "mainwindow.h"
#include "unixsignalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <vector>

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("rtlab"));
    QCoreApplication::setApplicationName(QStringLiteral("rtlab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RTLAB_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("rtlab"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/rtlab.png")));

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("rtlab: Long Polling, SSE and WebSockets side by side."));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption server({ QStringLiteral("server") },
                                    QStringLiteral("Connect to this rtlab server instead of starting the bundled one."),
                                    QStringLiteral("url"));
    const QCommandLineOption tab({ QStringLiteral("tab") },
                                 QStringLiteral("Open on this tab: chat, dashboard, compare, timeline, lab or bytes."),
                                 QStringLiteral("name"));
    const QCommandLineOption compare({ QStringLiteral("compare") }, QStringLiteral("Start with all three lanes subscribed."));
    const QCommandLineOption probe({ QStringLiteral("measure-responsiveness") },
                                   QStringLiteral("Measure how late the event loop runs a 10 ms timer for S seconds, "
                                                  "print the percentiles as JSON and quit."),
                                   QStringLiteral("S"));
    const QCommandLineOption tour({ QStringLiteral("tour") },
                                  QStringLiteral("Run the short tour: each transport, a server restart, Auto."));
    p.addOptions({ server, tab, compare, probe, tour });
    p.process(app);

    rtlab::AppController controller;
    controller.start(p.isSet(server) ? QUrl::fromUserInput(p.value(server)) : QUrl());
    rtlab::MainWindow window(&controller);
    if (p.isSet(tab))
        window.showTab(p.value(tab));
    if (p.isSet(compare))
        controller.setCompareEnabled(true);
    if (p.isSet(tour))
        QObject::connect(controller.server(), &rtlab::ServerProcess::started, &controller,
                         [&controller] { controller.runTour(); }, Qt::SingleShotConnection);
    window.show();
    // SIGINT/SIGTERM close the window like the user would: settings saved, bundled server stopped.
    rtlab::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &rtlab::UnixSignalWatcher::terminationRequested, &window, &QWidget::close);

    // Responsiveness: a 10 ms timer should fire every 10 ms; how late it runs is how long the
    // window could not answer input or repaint.
    std::vector<qint64> lateness;
    QElapsedTimer clock;
    QTimer tick;
    if (p.isSet(probe)) {
        const int seconds = qBound(1, p.value(probe).toInt(), 600);
        lateness.reserve(size_t(seconds) * 100);
        tick.setTimerType(Qt::PreciseTimer);
        tick.setInterval(10);
        QObject::connect(&tick, &QTimer::timeout, &app, [&] {
            lateness.push_back(qMax<qint64>(0, clock.nsecsElapsed() / 1000 - 10000));
            clock.restart();
        });
        clock.start();
        tick.start();
        QTimer::singleShot(seconds * 1000, &app, [&] {
            std::sort(lateness.begin(), lateness.end());
            auto pct = [&](double q) { return lateness.empty() ? 0 : lateness[size_t(q * double(lateness.size() - 1))]; };
            std::printf("{\"samples\":%zu,\"lateUs\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld},\"messages\":%lld}\n",
                        lateness.size(), static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)),
                        static_cast<long long>(lateness.empty() ? 0 : lateness.back()),
                        static_cast<long long>(controller.client()->continuity().delivered));
            std::fflush(stdout);
            window.close();
        });
    }
    return app.exec();
}
