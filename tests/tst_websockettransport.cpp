// SPDX-License-Identifier: MIT
// WebSocketTransport against a scripted peer on 127.0.0.1: what RFC 6455 asks of a client when
// the server closes, pings, breaks a rule, answers the upgrade wrongly or refuses it, and when the
// client closes to a server that never answers. The peer reads the client's frames with
// WsFrameParser in its server role, so every frame the client sends must be masked.
#include "clientsupport.h"
#include "testsupport.h"

#include "clienttransport.h"
#include "websockettransport.h"
#include "wsframeparser.h"
#include "wshandshake.h"

#include <QPointer>
#include <QTcpServer>
#include <QThread>

#include <atomic>

using namespace rtlab;
using namespace rtlab::test;

namespace {

// A WebSocket server of one connection that does what the test says.
class Peer : public QObject
{
public:
    Peer()
    {
        listener.listen(QHostAddress::LocalHost, 0);
        connect(&listener, &QTcpServer::newConnection, this, [this] {
            socket = listener.nextPendingConnection();
            connect(socket, &QTcpSocket::readyRead, this, [this] { onRead(); });
            connect(socket, &QTcpSocket::disconnected, this, [this] { disconnected = true; });
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(listener.serverPort())); }
    void send(const QByteArray &bytes)
    {
        socket->write(bytes);
        socket->flush();
    }
    // The answer to the upgrade, given the client's key: by default the right 101.
    std::function<QByteArray(const QByteArray &key)> answer = [](const QByteArray &key) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + WsHandshake::acceptFor(key) + "\r\n\r\n";
    };
    bool echoClose = true;

    QTcpServer listener;
    QPointer<QTcpSocket> socket;
    QByteArray head;
    bool upgraded = false;
    bool disconnected = false;
    WsFrameParser parser { WsFrameParser::Role::Server };
    QList<WsFrame> frames;

    const WsFrame *frame(quint8 opcode) const
    {
        for (const WsFrame &f : frames)
            if (f.opcode == opcode)
                return &f;
        return nullptr;
    }

private:
    void onRead()
    {
        QByteArray bytes = socket->readAll();
        if (!upgraded) {
            head += bytes;
            const qsizetype end = head.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            bytes = head.mid(end + 4);
            head.truncate(end + 4);
            const qsizetype keyAt = head.indexOf("Sec-WebSocket-Key: ") + 19;
            upgraded = true;
            send(answer(head.mid(keyAt, 24)));
        }
        parser.feed(bytes);
        while (const std::optional<WsFrame> f = parser.next()) {
            frames.append(*f);
            if (f->opcode == WsFrameParser::Close && echoClose) {
                send(WsFrameParser::encodeFrame(WsFrameParser::Close, f->payload.left(2)));
                socket->disconnectFromHost();
            }
        }
    }
};

// A WebSocket transport to the peer that neither reconnects nor pings on its own.
ClientTransport *createTransport(const Peer &peer)
{
    ClientTransport::Options o;
    o.server = peer.url();
    o.policy = ReconnectPolicy::none();
    o.heartbeatMs = 60000;
    return ClientTransport::create(TransportKind::WebSocket, o);
}

struct Client
{
    explicit Client(const Peer &peer)
    {
        t.reset(createTransport(peer));
        QObject::connect(t.get(), &ClientTransport::eventOccurred, t.get(),
                         [this](const ConnectionEvent &e) { events.append(e); });
        QObject::connect(t.get(), &ClientTransport::messageReceived, t.get(),
                         [this](const Message &m) { messages.append(m); });
        t->start();
    }
    bool waitOpen()
    {
        return QTest::qWaitFor([&] { return t->state() == ClientTransport::State::Open; }, WaitMs);
    }
    std::optional<ConnectionEvent> closed() const
    {
        for (const ConnectionEvent &e : events)
            if (e.type == ConnectionEvent::Type::Closed)
                return e;
        return std::nullopt;
    }
    bool waitClosed()
    {
        return QTest::qWaitFor([&] { return closed().has_value(); }, WaitMs);
    }
    std::unique_ptr<ClientTransport> t;
    QList<ConnectionEvent> events;
    QList<Message> messages;
};

} // namespace

class tst_WebSocketTransport : public QObject
{
    Q_OBJECT
private slots:
    void serverCloseIsEchoedAndReported();
    void serverPingIsAnsweredWithItsData();
    void protocolViolationClosesWithItsCode_data();
    void protocolViolationClosesWithItsCode();
    void wrongAcceptNeverOpens();
    void refusalCarriesTheServersStatus();
    void clientCloseToASilentServerEnds();
    void closeOutlivesTheTransport();
    void closingSocketIsOwnedUntilExit();
    void closingSocketGoesWithItsThread();
    void fragmentedMessageIsReassembled();
};

void tst_WebSocketTransport::serverCloseIsEchoedAndReported()
{
    Peer peer;
    peer.echoClose = false;
    Client c(peer);
    QVERIFY(c.waitOpen());
    peer.send(WsFrameParser::encodeFrame(WsFrameParser::Close,
                                         WsFrameParser::closePayload(4000, QStringLiteral("bye now"))));
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closed()->closeCode, 4000);
    QCOMPARE(c.closed()->detail, QStringLiteral("closed by the server (4000): bye now"));
    // The client's answer: a close frame with the same code (RFC 6455 §5.5.1), masked.
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    QCOMPARE(peer.frame(WsFrameParser::Close)->closeCode(), 4000);
    QVERIFY(peer.frame(WsFrameParser::Close)->masked);
    // Then the server closes the TCP connection, and the client lets go.
    peer.socket->disconnectFromHost();
    QVERIFY(QTest::qWaitFor([&] { return peer.disconnected; }, WaitMs));
}

void tst_WebSocketTransport::serverPingIsAnsweredWithItsData()
{
    Peer peer;
    Client c(peer);
    QVERIFY(c.waitOpen());
    peer.send(WsFrameParser::encodeFrame(WsFrameParser::Ping, "are you there"));
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Pong) != nullptr; }, WaitMs));
    QCOMPARE(peer.frame(WsFrameParser::Pong)->payload, QByteArray("are you there"));
    QVERIFY(peer.frame(WsFrameParser::Pong)->masked);
    QCOMPARE(peer.parser.error(), WsFrameParser::Error::None);
    QCOMPARE(c.t->state(), ClientTransport::State::Open);
    QCOMPARE(c.t->stats().framingBytes, 2 + 13); // the ping, all of it idle
}

void tst_WebSocketTransport::protocolViolationClosesWithItsCode_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("why");
    QTest::newRow("masked frame") << WsFrameParser::encodeFrame(WsFrameParser::Text, "hi", true, "abcd") << 1002
                                  << QStringLiteral("a masked frame from the server");
    QTest::newRow("RSV1") << QByteArray("\xc1\x00", 2) << 1002 << QStringLiteral("reserved bits set");
    QTest::newRow("invalid UTF-8") << WsFrameParser::encodeFrame(WsFrameParser::Text, "\xc3\x28") << 1007
                                   << QStringLiteral("not UTF-8");
    QTest::newRow("over 16 MiB") << QByteArray("\x82\x7f\x00\x00\x00\x00\x01\x00\x00\x01", 10) << 1009
                                 << QStringLiteral("larger than 16777216 bytes");
}

// The client fails the connection with the code the rule names, says why, and reads no further.
void tst_WebSocketTransport::protocolViolationClosesWithItsCode()
{
    QFETCH(QByteArray, frame);
    QFETCH(int, code);
    QFETCH(QString, why);
    Peer peer;
    Client c(peer);
    QVERIFY(c.waitOpen());
    peer.send(frame + WsFrameParser::encodeFrame(WsFrameParser::Text, "{}"));
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    QCOMPARE(peer.frame(WsFrameParser::Close)->closeCode(), code);
    QVERIFY(c.waitClosed());
    QVERIFY2(c.closed()->detail.startsWith(QStringLiteral("protocol error (%1): ").arg(code)),
             qPrintable(c.closed()->detail));
    QVERIFY2(c.closed()->detail.contains(why), qPrintable(c.closed()->detail));
    QCOMPARE(c.closed()->closeCode, 0); // the server sent no close frame
    QVERIFY(c.messages.isEmpty());
}

void tst_WebSocketTransport::wrongAcceptNeverOpens()
{
    Peer peer;
    peer.answer = [](const QByteArray &) {
        return QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    };
    Client c(peer);
    QVERIFY(c.waitClosed());
    QCOMPARE(c.t->state(), ClientTransport::State::Closed);
    QCOMPARE(c.closed()->detail,
             QStringLiteral("could not connect: the upgrade answer is invalid: the 101 answer's "
                            "Sec-WebSocket-Accept is not the one for our key"));
    QCOMPARE(c.closed()->httpStatus, 0);
    QVERIFY(!c.closed()->blocked);
    QVERIFY(!c.t->hasEverOpened());
}

void tst_WebSocketTransport::refusalCarriesTheServersStatus()
{
    Peer peer;
    peer.answer = [](const QByteArray &) {
        return QByteArray("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n");
    };
    Client c(peer);
    QVERIFY(c.waitClosed());
    QCOMPARE(c.closed()->httpStatus, 426);
    QVERIFY(c.closed()->blocked);
    QCOMPARE(c.closed()->closeCode, 0);
    QCOMPARE(c.closed()->detail, QStringLiteral("the server refused the WebSocket upgrade: HTTP 426 Upgrade Required"));
}

// Our close frame, then at most a second for the server's: a server that never answers still
// sees the connection end.
void tst_WebSocketTransport::clientCloseToASilentServerEnds()
{
    Peer peer;
    peer.echoClose = false;
    Client c(peer);
    QVERIFY(c.waitOpen());
    c.t->stop();
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    QCOMPARE(peer.frame(WsFrameParser::Close)->closeCode(), 1000);
    QCOMPARE(peer.frame(WsFrameParser::Close)->closeReason(), QStringLiteral("client closing"));
    QVERIFY(QTest::qWaitFor([&] { return peer.disconnected; }, WaitMs));
}

// Deleting the transport is a close too: its close frame goes out, and the socket stays for the
// server's answer after the transport is gone.
void tst_WebSocketTransport::closeOutlivesTheTransport()
{
    Peer peer;
    Client c(peer);
    QVERIFY(c.waitOpen());
    c.t.reset();
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    QCOMPARE(peer.frame(WsFrameParser::Close)->closeCode(), 1000);
    QVERIFY(QTest::qWaitFor([&] { return peer.disconnected; }, WaitMs));
}

// A socket still waiting for the server's close belongs to the application, which deletes it at
// exit: without an owner, a process that ended within CloseTimeoutMs of a close leaked it (and
// LeakSanitizer said so).
void tst_WebSocketTransport::closingSocketIsOwnedUntilExit()
{
    Peer peer;
    peer.echoClose = false;
    Client c(peer);
    QVERIFY(c.waitOpen());
    const QPointer<QTcpSocket> socket = c.t->findChild<QTcpSocket *>();
    QVERIFY(socket);
    c.t.reset();
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    if (!socket)
        QSKIP("the close ended before it could be looked at");
    QObject *owner = socket->parent();
    while (owner && owner != QCoreApplication::instance())
        owner = owner->parent();
    QVERIFY2(owner, "the closing socket has no owner that is deleted at exit");
}

// On another thread (the desktop client's network thread runs transports), the thread's end
// deletes the sockets still closing there.
void tst_WebSocketTransport::closingSocketGoesWithItsThread()
{
    Peer peer;
    peer.echoClose = false;
    QThread thread;
    thread.start();
    QObject context;
    context.moveToThread(&thread);
    std::unique_ptr<ClientTransport> t;
    std::atomic<bool> open = false;
    QPointer<QTcpSocket> socket;
    QMetaObject::invokeMethod(
            &context,
            [&] {
                t.reset(createTransport(peer));
                QObject::connect(t.get(), &ClientTransport::eventOccurred, t.get(),
                                 [&](const ConnectionEvent &) { open = t->state() == ClientTransport::State::Open; });
                t->start();
            },
            Qt::BlockingQueuedConnection);
    QVERIFY(QTest::qWaitFor([&] { return open.load(); }, WaitMs));
    QMetaObject::invokeMethod(
            &context,
            [&] {
                socket = t->findChild<QTcpSocket *>();
                t.reset();
            },
            Qt::BlockingQueuedConnection);
    QVERIFY(socket);
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Close) != nullptr; }, WaitMs));
    thread.quit();
    QVERIFY(thread.wait());
    QVERIFY2(socket.isNull(), "the closing socket outlived its thread");
}

// A message in three frames with a ping between them: one message, its ledger every frame's
// header and payload.
void tst_WebSocketTransport::fragmentedMessageIsReassembled()
{
    Peer peer;
    Client c(peer);
    QVERIFY(c.waitOpen());
    const Message m = chatFromAnn(3, QStringLiteral("e"), QStringLiteral("in three parts"));
    const QByteArray json = MessageCodec::encode(m);
    peer.send(WsFrameParser::encodeFrame(WsFrameParser::Text, json.left(10), false)
              + WsFrameParser::encodeFrame(WsFrameParser::Ping, "p")
              + WsFrameParser::encodeFrame(WsFrameParser::Continuation, json.mid(10, 10), false));
    peer.send(WsFrameParser::encodeFrame(WsFrameParser::Continuation, json.mid(20), true));
    QVERIFY(QTest::qWaitFor([&] { return c.messages.size() == 1; }, WaitMs));
    QCOMPARE(c.messages[0].text, m.text);
    const WireLedger *l = c.t->stats().ledgerFor(3);
    QVERIFY(l);
    QCOMPARE(l->parts.size(), 6);
    QByteArray payload;
    for (const WirePart &p : l->parts)
        if (p.role == WirePart::Role::Payload)
            payload += p.bytes;
    QCOMPARE(payload, json);
    QCOMPARE(c.t->stats().messageFramingBytes, 6);
    QVERIFY(QTest::qWaitFor([&] { return peer.frame(WsFrameParser::Pong) != nullptr; }, WaitMs));
}

QTEST_GUILESS_MAIN(tst_WebSocketTransport)
#include "tst_websockettransport.moc"
