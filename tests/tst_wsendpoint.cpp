// SPDX-License-Identifier: MIT
// WsEndpoint: the server's end of a WebSocket, without a socket. The close sequence (ours, the
// peer's, a failure's), the close reason cut on a character, frames read at every split, and the
// log's pre-built frames sent as the same bytes.

#include "hub.h"
#include "wsendpoint.h"

#include <QTest>

using namespace rtlab;

namespace {

// The bytes the endpoint wrote, and what it asked of the connection.
class FakeWire : public WsEndpoint::Wire
{
public:
    void writeFrame(const QByteArray &frame) override { written.append(frame); }
    void closeAfterWrite() override { ++closes; }
    void abortConnection() override { ++aborts; }
    qint64 pendingBytes() const override { return pending; }
    QByteArray peerAddress() const override { return "127.0.0.1:1"; }

    // What a client reads of it.
    QList<WsFrame> frames() const
    {
        WsFrameParser client(WsFrameParser::Role::Client);
        for (const QByteArray &bytes : written)
            client.feed(bytes);
        QList<WsFrame> out;
        while (std::optional<WsFrame> f = client.next())
            out.append(*f);
        if (client.error() != WsFrameParser::Error::None)
            qWarning("the client fails the connection: %s", qPrintable(client.errorString()));
        return client.error() == WsFrameParser::Error::None ? out : QList<WsFrame> {};
    }

    QList<QByteArray> written;
    int closes = 0;
    int aborts = 0;
    qint64 pending = 0; // what the test says is still unsent
};

class Observer : public WsChannel::Observer
{
public:
    void channelTextReceived(const QByteArray &utf8) override { texts.append(utf8); }
    void channelBinaryReceived() override { ++binaries; }
    void channelPongReceived() override { ++pongs; }
    void channelClosed() override { ++closed; }

    QList<QByteArray> texts;
    int binaries = 0;
    int pongs = 0;
    int closed = 0;
};

QByteArray clientFrame(quint8 opcode, const QByteArray &payload, bool fin = true)
{
    return WsFrameParser::encodeFrame(opcode, payload, fin, "\x01\x02\x03\x04");
}

} // namespace

class tst_WsEndpoint : public QObject
{
    Q_OBJECT
private slots:
    void closeReasonIsCutOnACharacter_data();
    void closeReasonIsCutOnACharacter();
    void ourCloseWaitsForThePeers();
    void peerCloseIsEchoed_data();
    void peerCloseIsEchoed();
    void violationFailsTheConnection();
    void framesAtEverySplit();
    void pingGetsPong();
    void pongsPastTheBoundCutTheSlowReader();
    void logFrameIsSentAsTheSameBytes();

private:
    Hub m_hub { ServerConfig {} };
};

void tst_WsEndpoint::closeReasonIsCutOnACharacter_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("sent");
    const QString e(QChar(0xe9)); // é: 2 bytes in UTF-8
    QTest::newRow("ASCII, 200 characters") << QString(200, u'x') << QString(123, u'x');
    // 123 bytes would end inside the 62nd é: 61 of them (122 bytes) go.
    QTest::newRow("2-byte characters, 100 of them") << e.repeated(100) << e.repeated(61);
    const QString clef = QString::fromUtf8("\xf0\x9d\x84\x9e"); // 𝄞: 4 bytes
    QTest::newRow("4-byte characters, 40 of them") << clef.repeated(40) << clef.repeated(30);
    QTest::newRow("short, kept whole") << QStringLiteral("bye ") + e << QStringLiteral("bye ") + e;
}

// RFC 6455 §5.5: a control frame carries at most 125 bytes, so a reason at most 123; and §5.5.1,
// §8.1: the reason is UTF-8, which a byte cut inside a character breaks (the peer fails the
// connection). One cut for every close the server sends.
void tst_WsEndpoint::closeReasonIsCutOnACharacter()
{
    QFETCH(QString, reason);
    QFETCH(QString, sent);
    FakeWire wire;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    endpoint.close(4000, reason);
    const QList<WsFrame> frames = wire.frames();
    QCOMPARE(frames.size(), 1);
    QCOMPARE(int(frames[0].opcode), int(WsFrameParser::Close));
    QVERIFY(frames[0].payload.size() <= 125);
    QCOMPARE(frames[0].closeCode(), 4000);
    QCOMPARE(frames[0].closeReason(), sent);
}

// §7.1.2: after our close frame, the connection ends when the peer's arrives (or, unanswered,
// when the core's sweep finds the handshake expired); nothing else is sent or delivered meanwhile.
void tst_WsEndpoint::ourCloseWaitsForThePeers()
{
    FakeWire wire;
    Observer observer;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    endpoint.setObserver(&observer);
    QVERIFY(!endpoint.closeHandshakeExpired(m_hub.nowMs()));
    endpoint.close(1001, QStringLiteral("server shutting down"));
    QCOMPARE(wire.written.size(), 1);
    QCOMPARE(wire.closes, 0);
    QVERIFY(!endpoint.closeHandshakeExpired(m_hub.nowMs()));
    QVERIFY(endpoint.closeHandshakeExpired(m_hub.nowMs() + WsEndpoint::CloseHandshakeMs + 1));
    endpoint.sendText("{}");
    endpoint.ping();
    endpoint.feed(clientFrame(WsFrameParser::Text, "{\"text\":\"late\"}"));
    QCOMPARE(wire.written.size(), 1);
    QVERIFY(observer.texts.isEmpty());
    endpoint.feed(clientFrame(WsFrameParser::Close, WsFrameParser::closePayload(1001)));
    QCOMPARE(wire.written.size(), 1); // not a second close frame
    QCOMPARE(wire.closes, 1);
    QCOMPARE(observer.closed, 0); // close() let the session go already
}

void tst_WsEndpoint::peerCloseIsEchoed_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("echoed"); // -1: a close frame with no code
    QTest::newRow("1000 with a reason") << WsFrameParser::closePayload(1000, QStringLiteral("bye")) << 1000;
    QTest::newRow("4999") << WsFrameParser::closePayload(4999) << 4999;
    // §7.4.1: 1005 (no code) is never sent itself.
    QTest::newRow("no code") << QByteArray() << -1;
}

// §5.5.1: the peer's close is answered with a close frame echoing its code, then the server
// closes the TCP connection (§7.1.1), and the session hears the channel closed.
void tst_WsEndpoint::peerCloseIsEchoed()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, echoed);
    FakeWire wire;
    Observer observer;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    endpoint.setObserver(&observer);
    endpoint.feed(clientFrame(WsFrameParser::Close, payload));
    const QList<WsFrame> frames = wire.frames();
    QCOMPARE(frames.size(), 1);
    QCOMPARE(int(frames[0].opcode), int(WsFrameParser::Close));
    if (echoed < 0)
        QCOMPARE(frames[0].payload, QByteArray());
    else
        QCOMPARE(frames[0].payload, WsFrameParser::closePayload(echoed));
    QCOMPARE(wire.closes, 1);
    QCOMPARE(observer.closed, 1);
    // Whatever follows is not read.
    endpoint.feed(clientFrame(WsFrameParser::Ping, "after"));
    QCOMPARE(wire.written.size(), 1);
}

// §7.1.7: a violation fails the connection with the parser's code; the session hears it closed.
void tst_WsEndpoint::violationFailsTheConnection()
{
    FakeWire wire;
    Observer observer;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    endpoint.setObserver(&observer);
    endpoint.feed(WsFrameParser::encodeFrame(WsFrameParser::Text, "unmasked"));
    const QList<WsFrame> frames = wire.frames();
    QCOMPARE(frames.size(), 1);
    QCOMPARE(frames[0].closeCode(), int(WsFrameParser::CloseProtocolError));
    QCOMPARE(wire.closes, 1);
    QCOMPARE(observer.closed, 1);
    QVERIFY(observer.texts.isEmpty());
}

// A fragmented text message with a ping between its frames, fed cut at every point: one message.
void tst_WsEndpoint::framesAtEverySplit()
{
    const QByteArray wire = clientFrame(WsFrameParser::Text, "{\"text\":", false)
            + clientFrame(WsFrameParser::Ping, "p") + clientFrame(WsFrameParser::Continuation, "\"h\xc3\xa9\"}");
    for (qsizetype cut = 0; cut <= wire.size(); ++cut) {
        FakeWire out;
        Observer observer;
        WsEndpoint endpoint(&m_hub, &out, "/ws");
        endpoint.setObserver(&observer);
        endpoint.feed(QByteArrayView(wire).first(cut));
        endpoint.feed(QByteArrayView(wire).sliced(cut));
        QVERIFY2(observer.texts == QList<QByteArray> { "{\"text\":\"h\xc3\xa9\"}" },
                 qPrintable(QStringLiteral("cut at %1").arg(cut)));
        QCOMPARE(out.frames().size(), 1); // the pong
        QCOMPARE(out.closes, 0);
    }
}

void tst_WsEndpoint::pingGetsPong()
{
    FakeWire wire;
    Observer observer;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    endpoint.setObserver(&observer);
    endpoint.feed(clientFrame(WsFrameParser::Ping, "hello") + clientFrame(WsFrameParser::Pong, ""));
    const QList<WsFrame> frames = wire.frames();
    QCOMPARE(frames.size(), 1);
    QCOMPARE(int(frames[0].opcode), int(WsFrameParser::Pong));
    QCOMPARE(frames[0].payload, QByteArray("hello"));
    QCOMPARE(observer.pongs, 1);
}

// A peer that pings and never reads: our pongs count against --max-pending like any output, and
// past it the connection is cut as a slow reader (the session hears it closed), not only when a
// message is next pumped.
void tst_WsEndpoint::pongsPastTheBoundCutTheSlowReader()
{
    ServerConfig config;
    config.maxPendingBytes = 1000;
    Hub hub(config);
    FakeWire wire;
    Observer observer;
    WsEndpoint endpoint(&hub, &wire, "/ws");
    endpoint.setObserver(&observer);
    wire.pending = 1000; // at the bound: not yet
    endpoint.feed(clientFrame(WsFrameParser::Ping, "a"));
    QCOMPARE(wire.aborts, 0);
    wire.pending = 1001;
    endpoint.feed(clientFrame(WsFrameParser::Ping, "b"));
    QCOMPARE(wire.aborts, 1);
    QCOMPARE(observer.closed, 1);
    QCOMPARE(hub.stats().slowReadersCut, 1);
    endpoint.feed(clientFrame(WsFrameParser::Ping, "c")); // the end: nothing more read or sent
    QCOMPARE(wire.frames().size(), 2);
    QCOMPARE(wire.aborts, 1);
}

// The hot path: a log entry's frame, built once, is queued as those bytes (shared, not copied).
void tst_WsEndpoint::logFrameIsSentAsTheSameBytes()
{
    FakeWire wire;
    WsEndpoint endpoint(&m_hub, &wire, "/ws");
    const QByteArray json = "{\"id\":1}";
    const QByteArray frame = WsFrameParser::encodeFrame(WsFrameParser::Text, json);
    endpoint.sendTextFrame(json, frame);
    QCOMPARE(wire.written.size(), 1);
    QCOMPARE(wire.written[0].constData(), frame.constData());
}

QTEST_GUILESS_MAIN(tst_WsEndpoint)
#include "tst_wsendpoint.moc"
