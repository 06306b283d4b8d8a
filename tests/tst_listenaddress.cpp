// SPDX-License-Identifier: MIT
// Unit tests: ListenAddress (rtlab --listen HOST:PORT) and the join addresses of a class.
#include "classroom.h"
#include "listenaddress.h"

#include <QTest>

using namespace rtlab;

class tst_ListenAddress : public QObject
{
    Q_OBJECT
private slots:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void joinAddresses();
};

void tst_ListenAddress::valid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("normalised");
    QTest::addColumn<bool>("any");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("every IPv4 interface") << "0.0.0.0:8080"
                                          << "0.0.0.0" << 8080 << "0.0.0.0:8080" << true << false;
    QTest::newRow("every IPv6 interface") << "[::]:8080"
                                          << "::" << 8080 << "[::]:8080" << true << false;
    QTest::newRow("one LAN address") << "192.168.1.20:9000"
                                     << "192.168.1.20" << 9000 << "192.168.1.20:9000" << false << false;
    QTest::newRow("loopback") << "127.0.0.1:1"
                              << "127.0.0.1" << 1 << "127.0.0.1:1" << false << true;
    QTest::newRow("IPv6 loopback") << "[::1]:65535"
                                   << "::1" << 65535 << "[::1]:65535" << false << true;
    QTest::newRow("localhost") << "localhost:8080"
                               << "127.0.0.1" << 8080 << "127.0.0.1:8080" << false << true;
    QTest::newRow("spaces") << "  0.0.0.0:8080 "
                            << "0.0.0.0" << 8080 << "0.0.0.0:8080" << true << false;
}

void tst_ListenAddress::valid()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, normalised);
    QFETCH(bool, any);
    QFETCH(bool, loopback);
    QString why = QStringLiteral("untouched");
    const ListenAddress a = ListenAddress::parse(text, &why);
    QVERIFY2(a.isValid(), qPrintable(why));
    QVERIFY(why.isEmpty());
    QCOMPARE(a.host(), QHostAddress(host));
    QCOMPARE(int(a.port()), port);
    QCOMPARE(a.toString(), normalised);
    QCOMPARE(a.isAny(), any);
    QCOMPARE(a.isLoopback(), loopback);
    QCOMPARE(a.reachesBeyondLoopback(), !loopback);
    QCOMPARE(ListenAddress::parse(a.toString()), a);
    // What this machine's own clients connect to.
    QVERIFY(!QHostAddress(a.localHost()).isNull());
    if (any)
        QVERIFY(QHostAddress(a.localHost()).isLoopback());
}

void tst_ListenAddress::invalid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("mentions"); // a word the message must contain
    QTest::newRow("empty") << ""
                           << "HOST:PORT";
    QTest::newRow("no port") << "0.0.0.0"
                             << "no port";
    QTest::newRow("port only") << ":8080"
                               << "IP address";
    QTest::newRow("port 0") << "0.0.0.0:0"
                            << "1 to 65535";
    QTest::newRow("port too large") << "0.0.0.0:65536"
                                    << "1 to 65535";
    QTest::newRow("port not a number") << "0.0.0.0:http"
                                       << "1 to 65535";
    QTest::newRow("negative port") << "0.0.0.0:-1"
                                   << "1 to 65535";
    QTest::newRow("empty port") << "0.0.0.0:"
                                << "1 to 65535";
    QTest::newRow("host name") << "example.org:8080"
                               << "IP address";
    QTest::newRow("bad IPv4") << "300.1.1.1:8080"
                              << "IP address";
    QTest::newRow("IPv6 without brackets") << ":::8080"
                                           << "brackets";
    QTest::newRow("IPv6 without port") << "[::]"
                                       << "brackets";
    QTest::newRow("IPv6 unclosed") << "[::1:8080"
                                   << "brackets";
    QTest::newRow("IPv4 in brackets") << "[0.0.0.0]:8080"
                                      << "IP address";
    QTest::newRow("URL") << "http://0.0.0.0:8080"
                         << "without";
}

void tst_ListenAddress::invalid()
{
    QFETCH(QString, text);
    QFETCH(QString, mentions);
    QString why;
    const ListenAddress a = ListenAddress::parse(text, &why);
    QVERIFY(!a.isValid());
    QVERIFY2(why.contains(mentions), qPrintable(why));
    QVERIFY(a.toString().isEmpty());
}

void tst_ListenAddress::joinAddresses()
{
    const QList<QHostAddress> lan { QHostAddress(QStringLiteral("192.168.1.20")),
                                    QHostAddress(QStringLiteral("10.0.0.5")) };
    // Every interface: every LAN address, in order.
    QCOMPARE(Classroom::joinAddresses(ListenAddress::parse(QStringLiteral("0.0.0.0:8080")), lan), lan);
    // One address: that one.
    QCOMPARE(Classroom::joinAddresses(ListenAddress::parse(QStringLiteral("10.0.0.5:8080")), lan),
             QList<QHostAddress> { QHostAddress(QStringLiteral("10.0.0.5")) });
    // Loopback or not listening: nobody else can join.
    QVERIFY(Classroom::joinAddresses(ListenAddress::parse(QStringLiteral("127.0.0.1:8080")), lan).isEmpty());
    QVERIFY(Classroom::joinAddresses(ListenAddress(), lan).isEmpty());
    QCOMPARE(Classroom::joinUrl(QHostAddress(QStringLiteral("192.168.1.20")), 8080).toString(),
             QStringLiteral("http://192.168.1.20:8080/"));
    // This machine's own list never holds loopback or IPv6.
    for (const QHostAddress &a : Classroom::lanAddresses()) {
        QVERIFY(!a.isLoopback());
        QCOMPARE(a.protocol(), QAbstractSocket::IPv4Protocol);
    }
}

QTEST_GUILESS_MAIN(tst_ListenAddress)
#include "tst_listenaddress.moc"
