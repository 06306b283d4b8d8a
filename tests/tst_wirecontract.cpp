// SPDX-License-Identifier: MIT
// The wire contract's documents as value types: each one read back from its own JSON is itself,
// a document as docs/protocol.md shows it reads and writes back unchanged, and a missing or
// mistyped field is refused by name.
#include "wirecontract.h"

#include <QJsonDocument>
#include <QTest>

using namespace rtlab;

namespace {

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

QStringList keys(std::initializer_list<const char *> names)
{
    QStringList list;
    for (const char *name : names)
        list += QLatin1String(name);
    return list;
}

TickData sampleTick()
{
    TickData t;
    t.connections = { 1, 2, 3, 4 };
    t.bytesOut = { 100, 200, 300, 400 };
    t.heldPolls = 1;
    t.messagesPerSec = 12.5;
    t.rss = 7 * 1024 * 1024;
    return t;
}

StatsSnapshot sampleStats(bool withClients)
{
    StatsSnapshot s;
    s.epoch = QStringLiteral("3f9a0c1d7b2e4a65");
    s.store = QStringLiteral("memory");
    s.uptimeMs = 12345;
    s.rss = 9000000;
    s.cpuMicros = 4567;
    s.history = { 10, 3, 12, 10000, 300000 };
    for (int i = 0; i < TransportKindCount; ++i)
        s.transports[size_t(i)] = { i + 1, i + 2, i + 3, i + 4, i + 5, std::nullopt };
    s.at(TransportKind::LongPoll).held = 1;
    s.other = { 0, 9, 9, 0, 999, std::nullopt };
    s.published = 5;
    s.duplicatePublishes = 1;
    s.rejectedOrigin = 2;
    s.badRequests = 3;
    s.slowReadersCut = 4;
    s.heartbeatTimeouts = 6;
    s.pollTimeouts = 7;
    s.config = { 25000, 15000, 2.5 };
    if (withClients) {
        s.clients = QList<StatsSnapshot::Client> {
            { TransportKind::WebSocket, QStringLiteral("192.168.1.23:50412"), 1764085200123, 42 },
            { TransportKind::Poll, QStringLiteral("[::1]:4000"), 1764085200999, 0 },
        };
        s.clientsTruncated = 3;
    }
    return s;
}

IdleCostResult sampleIdleCost(bool measuredServer)
{
    IdleCostResult r;
    r.transport = QStringLiteral("lp");
    r.clients = 200;
    r.failed = 1;
    r.windowSeconds = 20;
    r.warmupSeconds = 2.5;
    r.holdMs = 5000;
    r.heartbeatMs = 3000;
    r.tickRate = 0;
    r.messagesInWindow = 0;
    r.heartbeats = 12;
    r.requestsPerSecPerClient = 0.2;
    r.bytesPerSecPerClient = 31.5;
    r.bytesInPerSecPerClient = 30.25;
    if (measuredServer) {
        r.rssBytesPerClient = 4096;
        r.fdsPerClient = 1;
        r.wakeupsPerSecPerClient = 0.2;
        r.cpuUsPerSecPerClient = 3.5;
        r.preemptionsPerSecPerClient = 0.01;
        r.serverWakeupsPerSec = 40;
        r.serverCpuPercent = 0.7;
    }
    r.conditions = QStringLiteral("steady state over 20.0 s");
    r.server = QStringLiteral("own");
    r.notes = QStringList { QStringLiteral("one"), QStringLiteral("two") };
    return r;
}

// A value read back from its own JSON is itself (the caller returns if this failed).
template<typename T>
void checkRoundTrip(const T &value)
{
    QString why;
    const std::optional<T> back = T::fromJson(value.toJson(), &why);
    QVERIFY2(back, qPrintable(why));
    QCOMPARE(*back, value);
}

} // namespace

class tst_WireContract : public QObject
{
    Q_OBJECT
private slots:
    void tickRoundTrip();
    void tickAsTheProtocolShowsIt();
    void tickNamesItsNode();
    void statsRoundTrip_data();
    void statsRoundTrip();
    void statsListsClientsOnlyWhenAsked();
    void pollAnswerEncodesTheProtocolsBytes();
    void pollAnswerRoundTrip();
    void pollAnswerWithoutEpoch();
    void idleCostRoundTrip_data();
    void idleCostRoundTrip();
    void idleCostKeysAreTheOnesWritten();
    void idleCostSeriesLeavesOutWhatDoesNotRead();
    void refusesByName_data();
    void refusesByName();
};

void tst_WireContract::tickRoundTrip()
{
    checkRoundTrip(sampleTick());
}

void tst_WireContract::tickAsTheProtocolShowsIt()
{
    const QByteArray wire = R"({"bytesOut":{"lp":100,"poll":400,"sse":200,"ws":300},)"
                            R"("connections":{"lp":1,"poll":4,"sse":2,"ws":3},"held":{"lp":1},)"
                            R"("messagesPerSec":12.5,"rss":7340032})";
    const std::optional<TickData> t = TickData::fromJson(parse(wire.constData()));
    QVERIFY(t);
    QCOMPARE(*t, sampleTick());
    QCOMPARE(QJsonDocument(t->toJson()).toJson(QJsonDocument::Compact), wire);
}

// A node of a cluster names itself; a server alone sends no "node" at all.
void tst_WireContract::tickNamesItsNode()
{
    TickData t = sampleTick();
    QVERIFY(!t.toJson().contains(QLatin1String("node")));
    t.node = QStringLiteral("B");
    QCOMPARE(t.toJson().value(QLatin1String("node")).toString(), QStringLiteral("B"));
    checkRoundTrip(t);
}

void tst_WireContract::statsRoundTrip_data()
{
    QTest::addColumn<bool>("withClients");
    QTest::newRow("/stats") << false;
    QTest::newRow("/stats?clients=1") << true;
}

void tst_WireContract::statsRoundTrip()
{
    QFETCH(bool, withClients);
    checkRoundTrip(sampleStats(withClients));
}

// The keys of docs/protocol.md's GET /stats, and "held" on long polling only.
void tst_WireContract::statsListsClientsOnlyWhenAsked()
{
    const QJsonObject plain = sampleStats(false).toJson();
    QCOMPARE(plain.keys(),
             keys({ "badRequests", "config", "cpuMicros", "duplicatePublishes", "epoch", "heartbeatTimeouts", "history",
                    "pollTimeouts", "published", "rejectedOrigin", "rss", "slowReadersCut", "store", "storeState",
                    "transports", "uptimeMs" }));
    // A node of a cluster names itself, with its store's state; a server alone sends no "node".
    StatsSnapshot node = sampleStats(false);
    node.node = QStringLiteral("B");
    node.storeState = { false, QStringLiteral("redis 127.0.0.1:6379: connection refused") };
    checkRoundTrip(node);
    QCOMPARE(node.toJson().value(QLatin1String("storeState")).toObject().value(QLatin1String("state")).toString(),
             QStringLiteral("unavailable"));
    QCOMPARE(node.toJson().value(QLatin1String("node")).toString(), QStringLiteral("B"));
    const QJsonObject transports = plain.value(QLatin1String("transports")).toObject();
    QCOMPARE(transports.keys(), keys({ "lp", "other", "poll", "sse", "ws" }));
    QVERIFY(transports.value(QLatin1String("lp")).toObject().contains(QLatin1String("held")));
    for (const char *key : { "sse", "ws", "poll", "other" })
        QVERIFY2(!transports.value(QLatin1String(key)).toObject().contains(QLatin1String("held")), key);
    QCOMPARE(plain.value(QLatin1String("config")).toObject().keys(),
             keys({ "heartbeatMs", "pollTimeoutMs", "tickRate" }));

    const QJsonObject listed = sampleStats(true).toJson();
    QCOMPARE(listed.keys().size(), plain.keys().size() + 2);
    const QJsonObject first = listed.value(QLatin1String("clients")).toArray().first().toObject();
    QCOMPARE(QJsonDocument(first).toJson(QJsonDocument::Compact),
             QByteArray(R"({"messages":42,"peer":"192.168.1.23:50412","since":1764085200123,"transport":"ws"})"));
    QCOMPARE(listed.value(QLatin1String("clientsTruncated")).toInteger(), 3);
}

void tst_WireContract::pollAnswerEncodesTheProtocolsBytes()
{
    QCOMPARE(PollAnswer::encode(QStringLiteral("3f9a0c1d7b2e4a65"), {}, 7),
             QByteArray(R"({"epoch":"3f9a0c1d7b2e4a65","messages":[],"cursor":7})"));
    QCOMPARE(PollAnswer::encode(QStringLiteral("e"), { R"({"id":1})", R"({"id":2})" }, 2),
             QByteArray(R"({"epoch":"e","messages":[{"id":1},{"id":2}],"cursor":2})"));
}

void tst_WireContract::pollAnswerRoundTrip()
{
    const QByteArray wire =
            PollAnswer::encode(QStringLiteral("e1"), { R"({"type":"chat","id":5})", R"({"type":"tick","id":6})" }, 6);
    QString why;
    const std::optional<PollAnswer> a = PollAnswer::decode(wire, &why);
    QVERIFY2(a, qPrintable(why));
    QCOMPARE(a->epoch, QStringLiteral("e1"));
    QCOMPARE(a->cursor, quint64(6));
    QCOMPARE(a->messages.size(), 2);
    QCOMPARE(a->messages.at(1).toObject().value(QLatin1String("id")).toInteger(), 6);
    QCOMPARE(PollAnswer::fromJson(a->toJson()), a);
}

// The bench's Node peer answers in rtlab's shape without an epoch: read with an empty one.
void tst_WireContract::pollAnswerWithoutEpoch()
{
    const std::optional<PollAnswer> a = PollAnswer::decode(R"({"messages":[],"cursor":9})");
    QVERIFY(a);
    QVERIFY(a->epoch.isEmpty());
    QCOMPARE(a->cursor, quint64(9));
}

void tst_WireContract::idleCostRoundTrip_data()
{
    QTest::addColumn<bool>("measuredServer");
    QTest::newRow("own server: every figure") << true;
    QTest::newRow("no server process: /proc figures absent") << false;
}

void tst_WireContract::idleCostRoundTrip()
{
    QFETCH(bool, measuredServer);
    const IdleCostResult r = sampleIdleCost(measuredServer);
    const QJsonObject json = r.toJson();
    QCOMPARE(json.contains(QLatin1String("fdsPerClient")), measuredServer);
    QCOMPARE(json.contains(QLatin1String("serverCpuPercent")), measuredServer);
    checkRoundTrip(r);
}

// keyOf() names a figure as toJson() writes it, so a report that passes figures on (a lesson's
// measurement) uses the contract's names; the keys pinned here are the wire's.
void tst_WireContract::idleCostKeysAreTheOnesWritten()
{
    const auto key = [](auto member) { return QString(IdleCostResult::keyOf(member)); };
    const IdleCostResult r = sampleIdleCost(true);
    const QJsonObject o = r.toJson();
    QCOMPARE(key(&IdleCostResult::clients), QStringLiteral("clients"));
    QCOMPARE(key(&IdleCostResult::heartbeatMs), QStringLiteral("heartbeatMs"));
    QCOMPARE(key(&IdleCostResult::windowSeconds), QStringLiteral("windowSeconds"));
    QCOMPARE(key(&IdleCostResult::fdsPerClient), QStringLiteral("fdsPerClient"));
    QCOMPARE(key(&IdleCostResult::serverCpuPercent), QStringLiteral("serverCpuPercent"));
    QCOMPARE(o.value(IdleCostResult::keyOf(&IdleCostResult::heartbeats)).toInteger(), r.heartbeats);
    QCOMPARE(o.value(IdleCostResult::keyOf(&IdleCostResult::warmupSeconds)).toDouble(), r.warmupSeconds);
    QCOMPARE(o.value(IdleCostResult::keyOf(&IdleCostResult::wakeupsPerSecPerClient)).toDouble(),
             *r.wakeupsPerSecPerClient);
}

// A series as the meter hands it on: each result read, one that does not read left out.
void tst_WireContract::idleCostSeriesLeavesOutWhatDoesNotRead()
{
    QJsonObject broken = sampleIdleCost(false).toJson();
    broken.remove(QLatin1String("clients"));
    const QJsonArray series { sampleIdleCost(true).toJson(), broken, sampleIdleCost(false).toJson() };
    QCOMPARE(IdleCostResult::fromJsonArray(series),
             (QList<IdleCostResult> { sampleIdleCost(true), sampleIdleCost(false) }));
    QVERIFY(IdleCostResult::fromJsonArray({}).isEmpty());
}

void tst_WireContract::refusesByName_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");

    QTest::newRow("tick: a transport missing")
            << QStringLiteral("tick")
            << QByteArray(R"({"bytesOut":{"lp":1,"poll":1,"sse":1,"ws":1},"connections":{"lp":1,"sse":2,"ws":3},)"
                          R"("held":{"lp":1},"messagesPerSec":1,"rss":1})")
            << QStringLiteral(R"("connections.poll" is missing)");
    QTest::newRow("tick: rss a string")
            << QStringLiteral("tick")
            << QByteArray(R"({"bytesOut":{"lp":1,"poll":1,"sse":1,"ws":1},"connections":{"lp":1,"poll":1,"sse":2,)"
                          R"("ws":3},"held":{"lp":1},"messagesPerSec":1,"rss":"big"})")
            << QStringLiteral(R"("rss" is not a number)");
    QTest::newRow("poll: no cursor") << QStringLiteral("poll") << QByteArray(R"({"epoch":"e","messages":[]})")
                                     << QStringLiteral(R"("cursor" is missing)");
    QTest::newRow("poll: messages not a list")
            << QStringLiteral("poll") << QByteArray(R"({"epoch":"e","messages":{},"cursor":1})")
            << QStringLiteral(R"("messages" is not an array)");
    QTest::newRow("poll: not JSON") << QStringLiteral("poll") << QByteArray("{\"cursor\":") << QString();
    QTest::newRow("stats: empty") << QStringLiteral("stats") << QByteArray("{}")
                                  << QStringLiteral(R"("epoch" is missing)");
    QTest::newRow("idle: notes with a number")
            << QStringLiteral("idle")
            << QByteArray(R"({"transport":"lp","clients":1,"failed":0,"windowSeconds":1,"warmupSeconds":1,)"
                          R"("holdMs":1,"heartbeatMs":1,"tickRate":0,"messagesInWindow":0,"heartbeats":0,)"
                          R"("conditions":"","notes":["a",2]})")
            << QStringLiteral(R"("notes" has an entry that is not a string)");
}

void tst_WireContract::refusesByName()
{
    QFETCH(QString, type);
    QFETCH(QByteArray, json);
    QFETCH(QString, error);

    QString why;
    const QJsonObject o = parse(json.constData());
    bool read = true;
    if (type == u"tick")
        read = TickData::fromJson(o, &why).has_value();
    else if (type == u"poll")
        read = PollAnswer::decode(json, &why).has_value();
    else if (type == u"stats")
        read = StatsSnapshot::fromJson(o, &why).has_value();
    else
        read = IdleCostResult::fromJson(o, &why).has_value();
    QVERIFY(!read);
    QVERIFY(!why.isEmpty());
    if (!error.isEmpty())
        QCOMPARE(why, error);
}

QTEST_APPLESS_MAIN(tst_WireContract)
#include "tst_wirecontract.moc"
