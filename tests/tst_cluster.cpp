// SPDX-License-Identifier: MIT
// Several servers, one log (issue 16), end to end: real rtlab-server nodes (--store redis://…
// --node A|B|C) on one real redis-server the test starts on a free loopback port. Subscribers on one
// node receive what publishers on the others send, in one order; readers whose requests land on any
// node lose and repeat nothing; a node killed with -9 under load, Redis killed with -9 and restarted,
// and Redis restarted from an older snapshot each leave every client with nothing lost, nothing
// repeated, and no (epoch, id) that names two messages.
//
// The nodes run on the core under test (RTLAB_TEST_CORE, passed as --core). Raw clients (what curl or
// a browser sends) follow the log across nodes themselves; RealtimeClients reach a node through a relay
// that a test moves to another node, as a load balancer would.
#include "clustertestsupport.h"

#include <QScopeGuard>
#include <QTemporaryDir>

using namespace rtlab;
using namespace rtlab::test;

namespace {

const QString A = QStringLiteral("A");
const QString B = QStringLiteral("B");
const QString C = QStringLiteral("C");

// Every chat message of the list, keyed by sender and clientMsgId: how many times each was published.
QHash<QString, int> timesPublished(const QList<Message> &log)
{
    QHash<QString, int> out;
    for (const Message &m : log)
        if (m.type == MessageType::Chat && !m.clientMsgId.isEmpty())
            ++out[m.from + u'/' + m.clientMsgId];
    return out;
}

// The (epoch, id) → message identity of everything some client saw: false (naming the pair) when
// one pair names two different messages.
bool noPairReused(const QList<QList<Message>> &seen, QString *why)
{
    QHash<QString, QString> named;
    for (const QList<Message> &messages : seen) {
        for (const Message &m : messages) {
            if (m.type != MessageType::Chat)
                continue;
            const QString pair = m.epoch + u'/' + QString::number(m.id);
            const QString what = identity(m);
            const auto it = named.constFind(pair);
            if (it != named.cend() && *it != what) {
                *why = QStringLiteral("%1 named both \"%2\" and \"%3\"").arg(pair, *it, what);
                return false;
            }
            named.insert(pair, what);
        }
    }
    return true;
}

// Every acknowledged publish of this sender (clientMsgId → id) is in the log (ids 1.., contiguous)
// under its id, with its sender and clientMsgId.
bool ackedAt(const QList<Message> &log, const QString &from, const QHash<QString, quint64> &acked)
{
    for (auto it = acked.begin(); it != acked.end(); ++it) {
        const Message &m = log.value(qsizetype(it.value()) - 1);
        if (m.id != it.value() || m.from != from || m.clientMsgId != it.key())
            return false;
    }
    return true;
}

// Every running node has the log 1..last, in one epoch, message for message: that log, or empty
// with *why.
QList<Message> agreedLog(Cluster &cluster, quint64 last, QString *epoch, QString *why)
{
    if (!cluster.waitAgree(last, epoch)) {
        *why = QStringLiteral("the nodes do not agree on last id %1 in one epoch").arg(last);
        return {};
    }
    QList<Message> log;
    for (const QString &name : cluster.running()) {
        const QList<Message> read = pollAll(cluster.port(name), 0, *epoch);
        if (ids(read) != range(1, last) || (!log.isEmpty() && identities(read) != identities(log))) {
            *why = QStringLiteral("node %1 has another log (%2 messages)").arg(name).arg(read.size());
            return {};
        }
        log = read;
    }
    return log;
}

} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void subscribersOnOneNodeGetWhatTheOthersPublish();
    void roundRobinLongPollLosesAndRepeatsNothing();
    void killNineOfANodeUnderLoad();
    void killNineOfRedisLosesNothingAcknowledged();
    void redisFromAnOlderSnapshotMeansAReset();
    void stateDirRemembersTheMarkAcrossARestart();
    void redisUnreachableAtStartIsAClearError();
    void aLiveNodeNameIsRefused();
    void cliMovesToTheNextNode_data();
    void cliMovesToTheNextNode();

private:
    // Starts redis and the named nodes on it; skips when this build has no Redis store.
    bool startCluster(Cluster &cluster, const QStringList &names, const QStringList &more = {});
};

void tst_Cluster::initTestCase()
{
    REDISTEST_REQUIRE_INSTALLED();
    QVERIFY(QFile::exists(QStringLiteral(RTLAB_SERVER_BINARY)));
}

bool tst_Cluster::startCluster(Cluster &cluster, const QStringList &names, const QStringList &more)
{
    QString why;
    if (!cluster.startRedis(&why)) {
        qWarning("%s", qPrintable(why));
        return false;
    }
    for (const QString &name : names) {
        if (!cluster.startNode(name, more)) {
            qWarning("node %s: %s", qPrintable(name), qPrintable(cluster.errors(name)));
            return false;
        }
    }
    return true;
}

// The Redis store is not in this build (cluster-base not merged): each test says so and skips.
#define CLUSTER_START(cluster, ...) \
    do { \
        if (!startCluster(cluster, __VA_ARGS__)) { \
            if (cluster.storeMissing()) \
                QSKIP("this build has no Redis store"); \
            QFAIL("the cluster did not start"); \
        } \
    } while (false)

// Three nodes: subscribers on node A, on every transport (raw and RealtimeClient), receive what
// publishers on B and C send over POST /send and WebSockets, all in one order with no gap and no
// repeat — the order every node's log has.
void tst_Cluster::subscribersOnOneNodeGetWhatTheOthersPublish()
{
    Cluster cluster;
    CLUSTER_START(cluster, { A, B, C });
    QCOMPARE(cluster.health(A).value(QLatin1String("node")).toString(), A);
    FollowingReaders raw({ cluster.port(A) });
    Subscribers clients(urlOf(cluster.port(A)));
    QVERIFY(raw.waitOpen());
    QVERIFY(clients.waitOpen());

    const int each = 100;
    HttpSteadyPublisher httpB(cluster.port(B), QStringLiteral("httpB"), each);
    HttpSteadyPublisher httpC(cluster.port(C), QStringLiteral("httpC"), each);
    WsSteadyPublisher wsB(cluster.port(B), QStringLiteral("wsB"), each);
    WsSteadyPublisher wsC(cluster.port(C), QStringLiteral("wsC"), each);
    QVERIFY(QTest::qWaitFor(
            [&] { return httpB.acked.size() + httpC.acked.size() + wsB.acked.size() + wsC.acked.size() == 4 * each; },
            3 * WaitMs));
    QCOMPARE(httpB.otherAnswers + httpC.otherAnswers, QList<int> {});
    const quint64 last = 4 * each;

    QString epoch;
    QString why;
    const QList<Message> log = agreedLog(cluster, last, &epoch, &why);
    QVERIFY2(!log.isEmpty(), qPrintable(why));
    QVERIFY(ackedAt(log, httpB.from(), httpB.acked) && ackedAt(log, httpC.from(), httpC.acked));
    QVERIFY(ackedAt(log, QStringLiteral("wsB"), wsB.acked) && ackedAt(log, QStringLiteral("wsC"), wsC.acked));

    QVERIFY(raw.waitFor(last, epoch));
    for (const auto &r : raw.readers) {
        QVERIFY2(identities(r->messages) == identities(log), FollowingReader::name(r->kind()));
        QVERIFY2(!firstReset(r->messages), FollowingReader::name(r->kind()));
    }
    QVERIFY(clients.waitFor(last, epoch));
    for (size_t i = 0; i < clients.clients.size(); ++i) {
        QVERIFY2(identities(clients.recorders[i]->messages) == identities(log), Subscribers::name(i));
        QVERIFY2(clients.clients[i]->continuity().resets == 0, Subscribers::name(i));
    }
}

// A long poll whose every request goes to the next node (A, B, C, A, …), resuming with its (epoch,
// cursor), while publishers run on all three: every message once, in the log's order, no reset.
void tst_Cluster::roundRobinLongPollLosesAndRepeatsNothing()
{
    Cluster cluster;
    CLUSTER_START(cluster, { A, B, C });
    const QList<quint16> ports = { cluster.port(A), cluster.port(B), cluster.port(C) };
    FollowingReader poller(FollowingReader::Kind::Poll, ports, {}, true);
    QVERIFY(poller.waitOpen());

    const int each = 150;
    std::vector<std::unique_ptr<HttpSteadyPublisher>> publishers;
    for (const QString &name : { A, B, C })
        publishers.push_back(
                std::make_unique<HttpSteadyPublisher>(cluster.port(name), QStringLiteral("on") + name, each));
    QVERIFY(QTest::qWaitFor(
            [&] { return std::all_of(publishers.begin(), publishers.end(), [](const auto &p) { return p->ended; }); },
            3 * WaitMs));
    for (const auto &p : publishers)
        QCOMPARE(p->acked.size(), each);
    const quint64 last = 3 * each;
    QString epoch;
    QString why;
    const QList<Message> log = agreedLog(cluster, last, &epoch, &why);
    QVERIFY2(!log.isEmpty(), qPrintable(why));

    QVERIFY(poller.waitFor(last, epoch));
    poller.stop();
    QVERIFY(!firstReset(poller.messages));
    QCOMPARE(identities(poller.messages), identities(log));
    // It did go round: every node answered some of its polls.
    for (const quint16 port : ports)
        QVERIFY(poller.portsUsed.count(port) >= 2);
}

// Node A is killed with -9 while the cluster takes publishes on every node (3,000 in all). A's
// subscribers move on — the raw ones to B and C by themselves with their (epoch, id), the
// RealtimeClients through a relay that now points at C — and miss and repeat nothing; A's publishes
// in flight, sent again to B with their clientMsgId, are in the log exactly once.
void tst_Cluster::killNineOfANodeUnderLoad()
{
    Cluster cluster;
    CLUSTER_START(cluster, { A, B, C });
    const QString epoch = cluster.health(B).value(QLatin1String("epoch")).toString();
    FollowingReaders raw({ cluster.port(A), cluster.port(B), cluster.port(C) });
    ImpairmentRelay relay; // what a load balancer in front of A would be
    QVERIFY(relay.listen(QHostAddress::LocalHost, cluster.port(A)));
    Subscribers clients(urlOf(relay.port()));
    // And RealtimeClients given the nodes' URLs, A first: they move on by themselves.
    Subscribers listed({ urlOf(cluster.port(A)), urlOf(cluster.port(B)), urlOf(cluster.port(C)) });
    QVERIFY(raw.waitOpen());
    QVERIFY(clients.waitOpen() && listed.waitOpen());

    const int each = 600; // 5 publishers: 3,000 at most
    std::vector<std::unique_ptr<HttpSteadyPublisher>> http;
    http.push_back(std::make_unique<HttpSteadyPublisher>(cluster.port(A), QStringLiteral("httpA"), each));
    http.push_back(std::make_unique<HttpSteadyPublisher>(cluster.port(B), QStringLiteral("httpB"), each));
    http.push_back(std::make_unique<HttpSteadyPublisher>(cluster.port(C), QStringLiteral("httpC"), each));
    WsSteadyPublisher wsA(cluster.port(A), QStringLiteral("wsA"), each);
    WsSteadyPublisher wsC(cluster.port(C), QStringLiteral("wsC"), each);
    const auto ackedCount = [&] {
        qsizetype n = wsA.acked.size() + wsC.acked.size();
        for (const auto &p : http)
            n += p->acked.size();
        return n;
    };
    // Mid-stream: A's publishers have been answered a few times and are still sending.
    QVERIFY(QTest::qWaitFor(
            [&] { return ackedCount() >= 300 && wsA.acked.size() >= 20 && http[0]->acked.size() >= 20; }, WaitMs));
    QVERIFY(!http[0]->ended && !wsA.ended);
    cluster.node(A).killNine();
    relay.setTarget(QHostAddress::LocalHost, cluster.port(C));
    relay.dropAll();

    // A's publishers end with what was in flight; B's and C's go on to the end.
    QVERIFY(QTest::qWaitFor(
            [&] {
                // A WebSocket publisher that is not cut off is done when all it sent came back.
                return wsA.ended && (wsC.acked.size() == each || wsC.ended)
                        && std::all_of(http.begin(), http.end(), [](const auto &p) { return p->ended; });
            },
            6 * WaitMs));
    for (const auto &p : http)
        QCOMPARE(p->otherAnswers, QList<int> {});
    QVERIFY(wsA.errors.isEmpty() && wsC.errors.isEmpty());
    QCOMPARE(http[1]->acked.size(), each);
    QCOMPARE(wsC.acked.size(), each);

    // What A had in flight, sent again to B with the same sender and clientMsgId (as the clients'
    // outbox does after a lost answer): published once, wherever its first try got to.
    QStringList resent;
    for (const QString &id : http[0]->unanswered)
        resent.append(QStringLiteral("httpA/") + id);
    for (const QString &id : wsA.inFlight)
        resent.append(QStringLiteral("wsA/") + id);
    QHash<QString, quint64> resentIds;
    for (const QString &key : resent) {
        PublishRequest p;
        p.from = key.section(u'/', 0, 0);
        p.clientMsgId = key.section(u'/', 1);
        p.text = HttpSteadyPublisher::textOf(p.clientMsgId);
        const RawResponse r = request(cluster.port(B), "POST", "/send", MessageCodec::encodePublish(p),
                                      { "Content-Type: application/json" });
        QCOMPARE(r.status, 202);
        resentIds.insert(key, quint64(r.json().value(QLatin1String("id")).toInteger()));
    }
    const quint64 last = publish(cluster.port(C), QStringLiteral("after the kill"));
    QVERIFY(last > 0);

    // The log, on B and C alike: 1..last, each publish once, every acknowledged id with its own message.
    QString agreed;
    QString why;
    const QList<Message> log = agreedLog(cluster, last, &agreed, &why);
    QVERIFY2(!log.isEmpty(), qPrintable(why));
    QCOMPARE(agreed, epoch);
    const QHash<QString, int> times = timesPublished(log);
    for (auto it = times.begin(); it != times.end(); ++it)
        QVERIFY2(it.value() == 1, qPrintable(it.key()));
    qsizetype acknowledged = wsA.acked.size() + wsC.acked.size();
    for (const auto &p : http) {
        QVERIFY2(ackedAt(log, p->from(), p->acked), qPrintable(p->from()));
        acknowledged += p->acked.size();
    }
    QVERIFY(ackedAt(log, QStringLiteral("wsA"), wsA.acked));
    QVERIFY(ackedAt(log, QStringLiteral("wsC"), wsC.acked));
    for (const QString &key : resent) {
        QVERIFY2(times.value(key) == 1, qPrintable(key));
        QCOMPARE(log[qsizetype(resentIds.value(key) - 1)].clientMsgId, key.section(u'/', 1));
    }
    qInfo("%lld acknowledged, %lld of A's in flight sent again to B, last id %llu", qint64(acknowledged),
          qint64(resent.size()), last);

    // A's subscribers rode through: every id once, in the log's order, no reset.
    QVERIFY(raw.waitFor(last, epoch));
    for (const auto &r : raw.readers) {
        QVERIFY2(identities(r->messages) == identities(log), FollowingReader::name(r->kind()));
        QVERIFY2(r->portsUsed.first() == cluster.port(A) && !r->portsUsed.endsWith(cluster.port(A)),
                 FollowingReader::name(r->kind()));
    }
    for (Subscribers *s : { &clients, &listed }) {
        QVERIFY(s->waitFor(last, epoch));
        for (size_t i = 0; i < s->clients.size(); ++i) {
            const RealtimeClient &c = *s->clients[i];
            QVERIFY2(c.continuity().resets == 0 && c.continuity().gaps == 0, Subscribers::name(i));
            QVERIFY2(identities(s->recorders[i]->messages) == identities(log), Subscribers::name(i));
        }
    }
    for (const auto &c : listed.clients)
        QVERIFY(c->serverUrl() != urlOf(cluster.port(A)));
}

// Redis (AOF on) is killed with -9 while publishers run, and started again on the same port and
// directory. Meanwhile publishes are answered 503 (HTTP) and with the error frame (WebSocket), /healthz
// stays 200 naming the store unavailable, and subscribers stay connected; afterwards every
// acknowledged message is in the log, in order, on every node, and the ids go on.
void tst_Cluster::killNineOfRedisLosesNothingAcknowledged()
{
    Cluster cluster(redistest::RedisServer::Options { true, {} });
    CLUSTER_START(cluster, { A, B, C });
    FollowingReaders raw({ cluster.port(A) });
    Subscribers clients(urlOf(cluster.port(A)));
    QVERIFY(raw.waitOpen());
    QVERIFY(clients.waitOpen());

    HttpSteadyPublisher before(cluster.port(B), QStringLiteral("before"), 50);
    QVERIFY(QTest::qWaitFor([&] { return before.ended; }, WaitMs));
    QCOMPARE(before.acked.size(), 50);

    // Killed under publishes: each publisher runs until its bound, across the kill.
    HttpSteadyPublisher during(cluster.port(C), QStringLiteral("during"), 500);
    QVERIFY(QTest::qWaitFor([&] { return during.acked.size() >= 20; }, WaitMs));
    cluster.redis.kill9();
    for (const QString &name : { A, B, C }) {
        QVERIFY2(cluster.waitStoreState(name, QStringLiteral("unavailable")), qPrintable(name));
        const QJsonObject h = cluster.health(name); // still 200: readers are served
        QCOMPARE(h.value(QLatin1String("node")).toString(), name);
    }
    // A publish now: 503 over HTTP with a reason, the error frame over a WebSocket.
    PublishRequest p { QStringLiteral("outage"), QStringLiteral("during the outage") };
    const RawResponse refused = request(cluster.port(B), "POST", "/send", MessageCodec::encodePublish(p),
                                        { "Content-Type: application/json" });
    QCOMPARE(refused.status, 503);
    QVERIFY2(!refused.json().value(QLatin1String("error")).toString().isEmpty(), refused.body.constData());
    WsSteadyPublisher ws(cluster.port(A), QStringLiteral("ws"), 0);
    QVERIFY(QTest::qWaitFor([&] { return ws.socket.state() == QAbstractSocket::ConnectedState; }, WaitMs));
    ws.sendOne(QStringLiteral("ws-outage"), QStringLiteral("over a WebSocket during the outage"));
    QVERIFY2(QTest::qWaitFor([&] { return !ws.errors.isEmpty(); }, WaitMs),
             ws.acked.isEmpty() ? "no answer" : "acknowledged");
    QCOMPARE(ws.errors.first().value(QLatin1String("status")).toInt(), 503);
    QCOMPARE(ws.errors.first().value(QLatin1String("clientMsgId")).toString(), QStringLiteral("ws-outage"));
    QVERIFY(QTest::qWaitFor([&] { return during.ended; }, 3 * WaitMs));
    QVERIFY(!during.otherAnswers.isEmpty()); // it ran into the outage
    for (const int status : during.otherAnswers)
        QCOMPARE(status, 503);
    // Subscribers are still connected, and got nothing that was refused.
    for (size_t i = 0; i < clients.clients.size(); ++i)
        QVERIFY2(clients.clients[i]->state() == ClientTransport::State::Open, Subscribers::name(i));
    for (const auto &r : raw.readers)
        QVERIFY2(r->connections == 1 || r->kind() == FollowingReader::Kind::Poll, FollowingReader::name(r->kind()));

    QString why;
    QVERIFY2(cluster.redis.restart(&why), qPrintable(why));
    for (const QString &name : { A, B, C })
        QVERIFY2(cluster.waitStoreState(name, QStringLiteral("ok")), qPrintable(name));
    HttpSteadyPublisher afterwards(cluster.port(C), QStringLiteral("after"), 20);
    QVERIFY(QTest::qWaitFor([&] { return afterwards.ended; }, WaitMs));
    QCOMPARE(afterwards.acked.size(), 20);
    const QList<quint64> afterIds = afterwards.acked.values();
    const quint64 last = *std::max_element(afterIds.begin(), afterIds.end());
    // Every acknowledged message, in order, on every node; a refused one at most once (its answer
    // may have been lost after Redis wrote it), the outage's own publishes never.
    QString epoch;
    const QList<Message> log = agreedLog(cluster, last, &epoch, &why);
    QVERIFY2(!log.isEmpty(), qPrintable(why));
    const QHash<QString, int> times = timesPublished(log);
    for (auto it = times.begin(); it != times.end(); ++it)
        QVERIFY2(it.value() == 1, qPrintable(it.key()));
    for (const auto *publisher : { &before, &during, &afterwards })
        QVERIFY2(ackedAt(log, publisher->from(), publisher->acked), qPrintable(publisher->from()));
    QVERIFY(!times.contains(QStringLiteral("ws/ws-outage")));
    for (const Message &m : log)
        QVERIFY(m.from != u"outage");

    QVERIFY(raw.waitFor(last, epoch));
    for (const auto &r : raw.readers)
        QVERIFY2(identities(r->messages) == identities(log), FollowingReader::name(r->kind()));
    QVERIFY(clients.waitFor(last, epoch));
    for (size_t i = 0; i < clients.clients.size(); ++i) {
        QVERIFY2(clients.clients[i]->continuity().resets == 0, Subscribers::name(i));
        QVERIFY2(identities(clients.recorders[i]->messages) == identities(log), Subscribers::name(i));
    }
}

// Redis restarted from an older snapshot (SAVE, more publishes, kill -9, the old dump.rdb back, AOF
// off): the nodes see it behind their high-water marks and rotate the epoch, so every client on every
// transport is told of a reset, and no (epoch, id) ever names two messages.
void tst_Cluster::redisFromAnOlderSnapshotMeansAReset()
{
    Cluster cluster;
    CLUSTER_START(cluster, { A, B });
    FollowingReaders rawA({ cluster.port(A) });
    FollowingReaders rawB({ cluster.port(B) });
    Subscribers clients(urlOf(cluster.port(A)));
    QVERIFY(rawA.waitOpen() && rawB.waitOpen());
    QVERIFY(clients.waitOpen());

    QCOMPARE(publishMany(cluster.port(A), 5, QStringLiteral("kept ")), range(1, 5));
    bool saved = false;
    QCOMPARE(cluster.redis.cli({ QStringLiteral("SAVE") }, &saved), QByteArray("OK"));
    QVERIFY(saved);
    const QString snapshot = cluster.redis.dir() + QStringLiteral("/older.rdb");
    QVERIFY(QFile::copy(cluster.redis.rdbPath(), snapshot));
    QCOMPARE(publishMany(cluster.port(B), 5, QStringLiteral("newer ")), range(6, 10));
    QString oldEpoch;
    QVERIFY(cluster.waitAgree(10, &oldEpoch));
    QVERIFY(rawA.waitFor(10) && rawB.waitFor(10));
    QVERIFY(clients.waitFor(10));

    cluster.redis.kill9();
    QVERIFY(QFile::remove(cluster.redis.rdbPath()));
    QVERIFY(QFile::copy(snapshot, cluster.redis.rdbPath()));
    QString why;
    QVERIFY2(cluster.redis.restart(&why), qPrintable(why));

    // The nodes notice on their tails' reconnect: a new epoch, the kept ids relabelled.
    QString newEpoch;
    QVERIFY(cluster.waitAgree(5, &newEpoch));
    QVERIFY2(newEpoch != oldEpoch, qPrintable(newEpoch));
    const quint64 next = publish(cluster.port(B), QStringLiteral("after the rollback"));
    QCOMPARE(next, quint64(6));

    QList<QList<Message>> seen;
    for (FollowingReaders *raw : { &rawA, &rawB }) {
        QVERIFY(raw->waitFor(next, newEpoch));
        for (const auto &r : raw->readers) {
            const QByteArray name = FollowingReader::name(r->kind());
            const Message *reset = firstReset(r->messages);
            QVERIFY2(reset && reset->epoch == newEpoch, name);
            QCOMPARE(r->messages.last().text, QStringLiteral("after the rollback"));
            seen.append(r->messages);
        }
    }
    QVERIFY(clients.waitFor(next, newEpoch));
    for (size_t i = 0; i < clients.clients.size(); ++i) {
        QVERIFY2(clients.clients[i]->continuity().resets == 1, Subscribers::name(i));
        seen.append(clients.recorders[i]->messages);
    }
    // Resuming at the old (epoch, 10) anywhere is a reset too, never ids 6.. with other content.
    for (const QString &name : { A, B }) {
        const QList<Message> resumed = pollAll(cluster.port(name), 10, oldEpoch);
        QVERIFY2(!resumed.isEmpty() && resumed.first().type == MessageType::Reset, qPrintable(name));
        seen.append(resumed);
    }
    QVERIFY2(noPairReused(seen, &why), qPrintable(why));
}

// A node given --state-dir keeps its high-water mark on disk: stopped, Redis rolled back under it, and
// started again, it notices and rotates the epoch before its first publish, so a client resuming at
// the newer id is told of a reset. (Without the mark a lone node could not tell.)
void tst_Cluster::stateDirRemembersTheMarkAcrossARestart()
{
    QTemporaryDir stateDir;
    QVERIFY(stateDir.isValid());
    const QStringList more = { QStringLiteral("--state-dir"), stateDir.path() };
    Cluster cluster;
    CLUSTER_START(cluster, { A }, more);
    const quint16 port = cluster.port(A);
    QCOMPARE(publishMany(port, 5, QStringLiteral("kept ")), range(1, 5));
    QVERIFY(cluster.redis.cli({ QStringLiteral("SAVE") }) == "OK");
    const QString snapshot = cluster.redis.dir() + QStringLiteral("/older.rdb");
    QVERIFY(QFile::copy(cluster.redis.rdbPath(), snapshot));
    QCOMPARE(publishMany(port, 5, QStringLiteral("newer ")), range(6, 10));
    const QString oldEpoch = cluster.health(A).value(QLatin1String("epoch")).toString();
    QVERIFY(cluster.node(A).stop());

    cluster.redis.kill9();
    QVERIFY(QFile::remove(cluster.redis.rdbPath()));
    QVERIFY(QFile::copy(snapshot, cluster.redis.rdbPath()));
    QString why;
    QVERIFY2(cluster.redis.restart(&why), qPrintable(why));
    // The snapshot holds A's lease as it was when saved; the A that held it is gone.
    QVERIFY(QTest::qWaitFor(
            [&] {
                return cluster.redis.cli({ QStringLiteral("EXISTS"), QStringLiteral("{rtlab}:node:A") }) == "0";
            },
            3 * WaitMs));

    QVERIFY2(cluster.startNode(A, more, port), qPrintable(cluster.errors(A)));
    // Before its first publish it compares its mark (oldEpoch, 10) with Redis's (oldEpoch, 5).
    QCOMPARE(publish(port, QStringLiteral("after the restart")), quint64(6));
    const QString newEpoch = cluster.health(A).value(QLatin1String("epoch")).toString();
    QVERIFY2(newEpoch != oldEpoch, qPrintable(newEpoch));
    FollowingReaders raw({ port }, LogPosition { oldEpoch, 10 });
    QVERIFY(raw.waitFor(6, newEpoch));
    for (const auto &r : raw.readers) {
        const QByteArray name = FollowingReader::name(r->kind());
        QVERIFY2(!r->messages.isEmpty() && r->messages.first().type == MessageType::Reset, name);
        for (const Message &m : r->messages)
            QVERIFY2(m.epoch == newEpoch, name);
        QCOMPARE(r->messages.last().text, QStringLiteral("after the restart"));
    }
}

// Redis never reachable at start: the node exits non-zero before listening, with a line that names
// the URL's host and port and never its password.
void tst_Cluster::redisUnreachableAtStartIsAClearError()
{
    const quint16 nowhere = redistest::freePort();
    ServerProcess node;
    const QString url = QStringLiteral("redis://:s3cret-pw@127.0.0.1:%1").arg(nowhere);
    QVERIFY(!node.start(0, { QStringLiteral("--store"), url, QStringLiteral("--node"), A }));
    QVERIFY(node.waitExit());
    const QString errors = node.errors();
    if (errors.contains(u"this build has no Redis store"))
        QSKIP("this build has no Redis store");
    QCOMPARE(node.process().exitStatus(), QProcess::NormalExit);
    QVERIFY(node.process().exitCode() != 0);
    QVERIFY(!node.output().contains("listening"));
    QVERIFY2(errors.contains(QStringLiteral("127.0.0.1:%1").arg(nowhere)), qPrintable(errors));
    QVERIFY2(!errors.contains(u"s3cret-pw"), qPrintable(errors));
}

// A second node with a name live on the log refuses to start, saying which name; the first serves on.
void tst_Cluster::aLiveNodeNameIsRefused()
{
    const QString name = QStringLiteral("node-alpha");
    Cluster cluster;
    CLUSTER_START(cluster, { name });
    ServerProcess twin;
    QVERIFY(!twin.start(0, { QStringLiteral("--store"), cluster.redis.url(), QStringLiteral("--node"), name }));
    QVERIFY(twin.waitExit());
    QCOMPARE(twin.process().exitStatus(), QProcess::NormalExit);
    QVERIFY(twin.process().exitCode() != 0);
    QVERIFY(!twin.output().contains("listening"));
    QVERIFY2(twin.errors().contains(name), qPrintable(twin.errors()));
    QCOMPARE(publish(cluster.port(name), QStringLiteral("still here")), quint64(1));
}

void tst_Cluster::cliMovesToTheNextNode_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("lp") << QStringLiteral("lp");
    QTest::newRow("sse") << QStringLiteral("sse");
    QTest::newRow("ws") << QStringLiteral("ws");
}

// rtlab-cli given --url A --url B, following while A is killed with -9: it moves to B, keeps its
// (epoch, id), prints every message once in order, all in one epoch, and reports no reset.
void tst_Cluster::cliMovesToTheNextNode()
{
    QFETCH(QString, transport);
    Cluster cluster;
    CLUSTER_START(cluster, { A, B });
    QProcess cli;
    cli.start(QStringLiteral(RTLAB_CLI_BINARY),
              { QStringLiteral("--url"), urlOf(cluster.port(A)).toString(), QStringLiteral("--url"),
                urlOf(cluster.port(B)).toString(), QStringLiteral("--transport"), transport, QStringLiteral("--count"),
                QStringLiteral("6") });
    const auto stopCli = qScopeGuard([&] {
        if (cli.state() != QProcess::NotRunning) {
            cli.kill();
            cli.waitForFinished();
        }
    });
    QByteArray out;
    QByteArray err;
    const auto printed = [&](qsizetype lines) {
        return QTest::qWaitFor(
                [&] {
                    out += cli.readAllStandardOutput();
                    err += cli.readAllStandardError();
                    return out.count('\n') >= lines || cli.state() == QProcess::NotRunning;
                },
                3 * WaitMs);
    };
    QVERIFY(QTest::qWaitFor(
            [&] {
                err += cli.readAllStandardError();
                return err.contains("\"event\":\"opened\"");
            },
            WaitMs));
    QCOMPARE(publishMany(cluster.port(B), 3, QStringLiteral("m")), range(1, 3));
    QVERIFY(printed(3));
    cluster.node(A).killNine();
    QCOMPARE(publishMany(cluster.port(B), 3, QStringLiteral("n"), 4), range(4, 6));
    QVERIFY(printed(6));
    QVERIFY(QTest::qWaitFor([&] { return cli.state() == QProcess::NotRunning; }, WaitMs));
    out += cli.readAllStandardOutput();
    err += cli.readAllStandardError();
    QCOMPARE(cli.exitCode(), 0);
    QList<Message> messages;
    for (const QByteArray &line : out.split('\n'))
        if (const std::optional<Message> m = MessageCodec::decode(line))
            messages.append(*m);
    QCOMPARE(ids(messages, false), range(1, 6));
    for (const Message &m : messages)
        QCOMPARE(m.epoch, messages.first().epoch);
    QVERIFY2(!err.contains("\"event\":\"reset\""), err.constData());
    QVERIFY2(err.contains("\"event\":\"moved\""), err.constData());
}

QTEST_GUILESS_MAIN(tst_Cluster)
#include "tst_cluster.moc"
