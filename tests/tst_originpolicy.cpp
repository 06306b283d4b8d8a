// SPDX-License-Identifier: MIT
// OriginPolicy without a socket: how a Host and an Origin are read, the default hosts per bind
// address, and which headers count with and without --trust-proxy.
#include "originpolicy.h"
#include "serverconfig.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QNetworkInterface>
#include <QTest>

using namespace rtlab;

class tst_OriginPolicy : public QObject
{
    Q_OBJECT

private slots:
    void normalizeHost_data();
    void normalizeHost();
    void normalizeOrigin_data();
    void normalizeOrigin();
    void defaultsOnLoopback_data();
    void defaultsOnLoopback();
    void defaultsOnAnotherAddress();
    void forwardedHeadersNeedTrust();
    void unreadableNeverMatches();
};

static HttpRequest requestWith(std::initializer_list<std::pair<const char *, const char *>> headers)
{
    HttpRequest r;
    r.method = "GET";
    r.target = r.path = "/poll";
    for (const auto &[name, value] : headers)
        r.headers.append({ QByteArray(name), QByteArray(value) });
    return r;
}

void tst_OriginPolicy::normalizeHost_data()
{
    QTest::addColumn<QByteArray>("authority");
    QTest::addColumn<QString>("host"); // empty: not a host
    QTest::newRow("name") << QByteArray("chat.example") << QStringLiteral("chat.example");
    QTest::newRow("name and port") << QByteArray("chat.example:8080") << QStringLiteral("chat.example");
    QTest::newRow("upper case") << QByteArray("Chat.EXAMPLE:1") << QStringLiteral("chat.example");
    QTest::newRow("trailing dot") << QByteArray("localhost.:80") << QStringLiteral("localhost");
    QTest::newRow("empty port") << QByteArray("localhost:") << QStringLiteral("localhost");
    QTest::newRow("IPv4 and port") << QByteArray("127.0.0.1:8080") << QStringLiteral("127.0.0.1");
    QTest::newRow("IPv6 in brackets") << QByteArray("[::1]") << QStringLiteral("[::1]");
    QTest::newRow("IPv6 with port") << QByteArray("[0:0::1]:8080") << QStringLiteral("[::1]");
    QTest::newRow("bare IPv6 (an option value)") << QByteArray("::1") << QStringLiteral("[::1]");
    QTest::newRow("IPv4-mapped IPv6") << QByteArray("[::ffff:10.0.0.1]") << QStringLiteral("10.0.0.1");
    QTest::newRow("spaces around") << QByteArray(" localhost ") << QStringLiteral("localhost");
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("port only") << QByteArray(":80") << QString();
    QTest::newRow("port not a number") << QByteArray("localhost:http") << QString();
    QTest::newRow("unclosed bracket") << QByteArray("[::1:80") << QString();
    QTest::newRow("IPv4 in brackets") << QByteArray("[127.0.0.1]") << QString();
    QTest::newRow("junk after brackets") << QByteArray("[::1]x") << QString();
    QTest::newRow("a path") << QByteArray("example.org/x") << QString();
    QTest::newRow("user info") << QByteArray("me@example.org") << QString();
}

void tst_OriginPolicy::normalizeHost()
{
    QFETCH(QByteArray, authority);
    QFETCH(QString, host);
    QCOMPARE(OriginPolicy::normalizeHost(authority), host);
}

void tst_OriginPolicy::normalizeOrigin_data()
{
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QString>("normalized"); // empty: not an http(s) origin
    QTest::newRow("http") << QByteArray("http://a.example:8080") << QStringLiteral("http://a.example:8080");
    QTest::newRow("https, case") << QByteArray("HTTPS://Chat.Example.org")
                                 << QStringLiteral("https://chat.example.org");
    QTest::newRow("https default port") << QByteArray("https://a.example:443") << QStringLiteral("https://a.example");
    QTest::newRow("http default port") << QByteArray("http://a.example:80") << QStringLiteral("http://a.example");
    QTest::newRow("http on 443 is not default")
            << QByteArray("http://a.example:443") << QStringLiteral("http://a.example:443");
    QTest::newRow("leading zeros") << QByteArray("http://a.example:0080") << QStringLiteral("http://a.example");
    QTest::newRow("IPv6") << QByteArray("http://[::1]:8080") << QStringLiteral("http://[::1]:8080");
    QTest::newRow("null (an opaque origin)") << QByteArray("null") << QString();
    QTest::newRow("another scheme") << QByteArray("ftp://a.example") << QString();
    QTest::newRow("a path") << QByteArray("https://a.example/x") << QString();
    QTest::newRow("user info") << QByteArray("https://u@a.example") << QString();
    QTest::newRow("no host") << QByteArray("https://") << QString();
}

void tst_OriginPolicy::normalizeOrigin()
{
    QFETCH(QByteArray, origin);
    QFETCH(QString, normalized);
    QCOMPARE(OriginPolicy::normalizeOrigin(origin), normalized);
}

void tst_OriginPolicy::defaultsOnLoopback_data()
{
    QTest::addColumn<QString>("bind");
    QTest::addColumn<QStringList>("hosts");
    const QStringList loopback { QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("[::1]") };
    QTest::newRow("127.0.0.1") << QStringLiteral("127.0.0.1") << loopback;
    QTest::newRow("::1") << QStringLiteral("::1") << loopback;
    QTest::newRow("localhost") << QStringLiteral("localhost") << loopback;
    QTest::newRow("127.0.0.2") << QStringLiteral("127.0.0.2") << loopback + QStringList { QStringLiteral("127.0.0.2") };
}

// Bound to loopback, only the loopback names: nothing else can reach us, and any other name a
// browser sends is a rebinding.
void tst_OriginPolicy::defaultsOnLoopback()
{
    QFETCH(QString, bind);
    QFETCH(QStringList, hosts);
    QCOMPARE(OriginPolicy::defaultAllowedHosts(bind), hosts);
}

// Bound to every address (the classroom mode: rtlab --listen 0.0.0.0:8080), a student's browser
// names us by one of our addresses or by the machine's name.
void tst_OriginPolicy::defaultsOnAnotherAddress()
{
    for (const QString &bind : { QStringLiteral("0.0.0.0"), QStringLiteral("::") }) {
        const QStringList hosts = OriginPolicy::defaultAllowedHosts(bind);
        QVERIFY(hosts.contains(u"localhost"));
        QVERIFY(!hosts.contains(OriginPolicy::normalizeHost(bind.toLatin1())));
        for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
            if (a.scopeId().isEmpty()) // a link-local address's scope is never in a Host
                QVERIFY2(hosts.contains(OriginPolicy::normalizeHost(a.toString().toLatin1())),
                         qPrintable(a.toString()));
        }
        QVERIFY(hosts.contains(QHostInfo::localHostName().toLower()));
    }
    // A given address is served even when it is not (yet) one of ours.
    QVERIFY(OriginPolicy::defaultAllowedHosts(QStringLiteral("192.0.2.7")).contains(u"192.0.2.7"));

    ServerConfig config;
    config.host = QStringLiteral("0.0.0.0");
    const OriginPolicy policy(config);
    const QByteArray name = QHostInfo::localHostName().toLatin1() + ":8080";
    QVERIFY(policy.hostAllowed(requestWith({ { "host", name.constData() } })));
    QVERIFY(!policy.hostAllowed(requestWith({ { "host", "attacker.example:8080" } })));
}

void tst_OriginPolicy::forwardedHeadersNeedTrust()
{
    ServerConfig config;
    config.allowedHosts = { QStringLiteral("chat.example.org") };
    const HttpRequest proxied = requestWith({ { "host", "127.0.0.1:8080" },
                                              { "origin", "https://chat.example.org" },
                                              { "x-forwarded-proto", "http, https" },
                                              { "x-forwarded-host", "chat.example.org" },
                                              { "x-forwarded-for", "10.0.0.1" },
                                              { "x-forwarded-for", "6.6.6.6, [2001:db8::7]:4711" } });
    const OriginPolicy untrusted(config);
    QCOMPARE(untrusted.checkOrigin(proxied), OriginPolicy::Verdict::Foreign);
    QCOMPARE(untrusted.clientAddress(proxied, "127.0.0.1:5000"), QByteArray("127.0.0.1:5000"));

    config.trustProxy = true;
    const OriginPolicy trusted(config);
    // The last element of the last header: what our own proxy wrote.
    QCOMPARE(trusted.checkOrigin(proxied), OriginPolicy::Verdict::SameOrigin);
    QCOMPARE(trusted.clientAddress(proxied, "127.0.0.1:5000"), QByteArray("[2001:db8::7]"));
    QCOMPARE(trusted.clientAddress(requestWith({ { "x-forwarded-for", "not an address" } }), "127.0.0.1:5000"),
             QByteArray("127.0.0.1:5000"));
    QVERIFY(trusted.hostAllowed(proxied));
    QVERIFY(!trusted.hostAllowed(requestWith({ { "host", "127.0.0.1" }, { "x-forwarded-host", "evil.example" } })));
    QCOMPARE(trusted.refusedHost(requestWith({ { "host", "127.0.0.1" }, { "x-forwarded-host", "evil.example" } })),
             QByteArray("evil.example"));
    QVERIFY(untrusted.hostAllowed(requestWith({ { "host", "127.0.0.1" }, { "x-forwarded-host", "evil.example" } })));
    // No Host at all: no browser sent it, so no rebinding.
    QVERIFY(untrusted.hostAllowed(requestWith({})));
}

// A value that does not parse (a config set in code, a malformed header) matches nothing: an
// opaque "null" Origin is never same-origin, a malformed Host never served.
void tst_OriginPolicy::unreadableNeverMatches()
{
    ServerConfig config;
    config.publicOrigins = { QStringLiteral("not an origin") };
    config.allowOrigins = { QStringLiteral("ftp://nope") };
    config.allowedHosts = { QStringLiteral("bad host") };
    const OriginPolicy policy(config);
    QCOMPARE(policy.checkOrigin(requestWith({ { "host", "localhost" }, { "origin", "null" } })),
             OriginPolicy::Verdict::Foreign);
    QVERIFY(!policy.hostAllowed(requestWith({ { "host", "bad host" } })));
    QVERIFY(!policy.hostAllowed(requestWith({ { "host", "" } })));
    QVERIFY(policy.hostAllowed(requestWith({ { "host", "localhost:1" } })));
}

QTEST_GUILESS_MAIN(tst_OriginPolicy)
#include "tst_originpolicy.moc"
