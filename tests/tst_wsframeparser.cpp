// SPDX-License-Identifier: MIT
// WsFrameParser against RFC 6455: the §5.7 examples byte for byte, every rule a receiver must
// check (each with the close code it fails the connection with), message reassembly, and the
// encoder. Every input is fed whole, in every two-piece split and one byte at a time, and must
// give the same frames each way: where a read ends can never matter.

#include "wsframeparser.h"

#include <QTest>

#include "splitfeed.h"

using rtlab::WsFrame;
using rtlab::WsFrameParser;
using rtlab::WsMessage;

using Role = WsFrameParser::Role;
using Error = WsFrameParser::Error;

namespace {

template<qsizetype N>
QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

// What a parse yields: each frame's fields and exact bytes, each completed message, the error.
struct Parsed
{
    struct Frame
    {
        bool fin;
        quint8 opcode;
        bool masked;
        QByteArray maskKey;
        quint64 payloadLength;
        int headerLength;
        QByteArray header;
        QByteArray payload;
        QByteArray wire;
        bool operator==(const Frame &) const = default;
    };
    QList<Frame> frames;
    QList<std::pair<quint8, QByteArray>> messages;
    Error error = Error::None;
    bool operator==(const Parsed &) const = default;
};

void drain(WsFrameParser &p, Parsed &out)
{
    while (const std::optional<WsFrame> f = p.next()) {
        out.frames.append({ f->fin, f->opcode, f->masked, f->maskKey, f->payloadLength, f->headerLength, f->header,
                            f->payload, f->bytes() });
        if (const std::optional<WsMessage> m = p.takeMessage())
            out.messages.append({ m->opcode, m->data });
    }
    out.error = p.error();
}

Parsed parseIn(const QList<QByteArrayView> &pieces, Role role, WsFrameParser::Limits limits = {})
{
    WsFrameParser p(role, limits);
    Parsed out;
    for (QByteArrayView piece : pieces) {
        p.feed(piece);
        drain(p, out);
    }
    return out;
}

// Whole, at every cut point in two pieces, and one byte at a time: the same result, returned.
Parsed parseEveryWay(const QByteArray &input, Role role, WsFrameParser::Limits limits = {}, bool everyCut = true)
{
    return rtlab::test::sameEveryWay(
            input, [&](const QList<QByteArrayView> &pieces) { return parseIn(pieces, role, limits); },
            everyCut ? rtlab::test::Splits::All : rtlab::test::Splits::WholeAndBytes);
}

const QByteArray HelloUnmasked = bytes("\x81\x05\x48\x65\x6c\x6c\x6f");
const QByteArray HelloMasked = bytes("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
const QByteArray FragmentedHel = bytes("\x01\x03\x48\x65\x6c");
const QByteArray FragmentedLo = bytes("\x80\x02\x6c\x6f");
const QByteArray PingHello = bytes("\x89\x05\x48\x65\x6c\x6c\x6f");
const QByteArray PongHelloMasked = bytes("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
const QByteArray MaskKey = bytes("\x37\xfa\x21\x3d");

QByteArray filler(qsizetype n)
{
    QByteArray b(n, Qt::Uninitialized);
    for (qsizetype i = 0; i < n; ++i)
        b[i] = char(i * 7 + 3);
    return b;
}

} // namespace

Q_DECLARE_METATYPE(Role)
Q_DECLARE_METATYPE(Error)

class tst_WsFrameParser : public QObject
{
    Q_OBJECT
private slots:
    void rfcExamples_data();
    void rfcExamples();
    void largeLengths_data();
    void largeLengths();
    void streamOfFramesAnySplit();
    void errors_data();
    void errors();
    void utf8IsCheckedOnTheWholeMessage();
    void messageSizeIsBounded();
    void encoderRoundTrips_data();
    void encoderRoundTrips();
    void closeReasonIsCutOnACharacter_data();
    void closeReasonIsCutOnACharacter();
    void headerLengths();
};

void tst_WsFrameParser::rfcExamples_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<Role>("role");
    QTest::addColumn<QList<quint8>>("opcodes");
    QTest::addColumn<QList<bool>>("fins");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("maskKey");
    // RFC 6455 §5.7, as a client reads a server's frames and as a server reads a client's.
    QTest::newRow("unmasked Hello") << HelloUnmasked << Role::Client << QList<quint8> { 1 } << QList<bool> { true }
                                    << QByteArray("Hello") << QByteArray();
    QTest::newRow("masked Hello") << HelloMasked << Role::Server << QList<quint8> { 1 } << QList<bool> { true }
                                  << QByteArray("Hello") << MaskKey;
    QTest::newRow("fragmented Hel lo") << FragmentedHel + FragmentedLo << Role::Client << QList<quint8> { 1, 0 }
                                       << QList<bool> { false, true } << QByteArray("Hello") << QByteArray();
    QTest::newRow("unmasked ping") << PingHello << Role::Client << QList<quint8> { 9 } << QList<bool> { true }
                                   << QByteArray() << QByteArray();
    QTest::newRow("masked pong") << PongHelloMasked << Role::Server << QList<quint8> { 10 } << QList<bool> { true }
                                 << QByteArray() << MaskKey;
}

void tst_WsFrameParser::rfcExamples()
{
    QFETCH(QByteArray, input);
    QFETCH(Role, role);
    QFETCH(QList<quint8>, opcodes);
    QFETCH(QList<bool>, fins);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, maskKey);
    const Parsed p = parseEveryWay(input, role);
    QCOMPARE(p.error, Error::None);
    QCOMPARE(p.frames.size(), opcodes.size());
    QByteArray wire;
    QByteArray payload;
    for (qsizetype i = 0; i < p.frames.size(); ++i) {
        const Parsed::Frame &f = p.frames[i];
        QCOMPARE(f.opcode, opcodes[i]);
        QCOMPARE(f.fin, fins[i]);
        QCOMPARE(f.masked, !maskKey.isEmpty());
        QCOMPARE(f.maskKey, maskKey);
        QCOMPARE(f.headerLength, maskKey.isEmpty() ? 2 : 6);
        QCOMPARE(f.header, input.mid(wire.size(), f.headerLength));
        QCOMPARE(qint64(f.payloadLength), qint64(f.payload.size()));
        // The encoder gives the same bytes back.
        QCOMPARE(WsFrameParser::encodeFrame(f.opcode, f.payload, f.fin, f.maskKey), f.wire);
        wire += f.wire;
        payload += f.payload;
    }
    QCOMPARE(wire, input);
    QCOMPARE(payload, QByteArray("Hello"));
    if (message.isEmpty()) {
        QVERIFY(p.messages.isEmpty()); // control frames are not messages
    } else {
        QCOMPARE(p.messages.size(), 1);
        QCOMPARE(p.messages.first().first, quint8(WsFrameParser::Text));
        QCOMPARE(p.messages.first().second, message);
    }
}

void tst_WsFrameParser::largeLengths_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<QByteArray>("header");
    // RFC 6455 §5.7: 256 bytes take the 16-bit length, 64 KiB the 64-bit one.
    QTest::newRow("256 bytes") << qsizetype(256) << bytes("\x82\x7e\x01\x00");
    QTest::newRow("64 KiB") << qsizetype(65536) << bytes("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00");
    QTest::newRow("125 bytes: 7-bit") << qsizetype(125) << bytes("\x82\x7d");
    QTest::newRow("65535 bytes: 16-bit") << qsizetype(65535) << bytes("\x82\x7e\xff\xff");
}

void tst_WsFrameParser::largeLengths()
{
    QFETCH(qsizetype, size);
    QFETCH(QByteArray, header);
    const QByteArray payload = filler(size);
    const QByteArray frame = header + payload;
    QCOMPARE(WsFrameParser::encodeFrame(WsFrameParser::Binary, payload), frame);
    // Every cut point for the small ones; a byte at a time for all.
    const Parsed p = parseEveryWay(frame, Role::Client, {}, size <= 256);
    QCOMPARE(p.error, Error::None);
    QCOMPARE(p.frames.size(), 1);
    QCOMPARE(p.frames[0].header, header);
    QCOMPARE(p.frames[0].headerLength, header.size());
    QCOMPARE(qint64(p.frames[0].payloadLength), qint64(size));
    QCOMPARE(p.frames[0].payload, payload);
    QCOMPARE(p.messages.size(), 1);
    QCOMPARE(p.messages[0].first, quint8(WsFrameParser::Binary));
}

// Several frames back to back, a ping between the fragments of a message (allowed: §5.4), a
// close at the end: the same frames and messages however the bytes were cut.
void tst_WsFrameParser::streamOfFramesAnySplit()
{
    const QByteArray close = WsFrameParser::encodeFrame(
            WsFrameParser::Close, WsFrameParser::closePayload(1001, QStringLiteral("going away")));
    const QByteArray big = WsFrameParser::encodeFrame(WsFrameParser::Text, QByteArray(300, 'x'));
    const QByteArray stream = HelloUnmasked + FragmentedHel + PingHello + FragmentedLo + big + close;
    const Parsed p = parseEveryWay(stream, Role::Client);
    QCOMPARE(p.error, Error::None);
    QCOMPARE(p.frames.size(), 6);
    QCOMPARE(p.messages.size(), 3);
    QCOMPARE(p.messages[0].second, QByteArray("Hello"));
    QCOMPARE(p.messages[1].second, QByteArray("Hello"));
    QCOMPARE(p.messages[2].second, QByteArray(300, 'x'));
    QCOMPARE(p.frames[2].opcode, quint8(WsFrameParser::Ping));
    QCOMPARE(p.frames[5].opcode, quint8(WsFrameParser::Close));
    QByteArray wire;
    for (const Parsed::Frame &f : p.frames)
        wire += f.wire;
    QCOMPARE(wire, stream);
    // The close frame's code and reason.
    WsFrameParser one(Role::Client);
    one.feed(close);
    const std::optional<WsFrame> f = one.next();
    QVERIFY(f);
    QCOMPARE(f->closeCode(), 1001);
    QCOMPARE(f->closeReason(), QStringLiteral("going away"));

    // The same from the other end: every frame masked with its own key.
    QByteArray masked;
    int n = 0;
    for (const Parsed::Frame &fr : p.frames) {
        const char key[4] = { char(n), char(n + 1), char(0x80 | n), char(0x55) };
        ++n;
        masked += WsFrameParser::encodeFrame(fr.opcode, fr.payload, fr.fin, QByteArrayView(key, 4));
    }
    const Parsed s = parseEveryWay(masked, Role::Server);
    QCOMPARE(s.error, Error::None);
    QCOMPARE(s.messages, p.messages);
    QCOMPARE(s.frames.size(), p.frames.size());
    for (qsizetype i = 0; i < s.frames.size(); ++i) {
        QVERIFY(s.frames[i].masked);
        QCOMPARE(s.frames[i].payload, p.frames[i].payload);
        QCOMPARE(s.frames[i].headerLength, p.frames[i].headerLength + 4);
    }
}

void tst_WsFrameParser::errors_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<Role>("role");
    QTest::addColumn<qint64>("maxFrame");
    QTest::addColumn<int>("framesBefore"); // good frames before the bad one, still returned
    QTest::addColumn<Error>("error");
    QTest::addColumn<int>("closeCode");
    const qint64 dflt = 16 * 1024 * 1024;
    QTest::newRow("RSV1") << bytes("\xc1\x00") << Role::Client << dflt << 0 << Error::ReservedBits << 1002;
    QTest::newRow("RSV3 after a good frame")
            << HelloUnmasked + bytes("\x91\x00") << Role::Client << dflt << 1 << Error::ReservedBits << 1002;
    QTest::newRow("opcode 3") << bytes("\x83\x00") << Role::Client << dflt << 0 << Error::UnknownOpcode << 1002;
    QTest::newRow("opcode 0xB") << bytes("\x8b\x00") << Role::Client << dflt << 0 << Error::UnknownOpcode << 1002;
    QTest::newRow("ping of 126") << bytes("\x89\x7e\x00\x7e") + QByteArray(126, 'p') << Role::Client << dflt << 0
                                 << Error::ControlFrameTooLong << 1002;
    QTest::newRow("fragmented ping") << bytes("\x09\x00") << Role::Client << dflt << 0 << Error::FragmentedControlFrame
                                     << 1002;
    QTest::newRow("64-bit length, high bit") << bytes("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01") << Role::Client
                                             << dflt << 0 << Error::LengthHighBit << 1002;
    QTest::newRow("over the maximum") << bytes("\x82\x7e\x01\x00") << Role::Client << qint64(255) << 0
                                      << Error::FrameTooLarge << 1009;
    QTest::newRow("at the maximum") << bytes("\x82\x7e\x01\x00") + QByteArray(256, 'b') + bytes("\x88\x01\x03")
                                    << Role::Client << qint64(256) << 1 << Error::BadClosePayload << 1002;
    QTest::newRow("masked from the server")
            << HelloMasked << Role::Client << dflt << 0 << Error::MaskedFromServer << 1002;
    QTest::newRow("unmasked from a client")
            << HelloUnmasked << Role::Server << dflt << 0 << Error::UnmaskedFromClient << 1002;
    QTest::newRow("continuation first") << FragmentedLo << Role::Client << dflt << 0 << Error::UnexpectedContinuation
                                        << 1002;
    QTest::newRow("new message inside one")
            << FragmentedHel + HelloUnmasked << Role::Client << dflt << 1 << Error::ExpectedContinuation << 1002;
    QTest::newRow("text not UTF-8") << bytes("\x81\x02\xc3\x28") << Role::Client << dflt << 0 << Error::InvalidUtf8
                                    << 1007;
    QTest::newRow("close code 1005") << bytes("\x88\x02\x03\xed") << Role::Client << dflt << 0
                                     << Error::InvalidCloseCode << 1002;
    QTest::newRow("close code 999") << bytes("\x88\x02\x03\xe7") << Role::Client << dflt << 0 << Error::InvalidCloseCode
                                    << 1002;
    QTest::newRow("close reason not UTF-8")
            << bytes("\x88\x04\x03\xe8\xff\xfe") << Role::Client << dflt << 0 << Error::InvalidCloseReason << 1007;
}

// Each violation: the frames before it are returned, then nothing; the error and its close code.
void tst_WsFrameParser::errors()
{
    QFETCH(QByteArray, input);
    QFETCH(Role, role);
    QFETCH(qint64, maxFrame);
    QFETCH(int, framesBefore);
    QFETCH(Error, error);
    QFETCH(int, closeCode);
    WsFrameParser::Limits limits;
    limits.maxFrame = maxFrame;
    const Parsed p = parseEveryWay(input, role, limits);
    QCOMPARE(p.error, error);
    QCOMPARE(p.frames.size(), framesBefore);
    QCOMPARE(WsFrameParser::closeCodeFor(error), closeCode);
    WsFrameParser parser(role, limits);
    parser.feed(input);
    while (parser.next()) { }
    QVERIFY(!parser.errorString().isEmpty());
    QCOMPARE(parser.closeCode(), closeCode);
    // Nothing more after an error, whatever comes.
    parser.feed(HelloUnmasked);
    QVERIFY(!parser.next());
    QCOMPARE(parser.error(), error);
}

// A character split across two frames is valid UTF-8 (the message is what counts); an invalid
// message fails only once it is complete, with 1007.
void tst_WsFrameParser::utf8IsCheckedOnTheWholeMessage()
{
    const QByteArray euro = "\xe2\x82\xac";
    const QByteArray split = WsFrameParser::encodeFrame(WsFrameParser::Text, euro.left(1), false)
            + WsFrameParser::encodeFrame(WsFrameParser::Continuation, euro.mid(1), true);
    const Parsed ok = parseEveryWay(split, Role::Client);
    QCOMPARE(ok.error, Error::None);
    QCOMPARE(ok.messages.size(), 1);
    QCOMPARE(ok.messages[0].second, euro);

    const QByteArray bad = WsFrameParser::encodeFrame(WsFrameParser::Text, euro.left(2), false)
            + WsFrameParser::encodeFrame(WsFrameParser::Continuation, "A", true);
    const Parsed p = parseEveryWay(bad, Role::Client);
    QCOMPARE(p.frames.size(), 1); // the first fragment passed: it could still have been completed
    QCOMPARE(p.error, Error::InvalidUtf8);
    QCOMPARE(WsFrameParser::closeCodeFor(p.error), 1007);
}

void tst_WsFrameParser::messageSizeIsBounded()
{
    WsFrameParser::Limits limits;
    limits.maxFrame = 8;
    limits.maxMessage = 10;
    const QByteArray six = WsFrameParser::encodeFrame(WsFrameParser::Binary, "aaaaaa", false)
            + WsFrameParser::encodeFrame(WsFrameParser::Ping, "") // control frames do not count
            + WsFrameParser::encodeFrame(WsFrameParser::Continuation, "bbbb", false);
    const Parsed fits = parseEveryWay(six + WsFrameParser::encodeFrame(WsFrameParser::Continuation, "", true),
                                      Role::Client, limits);
    QCOMPARE(fits.error, Error::None);
    QCOMPARE(fits.messages.size(), 1);
    QCOMPARE(fits.messages[0].second, QByteArray("aaaaaabbbb"));
    const Parsed over = parseEveryWay(six + WsFrameParser::encodeFrame(WsFrameParser::Continuation, "c", true),
                                      Role::Client, limits);
    QCOMPARE(over.error, Error::MessageTooLarge);
    QCOMPARE(over.frames.size(), 3);
    QCOMPARE(WsFrameParser::closeCodeFor(over.error), 1009);
}

void tst_WsFrameParser::encoderRoundTrips_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("masked");
    for (int size : { 0, 1, 125, 126, 65535, 65536, 70000 })
        for (bool masked : { false, true })
            QTest::addRow("%d %s", size, masked ? "masked" : "unmasked") << size << masked;
}

void tst_WsFrameParser::encoderRoundTrips()
{
    QFETCH(int, size);
    QFETCH(bool, masked);
    const QByteArray payload = filler(size);
    const QByteArray key = masked ? bytes("\x01\x80\xfe\x7f") : QByteArray();
    const QByteArray frame = WsFrameParser::encodeFrame(WsFrameParser::Binary, payload, true, key);
    QCOMPARE(frame.size(), WsFrameParser::headerLengthFor(quint64(size), masked) + size);
    WsFrameParser p(masked ? Role::Server : Role::Client);
    p.feed(frame);
    const std::optional<WsFrame> f = p.next();
    QVERIFY(f);
    QCOMPARE(f->payload, payload);
    QCOMPARE(f->maskKey, key);
    QCOMPARE(f->bytes(), frame);
    if (masked && size > 0)
        QVERIFY(frame.sliced(f->headerLength) != payload); // masked on the wire
    QCOMPARE(p.buffered(), 0);
}

void tst_WsFrameParser::closeReasonIsCutOnACharacter_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("reasonBytes");
    QTest::newRow("short") << QStringLiteral("client closing") << 14;
    QTest::newRow("123 ASCII: kept") << QString(123, u'a') << 123;
    QTest::newRow("124 ASCII: cut") << QString(124, u'a') << 123;
    QTest::newRow("é across 123") << QString(122, u'a') + QStringLiteral("é") << 122;
    QTest::newRow("€ across 123") << QString(121, u'a') + QStringLiteral("€") << 121;
    QTest::newRow("€ ending at 123") << QString(120, u'a') + QStringLiteral("€") << 123;
    QTest::newRow("emoji across 123") << QString(120, u'a') + QStringLiteral("😀") << 120;
}

void tst_WsFrameParser::closeReasonIsCutOnACharacter()
{
    QFETCH(QString, reason);
    QFETCH(int, reasonBytes);
    const QByteArray payload = WsFrameParser::closePayload(1000, reason);
    QCOMPARE(payload.size(), 2 + reasonBytes);
    QVERIFY(WsFrameParser::isValidUtf8(payload.sliced(2)));
    QVERIFY(reason.startsWith(QString::fromUtf8(payload.sliced(2))));
    // A valid close frame for the parser, whole.
    WsFrameParser p(Role::Server);
    p.feed(WsFrameParser::encodeFrame(WsFrameParser::Close, payload, true, "abcd"));
    const std::optional<WsFrame> f = p.next();
    QVERIFY2(f, qPrintable(p.errorString()));
    QCOMPARE(f->closeCode(), 1000);
    QCOMPARE(f->closeReason(), QString::fromUtf8(payload.sliced(2)));
}

void tst_WsFrameParser::headerLengths()
{
    QCOMPARE(WsFrameParser::headerLengthFor(0, false), 2);
    QCOMPARE(WsFrameParser::headerLengthFor(125, false), 2);
    QCOMPARE(WsFrameParser::headerLengthFor(126, false), 4);
    QCOMPARE(WsFrameParser::headerLengthFor(65535, false), 4);
    QCOMPARE(WsFrameParser::headerLengthFor(65536, false), 10);
    QCOMPARE(WsFrameParser::headerLengthFor(125, true), 6);
    QCOMPARE(WsFrameParser::headerLengthFor(126, true), 8);
    QCOMPARE(WsFrameParser::headerLengthFor(65536, true), 14);
    QCOMPARE(WsFrame().closeCode(), 1005); // no status in an empty close frame
}

QTEST_GUILESS_MAIN(tst_WsFrameParser)
#include "tst_wsframeparser.moc"
