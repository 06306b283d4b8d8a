// SPDX-License-Identifier: MIT
// rtlab-server: the thin executable around the server library.
#include "server.h"
#include "serverconfig.h"
#include "unixsignalwatcher.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

int main(int argc, char *argv[])
{
    // A peer that goes away mid-write must not kill the server.
    std::signal(SIGPIPE, SIG_IGN);
    // Qt's own poll()-based event loop rather than glib's: the server needs no glib sources, and
    // glib's loop costs more per iteration (one extra wake-up bookkeeping pass per posted event).
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rtlab-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RTLAB_VERSION));

    rtlab::ServerConfig config;
    QString error;
    bool helpShown = false;
    if (!rtlab::ServerConfig::fromArguments(app.arguments(), &config, &error, &helpShown)) {
        std::fprintf(stderr, "rtlab-server: %s\nTry 'rtlab-server --help'.\n", qPrintable(error));
        return 2;
    }
    if (helpShown)
        return 0;

    rtlab::Server server(config);
    if (!server.listen(&error)) {
        std::fprintf(stderr, "rtlab-server: cannot listen on %s:%u: %s\n", qPrintable(config.host),
                     unsigned(config.port), qPrintable(error));
        return 1;
    }
    rtlab::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &rtlab::UnixSignalWatcher::terminationRequested, &server,
                     [&server](int) { server.shutdown(); });
    QObject::connect(&server, &rtlab::Server::finished, &app, [] { QCoreApplication::exit(0); });

    std::printf("rtlab-server listening on %s\n", qPrintable(server.url().toString()));
    std::fflush(stdout);
    return app.exec();
}
