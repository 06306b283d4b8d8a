// SPDX-License-Identifier: MIT
// rtlab-cli: a headless rtlab client (and a reader of any SSE or WebSocket endpoint with --raw).
#include "clirunner.h"
#include "unixsignalwatcher.h"

#include <QCoreApplication>

#include <csignal>

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rtlab-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RTLAB_VERSION));
    rtlab::CliRunner::Options options;
    QString error;
    bool exitNow = false;
    if (!rtlab::CliRunner::parse(app.arguments(), &options, &error, &exitNow)) {
        std::fprintf(stderr, "rtlab-cli: %s\nTry 'rtlab-cli --help'.\n", qPrintable(error));
        return 2;
    }
    if (exitNow)
        return 0;
    rtlab::CliRunner runner(options);
    QObject::connect(&runner, &rtlab::CliRunner::finished, &app, [](int code) { QCoreApplication::exit(code); });
    // Ctrl-C or SIGTERM ends the run as --duration does: --stats and --har are written.
    rtlab::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &rtlab::UnixSignalWatcher::terminationRequested, &runner, &rtlab::CliRunner::stop);
    runner.start();
    return app.exec();
}
