// SPDX-License-Identifier: MIT
// rtlab-server: the thin executable around the server library.
#include "server.h"
#include "serverconfig.h"
#include "unixsignalwatcher.h"

#include <QCoreApplication>
#include <QHostAddress>

#include <csignal>
#include <cstdio>

// Bound where others can reach it and nothing keeps anyone out: say so, plainly, at start (the
// server keeps running: a classroom may want exactly that).
static void warnIfOpen(const rtlab::ServerConfig &config, quint16 port)
{
    const QHostAddress address(config.host);
    if (config.host == u"localhost" || address.isLoopback() || !config.authKeyFile.isEmpty())
        return;
    const bool any =
            address == QHostAddress::Any || address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6;
    const QString where = QStringLiteral("%1:%2%3")
                                  .arg(address.protocol() == QAbstractSocket::IPv6Protocol
                                               ? QLatin1Char('[') + config.host + QLatin1Char(']')
                                               : config.host)
                                  .arg(port)
                                  .arg(any ? QStringLiteral(" (every address of this machine)") : QString());
    std::fprintf(stderr,
                 "rtlab-server: WARNING: open to the network on %s, with no authentication.\n"
                 "  Anyone who can reach %s can read every message, publish under any name, and read /stats\n"
                 "  (who is connected, from which address).\n"
                 "  To close it: --auth-key FILE (signed tokens; 'rtlab-server token' makes them), or listen on\n"
                 "  127.0.0.1 behind a reverse proxy that authenticates (docs/deploy/README.md).\n",
                 qPrintable(where), qPrintable(where));
    std::fflush(stderr);
}

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
    warnIfOpen(config, server.port());
    rtlab::UnixSignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &rtlab::UnixSignalWatcher::terminationRequested, &server,
                     [&server](int) { server.shutdown(); });
    QObject::connect(&server, &rtlab::Server::finished, &app, [] { QCoreApplication::exit(0); });

    std::printf("rtlab-server listening on %s\n", qPrintable(server.url().toString()));
    std::fflush(stdout);
    return app.exec();
}
