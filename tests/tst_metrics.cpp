// SPDX-License-Identifier: MIT
// GET /metrics, read as Prometheus reads it: traffic on every transport, then the exposition parsed
// by the Prometheus client's own text-format parser (tests/scripts/metrics.py, Debian's
// python3-prometheus-client) and its values checked against what the clients saw and against /stats.
#include "testsupport.h"

#include "hub.h"

#include <QJsonArray>
#include <QProcess>

using namespace rtlab;
using namespace rtlab::test;

class tst_Metrics : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void everyTransportCountedAndParsed();
    void histogramBucketsIncludeTheirBound();

private:
    // Parses the exposition; fails the test with the parser's reason.
    QJsonObject parse(const QByteArray &exposition);
    QString m_python;
};

// Debian's python3 first: the module is a Debian package, and a python3 earlier on the PATH (pyenv,
// a virtualenv) may not see it.
void tst_Metrics::initTestCase()
{
    for (const QString &candidate : { QStringLiteral("/usr/bin/python3"), QStringLiteral("python3") }) {
        QProcess probe;
        probe.start(candidate, { QStringLiteral("-c"), QStringLiteral("import prometheus_client.parser") });
        if (probe.waitForFinished(60000) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0) {
            m_python = candidate;
            return;
        }
    }
    if (!qEnvironmentVariableIsEmpty("RTLAB_REQUIRE_TOOLS"))
        qFatal("python3 with prometheus_client is required (RTLAB_REQUIRE_TOOLS is set): "
               "install python3-prometheus-client");
}

QJsonObject tst_Metrics::parse(const QByteArray &exposition)
{
    QProcess p;
    p.start(m_python, { QStringLiteral(RTLAB_METRICS_SCRIPT) });
    p.write(exposition);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000))
        qFatal("tests/scripts/metrics.py did not finish");
    const QByteArray out = p.readAllStandardOutput();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("%s\n%s", p.readAllStandardError().constData(), exposition.constData());
        return {};
    }
    return QJsonDocument::fromJson(out).object();
}

// The value of one sample of a family, matched by its name and these labels; NaN when absent.
static double sample(const QJsonObject &families, const QString &family, const QString &name,
                     const QJsonObject &labels = {})
{
    for (const QJsonValue &s : families.value(family).toObject().value(QLatin1String("samples")).toArray()) {
        const QJsonObject o = s.toObject();
        if (o.value(QLatin1String("name")).toString() == name && o.value(QLatin1String("labels")).toObject() == labels)
            return o.value(QLatin1String("value")).toDouble();
    }
    return std::nan("");
}

static QJsonObject label(const char *name, const QString &value)
{
    return { { QLatin1String(name), value } };
}

void tst_Metrics::everyTransportCountedAndParsed()
{
    if (m_python.isEmpty())
        QSKIP("python3 with prometheus_client is not installed (python3-prometheus-client; set "
              "RTLAB_REQUIRE_TOOLS=1 to make this a failure)");
    ServerConfig config = quietConfig();
    config.heartbeatMs = 600000; // no heartbeat bytes between the /stats and /metrics reads
    config.maxTextBytes = 64;
    auto server = startServer(config);
    const quint16 port = server->port();
    const QString epoch = server->hub()->log().epoch();

    QCOMPARE(publish(port, QStringLiteral("one")), 1u);
    // SSE: one live, one resuming from 0 of this epoch (replayed: gets 1).
    SseClient sseLive(port);
    SseClient sseResumed(port, "/events", { "Last-Event-ID: " + epoch.toUtf8() + ":0" });
    QVERIFY(sseLive.waitOpen());
    QVERIFY(sseResumed.waitEvents(1));
    // WebSocket: one live, one naming another epoch (reset, then 1).
    WsClient wsLive(port);
    WsClient wsReset(port, QStringLiteral("?after=1&epoch=00000000000000ab"));
    QVERIFY(wsLive.waitOpen());
    QVERIFY(wsReset.waitMessages(2));
    QCOMPARE(wsReset.messages.first().type, MessageType::Reset);
    // Long polling: a poll held at the live end (its connection's first poll names a position: a
    // resume, replayed). Short polling: one poll from 0, answered at once with 1 (replayed too).
    RawHttp lp(port);
    QVERIFY(lp.connected());
    lp.send("GET /poll?after=1&epoch=" + epoch.toUtf8() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(server->hub()->stats().at(TransportKind::LongPoll).held, 1, WaitMs);
    RawHttp sp(port);
    QVERIFY(sp.connected());
    sp.send("GET /poll?mode=short&timeout=0&after=0&epoch=" + epoch.toUtf8() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    RawResponse answer;
    QVERIFY(sp.read(&answer));
    QCOMPARE(ids(pollMessages(answer)), QList<quint64>({ 1 }));

    QCOMPARE(publish(port, QStringLiteral("two")), 2u);
    QCOMPARE(publish(port, QStringLiteral("three")), 3u);
    QVERIFY(lp.read(&answer));
    QCOMPARE(ids(pollMessages(answer)), QList<quint64>({ 2 }));
    QVERIFY(sseLive.waitEvents(2));
    QVERIFY(sseResumed.waitEvents(3));
    QVERIFY(wsLive.waitMessages(2));
    QVERIFY(wsReset.waitMessages(4));

    // Refusals: a bad poll on the long-polling connection (which stays), an unknown path, a wrong
    // method, a plain GET of /ws, a publish from a foreign origin, a text over the limit.
    lp.send("GET /poll?after=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QVERIFY(lp.read(&answer));
    QCOMPARE(answer.status, 400);
    QCOMPARE(request(port, "GET", "/nowhere").status, 404);
    QCOMPARE(request(port, "DELETE", "/stats").status, 405);
    QCOMPARE(request(port, "GET", "/ws").status, 426);
    PublishRequest p;
    p.from = QStringLiteral("ann");
    p.text = QStringLiteral("hi");
    QCOMPARE(request(port, "POST", "/send", MessageCodec::encodePublish(p), { "Origin: http://elsewhere.example" })
                     .status,
             403);
    p.text = QString(65, u'x');
    QCOMPARE(request(port, "POST", "/send", MessageCodec::encodePublish(p)).status, 413);

    const RawResponse stats = request(port, "GET", "/stats");
    QCOMPARE(stats.status, 200);
    const RawResponse metrics = request(port, "GET", "/metrics");
    QCOMPARE(metrics.status, 200);
    QCOMPARE(metrics.header("content-type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    const QJsonObject families = parse(metrics.body);
    QVERIFY2(!families.isEmpty(), "the Prometheus parser refused /metrics (see the warning above)");
    const auto snapshot = StatsSnapshot::fromJson(stats.json());
    QVERIFY(snapshot);

    // Per transport: what the clients saw, and the same figures as /stats.
    const std::array<qint64, TransportKindCount> open = { 1, 2, 2, 1 }; // lp, sse, ws, poll
    const std::array<qint64, TransportKindCount> delivered = { 1, 5, 5, 1 };
    double deliveredSum = 0;
    for (int i = 0; i < TransportKindCount; ++i) {
        const auto kind = TransportKind(i);
        const QJsonObject t = label("transport", transportKindKey(kind));
        const auto &s = snapshot->at(kind);
        const QByteArray what = transportKindKey(kind).toUtf8();
        QVERIFY2(sample(families, QStringLiteral("rtlab_connections"), QStringLiteral("rtlab_connections"), t)
                         == double(open[size_t(i)]),
                 what);
        QCOMPARE(s.connections, open[size_t(i)]);
        const double messages = sample(families, QStringLiteral("rtlab_messages_delivered"),
                                       QStringLiteral("rtlab_messages_delivered_total"), t);
        QVERIFY2(messages == double(delivered[size_t(i)]), what);
        QCOMPARE(s.messages, delivered[size_t(i)]);
        deliveredSum += messages;
        const double bytes =
                sample(families, QStringLiteral("rtlab_bytes_out"), QStringLiteral("rtlab_bytes_out_total"), t);
        QVERIFY2(bytes == double(s.bytesOut) && bytes > 0, what);
    }
    QCOMPARE(families.value(QLatin1String("rtlab_connections"))[QLatin1String("type")].toString(),
             QStringLiteral("gauge"));
    QCOMPARE(sample(families, QStringLiteral("rtlab_published"), QStringLiteral("rtlab_published_total")), 3.0);
    QCOMPARE(snapshot->published, 3);
    QCOMPARE(sample(families, QStringLiteral("rtlab_slow_readers_cut"), QStringLiteral("rtlab_slow_readers_cut_total")),
             double(snapshot->slowReadersCut));
    const QString resumes = QStringLiteral("rtlab_resumes_total");
    QCOMPARE(sample(families, QStringLiteral("rtlab_resumes"), resumes, label("outcome", QStringLiteral("replayed"))),
             3.0);
    QCOMPARE(sample(families, QStringLiteral("rtlab_resumes"), resumes, label("outcome", QStringLiteral("reset"))),
             1.0);

    // Every reason is there, at 0 when nothing was refused for it.
    const QString refused = QStringLiteral("rtlab_requests_refused_total");
    const auto refusedFor = [&](const char *reason) {
        return sample(families, QStringLiteral("rtlab_requests_refused"), refused,
                      label("reason", QLatin1String(reason)));
    };
    QCOMPARE(refusedFor("bad_request"), 1.0);
    QCOMPARE(refusedFor("not_found"), 1.0);
    QCOMPARE(refusedFor("method"), 1.0);
    QCOMPARE(refusedFor("ws_handshake"), 1.0);
    QCOMPARE(refusedFor("origin"), 1.0);
    QCOMPARE(refusedFor("too_large"), 1.0);
    for (const char *reason : { "shutting_down", "head_timeout", "body_timeout", "fd_limit", "per_ip_limit", "host",
                                "unauthorized", "forbidden", "rate_limited", "slow_reader" })
        QVERIFY2(refusedFor(reason) == 0.0, reason);

    // The histogram: one observation per delivered message, cumulative buckets up to +Inf = count.
    const QJsonObject latency = families.value(QLatin1String("rtlab_delivery_latency_seconds")).toObject();
    QCOMPARE(latency.value(QLatin1String("type")).toString(), QStringLiteral("histogram"));
    const QString latencyName = QStringLiteral("rtlab_delivery_latency_seconds");
    const double count = sample(families, latencyName, latencyName + QStringLiteral("_count"));
    QCOMPARE(count, deliveredSum);
    QCOMPARE(count, 12.0);
    QVERIFY(sample(families, latencyName, latencyName + QStringLiteral("_sum")) > 0);
    double previous = 0;
    double previousLe = 0;
    int buckets = 0;
    for (const QJsonValue &v : latency.value(QLatin1String("samples")).toArray()) {
        const QJsonObject s = v.toObject();
        if (s.value(QLatin1String("name")).toString() != latencyName + QStringLiteral("_bucket"))
            continue;
        const QString le = s.value(QLatin1String("labels"))[QLatin1String("le")].toString();
        const double value = s.value(QLatin1String("value")).toDouble();
        QVERIFY2(value >= previous, qPrintable(le));
        previous = value;
        ++buckets;
        if (le == u"+Inf") {
            QCOMPARE(value, count);
            continue;
        }
        QVERIFY2(le.toDouble() > previousLe, qPrintable(le));
        previousLe = le.toDouble();
    }
    QCOMPARE(previousLe, 10.0);
    QVERIFY(buckets >= 14);
}

// Prometheus's "le": a bucket counts what is at most its bound; past the last bound is +Inf only.
void tst_Metrics::histogramBucketsIncludeTheirBound()
{
    if (m_python.isEmpty())
        QSKIP("python3 with prometheus_client is not installed (python3-prometheus-client)");
    ServerStats stats;
    // Appended at 1 ns (0 is an entry read back from disk: not timed).
    stats.delivered(TransportKind::Sse, 1, 100'001);              // exactly 100 µs: the first bucket
    stats.delivered(TransportKind::Sse, 1, 100'002);              // just over: the second
    stats.delivered(TransportKind::WebSocket, 1, 10'000'000'001); // exactly 10 s: the last bound
    stats.delivered(TransportKind::WebSocket, 1, 20'000'000'001); // +Inf only
    const QJsonObject families = parse(stats.toPrometheus());
    const QString name = QStringLiteral("rtlab_delivery_latency_seconds");
    const auto bucket = [&](const char *le) {
        return sample(families, name, name + QStringLiteral("_bucket"), label("le", QLatin1String(le)));
    };
    QCOMPARE(bucket("0.0001"), 1.0);
    QCOMPARE(bucket("0.00025"), 2.0);
    QCOMPARE(bucket("5"), 2.0);
    QCOMPARE(bucket("10"), 3.0);
    QCOMPARE(bucket("+Inf"), 4.0);
    QCOMPARE(sample(families, name, name + QStringLiteral("_count")), 4.0);
    QCOMPARE(sample(families, name, name + QStringLiteral("_sum")), 30.000200001);
}

QTEST_GUILESS_MAIN(tst_Metrics)
#include "tst_metrics.moc"
