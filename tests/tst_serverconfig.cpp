// SPDX-License-Identifier: MIT
#include "serverconfig.h"

#include <QTemporaryDir>
#include <QTest>

using rtlab::ServerConfig;

Q_DECLARE_METATYPE(rtlab::ServerConfig)

namespace {

QStringList args(std::initializer_list<const char *> list)
{
    QStringList out { QStringLiteral("rtlab-server") };
    for (const char *a : list)
        out.append(QString::fromUtf8(a));
    return out;
}

// Empty if the two configurations agree on every field; otherwise the first that differs.
QString difference(const ServerConfig &a, const ServerConfig &b)
{
    auto field = [](const char *name, const auto &x, const auto &y) {
        return x == y ? QString() : QStringLiteral("%1: %2 vs %3").arg(QLatin1String(name)).arg(x).arg(y);
    };
    const QString diffs[] = {
        a.host == b.host ? QString() : QStringLiteral("host: %1 vs %2").arg(a.host, b.host),
        field("port", a.port, b.port),
        field("historyCount", a.historyCount, b.historyCount),
        field("historyAgeMs", a.historyAgeMs, b.historyAgeMs),
        field("pollTimeoutMs", a.pollTimeoutMs, b.pollTimeoutMs),
        field("heartbeatMs", a.heartbeatMs, b.heartbeatMs),
        field("tickRate", a.tickRate, b.tickRate),
        field("sseRetryMs", a.sseRetryMs, b.sseRetryMs),
        a.allowOrigins == b.allowOrigins
                ? QString()
                : QStringLiteral("allowOrigins: [%1] vs [%2]")
                          .arg(a.allowOrigins.join(QLatin1Char(' ')), b.allowOrigins.join(QLatin1Char(' '))),
        field("maxHeadBytes", a.maxHeadBytes, b.maxHeadBytes),
        field("maxBodyBytes", a.maxBodyBytes, b.maxBodyBytes),
        field("maxTextBytes", a.maxTextBytes, b.maxTextBytes),
        field("maxPendingBytes", a.maxPendingBytes, b.maxPendingBytes),
        field("maxPollMessages", a.maxPollMessages, b.maxPollMessages),
        field("headTimeoutMs", a.headTimeoutMs, b.headTimeoutMs),
        field("bodyTimeoutMs", a.bodyTimeoutMs, b.bodyTimeoutMs),
        field("maxConnsPerIp", a.maxConnsPerIp, b.maxConnsPerIp),
        field("core", int(a.core), int(b.core)),
        a.allowedHosts == b.allowedHosts
                ? QString()
                : QStringLiteral("allowedHosts: [%1] vs [%2]")
                          .arg(a.allowedHosts.join(QLatin1Char(' ')), b.allowedHosts.join(QLatin1Char(' '))),
        a.publicOrigins == b.publicOrigins
                ? QString()
                : QStringLiteral("publicOrigins: [%1] vs [%2]")
                          .arg(a.publicOrigins.join(QLatin1Char(' ')), b.publicOrigins.join(QLatin1Char(' '))),
        field("trustProxy", a.trustProxy, b.trustProxy),
        a.authKeyFile == b.authKeyFile ? QString()
                                       : QStringLiteral("authKeyFile: %1 vs %2").arg(a.authKeyFile, b.authKeyFile),
        a.authKey == b.authKey ? QString() : QStringLiteral("authKey differs"),
        field("allowQueryToken", a.allowQueryToken, b.allowQueryToken),
        field("maxPublishRate", a.maxPublishRate, b.maxPublishRate),
        a.store == b.store ? QString()
                           : QStringLiteral("store: %1 log %2 node %3 state %4 vs %5 log %6 node %7 state %8")
                                     .arg(a.store.toString(), a.store.logName, a.store.nodeName, a.store.stateDir,
                                          b.store.toString(), b.store.logName, b.store.nodeName, b.store.stateDir),
        field("memoryRing", a.memoryRing, b.memoryRing),
        field("reusePort", a.reusePort, b.reusePort),
    };
    for (const QString &d : diffs) {
        if (!d.isEmpty())
            return d;
    }
    return {};
}

// Key files for --auth-key: 32 bytes (the least allowed) and 31.
struct KeyFiles
{
    KeyFiles()
    {
        write(good, QByteArray(32, 'k'));
        write(shortKey, QByteArray(31, 'k'));
    }
    static void write(const QString &path, const QByteArray &bytes)
    {
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(path));
    }
    QTemporaryDir dir;
    QString good = dir.filePath(QStringLiteral("key"));
    QString shortKey = dir.filePath(QStringLiteral("short"));
};

const KeyFiles &keyFiles()
{
    static const KeyFiles files;
    return files;
}

QStringList withKey(const QString &file, QStringList arguments)
{
    return arguments << QStringLiteral("--auth-key") << file;
}

} // namespace

class tst_ServerConfig : public QObject
{
    Q_OBJECT

private slots:
    void defaults();
    void options_data();
    void options();
    void errors_data();
    void errors();
};

void tst_ServerConfig::defaults()
{
    // The documented defaults (docs/protocol.md).
    const ServerConfig d;
    QCOMPARE(d.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(d.port, quint16(8080));
    QCOMPARE(d.historyCount, 10000);
    QCOMPARE(d.historyAgeMs, 300000);
    QCOMPARE(d.pollTimeoutMs, 25000);
    QCOMPARE(d.heartbeatMs, 15000);
    QCOMPARE(d.tickRate, 5.0);
    QCOMPARE(d.maxHeadBytes, 16 * 1024);
    QCOMPARE(d.maxBodyBytes, 64 * 1024);
    QCOMPARE(d.maxTextBytes, 16 * 1024);
    QCOMPARE(d.headTimeoutMs, 10000);
    QCOMPARE(d.bodyTimeoutMs, 10000);
    QVERIFY(d.allowOrigins.isEmpty());
    QVERIFY(d.allowedHosts.isEmpty()); // OriginPolicy's defaults for the bind address
    QVERIFY(d.publicOrigins.isEmpty());
    QVERIFY(!d.trustProxy);
    QVERIFY(d.authKeyFile.isEmpty());
    QVERIFY(d.authKeyFile.isEmpty()); // tokens off
    QVERIFY(d.authKey.isEmpty());
    QVERIFY(!d.allowQueryToken);
    QCOMPARE(d.maxPublishRate, 0.0); // off
#ifdef RTLAB_HAVE_EPOLL
    QCOMPARE(d.core, ServerConfig::Core::Epoll); // the measured core; --core qt is the portable one
#else
    QCOMPARE(d.core, ServerConfig::Core::Qt);
#endif

    // No arguments give the same, through the option defaults of the parser.
    ServerConfig parsed;
    parsed.port = 1;
    parsed.core = d.core == ServerConfig::Core::Qt ? ServerConfig::Core::Epoll : ServerConfig::Core::Qt;
    parsed.allowOrigins = QStringList { QStringLiteral("*") };
    parsed.allowedHosts = QStringList { QStringLiteral("*") };
    parsed.publicOrigins = QStringList { QStringLiteral("https://x.example") };
    parsed.trustProxy = true;
    QString error;
    bool helpShown = false;
    QVERIFY2(ServerConfig::fromArguments(args({}), &parsed, &error, &helpShown), qPrintable(error));
    QVERIFY(!helpShown);
    const QString diff = difference(parsed, d);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_ServerConfig::options_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<ServerConfig>("expected");

    auto row = [](const char *name, const QStringList &arguments, auto change) {
        ServerConfig expected;
        change(expected);
        QTest::newRow(name) << arguments << expected;
    };

    row("no arguments", args({}), [](ServerConfig &) {});
    row("--host 0.0.0.0", args({ "--host", "0.0.0.0" }), [](ServerConfig &c) { c.host = QStringLiteral("0.0.0.0"); });
    row("--host ::1", args({ "--host", "::1" }), [](ServerConfig &c) { c.host = QStringLiteral("::1"); });
    row("--host localhost", args({ "--host", "localhost" }),
        [](ServerConfig &c) { c.host = QStringLiteral("localhost"); });
    row("--host=10.1.2.3", args({ "--host=10.1.2.3" }), [](ServerConfig &c) { c.host = QStringLiteral("10.1.2.3"); });
    row("--port 0 (any free port)", args({ "--port", "0" }), [](ServerConfig &c) { c.port = 0; });
    row("--port 65535", args({ "--port", "65535" }), [](ServerConfig &c) { c.port = 65535; });
    row("--core qt", args({ "--core", "qt" }), [](ServerConfig &c) { c.core = ServerConfig::Core::Qt; });
    row("--port=9000", args({ "--port=9000" }), [](ServerConfig &c) { c.port = 9000; });
    row("repeated --port: the last wins", args({ "--port", "1", "--port", "2" }), [](ServerConfig &c) { c.port = 2; });
    row("--history 1", args({ "--history", "1" }), [](ServerConfig &c) { c.historyCount = 1; });
    row("--history 10000000", args({ "--history", "10000000" }), [](ServerConfig &c) { c.historyCount = 10000000; });
    row("--history-age 60", args({ "--history-age", "60" }), [](ServerConfig &c) { c.historyAgeMs = 60000; });
    row("--history-age 0.5", args({ "--history-age", "0.5" }), [](ServerConfig &c) { c.historyAgeMs = 500; });
    row("--history-age 0.001", args({ "--history-age", "0.001" }), [](ServerConfig &c) { c.historyAgeMs = 1; });
    row("--poll-timeout 0", args({ "--poll-timeout", "0" }), [](ServerConfig &c) { c.pollTimeoutMs = 0; });
    row("--poll-timeout 2.5", args({ "--poll-timeout", "2.5" }), [](ServerConfig &c) { c.pollTimeoutMs = 2500; });
    row("--heartbeat 0.5", args({ "--heartbeat", "0.5" }), [](ServerConfig &c) { c.heartbeatMs = 500; });
    row("--heartbeat 0.01", args({ "--heartbeat", "0.01" }), [](ServerConfig &c) { c.heartbeatMs = 10; });
    row("--heartbeat 30", args({ "--heartbeat", "30" }), [](ServerConfig &c) { c.heartbeatMs = 30000; });
    row("--tick-rate 0 (off)", args({ "--tick-rate", "0" }), [](ServerConfig &c) { c.tickRate = 0; });
    row("--tick-rate 0.5", args({ "--tick-rate", "0.5" }), [](ServerConfig &c) { c.tickRate = 0.5; });
    row("--tick-rate 1000", args({ "--tick-rate", "1000" }), [](ServerConfig &c) { c.tickRate = 1000; });
    row("--sse-retry 0", args({ "--sse-retry", "0" }), [](ServerConfig &c) { c.sseRetryMs = 0; });
    row("--sse-retry 2.5", args({ "--sse-retry", "2.5" }), [](ServerConfig &c) { c.sseRetryMs = 2500; });
    row("--max-pending 16", args({ "--max-pending", "16" }), [](ServerConfig &c) { c.maxPendingBytes = 16 * 1024; });
    row("--max-pending 2048", args({ "--max-pending", "2048" }),
        [](ServerConfig &c) { c.maxPendingBytes = 2048 * 1024; });
    row("--head-timeout 2.5", args({ "--head-timeout", "2.5" }), [](ServerConfig &c) { c.headTimeoutMs = 2500; });
    row("--body-timeout 30", args({ "--body-timeout", "30" }), [](ServerConfig &c) { c.bodyTimeoutMs = 30000; });
    row("--max-conns-per-ip 0 (off)", args({ "--max-conns-per-ip", "0" }),
        [](ServerConfig &c) { c.maxConnsPerIp = 0; });
    row("--max-conns-per-ip 64", args({ "--max-conns-per-ip", "64" }), [](ServerConfig &c) { c.maxConnsPerIp = 64; });
    row("--allow-origin *", args({ "--allow-origin", "*" }),
        [](ServerConfig &c) { c.allowOrigins = QStringList { QStringLiteral("*") }; });
    row("repeated --allow-origin",
        args({ "--allow-origin", "https://a.example", "--allow-origin", "http://b.example:8080" }),
        [](ServerConfig &c) {
            c.allowOrigins =
                    QStringList { QStringLiteral("https://a.example"), QStringLiteral("http://b.example:8080") };
        });
    // Host and Origin (docs/protocol.md, "Host and Origin").
    row("--allowed-host, repeated", args({ "--allowed-host", "chat.example", "--allowed-host", "[::1]:8080" }),
        [](ServerConfig &c) {
            c.allowedHosts = { QStringLiteral("chat.example"), QStringLiteral("[::1]:8080") };
        });
    row("--allowed-host *", args({ "--allowed-host", "*" }),
        [](ServerConfig &c) { c.allowedHosts = { QStringLiteral("*") }; });
    row("--public-origin", args({ "--public-origin", "https://chat.example.org" }),
        [](ServerConfig &c) { c.publicOrigins = { QStringLiteral("https://chat.example.org") }; });
    row("--public-origin as the address bar shows it", args({ "--public-origin", "https://chat.example.org/" }),
        [](ServerConfig &c) { c.publicOrigins = { QStringLiteral("https://chat.example.org") }; });
    row("--trust-proxy", args({ "--trust-proxy" }), [](ServerConfig &c) { c.trustProxy = true; });
    // Tokens.
    const QString key = keyFiles().good;
    row("--auth-key", withKey(key, args({})), [key](ServerConfig &c) {
        c.authKeyFile = key;
        c.authKey = QByteArray(32, 'k');
    });
    row("--auth-key --allow-query-token", withKey(key, args({ "--allow-query-token" })), [key](ServerConfig &c) {
        c.authKeyFile = key;
        c.authKey = QByteArray(32, 'k');
        c.allowQueryToken = true;
    });
    row("--max-publish-rate 5", args({ "--max-publish-rate", "5" }), [](ServerConfig &c) { c.maxPublishRate = 5; });
    row("--max-publish-rate 0.5", args({ "--max-publish-rate", "0.5" }),
        [](ServerConfig &c) { c.maxPublishRate = 0.5; });
    // A node of a cluster on a Redis log.
    row("--store redis:// --log --node --state-dir",
        args({ "--store", "redis://127.0.0.1:6379/2", "--log", "chat", "--node", "A", "--state-dir", "/var/lib/x" }),
        [](ServerConfig &c) {
            c.store.kind = rtlab::StoreSpec::Kind::Redis;
            c.store.location = QStringLiteral("redis://127.0.0.1:6379/2");
            c.store.logName = QStringLiteral("chat");
            c.store.nodeName = QStringLiteral("A");
            c.store.stateDir = QStringLiteral("/var/lib/x");
        });
    row("--reuse-port", args({ "--reuse-port" }), [](ServerConfig &c) { c.reusePort = true; });
    row("every option at once", args({ "--host",         "0.0.0.0", "--port",         "9999",
                                       "--history",      "50",      "--history-age",  "1.5",
                                       "--poll-timeout", "10",      "--heartbeat",    "0.25",
                                       "--tick-rate",    "20",      "--sse-retry",    "0.75",
                                       "--max-pending",  "64",      "--allow-origin", "http://localhost:3000" }),
        [](ServerConfig &c) {
            c.host = QStringLiteral("0.0.0.0");
            c.port = 9999;
            c.historyCount = 50;
            c.historyAgeMs = 1500;
            c.pollTimeoutMs = 10000;
            c.heartbeatMs = 250;
            c.tickRate = 20;
            c.sseRetryMs = 750;
            c.maxPendingBytes = 64 * 1024;
            c.allowOrigins = QStringList { QStringLiteral("http://localhost:3000") };
        });
}

void tst_ServerConfig::options()
{
    QFETCH(QStringList, arguments);
    QFETCH(ServerConfig, expected);

    ServerConfig config;
    config.port = 1; // overwritten: the result starts from the defaults, not from what was there
    QString error;
    bool helpShown = false;
    QVERIFY2(ServerConfig::fromArguments(arguments, &config, &error, &helpShown), qPrintable(error));
    QVERIFY(error.isEmpty());
    QVERIFY(!helpShown);
    const QString diff = difference(config, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void tst_ServerConfig::errors_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("mentions"); // what a readable message names

    auto row = [](const char *name, const QStringList &arguments, std::initializer_list<const char *> mentions) {
        QStringList m;
        for (const char *s : mentions)
            m.append(QString::fromUtf8(s));
        QTest::newRow(name) << arguments << m;
    };

    row("bad port 70000", args({ "--port", "70000" }), { "--port", "70000" });
    row("--node without redis", args({ "--node", "A" }), { "--node", "redis" });
    row("--log without redis", args({ "--log", "x" }), { "--log", "redis" });
    row("--state-dir without redis", args({ "--state-dir", "/tmp" }), { "--state-dir", "redis" });
    row("--node with a space", args({ "--store", "redis://h:1", "--node", "a b" }), { "--node", "a b" });
    row("--log empty", args({ "--store", "redis://h:1", "--log", "" }), { "--log" });
    row("--store redis without a host", args({ "--store", "redis://:6379" }), { "--store", "host" });
    row("--store redis bad port", args({ "--store", "redis://h:port" }), { "--store", "port" });
    row("--store redis db not a number", args({ "--store", "redis://h:1/two" }), { "--store", "database", "two" });
    row("port not a number", args({ "--port", "http" }), { "--port", "http" });
    row("negative port", args({ "--port=-1" }), { "--port", "-1" });
    row("port missing its value", args({ "--port" }), { "port" });
    row("negative history", args({ "--history", "-5" }), { "--history", "-5" });
    row("--history 0", args({ "--history", "0" }), { "--history", "0" });
    row("history not a number", args({ "--history", "lots" }), { "--history", "lots" });
    row("--history-age 0", args({ "--history-age", "0" }), { "--history-age", "0" });
    row("negative history-age", args({ "--history-age", "-1" }), { "--history-age", "-1" });
    row("--history-age inf", args({ "--history-age", "inf" }), { "--history-age", "inf" });
    row("history-age with a unit", args({ "--history-age", "5m" }), { "--history-age", "5m" });
    row("negative poll-timeout", args({ "--poll-timeout", "-1" }), { "--poll-timeout", "-1" });
    row("--heartbeat 0", args({ "--heartbeat", "0" }), { "--heartbeat", "0" });
    row("--heartbeat below 10 ms", args({ "--heartbeat", "0.001" }), { "--heartbeat", "0.001" });
    row("--heartbeat nan", args({ "--heartbeat", "nan" }), { "--heartbeat", "nan" });
    row("--tick-rate -1", args({ "--tick-rate", "-1" }), { "--tick-rate", "-1" });
    row("--tick-rate over 1000", args({ "--tick-rate", "1001" }), { "--tick-rate", "1001" });
    row("--tick-rate nan", args({ "--tick-rate", "nan" }), { "--tick-rate", "nan" });
    row("negative sse-retry", args({ "--sse-retry", "-0.5" }), { "--sse-retry", "-0.5" });
    row("--max-pending below 16 KiB", args({ "--max-pending", "15" }), { "--max-pending", "15" });
    row("--head-timeout 0", args({ "--head-timeout", "0" }), { "--head-timeout", "0" });
    row("--body-timeout not a number", args({ "--body-timeout", "soon" }), { "--body-timeout", "soon" });
    row("--max-conns-per-ip negative", args({ "--max-conns-per-ip", "-1" }), { "--max-conns-per-ip", "-1" });
    row("--max-conns-per-ip not a number", args({ "--max-conns-per-ip", "many" }), { "--max-conns-per-ip", "many" });
    row("--allow-origin without scheme", args({ "--allow-origin", "example.com" }),
        { "--allow-origin", "example.com" });
    row("--allow-origin with another scheme", args({ "--allow-origin", "ftp://example.com" }),
        { "--allow-origin", "ftp://example.com" });
    row("one bad --allow-origin among good ones",
        args({ "--allow-origin", "https://ok.example", "--allow-origin", "bad.example" }),
        { "--allow-origin", "bad.example" });
    row("--allowed-host with a path", args({ "--allowed-host", "chat.example/x" }),
        { "--allowed-host", "chat.example/x" });
    row("--allowed-host empty", args({ "--allowed-host", "" }), { "--allowed-host" });
    row("--public-origin without scheme", args({ "--public-origin", "chat.example.org" }),
        { "--public-origin", "chat.example.org" });
    row("--public-origin with a path", args({ "--public-origin", "https://chat.example.org/app" }),
        { "--public-origin", "https://chat.example.org/app" });
    row("--trust-proxy takes no value", args({ "--trust-proxy=yes" }), { "trust-proxy" });
    row("--host not an address", args({ "--host", "example.com" }), { "--host", "example.com" });
    row("--auth-key of 31 bytes", withKey(keyFiles().shortKey, args({})), { "--auth-key", "31 bytes", "at least 32" });
    row("--auth-key missing file", withKey(QStringLiteral("/nonexistent/key"), args({})),
        { "--auth-key", "cannot read", "/nonexistent/key" });
    row("--allow-query-token without a key", args({ "--allow-query-token" }), { "--allow-query-token", "--auth-key" });
    row("--max-publish-rate -1", args({ "--max-publish-rate", "-1" }), { "--max-publish-rate", "-1" });
    row("--max-publish-rate nan", args({ "--max-publish-rate", "nan" }), { "--max-publish-rate", "nan" });
    row("unknown option", args({ "--bogus" }), { "bogus" });
    row("unknown short option", args({ "-x" }), { "x" });
    row("positional argument", args({ "extra" }), { "extra" });
    row("positional argument after options", args({ "--port", "1", "8080" }), { "8080" });
}

void tst_ServerConfig::errors()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, mentions);

    ServerConfig config;
    config.port = 4321; // a failed parse leaves the caller's configuration alone
    QString error;
    bool helpShown = false;
    QVERIFY(!ServerConfig::fromArguments(arguments, &config, &error, &helpShown));
    QVERIFY(!helpShown);
    QVERIFY(!error.isEmpty());
    for (const QString &m : std::as_const(mentions))
        QVERIFY2(error.contains(m), qPrintable(QStringLiteral("\"%1\" does not mention \"%2\"").arg(error, m)));
    QCOMPARE(config.port, quint16(4321));

    // The error text is optional.
    QVERIFY(!ServerConfig::fromArguments(arguments, &config, nullptr));
}

QTEST_GUILESS_MAIN(tst_ServerConfig)
#include "tst_serverconfig.moc"
