// SPDX-License-Identifier: MIT
// rtlab-cli end to end: the real executable against the in-process server (and a foreign
// SSE endpoint for --raw).
#include "impairmentrelay.h"
#include "testsupport.h"
#include "tokenrefusingserver.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace rtlab;
using namespace rtlab::test;

class tst_RtlabCli : public QObject
{
    Q_OBJECT
private slots:
    void sendAndReceive_data();
    void sendAndReceive();
    void countAndResume();
    void afterWithoutEpoch_data();
    void afterWithoutEpoch();
    void cycleUnderStreamDeliversEveryIdOnce();
    void neverConnectsExitsNonZero();
    void rawReadsForeignSse();
    void rawReadsWebSocket();
    void badArguments();
    void refusedConnectionSaysSo();
    void rawOnAWebPageNamesItsType_data();
    void rawOnAWebPageNamesItsType();
    void refusedUpgradeInPlainWords();
    void noRateForOneMessage();
    void harRecordsTheRun_data();
    void harRecordsTheRun();
    void harRecordsAWebSocketRun();
    void harIsWrittenOnSigterm();
    void harInANonexistentDirectoryIsRefused();
    void shortPollingAtItsInterval();
    void tokenIsSentAndARefusalEndsTheRun_data();
    void tokenIsSentAndARefusalEndsTheRun();
    void tokenArgumentsAreChecked();
    void severalUrlsMoveFromADeadOneAndResume();
    void severalUrlsStayOnTheFirstThatWorks();
    void severalUrlsAreChecked_data();
    void severalUrlsAreChecked();
};

struct Run
{
    int exitCode = -1;
    QList<QJsonObject> out;
    QList<QJsonObject> err;
    QByteArray errText;
};

// Starts rtlab-cli and runs the event loop (the server lives in this process) until it exits.
static Run runCli(const QStringList &arguments, const std::function<void()> &whileRunning = {})
{
    QProcess p;
    p.start(QStringLiteral(RTLAB_CLI_BINARY), arguments);
    Run r;
    if (!p.waitForStarted(WaitMs))
        return r;
    if (whileRunning)
        whileRunning();
    if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    for (const QByteArray &line : p.readAllStandardOutput().split('\n'))
        if (!line.isEmpty())
            r.out.append(QJsonDocument::fromJson(line).object());
    r.errText = p.readAllStandardError();
    for (const QByteArray &line : r.errText.split('\n'))
        if (line.startsWith('{'))
            r.err.append(QJsonDocument::fromJson(line).object());
    return r;
}

static QString url(quint16 port)
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port);
}

void tst_RtlabCli::sendAndReceive_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("lp") << QStringLiteral("lp");
    QTest::newRow("sse") << QStringLiteral("sse");
    QTest::newRow("ws") << QStringLiteral("ws");
    QTest::newRow("poll") << QStringLiteral("poll"); // traditional (short) polling, not long polling
    QTest::newRow("auto") << QStringLiteral("auto");
}

void tst_RtlabCli::sendAndReceive()
{
    QFETCH(QString, transport);
    auto server = startServer(quietConfig());
    const Run r = runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), transport,
                           QStringLiteral("--send"), QStringLiteral("hello from the cli"), QStringLiteral("--from"),
                           QStringLiteral("cli"), QStringLiteral("--stats") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 2); // the message, then {"stats": ...}
    const QJsonObject m = r.out[0];
    QCOMPARE(m.value(QLatin1String("text")).toString(), QStringLiteral("hello from the cli"));
    QCOMPARE(m.value(QLatin1String("from")).toString(), QStringLiteral("cli"));
    QCOMPARE(m.value(QLatin1String("id")).toInteger(), 1);
    QCOMPARE(m.value(QLatin1String("epoch")).toString(), server->hub()->log().epoch());
    // Printed as received: the server's own JSON for that message.
    QCOMPARE(QJsonDocument(m).toJson(QJsonDocument::Compact), server->hub()->log().entry(1)->json);
    const QJsonObject stats = r.out[1].value(QLatin1String("stats")).toObject();
    const QString key = transport == u"auto" ? QStringLiteral("ws") : transport;
    const QJsonObject t = stats.value(QLatin1String("transports")).toObject().value(key).toObject();
    QCOMPARE(t.value(QLatin1String("messages")).toInteger(), 1);
    QCOMPARE(t.value(QLatin1String("roundTripUs")).toObject().value(QLatin1String("count")).toInteger(), 1);
    QVERIFY(t.value(QLatin1String("bytes")).toObject().value(QLatin1String("payload")).toInteger() > 0);
    QCOMPARE(stats.value(QLatin1String("continuity")).toObject().value(QLatin1String("gaps")).toInteger(), 0);
    // Connection events on stderr, as JSON lines.
    QVERIFY(std::any_of(r.err.begin(), r.err.end(), [&](const QJsonObject &e) {
        return e.value(QLatin1String("event")).toString() == u"opened"
                && e.value(QLatin1String("transport")).toString() == key;
    }));
}

void tst_RtlabCli::countAndResume()
{
    auto server = startServer(quietConfig());
    for (int i = 1; i <= 5; ++i)
        publish(server->port(), QStringLiteral("m%1").arg(i));
    const Run r =
            runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("sse"),
                     QStringLiteral("--after"), QStringLiteral("2"), QStringLiteral("--epoch"),
                     server->hub()->log().epoch(), QStringLiteral("--count"), QStringLiteral("3") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(r.out[i].value(QLatin1String("id")).toInteger(), i + 3);
}

void tst_RtlabCli::afterWithoutEpoch_data()
{
    sendAndReceive_data();
}

// A bare --after N (no epoch) is a place in the current log on every transport.
void tst_RtlabCli::afterWithoutEpoch()
{
    QFETCH(QString, transport);
    auto server = startServer(quietConfig());
    for (int i = 1; i <= 3; ++i)
        publish(server->port(), QStringLiteral("m%1").arg(i));
    const Run r =
            runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), transport,
                     QStringLiteral("--after"), QStringLiteral("1"), QStringLiteral("--count"), QStringLiteral("2") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 2);
    QCOMPARE(r.out[0].value(QLatin1String("id")).toInteger(), 2);
    QCOMPARE(r.out[1].value(QLatin1String("id")).toInteger(), 3);
}

void tst_RtlabCli::cycleUnderStreamDeliversEveryIdOnce()
{
    auto server = startServer(quietConfig());
    const int total = 1000;
    int published = 0;
    QTimer publisher;
    publisher.setInterval(1);
    connect(&publisher, &QTimer::timeout, this, [&] {
        // About 1,000 messages per second while the CLI switches every 100 ms.
        for (int i = 0; i < 2 && published < total; ++i, ++published)
            server->hub()->publish({ QStringLiteral("stream"), QString::number(published), {} });
    });
    const Run r = runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--cycle"),
                           QStringLiteral("lp,sse,ws"), QStringLiteral("--cycle-every"), QStringLiteral("100"),
                           QStringLiteral("--after"), QStringLiteral("0"), QStringLiteral("--count"),
                           QString::number(total), QStringLiteral("--stats") },
                         [&] {
                             // Start the stream once the CLI is connected.
                             static_cast<void>(QTest::qWaitFor(
                                     [&] {
                                         return server->hub()->sessionCount() > 0
                                                 || server->hub()->stats().at(TransportKind::LongPoll).requests > 0;
                                     },
                                     WaitMs));
                             publisher.start();
                         });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), total + 1);
    for (int i = 0; i < total; ++i)
        QCOMPARE(r.out[i].value(QLatin1String("id")).toInteger(), i + 1);
    const QJsonObject stats = r.out.last().value(QLatin1String("stats")).toObject();
    QCOMPARE(stats.value(QLatin1String("continuity")).toObject().value(QLatin1String("gaps")).toInteger(), 0);
    // It really did switch.
    const qsizetype switched = std::count_if(r.err.begin(), r.err.end(), [](const QJsonObject &e) {
        return e.value(QLatin1String("event")).toString() == u"switched";
    });
    QVERIFY2(switched >= 2, r.errText.right(2000).constData());
}

void tst_RtlabCli::neverConnectsExitsNonZero()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    const Run r = runCli({ QStringLiteral("--url"), url(port), QStringLiteral("--transport"), QStringLiteral("ws"),
                           QStringLiteral("--connect-timeout"), QStringLiteral("0.5") });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.errText.contains("could not connect"), r.errText.constData());
}

// A foreign SSE server: chunked encoding, CRLF line ends, a BOM, multi-line data, a comment,
// an event type, an id that persists, and an event without data that dispatches nothing.
void tst_RtlabCli::rawReadsForeignSse()
{
    QTcpServer foreign;
    QVERIFY(foreign.listen(QHostAddress::LocalHost, 0));
    connect(&foreign, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *s = foreign.nextPendingConnection();
        connect(s, &QTcpSocket::readyRead, s, [s] {
            if (!s->readAll().contains("\r\n\r\n"))
                return;
            const QByteArray body =
                    "\xEF\xBB\xBF: hello\r\nevent: greeting\r\nid: 7\r\ndata: line one\r\ndata: line two"
                    "\r\n\r\ndata: plain\r\n\r\nevent: empty\r\n\r\nid\r\ndata: no id\r\n\r\n";
            QByteArray chunked;
            for (qsizetype i = 0; i < body.size(); i += 10) {
                const QByteArray part = body.mid(i, 10);
                chunked += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n";
            }
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"
                     + chunked);
        });
    });
    const Run r = runCli({ QStringLiteral("--raw"), QStringLiteral("--url"),
                           QStringLiteral("http://127.0.0.1:%1/stream").arg(foreign.serverPort()),
                           QStringLiteral("--count"), QStringLiteral("3") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 3);
    auto event = [](const char *type, const char *id, const char *data) {
        QJsonObject o;
        o.insert(QLatin1String("event"), QLatin1String(type));
        o.insert(QLatin1String("id"), QLatin1String(id));
        o.insert(QLatin1String("data"), QLatin1String(data));
        return o;
    };
    QCOMPARE(r.out[0], event("greeting", "7", "line one\nline two"));
    QCOMPARE(r.out[1], event("message", "7", "plain"));
    QCOMPARE(r.out[2], event("message", "", "no id"));
}

void tst_RtlabCli::rawReadsWebSocket()
{
    auto server = startServer(quietConfig());
    publish(server->port(), QStringLiteral("raw one"));
    publish(server->port(), QStringLiteral("raw two"));
    const Run r = runCli({ QStringLiteral("--raw"), QStringLiteral("--url"),
                           QStringLiteral("ws://127.0.0.1:%1/ws?after=0").arg(server->port()),
                           QStringLiteral("--count"), QStringLiteral("2") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 2);
    QCOMPARE(r.out[0].keys(), QStringList { QStringLiteral("data") });
    QCOMPARE(r.out[0].value(QLatin1String("data")).toString().toUtf8(), server->hub()->log().entry(1)->json);
    QCOMPARE(r.out[1].value(QLatin1String("data")).toString().toUtf8(), server->hub()->log().entry(2)->json);
}

void tst_RtlabCli::badArguments()
{
    const Run r = runCli({ QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:1"), QStringLiteral("--transport"),
                           QStringLiteral("carrier-pigeon") });
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.errText.contains("--transport"));
    QCOMPARE(runCli({ QStringLiteral("--transport"), QStringLiteral("ws") }).exitCode, 2); // no --url
    const Run interval =
            runCli({ QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:1"), QStringLiteral("--transport"),
                     QStringLiteral("poll"), QStringLiteral("--poll-interval"), QStringLiteral("fast") });
    QCOMPARE(interval.exitCode, 2);
    QVERIFY(interval.errText.contains("--poll-interval"));
}

// A port with nothing behind it: "could not connect: connection refused", at once (not after the
// connect timeout), and no close code, since no connection ever opened.
void tst_RtlabCli::refusedConnectionSaysSo()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    QElapsedTimer clock;
    clock.start();
    const Run r = runCli({ QStringLiteral("--url"), url(port), QStringLiteral("--transport"), QStringLiteral("ws"),
                           QStringLiteral("--reconnect"), QStringLiteral("none"), QStringLiteral("--connect-timeout"),
                           QStringLiteral("60") });
    QCOMPARE(r.exitCode, 1);
    QVERIFY(clock.elapsed() < 30000); // did not wait for the connect timeout
    QVERIFY2(r.errText.contains("rtlab-cli: could not connect: connection refused"), r.errText.constData());
    QVERIFY2(!r.errText.contains("closeCode") && !r.errText.contains("(1000)"), r.errText.constData());
}

void tst_RtlabCli::rawOnAWebPageNamesItsType_data()
{
    QTest::addColumn<QString>("scheme");
    QTest::newRow("sse") << QStringLiteral("http");
    QTest::newRow("ws") << QStringLiteral("ws");
}

// --raw on the server's web page: it says what the URL served and where the streams are.
void tst_RtlabCli::rawOnAWebPageNamesItsType()
{
    QFETCH(QString, scheme);
    auto server = startServer(quietConfig());
    const Run r = runCli({ QStringLiteral("--raw"), QStringLiteral("--url"),
                           QStringLiteral("%1://127.0.0.1:%2/").arg(scheme).arg(server->port()),
                           QStringLiteral("--connect-timeout"), QStringLiteral("60") });
    QCOMPARE(r.exitCode, 1);
    const QByteArray hint =
            QStringLiteral("try http://127.0.0.1:%1/events (SSE) or ws://127.0.0.1:%1/ws").arg(server->port()).toUtf8();
    QVERIFY2(r.errText.contains(hint), r.errText.constData());
    if (scheme == u"http")
        QVERIFY2(r.errText.contains("the server answered text/html, not an event stream"), r.errText.constData());
    else
        QVERIFY2(r.errText.contains("the server answered HTTP 200 OK instead of upgrading"), r.errText.constData());
    QVERIFY2(!r.errText.contains("within 60 s"), r.errText.constData());
}

// A relay that refuses WebSocket upgrades: the user reads the status, not Qt's internals.
void tst_RtlabCli::refusedUpgradeInPlainWords()
{
    auto server = startServer(quietConfig());
    const auto refusing = relayRefusingUpgrades(server->port());
    ImpairmentRelay &relay = *refusing;
    const Run r = runCli({ QStringLiteral("--url"), relay.url().toString(), QStringLiteral("--transport"),
                           QStringLiteral("ws"), QStringLiteral("--reconnect"), QStringLiteral("none") });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.errText.contains("the server refused the WebSocket upgrade: HTTP 403 Forbidden"), r.errText.constData());
    QVERIFY2(!r.errText.contains("QWebSocket"), r.errText.constData());
    const auto closed = std::find_if(r.err.begin(), r.err.end(), [](const QJsonObject &e) {
        return e.value(QLatin1String("event")).toString() == u"closed";
    });
    QVERIFY(closed != r.err.end());
    QCOMPARE(closed->value(QLatin1String("httpStatus")).toInt(), 403);
    QVERIFY(!closed->contains(QLatin1String("closeCode")));
}

// One message over a few milliseconds is no rate: messagesPerSec is null.
void tst_RtlabCli::noRateForOneMessage()
{
    auto server = startServer(quietConfig());
    const Run r =
            runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("ws"),
                     QStringLiteral("--send"), QStringLiteral("one"), QStringLiteral("--stats") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 2);
    const QJsonObject stats = r.out[1].value(QLatin1String("stats")).toObject();
    const QJsonObject ws = stats.value(QLatin1String("transports")).toObject().value(QLatin1String("ws")).toObject();
    QCOMPARE(ws.value(QLatin1String("messages")).toInteger(), 1);
    QVERIFY(ws.contains(QLatin1String("messagesPerSec")));
    QVERIFY2(ws.value(QLatin1String("messagesPerSec")).isNull(),
             qPrintable(QString::number(ws.value(QLatin1String("messagesPerSec")).toDouble())));
}

static QJsonObject readHar(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("log")).toObject();
}

void tst_RtlabCli::harRecordsTheRun_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("lp") << QStringLiteral("lp");
    QTest::newRow("sse") << QStringLiteral("sse");
}

// --har: the run's exchanges as HAR entries, written when --count ends it.
void tst_RtlabCli::harRecordsTheRun()
{
    QFETCH(QString, transport);
    auto server = startServer(quietConfig());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString har = dir.filePath(QStringLiteral("run.har"));
    const Run r = runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), transport,
                           QStringLiteral("--count"), QStringLiteral("3"), QStringLiteral("--har"), har },
                         [&] {
                             // Published once the client waits (a held poll, an open stream).
                             QVERIFY(QTest::qWaitFor([&] { return server->hub()->sessionCount() >= 1; }, WaitMs));
                             for (int i = 1; i <= 3; ++i)
                                 publish(server->port(), QStringLiteral("m%1").arg(i));
                         });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 3);
    const QJsonObject log = readHar(har);
    QCOMPARE(log.value(QLatin1String("version")).toString(), QStringLiteral("1.2"));
    QCOMPARE(log.value(QLatin1String("creator")).toObject().value(QLatin1String("name")).toString(),
             QStringLiteral("rtlab"));
    const QJsonArray entries = log.value(QLatin1String("entries")).toArray();
    QVERIFY(!entries.isEmpty());
    const QString base = url(server->port());
    for (const QJsonValue &e : entries) {
        const QJsonObject t = e[QLatin1String("timings")].toObject();
        for (const char *phase : { "send", "wait", "receive" })
            QVERIFY(t.value(QLatin1String(phase)).toDouble() >= 0);
        QCOMPARE(e[QLatin1String("time")].toDouble(),
                 t.value(QLatin1String("send")).toDouble() + t.value(QLatin1String("wait")).toDouble()
                         + t.value(QLatin1String("receive")).toDouble());
        QVERIFY(e[QLatin1String("request")][QLatin1String("url")].toString().startsWith(base));
    }
    if (transport == u"lp") {
        // Polls only; a held one (timeout=25) answered by the first message: its hold is its wait.
        QJsonArray ids;
        bool held = false;
        for (const QJsonValue &e : entries) {
            QCOMPARE(e[QLatin1String("request")][QLatin1String("method")].toString(), QStringLiteral("GET"));
            QVERIFY(e[QLatin1String("request")][QLatin1String("url")].toString().startsWith(base
                                                                                            + QStringLiteral("/poll")));
            QCOMPARE(e[QLatin1String("response")][QLatin1String("status")].toInt(), 200);
            const QString text =
                    e[QLatin1String("response")][QLatin1String("content")][QLatin1String("text")].toString();
            const QJsonArray messages = QJsonDocument::fromJson(text.toUtf8())[QLatin1String("messages")].toArray();
            for (const QJsonValue &m : messages)
                ids.append(m[QLatin1String("id")]);
            if (!messages.isEmpty()
                && e[QLatin1String("request")][QLatin1String("url")].toString().contains(QLatin1String("timeout=25")))
                held = held || e[QLatin1String("timings")][QLatin1String("wait")].toDouble() > 0;
        }
        QVERIFY(held);
        QCOMPARE(ids, (QJsonArray { 1, 2, 3 }));
    } else {
        const QJsonObject stream = entries.at(0).toObject();
        QCOMPARE(stream[QLatin1String("request")][QLatin1String("url")].toString(), base + QStringLiteral("/events"));
        QCOMPARE(stream[QLatin1String("response")][QLatin1String("content")][QLatin1String("mimeType")].toString(),
                 QStringLiteral("text/event-stream"));
        const QJsonArray events = stream[QLatin1String("_eventStreamMessages")].toArray();
        QCOMPARE(events.size(), 3);
        const QString epoch = server->hub()->log().epoch();
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(events.at(i)[QLatin1String("id")].toString(), MessageCodec::eventId(epoch, quint64(i + 1)));
            QCOMPARE(events.at(i)[QLatin1String("type")].toString(),
                     QStringLiteral("chat")); // the server names its events
            QVERIFY(events.at(i)[QLatin1String("data")].toString().contains(QStringLiteral("m%1").arg(i + 1)));
            QVERIFY(events.at(i)[QLatin1String("time")].toDouble() > 1e9); // seconds since the epoch
        }
        // Ended by the client when --count was reached.
        QVERIFY(stream[QLatin1String("comment")].toString().contains(QLatin1String("closed by the client")));
    }
}

void tst_RtlabCli::harRecordsAWebSocketRun()
{
    auto server = startServer(quietConfig());
    QTemporaryDir dir;
    const QString har = dir.filePath(QStringLiteral("ws.har"));
    const Run r =
            runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("ws"),
                     QStringLiteral("--count"), QStringLiteral("3"), QStringLiteral("--har"), har },
                   [&] {
                       QVERIFY(QTest::qWaitFor([&] { return server->hub()->sessionCount() >= 1; }, WaitMs));
                       for (int i = 1; i <= 3; ++i)
                           publish(server->port(), QStringLiteral("m%1").arg(i));
                   });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject log = readHar(har);
    QCOMPARE(log.value(QLatin1String("version")).toString(), QStringLiteral("1.2"));
    QJsonObject upgrade;
    for (const QJsonValue &e : log.value(QLatin1String("entries")).toArray())
        if (e[QLatin1String("response")][QLatin1String("status")].toInt() == 101)
            upgrade = e.toObject();
    QVERIFY2(upgrade.contains(QLatin1String("_webSocketMessages")), "the upgrade's entry carries its frames");
    QCOMPARE(upgrade[QLatin1String("request")][QLatin1String("method")].toString(), QStringLiteral("GET"));
    QJsonArray texts;
    for (const QJsonValue &f : upgrade[QLatin1String("_webSocketMessages")].toArray())
        if (f[QLatin1String("type")] == QLatin1String("receive") && f[QLatin1String("opcode")].toInt() == 1)
            texts.append(QJsonDocument::fromJson(f[QLatin1String("data")].toString().toUtf8())[QLatin1String("id")]);
    QCOMPARE(texts, (QJsonArray { 1, 2, 3 }));
}

// SIGTERM (and SIGINT) ends the run as --duration would: the HAR is written.
void tst_RtlabCli::harIsWrittenOnSigterm()
{
    auto server = startServer(quietConfig());
    QTemporaryDir dir;
    const QString har = dir.filePath(QStringLiteral("term.har"));
    QProcess p;
    p.start(QStringLiteral(RTLAB_CLI_BINARY),
            { QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"), QStringLiteral("sse"),
              QStringLiteral("--har"), har });
    QVERIFY(p.waitForStarted(WaitMs));
    QVERIFY(QTest::qWaitFor([&] { return server->hub()->sessionCount() >= 1; }, WaitMs));
    publish(server->port(), QStringLiteral("one"));
    // Printed: the event went through the client (and so into the capture).
    QVERIFY(QTest::qWaitFor([&] { return p.canReadLine(); }, WaitMs));
    p.terminate();
    QVERIFY(QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, WaitMs));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    const QJsonArray entries = readHar(har).value(QLatin1String("entries")).toArray();
    QCOMPARE(entries.size(), 1);
    QCOMPARE(entries.at(0)[QLatin1String("_eventStreamMessages")].toArray().size(), 1);
}

void tst_RtlabCli::harInANonexistentDirectoryIsRefused()
{
    QTemporaryDir dir;
    const QString har = dir.filePath(QStringLiteral("no/such/dir/x.har"));
    const Run r =
            runCli({ QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:1"), QStringLiteral("--har"), har });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.errText.contains("--har: no such directory"), r.errText.constData());
}

// --transport poll asks every --poll-interval and no more often; idle, its answers are empty polls
// (statistics key "poll"), never hold timeouts.
void tst_RtlabCli::shortPollingAtItsInterval()
{
    auto server = startServer(quietConfig());
    const Run r = runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--transport"),
                           QStringLiteral("poll"), QStringLiteral("--poll-interval"), QStringLiteral("100"),
                           QStringLiteral("--duration"), QStringLiteral("1"), QStringLiteral("--stats") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 1);
    const QJsonObject stats = r.out[0].value(QLatin1String("stats")).toObject();
    const QJsonObject transports = stats.value(QLatin1String("transports")).toObject();
    QCOMPARE(transports.keys(), QStringList { QStringLiteral("poll") });
    const QJsonObject poll = transports.value(QLatin1String("poll")).toObject();
    const qint64 requests = poll.value(QLatin1String("httpRequests")).toInteger();
    const qint64 elapsed = stats.value(QLatin1String("elapsedMs")).toInteger();
    QVERIFY(requests >= 1);
    QVERIFY2(requests <= elapsed / 100 + 1, qPrintable(QStringLiteral("%1 polls in %2 ms").arg(requests).arg(elapsed)));
    QCOMPARE(poll.value(QLatin1String("holdTimeouts")).toInteger(), 0);
    // Every answer but the first (which opened it) was empty; the last poll may still have been on its way.
    const qint64 idle = poll.value(QLatin1String("idlePolls")).toInteger();
    QVERIFY2(idle == requests - 1 || idle == requests - 2, qPrintable(QString::number(idle)));
}

void tst_RtlabCli::tokenIsSentAndARefusalEndsTheRun_data()
{
    QTest::addColumn<QString>("transport");
    QTest::addColumn<QByteArray>("streamRequest");
    QTest::addColumn<int>("requests"); // of streamRequest: the bootstrap's GET /poll is one of long polling's
    QTest::newRow("SSE") << QStringLiteral("sse") << QByteArray("GET /events") << 1;
    QTest::newRow("WebSocket") << QStringLiteral("ws") << QByteArray("GET /ws") << 1;
    QTest::newRow("long polling") << QStringLiteral("lp") << QByteArray("GET /poll") << 2;
    QTest::newRow("short polling") << QStringLiteral("poll") << QByteArray("GET /poll") << 2;
    QTest::newRow("auto") << QStringLiteral("auto") << QByteArray("GET /ws") << 1;
}

// --token-file: every request (the bootstrap poll and the transport's) carries the token as
// Authorization: Bearer; the server's 401 ends the run at once with the reason in plain words —
// one attempt, no retry, no fall-back — though the reconnect policy would retry a network fault.
void tst_RtlabCli::tokenIsSentAndARefusalEndsTheRun()
{
    QFETCH(QString, transport);
    QFETCH(QByteArray, streamRequest);
    QFETCH(int, requests);
    TokenRefusingServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir dir;
    QFile tokenFile(dir.filePath(QStringLiteral("token")));
    QVERIFY(tokenFile.open(QIODevice::WriteOnly));
    tokenFile.write("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2ln\n");
    tokenFile.close();

    const Run r = runCli({ QStringLiteral("--url"), url(server.serverPort()), QStringLiteral("--transport"), transport,
                           QStringLiteral("--token-file"), tokenFile.fileName(), QStringLiteral("--connect-timeout"),
                           QStringLiteral("60") });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.errText.contains("rtlab-cli: token expired — get a new one"), r.errText.constData());
    QVERIFY(!server.heads.isEmpty());
    for (const QByteArray &head : std::as_const(server.heads))
        QVERIFY2(head.contains("\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2ln\r\n"),
                 head.constData());
    QCOMPARE(server.countRequests(streamRequest), requests); // no retry
    QCOMPARE(server.countRequests("GET /events") + server.countRequests("GET /ws") + server.countRequests("GET /poll"),
             requests + (transport == u"lp" || transport == u"poll" ? 0 : 1)); // no fall-back
    const auto gaveUp = std::find_if(r.err.begin(), r.err.end(), [](const QJsonObject &e) {
        return e.value(QLatin1String("event")).toString() == u"gave-up";
    });
    QVERIFY(gaveUp != r.err.end());
    QVERIFY(gaveUp->value(QLatin1String("unauthorized")).toBool());
}

void tst_RtlabCli::tokenArgumentsAreChecked()
{
    const QString u = QStringLiteral("http://127.0.0.1:1");
    const Run both = runCli({ QStringLiteral("--url"), u, QStringLiteral("--token"), QStringLiteral("a.b.c"),
                              QStringLiteral("--token-file"), QStringLiteral("/dev/null") });
    QCOMPARE(both.exitCode, 2);
    QVERIFY2(both.errText.contains("--token-file"), both.errText.constData());
    const Run missing = runCli(
            { QStringLiteral("--url"), u, QStringLiteral("--token-file"), QStringLiteral("/nonexistent/token") });
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.errText.contains("cannot read /nonexistent/token"), missing.errText.constData());
    const Run empty =
            runCli({ QStringLiteral("--url"), u, QStringLiteral("--token-file"), QStringLiteral("/dev/null") });
    QCOMPARE(empty.exitCode, 2);
    QVERIFY2(empty.errText.contains("empty"), empty.errText.constData());
    const Run spaced = runCli({ QStringLiteral("--url"), u, QStringLiteral("--token"), QStringLiteral("a b") });
    QCOMPARE(spaced.exitCode, 2);
}

// A port with nothing behind it (free a moment ago).
static quint16 deadPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

// --url A --url B: A refuses, so the client moves to B at once and resumes from --after there;
// stderr says where it went and why.
void tst_RtlabCli::severalUrlsMoveFromADeadOneAndResume()
{
    const quint16 dead = deadPort();
    QVERIFY(dead);
    auto server = startServer(quietConfig());
    for (int i = 1; i <= 5; ++i)
        publish(server->port(), QStringLiteral("m%1").arg(i));
    const Run r = runCli({ QStringLiteral("--url"), url(dead), QStringLiteral("--url"), url(server->port()),
                           QStringLiteral("--transport"), QStringLiteral("sse"), QStringLiteral("--after"),
                           QStringLiteral("2"), QStringLiteral("--epoch"), server->hub()->log().epoch(),
                           QStringLiteral("--count"), QStringLiteral("3") });
    QVERIFY2(r.exitCode == 0, r.errText.constData());
    QCOMPARE(r.out.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(r.out[i].value(QLatin1String("id")).toInteger(), i + 3);
    const auto moved = std::find_if(r.err.begin(), r.err.end(), [](const QJsonObject &e) {
        return e.value(QLatin1String("event")).toString() == u"moved";
    });
    QVERIFY2(moved != r.err.end(), r.errText.constData());
    const QString detail = moved->value(QLatin1String("detail")).toString();
    QVERIFY2(detail.startsWith(QStringLiteral("moved to %1/ after ").arg(url(server->port())))
                     || detail.startsWith(QStringLiteral("moved to %1 after ").arg(url(server->port()))),
             qPrintable(detail));
}

void tst_RtlabCli::severalUrlsStayOnTheFirstThatWorks()
{
    auto server = startServer(quietConfig());
    const Run r = runCli({ QStringLiteral("--url"), url(server->port()), QStringLiteral("--url"), url(deadPort()),
                           QStringLiteral("--transport"), QStringLiteral("ws"), QStringLiteral("--send"),
                           QStringLiteral("hello") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.size(), 1);
    QVERIFY(std::none_of(r.err.begin(), r.err.end(),
                         [](const QJsonObject &e) { return e.value(QLatin1String("event")).toString() == u"moved"; }));
}

void tst_RtlabCli::severalUrlsAreChecked_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("says");
    const QString a = QStringLiteral("http://127.0.0.1:1"), b = QStringLiteral("http://127.0.0.1:2");
    QTest::newRow("the second is not a URL")
            << QStringList { QStringLiteral("--url"), a, QStringLiteral("--url"), QStringLiteral("nonsense") }
            << QStringLiteral("--url: not a URL: nonsense");
    QTest::newRow("the second is not http") << QStringList { QStringLiteral("--url"), a, QStringLiteral("--url"),
                                                             QStringLiteral("ws://127.0.0.1:2/ws") }
                                            << QStringLiteral("ws://127.0.0.1:2/ws");
    QTest::newRow("twice the same") << QStringList { QStringLiteral("--url"), a, QStringLiteral("--url"), a }
                                    << QStringLiteral("given twice");
    QTest::newRow("--raw reads one") << QStringList { QStringLiteral("--raw"), QStringLiteral("--url"), a,
                                                      QStringLiteral("--url"), b }
                                     << QStringLiteral("--raw reads one --url");
}

void tst_RtlabCli::severalUrlsAreChecked()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, says);
    const Run r = runCli(arguments);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.errText.contains(says.toUtf8()), r.errText.constData());
}

QTEST_GUILESS_MAIN(tst_RtlabCli)
#include "tst_rtlabcli.moc"
