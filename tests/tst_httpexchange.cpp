// SPDX-License-Identifier: MIT
// HttpExchange's rules for slow clients, without a socket and on a clock the test moves: the head
// and body deadlines (408 and close), what "idle" means, the keep-alive sweep, and the output
// bound that stops a connection reading until it drains.

#include "httpexchange.h"
#include "hub.h"

#include <QTest>

using namespace rtlab;

namespace {

// The connection beneath the exchange: what was written and asked, and a backlog the test sets.
class FakeWire : public HttpExchange::Wire
{
public:
    bool isOpen() const override { return !aborted; }
    void writeBytes(const QByteArray &bytes) override { written += bytes; }
    void closeAfterWrite() override { ++closes; }
    void abortConnection() override { aborted = true; }
    void readNext() override { ++readNexts; }
    qint64 pendingBytes() const override { return pending; }
    bool hasUnreadInput() const override { return unreadInput; }
    QByteArray peerAddress() const override { return "127.0.0.1:1"; }

    int status() const { return written.startsWith("HTTP/1.1 ") ? written.mid(9, 3).toInt() : 0; }

    QByteArray written;
    int closes = 0;
    int readNexts = 0;
    bool aborted = false;
    qint64 pending = 0;
    bool unreadInput = false;
};

// A hub on a clock the test moves, and one exchange on a fake wire with its parser.
struct Bench
{
    explicit Bench(ServerConfig config = defaults())
        : hub(config, [this] { return nowMs; }), exchange(&hub, &wire),
          parser({ config.maxHeadBytes, config.maxBodyBytes })
    {
    }
    ~Bench()
    {
        // As a core does when the connection goes: a held poll lets go of the exchange first.
        if (HttpStream::Observer *observer = exchange.closed())
            observer->streamClosed();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    static ServerConfig defaults()
    {
        ServerConfig c;
        c.tickRate = 0;
        c.headTimeoutMs = 10000;
        c.bodyTimeoutMs = 10000;
        return c;
    }
    // Bytes from the client, as a core hands them on: parsed, then dispatched once complete.
    void receive(const QByteArray &bytes)
    {
        exchange.touch();
        parser.feed(bytes);
        exchange.requestBytesArrived(parser);
        if (parser.state() == HttpRequestParser::State::Complete)
            exchange.dispatch(parser.takeRequest());
    }
    void sweep() { exchange.sweep(nowMs, IdleMs); }

    static constexpr qint64 IdleMs = 60000;
    qint64 nowMs = 1000;
    Hub hub;
    FakeWire wire;
    HttpExchange exchange;
    HttpRequestParser parser;
};

} // namespace

class tst_HttpExchange : public QObject
{
    Q_OBJECT
private slots:
    void headDeadlineRunsFromTheFirstByte();
    void bodyDeadlineGrowsWithTheBody_data();
    void bodyDeadlineGrowsWithTheBody();
    void idleMeansNothingInFlight();
    void keepAliveSweepClosesOnlyIdleConnections();
    void answersNobodyReadsAreCut();
    void outputOverTheBoundStopsReading();
};

// Slowloris: every byte restarts the keep-alive clock, but the head deadline counts from the first.
void tst_HttpExchange::headDeadlineRunsFromTheFirstByte()
{
    Bench b;
    b.sweep();
    QCOMPARE(b.wire.status(), 0); // no byte yet: only the keep-alive timeout applies
    const QByteArray head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaa";
    for (char c : head) {
        b.receive(QByteArray(1, c));
        b.nowMs += 200; // 44 bytes: under 9 s
        b.sweep();
    }
    QCOMPARE(b.wire.status(), 0);
    b.nowMs = 1000 + 10000; // the deadline itself: still in time
    b.sweep();
    QCOMPARE(b.wire.status(), 0);
    b.nowMs += 1;
    b.sweep();
    QCOMPARE(b.wire.status(), 408);
    QVERIFY(b.wire.written.contains("\r\nConnection: close\r\n"));
    QCOMPARE(b.wire.closes, 1);
    QCOMPARE(b.hub.stats().requestTimeouts, 1);
    QCOMPARE(b.exchange.state(), HttpExchange::State::Closing);
}

void tst_HttpExchange::bodyDeadlineGrowsWithTheBody_data()
{
    QTest::addColumn<qint64>("length");
    QTest::addColumn<qint64>("allowedMs"); // from the end of the head
    QTest::newRow("10 bytes") << qint64(10) << qint64(10000);
    QTest::newRow("32 KiB: half a second more") << qint64(32 * 1024) << qint64(10500);
    QTest::newRow("64 KiB: one second more") << qint64(64 * 1024) << qint64(11000);
}

void tst_HttpExchange::bodyDeadlineGrowsWithTheBody()
{
    QFETCH(qint64, length);
    QFETCH(qint64, allowedMs);
    Bench b;
    b.receive("POST /send HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
              + QByteArray::number(length) + "\r\n");
    b.nowMs += 9000; // the head took 9 s: in time
    b.receive("\r\n{");
    const qint64 headEnd = b.nowMs;
    b.nowMs = headEnd + allowedMs;
    b.receive("\"");
    b.sweep();
    QCOMPARE(b.wire.status(), 0);
    b.nowMs += 1;
    b.sweep();
    QCOMPARE(b.wire.status(), 408);
    QCOMPARE(b.hub.stats().requestTimeouts, 1);
}

// Idle: no request in flight (nor a byte of the next one), no stream, no held poll.
void tst_HttpExchange::idleMeansNothingInFlight()
{
    Bench b;
    QVERIFY(b.exchange.isIdle());
    b.receive("GET /poll?after=0&timeout=0 HTTP/1.1\r\n");
    QVERIFY(!b.exchange.isIdle()); // a head begun
    b.receive("Host: localhost\r\n\r\n");
    QCOMPARE(b.wire.status(), 200);
    QVERIFY(b.exchange.isIdle()); // answered
    b.wire.unreadInput = true;
    QVERIFY(!b.exchange.isIdle()); // a pipelined request waits
    b.wire.unreadInput = false;
    b.receive("GET /poll?after=0 HTTP/1.1\r\nHost: localhost\r\n\r\n"); // held
    QCOMPARE(b.exchange.state(), HttpExchange::State::Dispatched);
    QVERIFY(!b.exchange.isIdle());
}

void tst_HttpExchange::keepAliveSweepClosesOnlyIdleConnections()
{
    Bench b;
    b.receive("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    b.nowMs += Bench::IdleMs;
    b.sweep();
    QCOMPARE(b.wire.closes, 0);
    b.nowMs += 1;
    b.sweep();
    QCOMPARE(b.wire.closes, 1);
    QCOMPARE(b.wire.status(), 200); // nothing more written: a close between requests is silent

    // A held poll is not idle, however long it waits.
    Bench held;
    held.receive("GET /poll?after=0 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    held.nowMs += 10 * Bench::IdleMs;
    held.sweep();
    QCOMPARE(held.wire.closes, 0);
    QVERIFY(!held.wire.aborted);
}

// An answer nobody has read for the keep-alive time (nginx's send_timeout) is cut, as is a last
// answer still on its way after the close was asked.
void tst_HttpExchange::answersNobodyReadsAreCut()
{
    Bench b;
    b.receive("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    b.wire.pending = 100;
    b.nowMs += Bench::IdleMs + 1;
    b.sweep();
    QVERIFY(b.wire.aborted);
    QCOMPARE(b.wire.closes, 0);

    // Output that moves keeps the connection: drained() is activity.
    Bench moving;
    moving.receive("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    moving.wire.pending = 100;
    moving.nowMs += Bench::IdleMs;
    moving.wire.pending = 50;
    moving.exchange.drained();
    moving.nowMs += Bench::IdleMs;
    moving.sweep();
    QVERIFY(!moving.wire.aborted);
}

// Unsent output over the bound (--max-pending): no more reading or dispatching until it drains;
// each pause is counted once.
void tst_HttpExchange::outputOverTheBoundStopsReading()
{
    ServerConfig config = Bench::defaults();
    config.maxPendingBytes = 1000;
    Bench b(config);
    b.wire.pending = 1000; // at the bound: still reading
    QVERIFY(b.exchange.mayRead());
    b.wire.pending = 1001;
    QVERIFY(!b.exchange.mayRead());
    QVERIFY(!b.exchange.mayRead());
    QCOMPARE(b.hub.stats().readPauses, 1);
    b.wire.pending = 1001;
    b.exchange.drained(); // some left, but not enough
    QCOMPARE(b.wire.readNexts, 0);
    b.wire.pending = 1000;
    b.exchange.drained();
    QCOMPARE(b.wire.readNexts, 1); // the core reads again
    QVERIFY(b.exchange.mayRead());
    b.exchange.drained();
    QCOMPARE(b.wire.readNexts, 1);
    b.wire.pending = 5000;
    QVERIFY(!b.exchange.mayRead());
    QCOMPARE(b.hub.stats().readPauses, 2);
}

QTEST_MAIN(tst_HttpExchange)
#include "tst_httpexchange.moc"
