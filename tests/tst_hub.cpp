// SPDX-License-Identifier: MIT
// The Hub's protocol rules with no socket and no timer: requests come in on FakeHttpStreams and
// FakeWsChannels, and the test moves the hub's clock and runs its periodic work itself.
#include "fakehttpstream.h"
#include "fakewschannel.h"
#include "hub.h"
#include "messagecodec.h"
#include "sseencoder.h"
#include "sseparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <deque>

using namespace rtlab;

namespace {

// A hub on a clock the test moves by hand. The streams are declared before the hub, so that
// they outlive the sessions that point at them.
struct Bench
{
    explicit Bench(ServerConfig config = defaults()) : hub(config, [this] { return nowMs; }) { }

    static ServerConfig defaults()
    {
        ServerConfig c;
        c.tickRate = 0; // no tick messages between the test's own
        return c;
    }

    FakeHttpStream *stream() { return &streams.emplace_back(); }
    FakeWsChannel *channel(const QByteArray &target) { return &channels.emplace_back(target); }

    void publish(int count)
    {
        for (int i = 0; i < count; ++i)
            hub.publish({ QStringLiteral("ann"), QStringLiteral("m%1").arg(hub.log().lastId() + 1) });
    }

    qint64 nowMs = 1000;
    std::deque<FakeHttpStream> streams;
    std::deque<FakeWsChannel> channels;
    Hub hub;
};

using Headers = QList<std::pair<QByteArray, QByteArray>>;

HttpRequest get(const QByteArray &target, const Headers &headers = {})
{
    const QUrl url = QUrl::fromEncoded(target);
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.path = url.path(QUrl::FullyDecoded).toUtf8();
    r.query = QUrlQuery(url);
    r.headers = headers;
    return r;
}

QList<Message> decodeAll(const QList<QByteArray> &jsons)
{
    QList<Message> out;
    for (const QByteArray &json : jsons) {
        QString why;
        const std::optional<Message> m = MessageCodec::decode(json, &why);
        if (!m)
            qWarning() << "not a message:" << json << why;
        else
            out.append(*m);
    }
    return out;
}

// The messages of a poll's answer, and its cursor.
QList<Message> pollMessages(const FakeHttpStream &stream, quint64 *cursor = nullptr)
{
    if (!stream.response())
        return {};
    const QJsonObject o = QJsonDocument::fromJson(stream.response()->body).object();
    if (cursor)
        *cursor = quint64(o.value(QLatin1String("cursor")).toInteger());
    QList<QByteArray> jsons;
    for (const QJsonValue &v : o.value(QLatin1String("messages")).toArray())
        jsons.append(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return decodeAll(jsons);
}

QList<Message> sseMessages(const FakeHttpStream &stream)
{
    SseParser parser;
    parser.feed(stream.written());
    QList<QByteArray> jsons;
    for (const SseEvent &e : parser.takeEvents())
        jsons.append(e.data.toUtf8());
    return decodeAll(jsons);
}

// What a message list says, compactly: "reset(lost 2, after 3) 4 5 6".
QString describe(const QList<Message> &messages)
{
    QStringList parts;
    for (const Message &m : messages) {
        parts.append(m.type == MessageType::Reset ? QStringLiteral("reset(lost %1, after %2)").arg(m.lost).arg(m.cursor)
                                                  : QString::number(m.id));
    }
    return parts.join(u' ');
}

} // namespace

class tst_Hub : public QObject
{
    Q_OBJECT
private slots:
    void cleanup();
    void resume_data();
    void resume();
    void heldPollAnsweredOnPublish();
    void heldPollAnsweredEmptyAtDeadline_data();
    void heldPollAnsweredEmptyAtDeadline();
    void heldPollLeavesWhenItsClientGoes();
    void sseHeartbeatOnlyOnAQuietStream();
    void webSocketHeartbeatCutsADeadPeer();
    void pollAnswerIsCutByBytes_data();
    void pollAnswerIsCutByBytes();
    void slowReaderCutAtMaxPending_data();
    void slowReaderCutAtMaxPending();
    void replayWaitsForTheConnectionToDrain();
    void webSocketBadAfterIsClosedWithPolicyViolation();
    void headIsAnsweredAtOnceWithTheHeadAlone_data();
    void headIsAnsweredAtOnceWithTheHeadAlone();
    void badQueryIsRefused_data();
    void badQueryIsRefused();
    void webSocketHandshakeWithRepeatedFields_data();
    void webSocketHandshakeWithRepeatedFields();
};

// Finished sessions leave with deleteLater(); no event loop runs here, so let them go.
void tst_Hub::cleanup()
{
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

// The resume rule (docs/protocol.md, "Resume") on each transport: a history of 3 kept of 6
// messages (4, 5, 6), and a client that names an id and maybe an epoch.
void tst_Hub::resume_data()
{
    QTest::addColumn<QString>("transport");
    QTest::addColumn<qint64>("after");
    QTest::addColumn<QString>("epoch"); // "log": the log's own; "": none named
    QTest::addColumn<QString>("expected");

    struct Row
    {
        const char *name;
        qint64 after;
        const char *epoch;
        const char *expected;
    };
    const Row rows[] = {
        { "next message", 4, "log", "5 6" },
        { "the last kept but one", 5, "log", "6" },
        { "just before the history", 3, "log", "4 5 6" },
        { "gap: older than the history", 1, "log", "reset(lost 2, after 3) 4 5 6" },
        { "gap, no epoch named", 2, "", "reset(lost 1, after 3) 4 5 6" },
        { "unknown epoch", 5, "0123456789abcdef", "reset(lost -1, after 3) 4 5 6" },
        { "unknown id: ahead of the log", 99, "log", "reset(lost -1, after 3) 4 5 6" },
    };
    for (const char *transport : { "lp", "sse", "ws" }) {
        for (const Row &r : rows) {
            QTest::addRow("%s: %s", transport, r.name)
                    << QString::fromLatin1(transport) << r.after << QString::fromLatin1(r.epoch)
                    << QString::fromLatin1(r.expected);
        }
    }
}

void tst_Hub::resume()
{
    QFETCH(QString, transport);
    QFETCH(qint64, after);
    QFETCH(QString, epoch);
    QFETCH(QString, expected);

    ServerConfig config = Bench::defaults();
    config.historyCount = 3;
    Bench bench(config);
    bench.publish(6);
    QCOMPARE(bench.hub.log().firstId(), quint64(4));
    if (epoch == u"log")
        epoch = bench.hub.log().epoch();

    QList<Message> got;
    if (transport == u"lp") {
        QByteArray target = "/poll?after=" + QByteArray::number(after);
        if (!epoch.isEmpty())
            target += "&epoch=" + epoch.toLatin1();
        FakeHttpStream *stream = bench.stream();
        bench.hub.handleRequest(get(target), stream);
        QVERIFY2(stream->response(), "a poll with something to say is answered at once");
        QCOMPARE(stream->response()->status, 200);
        quint64 cursor = 0;
        got = pollMessages(*stream, &cursor);
        QCOMPARE(cursor, quint64(6));
    } else if (transport == u"sse") {
        const QString lastEventId =
                epoch.isEmpty() ? QString::number(after) : MessageCodec::eventId(epoch, quint64(after));
        FakeHttpStream *stream = bench.stream();
        bench.hub.handleRequest(get("/events", { { "last-event-id", lastEventId.toUtf8() } }), stream);
        QVERIFY(stream->streamHead());
        QVERIFY(!stream->response());
        got = sseMessages(*stream);
    } else {
        QByteArray target = "/ws?after=" + QByteArray::number(after);
        if (!epoch.isEmpty())
            target += "&epoch=" + epoch.toLatin1();
        FakeWsChannel *channel = bench.channel(target);
        bench.hub.openWebSocket(channel);
        QVERIFY(channel->closes().isEmpty());
        got = decodeAll(channel->texts());
        QCOMPARE(channel->frames(), channel->texts().size()); // the log's prepared frames
    }
    QCOMPARE(describe(got), expected);
    for (const Message &m : std::as_const(got))
        QCOMPARE(m.epoch, bench.hub.log().epoch());

    // Live from there: the next message follows on the streams.
    if (transport != u"lp") {
        bench.publish(1);
        const QList<Message> live =
                transport == u"sse" ? sseMessages(bench.streams.back()) : decodeAll(bench.channels.back().texts());
        QCOMPARE(describe(live), expected + QStringLiteral(" 7"));
    }
}

void tst_Hub::heldPollAnsweredOnPublish()
{
    Bench bench;
    bench.publish(2);
    FakeHttpStream *stream = bench.stream();
    bench.hub.handleRequest(get("/poll?after=2&epoch=" + bench.hub.log().epoch().toLatin1()), stream);
    QVERIFY2(!stream->response(), "nothing after 2 yet: held");
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).held, qint64(1));
    QCOMPARE(bench.hub.sessionCount(), 1);

    bench.publish(1);
    QVERIFY(stream->response());
    QCOMPARE(stream->response()->status, 200);
    quint64 cursor = 0;
    QCOMPARE(describe(pollMessages(*stream, &cursor)), QStringLiteral("3"));
    QCOMPARE(cursor, quint64(3));
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).held, qint64(0));
    QCOMPARE(bench.hub.stats().pollTimeouts, qint64(0));
    QCOMPARE(bench.hub.sessionCount(), 0);
}

// A held poll is answered 200 with no messages when its hold ends: the server's hold time, or
// the client's `timeout` when that is shorter — not a millisecond before.
void tst_Hub::heldPollAnsweredEmptyAtDeadline_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<qint64>("holdMs");
    QTest::newRow("the server's hold") << QByteArray() << qint64(25000);
    QTest::newRow("the client asks less") << QByteArray("&timeout=2.5") << qint64(2500);
    QTest::newRow("the client asks more") << QByteArray("&timeout=60") << qint64(25000);
    // Seconds too many to count in milliseconds: still the server's hold, never an overflow to
    // an immediate (or negative) deadline.
    QTest::newRow("the client asks 1e308 s") << QByteArray("&timeout=1e308") << qint64(25000);
    QTest::newRow("the client asks 1e16 s") << QByteArray("&timeout=1e16") << qint64(25000);
    QTest::newRow("the client asks 9223372036854775807 s")
            << QByteArray("&timeout=9223372036854775807") << qint64(25000);
    QTest::newRow("the client asks a fraction of a millisecond over 1 s")
            << QByteArray("&timeout=1.0004") << qint64(1000);
}

void tst_Hub::heldPollAnsweredEmptyAtDeadline()
{
    QFETCH(QByteArray, query);
    QFETCH(qint64, holdMs);

    Bench bench;
    bench.publish(2);
    const qint64 start = bench.nowMs;
    FakeHttpStream *stream = bench.stream();
    bench.hub.handleRequest(get("/poll?after=2" + query), stream);
    QVERIFY(!stream->response());

    bench.nowMs = start + holdMs - 1;
    bench.hub.firePollDeadlines();
    QVERIFY2(!stream->response(), "answered before its hold ended");

    bench.nowMs = start + holdMs;
    bench.hub.firePollDeadlines();
    QVERIFY2(stream->response(), "still held after its hold ended");
    QCOMPARE(stream->response()->status, 200);
    QVERIFY(!stream->response()->closeConnection);
    quint64 cursor = 0;
    QCOMPARE(describe(pollMessages(*stream, &cursor)), QString());
    QCOMPARE(cursor, quint64(2)); // the next poll goes on from where this one was
    QCOMPARE(bench.hub.stats().pollTimeouts, qint64(1));
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).held, qint64(0));
}

void tst_Hub::heldPollLeavesWhenItsClientGoes()
{
    Bench bench;
    FakeHttpStream *stream = bench.stream();
    bench.hub.handleRequest(get("/poll?after=0"), stream);
    QCOMPARE(bench.hub.sessionCount(), 1);
    stream->close();
    QCOMPARE(bench.hub.sessionCount(), 0);
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).held, qint64(0));
    // Its deadline left with it: nothing answers a stream that is gone.
    bench.nowMs += 25000;
    bench.hub.firePollDeadlines();
    QVERIFY(!stream->response());
    QCOMPARE(bench.hub.stats().pollTimeouts, qint64(0));
}

// A heartbeat comment goes only on a stream that has been quiet for half a heartbeat: a stream
// that carries data proves itself alive.
void tst_Hub::sseHeartbeatOnlyOnAQuietStream()
{
    Bench bench;
    const qint64 heartbeat = bench.hub.config().heartbeatMs;
    const QByteArray beat = SseEncoder::comment("hb");
    FakeHttpStream *stream = bench.stream();
    bench.hub.handleRequest(get("/events"), stream);
    QVERIFY(stream->streamHead());
    stream->clearWrites();
    const qint64 opened = bench.nowMs;

    bench.nowMs = opened + heartbeat / 2 - 1;
    bench.hub.sweepHeartbeats();
    QCOMPARE(stream->writes(), QByteArrayList());

    bench.nowMs = opened + heartbeat;
    bench.hub.sweepHeartbeats();
    QCOMPARE(stream->writes(), QByteArrayList { beat });

    bench.nowMs = opened + 2 * heartbeat;
    bench.hub.sweepHeartbeats();
    QCOMPARE(stream->writes(), QByteArrayList({ beat, beat }));

    // A message a moment ago: the next sweep has nothing to add.
    stream->clearWrites();
    bench.nowMs = opened + 3 * heartbeat - heartbeat / 4;
    bench.publish(1);
    bench.nowMs = opened + 3 * heartbeat;
    bench.hub.sweepHeartbeats();
    QCOMPARE(describe(sseMessages(*stream)), QStringLiteral("1"));
    QCOMPARE(stream->writes().size(), 1);
    QVERIFY(!stream->written().contains(beat));
}

// A WebSocket is pinged at every sweep; two pings unanswered and it is cut (no close handshake:
// nobody would answer it). Anything from the peer counts as an answer.
void tst_Hub::webSocketHeartbeatCutsADeadPeer()
{
    Bench bench;
    FakeWsChannel *channel = bench.channel("/ws");
    bench.hub.openWebSocket(channel);
    QCOMPARE(bench.hub.sessionCount(), 1);

    bench.hub.sweepHeartbeats();
    bench.hub.sweepHeartbeats();
    QCOMPARE(channel->pings(), 2);
    channel->receivePong();
    bench.hub.sweepHeartbeats();
    bench.hub.sweepHeartbeats();
    QCOMPARE(channel->pings(), 4);
    QVERIFY2(!channel->aborted(), "cut while its pings were being answered");

    bench.hub.sweepHeartbeats();
    QCOMPARE(channel->pings(), 4);
    QVERIFY(channel->aborted());
    QCOMPARE(bench.hub.stats().heartbeatTimeouts, qint64(1));
    QCOMPARE(bench.hub.sessionCount(), 0);
}

// A poll's answer carries the messages that fit in the room its connection has under
// --max-pending, at least one, and its cursor says where the next poll goes on.
void tst_Hub::pollAnswerIsCutByBytes_data()
{
    QTest::addColumn<qint64>("pending");
    QTest::newRow("nothing queued") << qint64(0);
    QTest::newRow("half the room taken") << qint64(500);
    QTest::newRow("no room left: still one") << qint64(1000);
    QTest::newRow("over the bound: still one") << qint64(5000);
}

void tst_Hub::pollAnswerIsCutByBytes()
{
    QFETCH(qint64, pending);
    ServerConfig config = Bench::defaults();
    config.maxPendingBytes = 1000;
    Bench bench(config);
    bench.publish(30);
    int fit = 0;
    for (qint64 bytes = 0; fit < 30; ++fit) {
        bytes += bench.hub.log().entry(quint64(fit) + 1)->json.size();
        if (fit > 0 && bytes > config.maxPendingBytes - pending)
            break;
    }
    QVERIFY(fit < 30); // the bound cuts this answer
    FakeHttpStream *stream = bench.stream();
    stream->setPendingBytes(pending);
    bench.hub.handleRequest(get("/poll?after=0&epoch=" + bench.hub.log().epoch().toLatin1()), stream);
    QVERIFY(stream->response());
    quint64 cursor = 0;
    const QList<Message> got = pollMessages(*stream, &cursor);
    QCOMPARE(got.size(), fit);
    QCOMPARE(got.constLast().id, quint64(fit));
    QCOMPARE(cursor, quint64(fit));
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).messages, qint64(fit));
}

// A live stream whose unsent bytes pass --max-pending is cut when the next message comes; at the
// bound exactly it is not.
void tst_Hub::slowReaderCutAtMaxPending_data()
{
    QTest::addColumn<QString>("transport");
    QTest::addColumn<qint64>("pending");
    QTest::addColumn<bool>("cut");
    for (const char *transport : { "sse", "ws" }) {
        QTest::addRow("%s: under the bound", transport) << QString::fromLatin1(transport) << qint64(999) << false;
        QTest::addRow("%s: at the bound", transport) << QString::fromLatin1(transport) << qint64(1000) << false;
        QTest::addRow("%s: past the bound", transport) << QString::fromLatin1(transport) << qint64(1001) << true;
    }
}

void tst_Hub::slowReaderCutAtMaxPending()
{
    QFETCH(QString, transport);
    QFETCH(qint64, pending);
    QFETCH(bool, cut);

    ServerConfig config = Bench::defaults();
    config.maxPendingBytes = 1000;
    Bench bench(config);
    FakeHttpStream *stream = nullptr;
    FakeWsChannel *channel = nullptr;
    if (transport == u"sse") {
        stream = bench.stream();
        bench.hub.handleRequest(get("/events"), stream);
        stream->setPendingBytes(pending);
    } else {
        channel = bench.channel("/ws");
        bench.hub.openWebSocket(channel);
        channel->setPendingBytes(pending);
    }
    QCOMPARE(bench.hub.sessionCount(), 1);

    bench.publish(1);
    QCOMPARE(stream ? stream->aborted() : channel->aborted(), cut);
    QCOMPARE(bench.hub.stats().slowReadersCut, qint64(cut ? 1 : 0));
    QCOMPARE(bench.hub.sessionCount(), cut ? 0 : 1);
    if (stream)
        QVERIFY(!stream->ended()); // cut, not ended politely
}

// A resume replays as the connection drains: while the unsent bytes stay above a quarter of the
// bound it waits (and is not cut: it is not live yet); each drain lets it go on.
void tst_Hub::replayWaitsForTheConnectionToDrain()
{
    ServerConfig config = Bench::defaults();
    config.maxPendingBytes = 1000; // so the replay pauses at 250 unsent bytes
    Bench bench(config);
    bench.publish(5);
    FakeHttpStream *stream = bench.stream();
    stream->setPendingBytes(250);
    bench.hub.handleRequest(get("/events?lastEventId=" + QByteArray::number(0)), stream);
    QCOMPARE(describe(sseMessages(*stream)), QString());
    QVERIFY(!stream->aborted());

    stream->drain();
    QCOMPARE(describe(sseMessages(*stream)), QStringLiteral("1 2 3 4 5"));
    QVERIFY(!stream->aborted());
}

void tst_Hub::webSocketBadAfterIsClosedWithPolicyViolation()
{
    Bench bench;
    FakeWsChannel *channel = bench.channel("/ws?after=abc");
    bench.hub.openWebSocket(channel);
    QCOMPARE(channel->closes().size(), 1);
    QCOMPARE(channel->closes().first().code, quint16(1008));
    QCOMPARE(bench.hub.sessionCount(), 0);
    QCOMPARE(bench.hub.stats().badRequests, qint64(1));
}

// HEAD is GET without the body (RFC 9110 §9.3.2), on every resource: a poll GET would hold and
// a stream GET would begin are answered at once with their head, nothing held, nothing streamed.
void tst_Hub::headIsAnsweredAtOnceWithTheHeadAlone_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<bool>("streamed");

    const QByteArray json = "application/json";
    QTest::newRow("/poll at the live end, which GET holds") << QByteArray("/poll?after=2") << 200 << json << false;
    QTest::newRow("/poll with messages") << QByteArray("/poll?after=0") << 200 << json << false;
    QTest::newRow("/poll with no id") << QByteArray("/poll") << 200 << json << false;
    QTest::newRow("/poll, bad after") << QByteArray("/poll?after=x") << 400 << json << false;
    QTest::newRow("/events") << QByteArray("/events") << 200 << QByteArray("text/event-stream") << true;
    QTest::newRow("/events resuming") << QByteArray("/events?lastEventId=1") << 200 << QByteArray("text/event-stream")
                                      << true;
    QTest::newRow("/events, bad Last-Event-ID") << QByteArray("/events?lastEventId=x:y") << 400 << json << false;
    QTest::newRow("/stats") << QByteArray("/stats") << 200 << json << false;
    QTest::newRow("/healthz") << QByteArray("/healthz") << 200 << json << false;
    QTest::newRow("/ws without an upgrade") << QByteArray("/ws") << 426 << json << false;
    QTest::newRow("/") << QByteArray("/") << 200 << QByteArray("text/html; charset=utf-8") << false;
    QTest::newRow("/send") << QByteArray("/send") << 405 << json << false;
    QTest::newRow("unknown") << QByteArray("/nope") << 404 << json << false;
}

void tst_Hub::headIsAnsweredAtOnceWithTheHeadAlone()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QByteArray, contentType);
    QFETCH(bool, streamed);

    Bench bench;
    bench.publish(2);
    FakeHttpStream *stream = bench.stream();
    HttpRequest head = get(target);
    head.method = "HEAD";
    bench.hub.handleRequest(head, stream);
    QVERIFY2(stream->response(), "no answer at once");
    QVERIFY2(!stream->streamHead(), "a stream began");
    QVERIFY(stream->writes().isEmpty());
    QCOMPARE(stream->response()->status, status);
    QVERIFY(stream->response()->omitBody);
    QCOMPARE(stream->response()->streamed, streamed);
    QCOMPARE(stream->response()->headers.contains({ "Content-Type", contentType }), true);
    QCOMPARE(bench.hub.sessionCount(), 0);
    QCOMPARE(bench.hub.stats().at(TransportKind::LongPoll).held, qint64(0));
    QCOMPARE(bench.hub.stats().at(TransportKind::Sse).connections, qint64(0));
    // The head of the answer GET gives, where that is known at once: the same length.
    if (!streamed && !target.startsWith("/poll?after=2") && target != "/stats") {
        FakeHttpStream *getStream = bench.stream();
        bench.hub.handleRequest(get(target), getStream);
        QVERIFY(getStream->response());
        QCOMPARE(stream->response()->status, getStream->response()->status);
        QCOMPARE(stream->response()->headers, getStream->response()->headers);
        QCOMPARE(stream->response()->body.size(), getStream->response()->body.size());
    }
}

// Every numeric query parameter is read strictly: a malformed value is refused with its reason,
// never read as 0 or as something else; one named twice is refused (which would count?).
void tst_Hub::badQueryIsRefused_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("why"); // a part of the reason

    QTest::newRow("timeout NaN") << QByteArray("/poll?after=2&timeout=nan") << QStringLiteral("timeout");
    QTest::newRow("timeout infinite") << QByteArray("/poll?after=2&timeout=inf") << QStringLiteral("timeout");
    QTest::newRow("timeout 1e999") << QByteArray("/poll?after=2&timeout=1e999") << QStringLiteral("timeout");
    QTest::newRow("timeout negative") << QByteArray("/poll?after=2&timeout=-1") << QStringLiteral("timeout");
    QTest::newRow("timeout empty") << QByteArray("/poll?after=2&timeout=") << QStringLiteral("timeout");
    QTest::newRow("timeout with a space") << QByteArray("/poll?after=2&timeout=%205") << QStringLiteral("timeout");
    QTest::newRow("timeout with a unit") << QByteArray("/poll?after=2&timeout=5s") << QStringLiteral("timeout");
    QTest::newRow("timeout hexadecimal") << QByteArray("/poll?after=2&timeout=0x10") << QStringLiteral("timeout");
    QTest::newRow("timeout twice") << QByteArray("/poll?after=2&timeout=1&timeout=0") << QStringLiteral("timeout");
    QTest::newRow("after negative") << QByteArray("/poll?after=-1") << QStringLiteral("after");
    QTest::newRow("after with a plus") << QByteArray("/poll?after=%2B1") << QStringLiteral("after");
    QTest::newRow("after with a space") << QByteArray("/poll?after=1%20") << QStringLiteral("after");
    QTest::newRow("after empty") << QByteArray("/poll?after=") << QStringLiteral("after");
    QTest::newRow("after over 2^64") << QByteArray("/poll?after=18446744073709551616") << QStringLiteral("after");
    QTest::newRow("after fractional") << QByteArray("/poll?after=1.5") << QStringLiteral("after");
    QTest::newRow("after twice") << QByteArray("/poll?after=1&after=2") << QStringLiteral("after");
    QTest::newRow("epoch twice") << QByteArray("/poll?after=1&epoch=a&epoch=b") << QStringLiteral("epoch");
    QTest::newRow("mode twice") << QByteArray("/poll?mode=short&mode=long") << QStringLiteral("mode");
    QTest::newRow("lastEventId negative") << QByteArray("/events?lastEventId=e:-1") << QStringLiteral("Last-Event-ID");
    QTest::newRow("lastEventId with a plus")
            << QByteArray("/events?lastEventId=%2B3") << QStringLiteral("Last-Event-ID");
    QTest::newRow("lastEventId over 2^64")
            << QByteArray("/events?lastEventId=e:18446744073709551616") << QStringLiteral("Last-Event-ID");
    QTest::newRow("lastEventId twice") << QByteArray("/events?lastEventId=1&lastEventId=2")
                                       << QStringLiteral("lastEventId");
}

void tst_Hub::badQueryIsRefused()
{
    QFETCH(QByteArray, target);
    QFETCH(QString, why);

    Bench bench;
    bench.publish(2);
    FakeHttpStream *stream = bench.stream();
    bench.hub.handleRequest(get(target), stream);
    QVERIFY2(stream->response(), "held or streamed instead of refused");
    QCOMPARE(stream->response()->status, 400);
    const QString error = QJsonDocument::fromJson(stream->response()->body).object().value(u"error").toString();
    QVERIFY2(error.contains(why), qPrintable(error));
    QCOMPARE(bench.hub.sessionCount(), 0);
    QCOMPARE(bench.hub.stats().badRequests, qint64(1));

    // The WebSocket reads the same query the same way: a close with the reason.
    if (target.startsWith("/poll")) {
        FakeWsChannel *channel = bench.channel("/ws" + target.mid(5));
        bench.hub.openWebSocket(channel);
        if (!target.contains("timeout") && !target.contains("mode")) {
            QCOMPARE(channel->closes().size(), 1);
            QCOMPARE(channel->closes().first().code, quint16(1008));
            QVERIFY2(channel->closes().first().reason.contains(why), qPrintable(channel->closes().first().reason));
        }
    }
}

// A handshake field that says one thing, sent twice, is a handshake nobody can read one way
// (RFC 6455 §4.2.1: "a |Sec-WebSocket-Key| header field", "a |Sec-WebSocket-Version| header field").
void tst_Hub::webSocketHandshakeWithRepeatedFields_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    const std::pair<QByteArray, QByteArray> key { "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==" };
    const std::pair<QByteArray, QByteArray> otherKey { "sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA==" };
    const std::pair<QByteArray, QByteArray> version { "sec-websocket-version", "13" };
    const std::pair<QByteArray, QByteArray> upgrade { "upgrade", "websocket" };
    const std::pair<QByteArray, QByteArray> connection { "connection", "Upgrade" };
    QTest::newRow("one of each") << Headers { upgrade, connection, key, version } << 0;
    QTest::newRow("two keys") << Headers { upgrade, connection, key, otherKey, version } << 400;
    QTest::newRow("the same key twice") << Headers { upgrade, connection, key, key, version } << 400;
    QTest::newRow("two versions") << Headers { upgrade, connection, key, version, version } << 400;
    QTest::newRow("versions 8 and 13") << Headers {
        upgrade, connection, key, { "sec-websocket-version", "8" }, version
    } << 400;
}

void tst_Hub::webSocketHandshakeWithRepeatedFields()
{
    QFETCH(Headers, headers);
    QFETCH(int, status);
    Bench bench;
    const auto refusal = bench.hub.refuseWebSocket(get("/ws", headers));
    QCOMPARE(refusal ? refusal->status : 0, status);
    if (refusal)
        QVERIFY(refusal->closeConnection);
}

QTEST_GUILESS_MAIN(tst_Hub)
#include "tst_hub.moc"
