// SPDX-License-Identifier: MIT
// rtlab-server: the thin executable around the server library.
#include "authenticator.h"
#include "jwt.h"
#include "server.h"
#include "serverconfig.h"
#include "unixsignalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QHostAddress>
#include <QRegularExpression>

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

// "30s", "15m", "1h", "7d" (or bare seconds) -> seconds; "0" means no exp.
using rtlab::Jwt;
using rtlab::Permission;
using rtlab::PublishLimits;
using rtlab::TokenClaims;

static std::optional<qint64> parseLifetime(const QString &text)
{
    static const QRegularExpression form(QStringLiteral("^([0-9]{1,9})([smhd]?)$"));
    const QRegularExpressionMatch m = form.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const qint64 n = m.captured(1).toLongLong();
    const QString unit = m.captured(2);
    const qint64 scale = unit == u"d" ? 86400 : unit == u"h" ? 3600 : unit == u"m" ? 60 : 1;
    return n * scale;
}

// rtlab-server token --auth-key FILE --sub NAME [--exp 1h] [--perm subscribe,publish,stats]:
// prints a token signed with the server's key, alone on stdout, for scripts and for rtlab-cli.
static int mintToken(const QStringList &arguments)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("rtlab-server token: prints a token (JWT, HS256) signed with the "
                                               "key a server runs with (--auth-key)."));
    p.addHelpOption();
    const QCommandLineOption key({ QStringLiteral("auth-key") }, QStringLiteral("The server's key file."),
                                 QStringLiteral("file"));
    const QCommandLineOption sub({ QStringLiteral("sub") }, QStringLiteral("Who the token is for: the sender name."),
                                 QStringLiteral("name"));
    const QCommandLineOption exp({ QStringLiteral("exp") },
                                 QStringLiteral("Lifetime: 30s, 15m, 1h, 7d; 0 = no expiry (default 1h)."),
                                 QStringLiteral("lifetime"), QStringLiteral("1h"));
    const QCommandLineOption perm({ QStringLiteral("perm") },
                                  QStringLiteral("Permissions, comma-separated: subscribe, publish, stats (default "
                                                 "subscribe,publish)."),
                                  QStringLiteral("list"), QStringLiteral("subscribe,publish"));
    p.addOptions({ key, sub, exp, perm });
    const auto fail = [](const QString &why) {
        std::fprintf(stderr, "rtlab-server token: %s\n", qPrintable(why));
        return 2;
    };
    if (!p.parse(arguments))
        return fail(p.errorText());
    if (p.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(p.helpText()), stdout);
        return 0;
    }
    if (!p.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument: %1").arg(p.positionalArguments().constFirst()));
    if (!p.isSet(key) || !p.isSet(sub))
        return fail(QStringLiteral("--auth-key and --sub are required"));
    TokenClaims claims;
    claims.sub = p.value(sub);
    if (claims.sub.trimmed().isEmpty() || claims.sub.size() > PublishLimits::DefaultMaxFromChars)
        return fail(QStringLiteral("--sub: expected 1 to %1 characters").arg(PublishLimits::DefaultMaxFromChars));
    const std::optional<qint64> lifetime = parseLifetime(p.value(exp));
    if (!lifetime)
        return fail(QStringLiteral("--exp: expected a number with s, m, h or d (30s, 15m, 1h, 7d), got %1")
                            .arg(p.value(exp)));
    if (*lifetime > 0)
        claims.exp = QDateTime::currentSecsSinceEpoch() + *lifetime;
    for (const QString &name : p.value(perm).split(u',', Qt::SkipEmptyParts)) {
        const std::optional<Permission> permission = rtlab::permissionFromName(name.trimmed());
        if (!permission)
            return fail(QStringLiteral("--perm: unknown permission %1 (subscribe, publish, stats)").arg(name));
        claims.permissions |= rtlab::permissionBit(*permission);
    }
    QByteArray secret;
    QString why;
    if (!rtlab::Authenticator::readKeyFile(p.value(key), &secret, &why))
        return fail(why);
    std::printf("%s\n", Jwt::sign(claims, secret).constData());
    return 0;
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
    if (argc > 1 && qstrcmp(argv[1], "token") == 0) {
        QStringList arguments = app.arguments();
        arguments.removeAt(1);
        return mintToken(arguments);
    }

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
    // The store opens before the server listens: a store that cannot be used (corrupt, unreadable)
    // is a clear error, never an empty log in its place.
    if (!server.hub()->openLog(&error)) {
        std::fprintf(stderr, "rtlab-server: --store %s: %s\n", qPrintable(config.store.toString()), qPrintable(error));
        return 1;
    }
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

    // The listening line first and as it always was (tools read it); the store on the next.
    std::printf("rtlab-server listening on %s\n", qPrintable(server.url().toString()));
    std::printf("rtlab-server store: %s\n", qPrintable(server.hub()->log().store().describe()));
    std::fflush(stdout);
    return app.exec();
}
