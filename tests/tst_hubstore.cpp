// SPDX-License-Identifier: MIT
// The hub over a store that answers later (FakeAsyncStore): a publish is answered only after its
// commit, a failed commit uses no id and reaches no subscriber, and a reader older than the
// memory ring waits for its page and then gets exactly what it missed.
#include "fakeasyncstore.h"
#include "fakehttpstream.h"
#include "fakewschannel.h"
#include "hub.h"
#include "messagecodec.h"
#include "sseparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <deque>

using namespace rtlab;

namespace {

// A hub on a fake store with a ring of RingSize, on a clock the test moves by hand. The streams
// are declared before the hub, so that they outlive the sessions that point at them.
struct Bench
{
    static constexpr int RingSize = 2;

    // With a node name: a shared store (FakeAsyncStore::setShared), entries arrive when the test says.
    explicit Bench(const QString &node = {})
        : store(new FakeAsyncStore()), hub(
                                               config(), [this] { return nowMs; }, std::unique_ptr<LogStore>(store))
    {
        if (!node.isEmpty())
            store->setShared(node);
        QString why;
        if (!hub.openLog(&why))
            qFatal("cannot open the fake store: %s", qPrintable(why));
    }

    static ServerConfig config()
    {
        ServerConfig c;
        c.tickRate = 0;
        c.memoryRing = RingSize;
        return c;
    }

    FakeHttpStream *stream() { return &streams.emplace_back(); }
    FakeWsChannel *channel(const QByteArray &target) { return &channels.emplace_back(target); }
    QByteArray epoch() const { return store->head().epoch.toLatin1(); }

    // `count` messages committed (ids lastId + 1 ...), the ring holding the newest RingSize.
    void fill(int count)
    {
        store->setAutoCommit(true);
        for (int i = 0; i < count; ++i)
            hub.publish({ QStringLiteral("ann"), QStringLiteral("m%1").arg(i) });
        store->setAutoCommit(false);
        settle();
    }
    // The log announces a commit on its next turn of the event loop.
    static void settle() { QCoreApplication::processEvents(); }

    qint64 nowMs = 1000;
    std::deque<FakeHttpStream> streams;
    std::deque<FakeWsChannel> channels;
    FakeAsyncStore *store; // owned by the hub's log
    Hub hub;
};

HttpRequest request(const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                    const QList<std::pair<QByteArray, QByteArray>> &headers = {})
{
    const QUrl url = QUrl::fromEncoded(target);
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.path = url.path(QUrl::FullyDecoded).toUtf8();
    r.query = QUrlQuery(url);
    r.headers = headers;
    r.body = body;
    return r;
}

HttpRequest send(const QString &text, const QString &clientMsgId = {})
{
    QJsonObject o { { QStringLiteral("from"), QStringLiteral("ann") }, { QStringLiteral("text"), text } };
    if (!clientMsgId.isEmpty())
        o.insert(QStringLiteral("clientMsgId"), clientMsgId);
    return request("POST", "/send", QJsonDocument(o).toJson(QJsonDocument::Compact),
                   { { "content-type", "application/json" } });
}

QJsonObject bodyOf(const FakeHttpStream &stream)
{
    return QJsonDocument::fromJson(stream.response()->body).object();
}

// What a list of JSON messages says, compactly: "reset(lost 2, after 3) 4 5 6".
QString describe(const QList<QByteArray> &jsons)
{
    QStringList parts;
    for (const QByteArray &json : jsons) {
        QString why;
        const std::optional<Message> m = MessageCodec::decode(json, &why);
        if (!m)
            parts.append(QStringLiteral("?"));
        else if (m->type == MessageType::Reset)
            parts.append(QStringLiteral("reset(lost %1, after %2)").arg(m->lost).arg(m->cursor));
        else
            parts.append(QString::number(m->id));
    }
    return parts.join(u' ');
}

QString sseSays(const FakeHttpStream &stream)
{
    SseParser parser;
    parser.feed(stream.written());
    QList<QByteArray> jsons;
    for (const SseEvent &e : parser.takeEvents())
        jsons.append(e.data.toUtf8());
    return describe(jsons);
}

QString pollSays(const FakeHttpStream &stream)
{
    QList<QByteArray> jsons;
    for (const QJsonValue &v : bodyOf(stream).value(QLatin1String("messages")).toArray())
        jsons.append(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return describe(jsons);
}

// The log messages a WebSocket was sent (not error frames).
QString wsSays(const FakeWsChannel &channel)
{
    QList<QByteArray> jsons;
    for (const QByteArray &text : channel.texts()) {
        if (!text.contains("\"type\":\"error\""))
            jsons.append(text);
    }
    return describe(jsons);
}

// A subscriber on one transport ("sse", "ws", "poll") and what it was sent.
struct Reader
{
    QString transport;
    FakeHttpStream *stream = nullptr;
    FakeWsChannel *channel = nullptr;
    QString says() const
    {
        return transport == u"sse" ? sseSays(*stream) : transport == u"ws" ? wsSays(*channel) : pollSays(*stream);
    }
};

// A subscriber resuming after id 1 of this log, on `transport`.
Reader resumeAfter1(Bench &b, const QString &transport)
{
    Reader r { transport, b.stream(), b.channel("/ws?after=1&epoch=" + b.epoch()) };
    if (transport == u"sse")
        b.hub.handleRequest(request("GET", "/events", {}, { { "last-event-id", b.epoch() + ":1" } }), r.stream);
    else if (transport == u"ws")
        b.hub.openWebSocket(r.channel);
    else
        b.hub.handleRequest(request("GET", "/poll?after=1&epoch=" + b.epoch()), r.stream);
    return r;
}

// A live subscriber on `transport` of this log (a poll names the live end, so it is held).
Reader liveReader(Bench &b, const QString &transport)
{
    const QByteArray after = QByteArray::number(b.hub.log().lastId());
    Reader r { transport, b.stream(), b.channel("/ws?after=" + after + "&epoch=" + b.epoch()) };
    if (transport == u"sse")
        b.hub.handleRequest(request("GET", "/events", {}, { { "last-event-id", b.epoch() + ":" + after } }), r.stream);
    else if (transport == u"ws")
        b.hub.openWebSocket(r.channel);
    else
        b.hub.handleRequest(request("GET", "/poll?after=" + after + "&epoch=" + b.epoch()), r.stream);
    return r;
}

// What a fresh poll after `after` of `epoch` is answered.
QString pollAfter(Bench &b, quint64 after, const QByteArray &epoch)
{
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(request("GET", "/poll?timeout=0&after=" + QByteArray::number(after) + "&epoch=" + epoch), s);
    return s->response() ? pollSays(*s) : QStringLiteral("(held)");
}

QJsonObject getJson(Bench &b, const QByteArray &path)
{
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(request("GET", path), s);
    return s->response() && s->response()->status == 200 ? bodyOf(*s) : QJsonObject();
}

} // namespace

class tst_HubStore : public QObject
{
    Q_OBJECT
private slots:
    void sendAnsweredAfterCommit();
    void failedCommitUsesNoIdAndReachesNoOne();
    void webSocketPublisherToldOfAFailedCommit();
    void duplicateWhilePendingGetsTheSameId();
    void duplicateWhilePendingFailsWithIt();
    void sendStreamClosedBeforeCommit();
    void resumeOlderThanRingWaitsForPage_data();
    void resumeOlderThanRingWaitsForPage();
    void pageStartingLateIsAReset_data();
    void pageStartingLateIsAReset();
    void sessionClosedWhileReading_data();
    void sessionClosedWhileReading();
    void readErrorEndsTheSubscription();
    void shutdownWaitsForPendingCommit();
    void metricsNameTheStore();

    // A shared store (several nodes, one log): what is delivered comes from the tail.
    void sharedSendAnsweredBeforeItArrives_data();
    void sharedSendAnsweredBeforeItArrives();
    void sharedArrivalsFromOtherNodesInOrder_data();
    void sharedArrivalsFromOtherNodesInOrder();
    void sharedDuplicateOfIsADuplicate();
    void sharedDuplicateOlderThanRingOnWebSocket();
    void sharedGapInArrivalsIsAReset_data();
    void sharedGapInArrivalsIsAReset();
    void sharedEpochChangeEndsSessions_data();
    void sharedEpochChangeEndsSessions();
    void sharedStoreUnavailable();
    void sharedNodeNamed();
    void unsharedNamesNoNode();
    void sharedResumeAheadOfTheTail_data();
    void sharedResumeAheadOfTheTail();
    void unsharedResumeAheadIsAReset();
};

void tst_HubStore::sendAnsweredAfterCommit()
{
    Bench b;
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("hi")), s);
    QVERIFY(!s->response()); // nothing said before the store has it
    QCOMPARE(b.store->pendingAppends(), 1);
    QCOMPARE(b.hub.log().lastId(), 0u);
    b.store->commit();
    Bench::settle();
    QVERIFY(s->response());
    QCOMPARE(s->response()->status, 202);
    QCOMPARE(bodyOf(*s).value(u"id").toInteger(), 1);
    QCOMPARE(bodyOf(*s).value(u"epoch").toString().toLatin1(), b.epoch());
    QCOMPARE(b.hub.stats().published, 1);
}

void tst_HubStore::failedCommitUsesNoIdAndReachesNoOne()
{
    Bench b;
    FakeHttpStream *sse = b.stream();
    b.hub.handleRequest(request("GET", "/events"), sse);
    FakeWsChannel *ws = b.channel("/ws");
    b.hub.openWebSocket(ws);
    FakeHttpStream *poll = b.stream();
    b.hub.handleRequest(request("GET", "/poll?after=0&epoch=" + b.epoch()), poll);
    QVERIFY(!poll->response()); // held

    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("lost")), s);
    b.store->fail(QStringLiteral("disk full"));
    Bench::settle();
    QVERIFY(s->response());
    QCOMPARE(s->response()->status, 503);
    QVERIFY(bodyOf(*s).value(u"error").toString().contains(u"disk full"));
    QVERIFY(s->response()->headers.contains(std::pair(QByteArray("Retry-After"), QByteArray("1"))));
    QCOMPARE(b.hub.log().lastId(), 0u);
    QCOMPARE(sseSays(*sse), QString());
    QCOMPARE(wsSays(*ws), QString());
    QVERIFY(!poll->response());
    QCOMPARE(b.hub.stats().publishFailures, 1);
    QVERIFY(ServerStats::storePrometheus(b.store->stats()).contains("rtlab_store_failed_commits_total 1\n"));

    // The next commit gets the id the failed one would have had.
    FakeHttpStream *next = b.stream();
    b.hub.handleRequest(send(QStringLiteral("kept")), next);
    b.store->commit();
    Bench::settle();
    QCOMPARE(next->response()->status, 202);
    QCOMPARE(bodyOf(*next).value(u"id").toInteger(), 1);
    QCOMPARE(sseSays(*sse), QStringLiteral("1"));
    QCOMPARE(wsSays(*ws), QStringLiteral("1"));
    QCOMPARE(pollSays(*poll), QStringLiteral("1"));
}

void tst_HubStore::webSocketPublisherToldOfAFailedCommit()
{
    Bench b;
    FakeWsChannel *ws = b.channel("/ws");
    b.hub.openWebSocket(ws);
    ws->receiveText(R"({"from":"ann","text":"x","clientMsgId":"c-1"})");
    QCOMPARE(ws->texts().size(), 0);
    b.store->fail(QStringLiteral("disk full"));
    Bench::settle();
    QCOMPARE(ws->texts().size(), 1);
    const QJsonObject error = QJsonDocument::fromJson(ws->texts().constFirst()).object();
    QCOMPARE(error.value(u"type").toString(), QStringLiteral("error"));
    QCOMPARE(error.value(u"status").toInt(), 503);
    QVERIFY(error.value(u"error").toString().contains(u"disk full"));
    QCOMPARE(error.value(u"clientMsgId").toString(), QStringLiteral("c-1"));
    QVERIFY(ws->closes().isEmpty()); // the socket stays

    // The session may be gone when the commit comes back.
    ws->receiveText(R"({"from":"ann","text":"y","clientMsgId":"c-2"})");
    ws->closeFromPeer();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    b.store->fail(QStringLiteral("disk full"));
    Bench::settle();
    QCOMPARE(ws->texts().size(), 1);
}

void tst_HubStore::duplicateWhilePendingGetsTheSameId()
{
    Bench b;
    FakeHttpStream *first = b.stream();
    FakeHttpStream *repeat = b.stream();
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), first);
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), repeat);
    QCOMPARE(b.store->pendingAppends(), 1); // the repeat appended nothing
    QVERIFY(!repeat->response());
    b.store->commit();
    Bench::settle();
    QCOMPARE(first->response()->status, 202);
    QCOMPARE(repeat->response()->status, 202);
    QCOMPARE(bodyOf(*first).value(u"id").toInteger(), 1);
    QCOMPARE(bodyOf(*repeat).value(u"id").toInteger(), 1);
    QVERIFY(!bodyOf(*first).contains(u"duplicate"));
    QCOMPARE(bodyOf(*repeat).value(u"duplicate").toBool(), true);
    QCOMPARE(b.hub.log().lastId(), 1u);

    // Once committed, a repeat is answered from the ring at once.
    FakeHttpStream *late = b.stream();
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), late);
    QCOMPARE(b.store->pendingAppends(), 0);
    QCOMPARE(bodyOf(*late).value(u"id").toInteger(), 1);
}

void tst_HubStore::duplicateWhilePendingFailsWithIt()
{
    Bench b;
    FakeHttpStream *first = b.stream();
    FakeHttpStream *repeat = b.stream();
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), first);
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), repeat);
    b.store->fail(QStringLiteral("disk full"));
    Bench::settle();
    QCOMPARE(first->response()->status, 503);
    QCOMPARE(repeat->response()->status, 503);
    // Nothing remembered: a retry is a new publish.
    FakeHttpStream *retry = b.stream();
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), retry);
    QCOMPARE(b.store->pendingAppends(), 1);
}

void tst_HubStore::sendStreamClosedBeforeCommit()
{
    Bench b;
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("hi")), s);
    QVERIFY(s->observer());
    s->close();
    b.store->commit();
    Bench::settle();
    QVERIFY(!s->response());            // a closed stream is not touched
    QCOMPARE(b.hub.log().lastId(), 1u); // the message was kept all the same
}

void tst_HubStore::resumeOlderThanRingWaitsForPage_data()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("sse") << QStringLiteral("sse");
    QTest::newRow("ws") << QStringLiteral("ws");
    QTest::newRow("poll") << QStringLiteral("poll");
}

void tst_HubStore::resumeOlderThanRingWaitsForPage()
{
    QFETCH(QString, transport);
    Bench b;
    b.fill(6); // the ring holds 5 and 6; 1 to 4 are in the store
    QCOMPARE(b.hub.log().ringFirstId(), 5u);
    QCOMPARE(b.hub.log().firstId(), 1u);
    const Reader r = resumeAfter1(b, transport);
    const auto says = [&] { return r.says(); };
    QCOMPARE(b.store->pendingReads(), 1);
    QCOMPARE(says(), QString()); // nothing before the page
    QVERIFY(!r.stream->response());

    // A publish meanwhile: the waiting reader writes nothing out of order.
    b.store->setAutoCommit(true);
    b.hub.publish({ QStringLiteral("ann"), QStringLiteral("m7") });
    b.store->setAutoCommit(false);
    Bench::settle();
    QCOMPARE(says(), QString());

    b.store->releaseReads();
    Bench::settle();
    QCOMPARE(says(), QStringLiteral("2 3 4 5 6 7"));
    QCOMPARE(b.store->stats().reads, 1u);
}

void tst_HubStore::pageStartingLateIsAReset_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::pageStartingLateIsAReset()
{
    QFETCH(QString, transport);
    Bench b;
    b.fill(6);
    const Reader r = resumeAfter1(b, transport);
    QCOMPARE(b.store->pendingReads(), 1);
    // Retention drops 1 to 3 while the read is on its way: 2 and 3 are lost to this reader.
    b.store->dropOldest(3);
    b.store->releaseReads();
    Bench::settle();
    QCOMPARE(r.says(), QStringLiteral("reset(lost 2, after 3) 4 5 6"));
}

void tst_HubStore::sessionClosedWhileReading_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sessionClosedWhileReading()
{
    QFETCH(QString, transport);
    Bench b;
    b.fill(6);
    const Reader r = resumeAfter1(b, transport);
    FakeHttpStream *s = r.stream;
    FakeWsChannel *ws = r.channel;
    QCOMPARE(b.store->pendingReads(), 1);
    if (transport == u"ws")
        ws->closeFromPeer();
    else
        s->close();
    // The session is deleted; its page comes back after (AddressSanitizer would see a touch).
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCOMPARE(b.hub.sessionCount(), 0);
    s->clearWrites();
    b.store->releaseReads();
    Bench::settle();
    QVERIFY(s->written().isEmpty());
    QVERIFY(!s->response());
    QCOMPARE(wsSays(*ws), QString());
}

void tst_HubStore::readErrorEndsTheSubscription()
{
    Bench b;
    b.fill(6);
    FakeHttpStream *sse = b.stream();
    b.hub.handleRequest(request("GET", "/events", {}, { { "last-event-id", b.epoch() + ":1" } }), sse);
    FakeWsChannel *ws = b.channel("/ws?after=1&epoch=" + b.epoch());
    b.hub.openWebSocket(ws);
    FakeHttpStream *poll = b.stream();
    b.hub.handleRequest(request("GET", "/poll?after=1&epoch=" + b.epoch()), poll);
    QCOMPARE(b.store->pendingReads(), 3);
    b.store->releaseReads(QStringLiteral("I/O error"));
    Bench::settle();
    // Never a silent gap: the stream ends (EventSource reconnects), the socket closes 1011, the
    // poll is 503; each client resumes from where it was.
    QVERIFY(sse->ended());
    QCOMPARE(sseSays(*sse), QString());
    QCOMPARE(ws->closes().size(), 1);
    QCOMPARE(ws->closes().constFirst().code, quint16(1011));
    QCOMPARE(wsSays(*ws), QString());
    QCOMPARE(poll->response()->status, 503);
    QCOMPARE(b.hub.sessionCount(), 0);
}

void tst_HubStore::shutdownWaitsForPendingCommit()
{
    Bench b;
    QSignalSpy drained(&b.hub, &Hub::drained);
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("hi")), s);
    b.hub.shutdown();
    QCOMPARE(drained.count(), 0);
    QCOMPARE(b.hub.pendingPublishes(), 1);
    b.store->commit();
    Bench::settle();
    QCOMPARE(s->response()->status, 202);
    QVERIFY(s->response()->closeConnection);
    QCOMPARE(drained.count(), 1);
}

void tst_HubStore::metricsNameTheStore()
{
    Bench b;
    b.fill(3);
    QCOMPARE(b.hub.statsSnapshot().store, QStringLiteral("fake"));
    QCOMPARE(StatsSnapshot::fromJson(b.hub.statsSnapshot().toJson())->store, QStringLiteral("fake"));
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(request("GET", "/metrics"), s);
    const QByteArray text = s->response()->body;
    QVERIFY(text.contains("rtlab_store_commits_total 3\n"));
    QVERIFY(text.contains("rtlab_store_rows_total 3\n"));
    QVERIFY(text.contains("rtlab_publish_failures_total 0\n"));
    QVERIFY(text.contains("rtlab_store_commit_batch_rows_bucket{le=\"+Inf\"} 3\n"));
    QVERIFY(text.contains("rtlab_store_commit_seconds_count 0\n"));
}

void tst_HubStore::sharedSendAnsweredBeforeItArrives_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sharedSendAnsweredBeforeItArrives()
{
    QFETCH(QString, transport);
    Bench b(QStringLiteral("A"));
    const Reader r = liveReader(b, transport);
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("hi")), s);
    b.store->commit();
    Bench::settle();
    // The publisher has its id: the log has it, but this node has not read it from the tail yet.
    QCOMPARE(s->response()->status, 202);
    QCOMPARE(bodyOf(*s).value(u"id").toInteger(), 1);
    QCOMPARE(bodyOf(*s).value(u"epoch").toString().toLatin1(), b.epoch());
    QCOMPARE(b.hub.log().lastId(), 0u);
    QCOMPARE(b.hub.log().ringSize(), 0);
    QCOMPARE(r.says(), QString());
    if (transport == u"poll")
        QVERIFY(!r.stream->response());
    b.store->arrive();
    Bench::settle();
    QCOMPARE(b.hub.log().lastId(), 1u);
    QCOMPARE(r.says(), QStringLiteral("1"));
    QCOMPARE(b.hub.stats().published, 1);
}

void tst_HubStore::sharedArrivalsFromOtherNodesInOrder_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sharedArrivalsFromOtherNodesInOrder()
{
    QFETCH(QString, transport);
    Bench b(QStringLiteral("A"));
    const Reader r = liveReader(b, transport);
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("from B"));
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("from A")), s);
    b.store->commit(); // id 2
    Bench::settle();
    b.store->publishElsewhere(QStringLiteral("cat"), QStringLiteral("from C"));
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("from B again"));
    QCOMPARE(bodyOf(*s).value(u"id").toInteger(), 2);
    QCOMPARE(r.says(), QString());
    b.store->arrive(2);
    Bench::settle();
    QCOMPARE(r.says(), QStringLiteral("1 2"));
    b.store->arrive();
    Bench::settle();
    if (transport == u"poll") // answered at the first arrival; the next poll goes on from there
        QCOMPARE(pollAfter(b, 2, b.epoch()), QStringLiteral("3 4"));
    else
        QCOMPARE(r.says(), QStringLiteral("1 2 3 4"));
    // Another node's message, resumed from this node's ring.
    QCOMPARE(b.hub.log().entry(3)->message.from, QStringLiteral("cat"));
    QCOMPARE(pollAfter(b, 2, b.epoch()), QStringLiteral("3 4"));
}

void tst_HubStore::sharedDuplicateOfIsADuplicate()
{
    Bench b(QStringLiteral("A"));
    FakeWsChannel *ws = b.channel("/ws");
    b.hub.openWebSocket(ws);
    // Published through node B; this node's ring has not seen it yet.
    b.store->publishElsewhere(QStringLiteral("ann"), QStringLiteral("once"), QStringLiteral("c-1"));
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("once"), QStringLiteral("c-1")), s);
    ws->receiveText(R"({"from":"ann","text":"once","clientMsgId":"c-1"})");
    b.store->commit();
    Bench::settle();
    QCOMPARE(s->response()->status, 202);
    QCOMPARE(bodyOf(*s).value(u"id").toInteger(), 1);
    QCOMPARE(bodyOf(*s).value(u"duplicate").toBool(), true);
    QCOMPARE(bodyOf(*s).value(u"epoch").toString().toLatin1(), b.epoch());
    QCOMPARE(b.hub.stats().duplicatePublishes, 2);
    QCOMPARE(b.hub.stats().published, 0);
    b.store->arrive();
    Bench::settle();
    QCOMPARE(b.store->unarrived(), 0);
    QCOMPARE(b.hub.log().lastId(), 1u); // nothing appended twice
    QCOMPARE(wsSays(*ws), QStringLiteral("1"));
    QCOMPARE(ws->texts().size(), 1);
}

void tst_HubStore::sharedDuplicateOlderThanRingOnWebSocket()
{
    Bench b(QStringLiteral("A"));
    b.store->publishElsewhere(QStringLiteral("ann"), QStringLiteral("once"), QStringLiteral("c-1"));
    for (int i = 0; i < 3; ++i)
        b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m%1").arg(i));
    b.store->arrive();
    Bench::settle();
    QCOMPARE(b.hub.log().ringFirstId(), 3u); // the ring (2) no longer remembers c-1
    FakeWsChannel *ws = b.channel("/ws");
    b.hub.openWebSocket(ws);
    ws->receiveText(R"({"from":"ann","text":"once","clientMsgId":"c-1"})");
    b.store->commit();
    Bench::settle();
    // Answered as a ring duplicate is on a WebSocket: with the original, read from the store.
    QCOMPARE(b.store->pendingReads(), 1);
    b.store->releaseReads();
    Bench::settle();
    QCOMPARE(wsSays(*ws), QStringLiteral("1"));
    QCOMPARE(b.hub.log().lastId(), 4u);
}

void tst_HubStore::sharedGapInArrivalsIsAReset_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sharedGapInArrivalsIsAReset()
{
    QFETCH(QString, transport);
    Bench b(QStringLiteral("A"));
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m1"));
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m2"));
    b.store->arrive();
    Bench::settle();
    const Reader r = liveReader(b, transport); // at 2
    for (int i = 3; i <= 6; ++i)
        b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m%1").arg(i));
    // The tail was away while 3 and 4 were trimmed from the log: it reads 5 and 6.
    b.store->trimUnarrived(2);
    b.store->arrive();
    Bench::settle();
    QCOMPARE(b.hub.log().firstId(), 5u);
    QCOMPARE(b.hub.log().lastId(), 6u);
    QCOMPARE(r.says(), QStringLiteral("reset(lost 2, after 4) 5 6"));
    QCOMPARE(pollAfter(b, 1, b.epoch()), QStringLiteral("reset(lost 3, after 4) 5 6"));
}

void tst_HubStore::sharedEpochChangeEndsSessions_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sharedEpochChangeEndsSessions()
{
    QFETCH(QString, transport);
    Bench b(QStringLiteral("A"));
    for (int i = 1; i <= 3; ++i)
        b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m%1").arg(i));
    b.store->arrive();
    Bench::settle();
    const QByteArray oldEpoch = b.epoch();
    const Reader r = liveReader(b, transport); // at 3
    // Redis came back empty: the log's epoch is new, the ids start again.
    b.store->changeEpoch(QStringLiteral("e2"));
    Bench::settle();
    QCOMPARE(b.hub.log().epoch(), QStringLiteral("e2"));
    QCOMPARE(b.hub.log().lastId(), 0u);
    QCOMPARE(b.hub.log().ringSize(), 0);
    if (transport == u"sse") {
        QVERIFY(r.stream->ended());
    } else if (transport == u"ws") {
        QCOMPARE(r.channel->closes().size(), 1);
        QCOMPARE(r.channel->closes().constFirst().code, quint16(1012));
        QCOMPARE(r.channel->closes().constFirst().reason, QStringLiteral("log reset"));
    } else {
        QCOMPARE(r.says(), QStringLiteral("reset(lost -1, after 0)"));
        QCOMPARE(bodyOf(*r.stream).value(u"epoch").toString(), QStringLiteral("e2"));
    }
    QCOMPARE(b.hub.sessionCount(), 0);
    // The client comes back with its (epoch, id): a reset, then the new epoch's messages.
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("new"));
    b.store->arrive();
    Bench::settle();
    QCOMPARE(pollAfter(b, 3, oldEpoch), QStringLiteral("reset(lost -1, after 0) 1"));
    FakeHttpStream *sse = b.stream();
    b.hub.handleRequest(request("GET", "/events", {}, { { "last-event-id", oldEpoch + ":3" } }), sse);
    QCOMPARE(sseSays(*sse), QStringLiteral("reset(lost -1, after 0) 1"));
}

void tst_HubStore::sharedStoreUnavailable()
{
    Bench b(QStringLiteral("A"));
    const Reader sse = liveReader(b, QStringLiteral("sse"));
    FakeWsChannel *ws = b.channel("/ws");
    b.hub.openWebSocket(ws);
    const QString detail = QStringLiteral("redis 127.0.0.1:6379: connection refused");
    b.store->setState(false, detail);
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(send(QStringLiteral("lost")), s);
    ws->receiveText(R"({"from":"ann","text":"x","clientMsgId":"c-1"})");
    Bench::settle(); // the store's answer
    Bench::settle(); // the log's
    QVERIFY(s->response());
    QCOMPARE(s->response()->status, 503);
    QVERIFY2(bodyOf(*s).value(u"error").toString().contains(detail), s->response()->body.constData());
    QCOMPARE(ws->texts().size(), 1);
    const QJsonObject error = QJsonDocument::fromJson(ws->texts().constFirst()).object();
    QCOMPARE(error.value(u"status").toInt(), 503);
    QVERIFY(error.value(u"error").toString().contains(detail));
    // Readers stay: nothing new, nothing closed.
    QVERIFY(ws->closes().isEmpty());
    QVERIFY(!sse.stream->ended());
    QCOMPARE(b.hub.sessionCount(), 2);
    // A load balancer keeps the node: 200, with the store's state.
    const QJsonObject health = getJson(b, "/healthz");
    QCOMPARE(health.value(u"store").toObject().value(u"state").toString(), QStringLiteral("unavailable"));
    QCOMPARE(health.value(u"store").toObject().value(u"detail").toString(), detail);
    const StatsSnapshot stats = *StatsSnapshot::fromJson(getJson(b, "/stats"));
    QVERIFY(!stats.storeState.available);
    QCOMPARE(stats.storeState.detail, detail);
    FakeHttpStream *metrics = b.stream();
    b.hub.handleRequest(request("GET", "/metrics"), metrics);
    QVERIFY(metrics->response()->body.contains("rtlab_store_up 0\n"));

    b.store->setState(true, QStringLiteral("ok"));
    QCOMPARE(getJson(b, "/healthz").value(u"store").toObject().value(u"state").toString(), QStringLiteral("ok"));
    FakeHttpStream *again = b.stream();
    b.hub.handleRequest(send(QStringLiteral("kept")), again);
    b.store->commit();
    b.store->arrive();
    Bench::settle();
    QCOMPARE(again->response()->status, 202);
    QCOMPARE(sse.says(), QStringLiteral("1"));
}

void tst_HubStore::sharedNodeNamed()
{
    Bench b(QStringLiteral("node-a:8080"));
    QCOMPARE(b.hub.tickData().node, QStringLiteral("node-a:8080"));
    QCOMPARE(StatsSnapshot::fromJson(getJson(b, "/stats"))->node, QStringLiteral("node-a:8080"));
    const QJsonObject health = getJson(b, "/healthz");
    QCOMPARE(health.value(u"node").toString(), QStringLiteral("node-a:8080"));
    QCOMPARE(health.value(u"store").toObject().value(u"state").toString(), QStringLiteral("ok"));
    FakeHttpStream *metrics = b.stream();
    b.hub.handleRequest(request("GET", "/metrics"), metrics);
    QVERIFY(metrics->response()->body.contains("rtlab_store_up 1\n"));
}

void tst_HubStore::unsharedNamesNoNode()
{
    Bench b;
    QCOMPARE(b.hub.tickData().node, QString());
    QVERIFY(!b.hub.tickData().toJson().contains(u"node"));
    QVERIFY(!getJson(b, "/stats").contains(u"node"));
    const QJsonObject health = getJson(b, "/healthz");
    QVERIFY(!health.contains(u"node"));
    QCOMPARE(health.value(u"store").toObject().value(u"state").toString(), QStringLiteral("ok"));
}

void tst_HubStore::sharedResumeAheadOfTheTail_data()
{
    resumeOlderThanRingWaitsForPage_data();
}

void tst_HubStore::sharedResumeAheadOfTheTail()
{
    QFETCH(QString, transport);
    Bench b(QStringLiteral("A"));
    for (int i = 1; i <= 5; ++i)
        b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m%1").arg(i));
    b.store->arrive(1);
    Bench::settle();
    QCOMPARE(b.hub.log().lastId(), 1u);
    // The client read up to 4 from another node, whose tail is ahead of this one's.
    Reader r { transport, b.stream(), b.channel("/ws?after=4&epoch=" + b.epoch()) };
    if (transport == u"sse")
        b.hub.handleRequest(request("GET", "/events", {}, { { "last-event-id", b.epoch() + ":4" } }), r.stream);
    else if (transport == u"ws")
        b.hub.openWebSocket(r.channel);
    else
        b.hub.handleRequest(request("GET", "/poll?after=4&epoch=" + b.epoch()), r.stream);
    QCOMPARE(r.says(), QString()); // no reset: nothing was lost
    if (transport == u"poll")
        QVERIFY(!r.stream->response()); // held
    b.store->arrive(2);                 // 2 and 3: still behind the client
    Bench::settle();
    QCOMPARE(r.says(), QString());
    if (transport == u"poll")
        QVERIFY(!r.stream->response());
    b.store->arrive(); // 4 and 5
    Bench::settle();
    QCOMPARE(r.says(), QStringLiteral("5"));
    QCOMPARE(b.hub.stats().resumesReset, 0);
    // A poll that does not wait, ahead of the tail, is answered at once with nothing, its cursor kept.
    b.store->publishElsewhere(QStringLiteral("bob"), QStringLiteral("m6"));
    FakeHttpStream *s = b.stream();
    b.hub.handleRequest(request("GET", "/poll?timeout=0&after=7&epoch=" + b.epoch()), s);
    QCOMPARE(pollSays(*s), QString());
    QCOMPARE(bodyOf(*s).value(u"cursor").toInteger(), 7);
}

void tst_HubStore::unsharedResumeAheadIsAReset()
{
    Bench b;
    b.fill(1);
    QCOMPARE(pollAfter(b, 4, b.epoch()), QStringLiteral("reset(lost -1, after 0) 1"));
}

QTEST_GUILESS_MAIN(tst_HubStore)
#include "tst_hubstore.moc"
