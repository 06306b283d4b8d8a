// SPDX-License-Identifier: MIT
// rtlab: the desktop client. Starts its own rtlab-server unless told to connect elsewhere.
#include "appcontroller.h"
#include "bearertoken.h"
#include "guidedtour.h"
#include "headlesslesson.h"
#include "lessoncatalog.h"
#include "listenaddress.h"
#include "mainwindow.h"
#include "unixsignalwatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

// A headless run (a lesson with --export, or the list of lessons) needs no display at all.
static bool headlessRequested(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView a(argv[i]);
        if (a == "--list-lessons" || a == "--lesson" || a.startsWith("--lesson="))
            return true;
    }
    return false;
}

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    const bool headless = headlessRequested(argc, argv);
    std::unique_ptr<QCoreApplication> application;
    if (headless)
        application = std::make_unique<QCoreApplication>(argc, argv);
    else
        application = std::make_unique<QApplication>(argc, argv);
    QCoreApplication &app = *application;
    QCoreApplication::setOrganizationName(QStringLiteral("rtlab"));
    QCoreApplication::setApplicationName(QStringLiteral("rtlab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RTLAB_VERSION));
    if (!headless) {
        QGuiApplication::setDesktopFileName(QStringLiteral("rtlab"));
        QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/rtlab.png")));
    }

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("rtlab: Long Polling, SSE and WebSockets side by side."));
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    const QCommandLineOption listLessons({ QStringLiteral("list-lessons") },
                                         QStringLiteral("Print the id of every lesson, one per line, and quit."));
    const QCommandLineOption lesson({ QStringLiteral("lesson") },
                                    QStringLiteral("Run this lesson without a window from a fresh bundled server, "
                                                   "write its results to --export and quit (0: it ran, whether or not "
                                                   "the claim held; 1: it could not run; 2: bad arguments)."),
                                    QStringLiteral("id"));
    const QCommandLineOption duration({ QStringLiteral("duration") },
                                      QStringLiteral("With --lesson: seconds to run it (at least 5; default: what the "
                                                     "lesson needs)."),
                                      QStringLiteral("S"));
    const QCommandLineOption exportFile({ QStringLiteral("export") },
                                        QStringLiteral("With --lesson: the JSON file to write (docs/lessons.md)."),
                                        QStringLiteral("file"));
    p.addOptions({ listLessons, lesson, duration, exportFile });
    const QCommandLineOption server({ QStringLiteral("server") },
                                    QStringLiteral("Connect to this rtlab server instead of starting the bundled one."),
                                    QStringLiteral("url"));
    const QCommandLineOption tab(
            { QStringLiteral("tab") },
            QStringLiteral("Open on this tab: chat, dashboard, compare, xray, timeline, lab or bytes."),
            QStringLiteral("name"));
    const QCommandLineOption compare({ QStringLiteral("compare") },
                                     QStringLiteral("Start with every transport's lane subscribed (the three real-time "
                                                    "transports and short polling)."));
    const QCommandLineOption probe({ QStringLiteral("measure-responsiveness") },
                                   QStringLiteral("Measure how late the event loop runs a 10 ms timer for S seconds, "
                                                  "print the percentiles as JSON and quit."),
                                   QStringLiteral("S"));
    const QCommandLineOption tour({ QStringLiteral("tour") },
                                  QStringLiteral("Start the guided tour: each transport, the three side by side, a "
                                                 "server restart, Auto; Next goes on."));
    const QCommandLineOption listen({ QStringLiteral("listen") },
                                    QStringLiteral("Classroom mode: the bundled server listens on HOST:PORT (e.g. "
                                                   "0.0.0.0:8080, [::]:8080) for students' browsers and rtlab; the "
                                                   "window shows the join URL and its QR code."),
                                    QStringLiteral("host:port"));
    const QCommandLineOption token({ QStringLiteral("token") },
                                   QStringLiteral("With --server: a token for a server started with --auth-key, sent "
                                                  "as Authorization: Bearer (kept in memory, never saved). It shows "
                                                  "in `ps`: prefer --token-file."),
                                   QStringLiteral("token"));
    const QCommandLineOption tokenFile({ QStringLiteral("token-file") },
                                       QStringLiteral("With --server: read the token from the first line of FILE."),
                                       QStringLiteral("file"));
    p.addOptions({ server, tab, compare, probe, tour, listen, token, tokenFile });
    if (!p.parse(app.arguments())) {
        std::fprintf(stderr, "rtlab: %s (rtlab --help lists the options)\n", qPrintable(p.errorText()));
        return 2;
    }
    if (p.isSet(help))
        p.showHelp(0);
    if (p.isSet(version))
        p.showVersion();
    if (p.isSet(listLessons))
        return rtlab::HeadlessLesson::listLessons();
    if (p.isSet(lesson)) {
        const QString id = p.value(lesson);
        if (!rtlab::LessonCatalog::find(id)) {
            std::fprintf(stderr, "rtlab: no lesson called \"%s\" (rtlab --list-lessons lists them)\n", qPrintable(id));
            return 2;
        }
        if (!p.isSet(exportFile) || p.value(exportFile).isEmpty()) {
            std::fprintf(stderr, "rtlab: --lesson needs --export FILE.json\n");
            return 2;
        }
        int seconds = 0;
        if (p.isSet(duration)) {
            bool ok = false;
            seconds = p.value(duration).toInt(&ok);
            if (!ok || seconds < 5 || seconds > 3600) {
                std::fprintf(stderr, "rtlab: --duration: expected 5-3600 seconds, got %s\n",
                             qPrintable(p.value(duration)));
                return 2;
            }
        }
        rtlab::HeadlessLesson run(id, seconds, p.value(exportFile));
        run.start();
        return app.exec();
    }
    if (headless)
        return 2; // not reached: --lesson or --list-lessons is set
    rtlab::ListenAddress listenAddress;
    if (p.isSet(listen)) {
        QString why;
        listenAddress = rtlab::ListenAddress::parse(p.value(listen), &why);
        if (!listenAddress.isValid()) {
            std::fprintf(stderr, "rtlab: --listen: %s\n", qPrintable(why));
            return 2;
        }
        if (p.isSet(server)) {
            std::fprintf(stderr, "rtlab: --listen is for the bundled server; --server connects to another one\n");
            return 2;
        }
    }

    QByteArray serverToken = p.value(token).toUtf8().trimmed();
    QString why;
    if (p.isSet(tokenFile) && !rtlab::BearerToken::readFile(p.value(tokenFile), &serverToken, &why)) {
        std::fprintf(stderr, "rtlab: --token-file: %s\n", qPrintable(why));
        return 2;
    }
    if ((p.isSet(token) || p.isSet(tokenFile)) && (!p.isSet(server) || !rtlab::BearerToken::isValid(serverToken))) {
        std::fprintf(stderr,
                     "rtlab: --token goes with --server URL (the bundled server needs none), and is "
                     "printable ASCII with no spaces\n");
        return 2;
    }

    rtlab::AppController controller;
    if (listenAddress.isValid())
        controller.setListenAddress(listenAddress, false);
    controller.start(p.isSet(server) ? QUrl::fromUserInput(p.value(server)) : QUrl(), serverToken);
    rtlab::MainWindow window(&controller);
    if (p.isSet(tab))
        window.showTab(p.value(tab));
    if (p.isSet(compare))
        controller.setCompareEnabled(true);
    if (p.isSet(tour))
        QObject::connect(
                controller.server(), &rtlab::ServerProcess::started, &controller, [&window] { window.tour()->start(); },
                Qt::SingleShotConnection);
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
            auto pct = [&](double q) {
                return lateness.empty() ? 0 : lateness[size_t(q * double(lateness.size() - 1))];
            };
            // The lanes' latency as the window measured it, beside the loop's lateness: the two
            // together tell whether the GUI thread's work delays the receive timestamps.
            QByteArray lanes;
            for (int i = 0; i < rtlab::TransportKindCount; ++i) {
                const auto k = rtlab::TransportKind(i);
                if (const auto lane = controller.laneSnapshot(k)) {
                    const rtlab::LatencyStats &l = lane->stats.latency;
                    lanes += QStringLiteral("%1\"%2\":{\"messages\":%3,\"p50Ms\":%4,\"p99Ms\":%5}")
                                     .arg(lanes.isEmpty() ? QString() : QStringLiteral(","), rtlab::transportKindKey(k))
                                     .arg(lane->stats.messages)
                                     .arg(double(l.percentile(50)) / 1000.0)
                                     .arg(double(l.percentile(99)) / 1000.0)
                                     .toUtf8();
                }
            }
            std::printf("{\"samples\":%zu,\"lateUs\":{\"p50\":%lld,\"p99\":%lld,\"max\":%lld},\"messages\":%lld,"
                        "\"lanes\":{%s}}\n",
                        lateness.size(), static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)),
                        static_cast<long long>(lateness.empty() ? 0 : lateness.back()),
                        static_cast<long long>(controller.client()->continuity().delivered), lanes.constData());
            std::fflush(stdout);
            window.close();
        });
    }
    return app.exec();
}
