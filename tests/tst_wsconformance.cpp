// SPDX-License-Identifier: MIT
// RFC 6455 conformance of the WebSocket at /ws, for both connection cores (tst_wsconformance and
// tst_wsconformance_epoll): a raw QTcpSocket sends hand-built frames, including ones no
// well-behaved library would send, and every assertion is on the bytes the server sends back.
#include "testsupport.h"

#include "hub.h"

#include <QStringDecoder>

using namespace rtlab;
using namespace rtlab::test;

namespace {

// RFC 6455 §5.2 opcodes.
enum : quint8 { OpContinuation = 0x0, OpText = 0x1, OpBinary = 0x2, OpClose = 0x8, OpPing = 0x9, OpPong = 0xA };

// The example handshake of RFC 6455 §1.3.
constexpr char SampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char SampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// One client frame, every bit chosen by the test. encode() masks with the key of the example in
// RFC 6455 §5.7 and uses the shortest length encoding (§5.2).
class ClientFrame
{
public:
    explicit ClientFrame(quint8 opcode, QByteArray payload = {}) : m_opcode(opcode), m_payload(std::move(payload)) { }
    ClientFrame &notFinal()
    {
        m_fin = false;
        return *this;
    }
    ClientFrame &unmasked()
    {
        m_masked = false;
        return *this;
    }
    ClientFrame &rsv(quint8 bits)
    {
        m_rsv = bits;
        return *this;
    }
    QByteArray encode() const
    {
        static constexpr quint8 Mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
        QByteArray out;
        out.append(char((m_fin ? 0x80 : 0) | (m_rsv & 7) << 4 | (m_opcode & 0x0f)));
        const quint8 maskBit = m_masked ? 0x80 : 0;
        const quint64 len = quint64(m_payload.size());
        if (len < 126) {
            out.append(char(maskBit | len));
        } else if (len <= 0xffff) {
            out.append(char(maskBit | 126));
            out.append(char(len >> 8));
            out.append(char(len & 0xff));
        } else {
            out.append(char(maskBit | 127));
            for (int shift = 56; shift >= 0; shift -= 8)
                out.append(char((len >> shift) & 0xff));
        }
        if (!m_masked)
            return out + m_payload;
        out.append(reinterpret_cast<const char *>(Mask), 4);
        QByteArray body = m_payload;
        for (qsizetype i = 0; i < body.size(); ++i)
            body[i] = char(quint8(body[i]) ^ Mask[i & 3]);
        return out + body;
    }

private:
    quint8 m_opcode;
    QByteArray m_payload;
    bool m_fin = true;
    bool m_masked = true;
    quint8 m_rsv = 0;
};

QByteArray closeBody(quint16 code, const QByteArray &reason = {})
{
    return QByteArray(1, char(code >> 8)) + char(code & 0xff) + reason;
}

// A chat publish as a WebSocket client sends it (docs/protocol.md), padded with JSON whitespace
// to exactly `size` bytes when asked.
QByteArray publishJson(const QByteArray &text, qsizetype size = 0)
{
    QByteArray json = R"({"type":"chat","from":"conformance","text":")" + text + '"';
    if (size > json.size() + 1)
        json += QByteArray(size - json.size() - 1, ' ');
    return json + '}';
}

// One frame from the server, as decoded off the wire.
struct ServerFrame
{
    bool fin = false;
    quint8 rsv = 0;
    quint8 opcode = 0;
    bool masked = false;
    int lengthBytes = 0; // the extended payload length used: 0, 2 or 8 bytes (§5.2)
    QByteArray payload;
    // §5.5.1: a close frame's body starts with a 2-byte code; -1 when it has none.
    int closeCode() const { return payload.size() >= 2 ? quint8(payload[0]) << 8 | quint8(payload[1]) : -1; }
};

// Incremental decoder of server frames (§5.2): feed() any split of the bytes, take frames in order.
class ServerFrameReader
{
public:
    void feed(QByteArrayView bytes) { m_buffer.append(bytes); }
    qsizetype buffered() const { return m_buffer.size(); }
    std::optional<ServerFrame> next()
    {
        if (m_buffer.size() < 2)
            return std::nullopt;
        const auto *p = reinterpret_cast<const quint8 *>(m_buffer.constData());
        ServerFrame f;
        f.fin = p[0] & 0x80;
        f.rsv = (p[0] >> 4) & 7;
        f.opcode = p[0] & 0x0f;
        f.masked = p[1] & 0x80;
        quint64 len = p[1] & 0x7f;
        f.lengthBytes = len == 126 ? 2 : len == 127 ? 8 : 0;
        const qsizetype head = 2 + f.lengthBytes + (f.masked ? 4 : 0);
        if (m_buffer.size() < head)
            return std::nullopt;
        if (f.lengthBytes) {
            len = 0;
            for (int i = 0; i < f.lengthBytes; ++i)
                len = len << 8 | p[2 + i];
        }
        if (quint64(m_buffer.size() - head) < len)
            return std::nullopt;
        f.payload = m_buffer.mid(head, qsizetype(len));
        if (f.masked) {
            const quint8 *mask = p + 2 + f.lengthBytes;
            for (qsizetype i = 0; i < f.payload.size(); ++i)
                f.payload[i] = char(quint8(f.payload[i]) ^ mask[i & 3]);
        }
        m_buffer.remove(0, head + qsizetype(len));
        return f;
    }

private:
    QByteArray m_buffer;
};

// A WebSocket client on a raw TCP socket: it writes whatever bytes it is given and decodes what
// comes back, the response head of the handshake and then frames.
class RawWs : public QObject
{
public:
    explicit RawWs(quint16 port) : m_port(port)
    {
        connect(&m_socket, &QTcpSocket::readyRead, this, &RawWs::readAvailable);
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }

    // The opening handshake of §4.1 with the given header lines after Host; reads the response
    // head. False if none came.
    bool handshake(const QByteArray &headerLines, RawResponse *response, const QByteArray &target = "/ws")
    {
        if (!QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, WaitMs))
            return false;
        // Each write its own segment, so that split frames arrive split.
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) + "\r\n" + headerLines
             + "\r\n");
        if (!QTest::qWaitFor([this] { return m_headDone || m_socket.state() != QAbstractSocket::ConnectedState; },
                             WaitMs)
            || !m_headDone)
            return false;
        const QList<QByteArray> lines = m_head.split('\n');
        RawResponse r;
        r.status = lines.value(0).trimmed().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                r.headers.append({ lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed() });
        }
        *response = r;
        return true;
    }

    // A valid handshake, then a ping answered: from here on the session is live.
    bool open()
    {
        RawResponse r;
        if (!handshake(validHandshake(), &r) || r.status != 101)
            return false;
        send(ClientFrame(OpPing, "open").encode());
        const std::optional<ServerFrame> pong = nextFrame();
        return pong && pong->opcode == OpPong && pong->payload == "open";
    }

    static QByteArray validHandshake()
    {
        return "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + QByteArray(SampleKey)
                + "\r\nSec-WebSocket-Version: 13\r\n";
    }

    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }

    // The first `pieces` bytes one write each (every split point of a frame head), the rest in
    // writes of `chunk` bytes. The server gets a turn of the event loop after each write.
    void sendSplit(const QByteArray &bytes, qsizetype pieces, qsizetype chunk)
    {
        qsizetype pos = 0;
        while (pos < bytes.size()) {
            const qsizetype n = pos < pieces ? 1 : chunk;
            send(bytes.mid(pos, n));
            pos += n;
            QCoreApplication::processEvents();
        }
    }

    // The next frame, or nothing if the connection closed (or nothing came in time) first.
    std::optional<ServerFrame> nextFrame()
    {
        std::optional<ServerFrame> frame;
        static_cast<void>(QTest::qWaitFor(
                [&] {
                    readAvailable();
                    frame = m_reader.next();
                    return frame || m_socket.state() == QAbstractSocket::UnconnectedState;
                },
                WaitMs));
        readAvailable();
        return frame ? frame : m_reader.next();
    }

    // True once the server has closed the TCP connection.
    bool waitDisconnected()
    {
        return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; }, WaitMs);
    }

    // Bytes received that do not (yet) make a frame.
    qsizetype leftover()
    {
        readAvailable();
        return m_reader.buffered();
    }

private:
    void readAvailable()
    {
        QByteArray bytes = m_socket.readAll();
        if (!m_headDone) {
            m_head += bytes;
            const qsizetype end = m_head.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            bytes = m_head.mid(end + 4);
            m_head.truncate(end);
            m_headDone = true;
        }
        m_reader.feed(bytes);
    }

    quint16 m_port;
    QTcpSocket m_socket;
    QByteArray m_head;
    bool m_headDone = false;
    ServerFrameReader m_reader;
};

// A server whose only frames are the ones a test causes: no ticks, no heartbeat pings.
std::unique_ptr<Server> startQuietServer()
{
    ServerConfig config = quietConfig();
    config.heartbeatMs = 3600 * 1000;
    return startServer(config);
}

bool isQtCore()
{
    return testCore() == ServerConfig::Core::Qt;
}

} // namespace

class tst_WsConformance : public QObject
{
    Q_OBJECT
private slots:
    void handshake_data();
    void handshake();
    void serverFrameLengths_data();
    void serverFrameLengths();
    void failTheConnection_data();
    void failTheConnection();
    void binaryMessageIsRefused();
    void pingGetsPong_data();
    void pingGetsPong();
    void fragmentedMessageWithInterleavedPing_data();
    void fragmentedMessageWithInterleavedPing();
    void emptyTextFrame();
    void clientClose_data();
    void clientClose();
    void framesSplitAcrossWrites_data();
    void framesSplitAcrossWrites();
};

void tst_WsConformance::handshake_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("accept");        // the expected Sec-WebSocket-Accept, with 101
    QTest::addColumn<QByteArray>("versionHeader"); // the expected Sec-WebSocket-Version, with 426

    const QByteArray upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    const QByteArray key = "Sec-WebSocket-Key: " + QByteArray(SampleKey) + "\r\n";
    const QByteArray v13 = "Sec-WebSocket-Version: 13\r\n";
    QTest::newRow("§1.3 sample key") << upgrade + key + v13 << 101 << QByteArray(SampleAccept) << QByteArray();
    // docs/protocol.md: no subprotocol, no extensions; offers of either are declined by omission (§4.2.2).
    const QByteArray offers = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                              "Sec-WebSocket-Protocol: chat\r\n";
    QTest::newRow("offers permessage-deflate and a subprotocol")
            << upgrade + key + v13 + offers << 101 << QByteArray(SampleAccept) << QByteArray();
    QTest::newRow("header names in another case")
            << "upgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nsec-websocket-key: " + QByteArray(SampleKey)
                    + "\r\nsec-websocket-version: 13\r\n"
            << 101 << QByteArray(SampleAccept) << QByteArray();
    // §4.4: a version the server does not speak is answered with the versions it does.
    QTest::newRow("§4.4 version 8") << upgrade + key + "Sec-WebSocket-Version: 8\r\n"
                                    << 426 << QByteArray() << QByteArray("13");
    QTest::newRow("§4.4 version 14") << upgrade + key + "Sec-WebSocket-Version: 14\r\n"
                                     << 426 << QByteArray() << QByteArray("13");
    // §4.2.1: the key is base64 of 16 bytes; anything else is a bad request (§4.2.2).
    QTest::newRow("§4.2.1 key missing") << upgrade + v13 << 400 << QByteArray() << QByteArray();
    QTest::newRow("§4.2.1 key of 11 bytes")
            << upgrade + "Sec-WebSocket-Key: c2hvcnQga2V5IQ==\r\n" + v13 << 400 << QByteArray() << QByteArray();
    QTest::newRow("§4.2.1 key not base64")
            << upgrade + "Sec-WebSocket-Key: !!!!not*base64!!!!!!!==\r\n" + v13 << 400 << QByteArray() << QByteArray();
}

void tst_WsConformance::handshake()
{
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    QFETCH(QByteArray, accept);
    QFETCH(QByteArray, versionHeader);
    auto server = startQuietServer();
    RawWs ws(server->port());
    RawResponse r;
    QVERIFY(ws.handshake(headers, &r));
    QCOMPARE(r.status, status);
    if (status == 101) {
        // §4.2.2 step 5.
        QCOMPARE(r.header("upgrade").toLower(), QByteArray("websocket"));
        QCOMPARE(r.header("connection").toLower(), QByteArray("upgrade"));
        QCOMPARE(r.header("sec-websocket-accept"), accept);
        QCOMPARE(r.header("sec-websocket-extensions"), QByteArray());
        QCOMPARE(r.header("sec-websocket-protocol"), QByteArray());
        // And the socket speaks WebSocket.
        ws.send(ClientFrame(OpPing, "after the handshake").encode());
        const std::optional<ServerFrame> pong = ws.nextFrame();
        QVERIFY(pong);
        QCOMPARE(int(pong->opcode), int(OpPong));
        QCOMPARE(pong->payload, QByteArray("after the handshake"));
    } else {
        QCOMPARE(r.header("sec-websocket-accept"), QByteArray());
        if (!versionHeader.isEmpty())
            QCOMPARE(r.header("sec-websocket-version"), versionHeader);
    }
}

void tst_WsConformance::serverFrameLengths_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<int>("lengthBytes");
    // §5.2: payload length in 7 bits up to 125, then 16 bits up to 65535, then 64 bits; the
    // minimal number of bytes MUST be used.
    QTest::newRow("125: largest 7-bit length") << qsizetype(125) << 0;
    QTest::newRow("126: smallest 16-bit length") << qsizetype(126) << 2;
    QTest::newRow("127") << qsizetype(127) << 2;
    QTest::newRow("65535: largest 16-bit length") << qsizetype(65535) << 2;
    QTest::newRow("65536: smallest 64-bit length") << qsizetype(65536) << 8;
}

void tst_WsConformance::serverFrameLengths()
{
    QFETCH(qsizetype, size);
    QFETCH(int, lengthBytes);
    // A text of plain 'x' makes a frame of any size: one JSON byte per character. The largest
    // needs more than the default 16 KiB of text (the control characters JSON escapes six bytes
    // long, which once stretched a text to 64 KiB, are no longer allowed in a text).
    ServerConfig config = quietConfig();
    config.heartbeatMs = 3600 * 1000;
    config.maxTextBytes = 80 * 1024;
    config.maxBodyBytes = 96 * 1024;
    auto server = startServer(config);
    const quint16 port = server->port();
    // A probe (id 1, as many digits as id 3) measures the JSON around the text.
    QCOMPARE(publish(port, QStringLiteral("x")), 1u);
    QCOMPARE(publish(port, QStringLiteral("x")), 2u);
    const qsizetype base = server->hub()->log().entry(1)->json.size() - 1;
    const qsizetype extra = size - base;
    QVERIFY(extra > 0);
    const QString text(extra, u'x');

    RawWs ws(port);
    QVERIFY(ws.open());
    QCOMPARE(publish(port, text), 3u);
    const std::optional<ServerFrame> f = ws.nextFrame();
    QVERIFY(f);
    // §5.1: a server MUST NOT mask; a message this size goes out whole, in one text frame.
    QVERIFY(f->fin);
    QCOMPARE(int(f->rsv), 0);
    QCOMPARE(int(f->opcode), int(OpText));
    QVERIFY(!f->masked);
    QCOMPARE(f->lengthBytes, lengthBytes);
    QCOMPARE(f->payload.size(), size);
    QCOMPARE(f->payload, server->hub()->log().entry(3)->json);
    const std::optional<Message> m = MessageCodec::decode(f->payload);
    QVERIFY(m);
    QCOMPARE(m->text, text);
    QCOMPARE(ws.leftover(), qsizetype(0));
}

void tst_WsConformance::failTheConnection_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<int>("closeCode");
    QTest::addColumn<QString>("qtDeviation"); // the QtWebSockets 6.4 behaviour, where it falls short

    const QByteArray json = publishJson("should not be published");
    const QByteArray half = ClientFrame(OpText, R"({"type":"chat",)").notFinal().encode();
    const QString notMasked = QStringLiteral("QWebSocket (server side) accepts unmasked client frames");

    // §5.1: "The server MUST close the connection upon receiving a frame that is not masked",
    // and may say 1002 first.
    QTest::newRow("§5.1 unmasked text frame") << ClientFrame(OpText, json).unmasked().encode() << 1002 << notMasked;
    QTest::newRow("§5.1 unmasked ping") << ClientFrame(OpPing, "p").unmasked().encode() << 1002 << notMasked;
    // §5.2: RSV bits MUST be 0 unless an extension defines them, and none was negotiated.
    QTest::newRow("§5.2 RSV1") << ClientFrame(OpText, json).rsv(4).encode() << 1002 << QString();
    QTest::newRow("§5.2 RSV2") << ClientFrame(OpText, json).rsv(2).encode() << 1002 << QString();
    QTest::newRow("§5.2 RSV3") << ClientFrame(OpText, json).rsv(1).encode() << 1002 << QString();
    // §5.2: reserved opcodes.
    for (quint8 op : { 0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF })
        QTest::addRow("§5.2 reserved opcode 0x%X", op) << ClientFrame(op, "x").encode() << 1002 << QString();
    // §5.2: "the most significant bit MUST be 0" of a 64-bit length.
    QTest::newRow("§5.2 64-bit length with the top bit set")
            << QByteArray::fromHex("81ff800000000000000137fa213d") << 1002 << QString();
    // §5.5: control frames carry at most 125 bytes and MUST NOT be fragmented.
    QTest::newRow("§5.5 ping of 126 bytes") << ClientFrame(OpPing, QByteArray(126, 'p')).encode() << 1002 << QString();
    QTest::newRow("§5.5 close of 126 bytes")
            << ClientFrame(OpClose, closeBody(1000, QByteArray(124, 'r'))).encode() << 1002 << QString();
    QTest::newRow("§5.5 fragmented ping") << ClientFrame(OpPing, "p").notFinal().encode() << 1002 << QString();
    // §5.4: a continuation belongs to a message, and a message's fragments are not interleaved
    // with another message's.
    QTest::newRow("§5.4 continuation with no message started")
            << ClientFrame(OpContinuation, json).encode() << 1002 << QString();
    QTest::newRow("§5.4 text frame inside a fragmented message")
            << half + ClientFrame(OpText, json).encode() << 1002 << QString();
    QTest::newRow("§5.4 binary frame inside a fragmented message")
            << half + ClientFrame(OpBinary, "b").encode() << 1002 << QString();
    // §5.5.1: a close body is empty or starts with a 2-byte code.
    QTest::newRow("§5.5.1 close with a 1-byte body") << ClientFrame(OpClose, "\x03").encode() << 1002 << QString();
    // §7.4.1/§7.4.2: codes below 1000, 1004 (reserved), 1005/1006/1015 (never sent), the
    // unassigned rest of 1000-2999 and anything from 5000 are not valid in a close frame.
    for (quint16 code : { 0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535 })
        QTest::addRow("§7.4 close code %d", code)
                << ClientFrame(OpClose, closeBody(code)).encode() << 1002 << QString();

    // §8.1: text that is not UTF-8 fails the connection; §7.4.1: with 1007.
    const auto text = [](const QByteArray &bytes) { return ClientFrame(OpText, bytes).encode(); };
    QTest::newRow("§8.1 byte 0xFF") << text(publishJson("\xff")) << 1007 << QString();
    QTest::newRow("§8.1 overlong encoding of '/'") << text(publishJson("\xc0\xaf")) << 1007 << QString();
    QTest::newRow("§8.1 UTF-16 surrogate") << text(publishJson("\xed\xa0\x80")) << 1007 << QString();
    QTest::newRow("§8.1 code point above U+10FFFF") << text(publishJson("\xf4\x90\x80\x80")) << 1007 << QString();
    QTest::newRow("§8.1 sequence cut at the end of the message") << text("\xe2\x82") << 1007 << QString();
    QTest::newRow("§8.1 invalid only once reassembled")
            << ClientFrame(OpText, "\"\xe2\x82").notFinal().encode() + ClientFrame(OpContinuation, "\"").encode()
            << 1007 << QString();
    QTest::newRow("§5.5.1 close reason not UTF-8")
            << ClientFrame(OpClose, closeBody(1000, "\xff\xfe")).encode() << 1007 << QString();

    // docs/protocol.md: a message over 64 KiB is 1009, in one frame or in fragments.
    QTest::newRow("64 KiB + 1 in one frame") << text(publishJson("big", 64 * 1024 + 1)) << 1009 << QString();
    const QByteArray big = publishJson("big", 64 * 1024 + 1);
    const QByteArray bigInFragments = ClientFrame(OpText, big.left(40000)).notFinal().encode()
            + ClientFrame(OpContinuation, big.mid(40000)).encode();
    QTest::newRow("64 KiB + 1 in two fragments") << bigInFragments << 1009 << QString();
}

// The server's side of "Fail the WebSocket Connection" (§7.1.7): a close frame with the code,
// then the TCP connection closes.
void tst_WsConformance::failTheConnection()
{
    QFETCH(QByteArray, wire);
    QFETCH(int, closeCode);
    QFETCH(QString, qtDeviation);
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    // The probe ping after the bad bytes: a pong for it means the server read past them.
    ws.send(wire + ClientFrame(OpPing, "probe").encode());
    const std::optional<ServerFrame> f = ws.nextFrame();
    QVERIFY(f);
    const QByteArray deviation = qtDeviation.toUtf8();
    if (isQtCore() && !deviation.isEmpty())
        QEXPECT_FAIL("", deviation.constData(), Abort);
    QCOMPARE(int(f->opcode), int(OpClose));
    QVERIFY(f->fin);
    QVERIFY(!f->masked);
    QCOMPARE(f->closeCode(), closeCode);
    QVERIFY(f->payload.size() <= 125);
    QStringDecoder reason(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    static_cast<void>(QString(reason.decode(f->payload.mid(2))));
    QVERIFY(!reason.hasError());
    QVERIFY(ws.waitDisconnected());
    QCOMPARE(ws.leftover(), qsizetype(0)); // nothing after the close frame (§5.5.1)
    // Nothing reached the log.
    QCOMPARE(server->hub()->log().lastId(), 0u);
}

// docs/protocol.md: a binary message is refused with 1003. That is a close the server starts
// (§7.1.2), not a failure: the client answers it (§5.5.1) and the server closes TCP (§7.1.1).
void tst_WsConformance::binaryMessageIsRefused()
{
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    ws.send(ClientFrame(OpBinary, "\x01\x02").encode());
    const std::optional<ServerFrame> f = ws.nextFrame();
    QVERIFY(f);
    QCOMPARE(int(f->opcode), int(OpClose));
    QVERIFY(!f->masked);
    QCOMPARE(f->closeCode(), 1003);
    ws.send(ClientFrame(OpClose, closeBody(1003)).encode());
    QVERIFY(ws.waitDisconnected());
    QCOMPARE(ws.leftover(), qsizetype(0));
}

void tst_WsConformance::pingGetsPong_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("text") << QByteArray("hello");
    QTest::newRow("binary with zero bytes") << QByteArray("\x00\xff\x00\x80", 4);
    QTest::newRow("125 bytes, the most a control frame carries") << QByteArray(125, 'p');
}

// §5.5.3: "a Pong frame sent in response to a Ping frame must have identical Application data".
void tst_WsConformance::pingGetsPong()
{
    QFETCH(QByteArray, payload);
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    ws.send(ClientFrame(OpPing, payload).encode());
    const std::optional<ServerFrame> f = ws.nextFrame();
    QVERIFY(f);
    QCOMPARE(int(f->opcode), int(OpPong));
    QVERIFY(f->fin);
    QVERIFY(!f->masked);
    QCOMPARE(f->payload, payload);
    // An unsolicited pong (§5.5.3) needs no answer and breaks nothing.
    ws.send(ClientFrame(OpPong, "unsolicited").encode() + ClientFrame(OpPing, "still here").encode());
    const std::optional<ServerFrame> again = ws.nextFrame();
    QVERIFY(again);
    QCOMPARE(int(again->opcode), int(OpPong));
    QCOMPARE(again->payload, QByteArray("still here"));
}

void tst_WsConformance::fragmentedMessageWithInterleavedPing_data()
{
    QTest::addColumn<bool>("splitCharacter");
    QTest::addColumn<QString>("qtDeviation");
    QTest::newRow("fragments end between characters") << false << QString();
    // §5.6: "a particular text frame might include a partial UTF-8 sequence; however, the whole
    // message MUST contain valid UTF-8."
    const QString perFrame = QStringLiteral("QWebSocket 6.4 checks UTF-8 per frame: a split character is 1007");
    QTest::newRow("§5.6 a fragment ends inside a character") << true << perFrame;
}

// §5.4: fragments make one message, and control frames may come between them.
void tst_WsConformance::fragmentedMessageWithInterleavedPing()
{
    QFETCH(bool, splitCharacter);
    QFETCH(QString, qtDeviation);
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    const QByteArray json = publishJson(QStringLiteral("réassemblé").toUtf8());
    const qsizetype e = json.indexOf(QStringLiteral("é").toUtf8()); // the first one
    const qsizetype cut = splitCharacter ? e + 1 : e;               // inside it, or before it
    ws.send(ClientFrame(OpText, json.left(20)).notFinal().encode() + ClientFrame(OpPing, "between").encode()
            + ClientFrame(OpContinuation, json.mid(20, cut - 20)).notFinal().encode()
            + ClientFrame(OpContinuation).notFinal().encode() // an empty fragment is a fragment
            + ClientFrame(OpContinuation, json.mid(cut)).encode());
    const std::optional<ServerFrame> pong = ws.nextFrame();
    QVERIFY(pong);
    QCOMPARE(int(pong->opcode), int(OpPong));
    QCOMPARE(pong->payload, QByteArray("between"));
    // Published once, and delivered back over this socket (docs/protocol.md).
    const std::optional<ServerFrame> delivered = ws.nextFrame();
    QVERIFY(delivered);
    const QByteArray deviation = qtDeviation.toUtf8();
    if (isQtCore() && !deviation.isEmpty())
        QEXPECT_FAIL("", deviation.constData(), Abort);
    QCOMPARE(int(delivered->opcode), int(OpText));
    const std::optional<Message> m = MessageCodec::decode(delivered->payload);
    QVERIFY(m);
    QCOMPARE(m->id, 1u);
    QCOMPARE(m->from, QStringLiteral("conformance"));
    QCOMPARE(m->text, QStringLiteral("réassemblé"));
    const QList<Message> polled = pollMessages(request(server->port(), "GET", "/poll?after=0"));
    QCOMPARE(polled.size(), 1);
    QCOMPARE(polled[0], *m);
}

// An empty text frame is a message, a malformed publish: answered with an error, the socket
// stays open (docs/protocol.md).
void tst_WsConformance::emptyTextFrame()
{
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    ws.send(ClientFrame(OpText).encode());
    const std::optional<ServerFrame> error = ws.nextFrame();
    QVERIFY(error);
    QCOMPARE(int(error->opcode), int(OpText));
    const QJsonObject o = QJsonDocument::fromJson(error->payload).object();
    QCOMPARE(o.value(QLatin1String("type")).toString(), QStringLiteral("error"));
    QCOMPARE(o.value(QLatin1String("status")).toInt(), 400);
    ws.send(ClientFrame(OpText, publishJson("after the empty one")).encode());
    const std::optional<ServerFrame> delivered = ws.nextFrame();
    QVERIFY(delivered);
    QCOMPARE(int(delivered->opcode), int(OpText));
    const std::optional<Message> m = MessageCodec::decode(delivered->payload);
    QVERIFY(m);
    QCOMPARE(m->text, QStringLiteral("after the empty one"));
}

void tst_WsConformance::clientClose_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QList<int>>("answers"); // close codes the answer may carry; -1: none
    QTest::newRow("1000 with a reason") << closeBody(1000, "bye") << QList<int> { 1000 };
    QTest::newRow("1001") << closeBody(1001) << QList<int> { 1001 };
    QTest::newRow("3000, registered range") << closeBody(3000) << QList<int> { 3000 };
    QTest::newRow("4999, private range") << closeBody(4999, "\xc3\xa9") << QList<int> { 4999 };
    // §7.1.5: no code means 1005, which MUST NOT itself be sent (§7.4.1): no code or 1000 back.
    QTest::newRow("no code") << QByteArray() << QList<int> { -1, 1000 };
}

// §5.5.1: a close frame is answered with a close frame (typically echoing the code), and §7.1.1:
// the server then closes the TCP connection first.
void tst_WsConformance::clientClose()
{
    QFETCH(QByteArray, body);
    QFETCH(QList<int>, answers);
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    ws.send(ClientFrame(OpClose, body).encode());
    const std::optional<ServerFrame> f = ws.nextFrame();
    QVERIFY(f);
    QCOMPARE(int(f->opcode), int(OpClose));
    QVERIFY(f->fin);
    QVERIFY(!f->masked);
    QVERIFY2(answers.contains(f->closeCode()), qPrintable(QString::number(f->closeCode())));
    QVERIFY(ws.waitDisconnected());
    QCOMPARE(ws.leftover(), qsizetype(0));
}

void tst_WsConformance::framesSplitAcrossWrites_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<qsizetype>("pieces"); // leading bytes sent one write each
    QTest::addColumn<qsizetype>("chunk");  // the size of the writes after them

    QTest::newRow("7-bit length, every byte") << publishJson("seven") << qsizetype(-1) << qsizetype(1);
    QTest::newRow("16-bit length, every byte") << publishJson("sixteen", 300) << qsizetype(-1) << qsizetype(1);
    // 64 KiB is the limit, and within it (docs/protocol.md).
    QTest::newRow("64-bit length, exactly 64 KiB, head byte by byte")
            << publishJson("sixty-four", 64 * 1024) << qsizetype(14) << qsizetype(4096);
}

// §5.2 framing is a byte stream: a frame head split inside the extended length and inside the
// mask, or frames coalesced into one write, read the same.
void tst_WsConformance::framesSplitAcrossWrites()
{
    QFETCH(QByteArray, json);
    QFETCH(qsizetype, pieces);
    QFETCH(qsizetype, chunk);
    auto server = startQuietServer();
    RawWs ws(server->port());
    QVERIFY(ws.open());
    const QByteArray ping = ClientFrame(OpPing, "split").encode(); // one byte at a time too
    const QByteArray wire = ping + ClientFrame(OpText, json).encode();
    ws.sendSplit(wire, pieces < 0 ? wire.size() : ping.size() + pieces, chunk);
    const std::optional<ServerFrame> pong = ws.nextFrame();
    QVERIFY(pong);
    QCOMPARE(int(pong->opcode), int(OpPong));
    QCOMPARE(pong->payload, QByteArray("split"));
    const std::optional<ServerFrame> delivered = ws.nextFrame();
    QVERIFY(delivered);
    QCOMPARE(int(delivered->opcode), int(OpText));
    const std::optional<Message> m = MessageCodec::decode(delivered->payload);
    QVERIFY(m);
    QCOMPARE(m->text.toUtf8(), QJsonDocument::fromJson(json).object().value(QLatin1String("text")).toString().toUtf8());
    // Coalesced: two frames in one write.
    ws.send(ClientFrame(OpPing, "one").encode() + ClientFrame(OpPing, "two").encode());
    const std::optional<ServerFrame> one = ws.nextFrame();
    const std::optional<ServerFrame> two = ws.nextFrame();
    QVERIFY(one && two);
    QCOMPARE(one->payload, QByteArray("one"));
    QCOMPARE(two->payload, QByteArray("two"));
}

QTEST_GUILESS_MAIN(tst_WsConformance)
#include "tst_wsconformance.moc"
