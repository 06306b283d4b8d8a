// SPDX-License-Identifier: MIT
#include "messagecodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using rtlab::Message;
using rtlab::MessageCodec;
using rtlab::MessageType;
using rtlab::PublishLimits;
using rtlab::PublishRequest;

Q_DECLARE_METATYPE(rtlab::Message)
Q_DECLARE_METATYPE(rtlab::MessageCodec::Error)

namespace rtlab {

// Found by QTest through ADL, so a failed QCOMPARE names the error instead of printing nothing.
char *toString(MessageCodec::Error error)
{
    switch (error) {
    case MessageCodec::Error::None: return qstrdup("None");
    case MessageCodec::Error::InvalidJson: return qstrdup("InvalidJson");
    case MessageCodec::Error::NotAnObject: return qstrdup("NotAnObject");
    case MessageCodec::Error::WrongType: return qstrdup("WrongType");
    case MessageCodec::Error::MissingFrom: return qstrdup("MissingFrom");
    case MessageCodec::Error::FromTooLong: return qstrdup("FromTooLong");
    case MessageCodec::Error::MissingText: return qstrdup("MissingText");
    case MessageCodec::Error::TextTooLong: return qstrdup("TextTooLong");
    case MessageCodec::Error::BadClientTs: return qstrdup("BadClientTs");
    case MessageCodec::Error::BadClientMsgId: return qstrdup("BadClientMsgId");
    case MessageCodec::Error::InvalidUnicode: return qstrdup("InvalidUnicode");
    case MessageCodec::Error::BadFrom: return qstrdup("BadFrom");
    case MessageCodec::Error::BadText: return qstrdup("BadText");
    }
    return qstrdup("?");
}

} // namespace rtlab

class tst_MessageCodec : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void encodeHasNoRawLineBreak_data();
    void encodeHasNoRawLineBreak();
    void decodeRejects_data();
    void decodeRejects();
    void decodePublish_data();
    void decodePublish();
    void publishRoundTrip();
    void clientMsgId_data();
    void clientMsgId();
    void httpStatus_data();
    void httpStatus();
    void eventId();
    void parseEventId_data();
    void parseEventId();
};

// What the codec reads back when no clientTs was sent (the contract says "undefined if absent").
static const QJsonValue Absent = QJsonValue(QJsonValue::Undefined);

static Message chat(const QString &from, const QString &text, const QJsonValue &clientTs = Absent)
{
    Message m;
    m.id = 42;
    m.epoch = QStringLiteral("0123456789abcdef");
    m.type = MessageType::Chat;
    m.ts = 1700000000123456;
    m.from = from;
    m.text = text;
    m.clientTs = clientTs;
    return m;
}

void tst_MessageCodec::roundTrip_data()
{
    QTest::addColumn<Message>("message");

    QTest::newRow("chat without clientTs") << chat(QStringLiteral("ann"), QStringLiteral("hello"));
    QTest::newRow("chat with integral clientTs")
            << chat(QStringLiteral("ann"), QStringLiteral("hello"), QJsonValue(qint64(1700000000123)));
    QTest::newRow("chat with fractional clientTs")
            << chat(QStringLiteral("ann"), QStringLiteral("hello"), QJsonValue(1700000000123.25));
    QTest::newRow("chat with line breaks and non-ASCII text")
            << chat(QStringLiteral("zoë"), QStringLiteral("one\ntwo\r\nthree\r\u00e9\u20ac\U0001F600 \"quoted\""));

    Message tick;
    tick.id = 7;
    tick.epoch = QStringLiteral("e");
    tick.type = MessageType::Tick;
    tick.ts = 1;
    tick.data = QJsonObject { { QStringLiteral("cpu"), 0.25 },
                              { QStringLiteral("clients"), 3 },
                              { QStringLiteral("series"), QJsonArray { 1, 2.5, QStringLiteral("x") } },
                              { QStringLiteral("nested"),
                                QJsonObject {
                                        { QStringLiteral("ok"), true },
                                        { QStringLiteral("inner"), QJsonObject { { QStringLiteral("n"), -1 } } } } } };
    QTest::newRow("tick with nested data") << tick;

    Message emptyTick = tick;
    emptyTick.data = {};
    QTest::newRow("tick with empty data") << emptyTick;

    Message system;
    system.id = 1;
    system.epoch = QStringLiteral("e");
    system.type = MessageType::System;
    system.ts = 2;
    system.text = QStringLiteral("server restarting");
    QTest::newRow("system") << system;

    Message reset;
    reset.epoch = QStringLiteral("e");
    reset.type = MessageType::Reset;
    reset.ts = 3;
    reset.lost = 12;
    reset.cursor = 99;
    QTest::newRow("reset with a known loss") << reset;

    Message unknownReset = reset;
    unknownReset.lost = -1;
    unknownReset.cursor = 0;
    QTest::newRow("reset with an unknown loss") << unknownReset;

    Message withId = chat(QStringLiteral("ann"), QStringLiteral("hello"), QJsonValue(qint64(17)));
    withId.clientMsgId = QStringLiteral("a1b2c3-7");
    QTest::newRow("chat with clientMsgId") << withId;

    Message bigId = chat(QStringLiteral("a"), QStringLiteral("b"));
    bigId.id = (quint64(1) << 53); // the largest id a JavaScript client still reads exactly
    QTest::newRow("chat with id 2^53") << bigId;
}

void tst_MessageCodec::roundTrip()
{
    QFETCH(Message, message);

    const QByteArray json = MessageCodec::encode(message);
    QString error;
    const std::optional<Message> decoded = MessageCodec::decode(json, &error);
    QVERIFY2(decoded, qPrintable(error));
    QCOMPARE(decoded->type, message.type);
    QCOMPARE(decoded->id, message.id);
    QCOMPARE(decoded->epoch, message.epoch);
    QCOMPARE(decoded->ts, message.ts);
    QCOMPARE(decoded->from, message.from);
    QCOMPARE(decoded->text, message.text);
    QCOMPARE(decoded->data, message.data);
    QCOMPARE(decoded->clientTs.isDouble(), message.clientTs.isDouble());
    QCOMPARE(decoded->clientTs.toDouble(), message.clientTs.toDouble());
    // Without a number the decoder says "absent" as Undefined, whatever the sender held
    // (a default-constructed Message holds Null).
    if (!message.clientTs.isDouble())
        QVERIFY(decoded->clientTs.isUndefined());
    QCOMPARE(decoded->lost, message.lost);
    QCOMPARE(decoded->cursor, message.cursor);
    Message expected = message;
    if (!expected.clientTs.isDouble())
        expected.clientTs = Absent;
    QVERIFY(*decoded == expected);

    // The same message encodes to the same bytes: fan-out may encode once and reuse.
    QCOMPARE(MessageCodec::encode(*decoded), json);
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    QCOMPARE(object.value(QLatin1String("type")).toString(), rtlab::messageTypeName(message.type));
    QCOMPARE(object.contains(QLatin1String("id")), message.type != MessageType::Reset);
    QCOMPARE(object.contains(QLatin1String("clientTs")), message.clientTs.isDouble());
}

void tst_MessageCodec::encodeHasNoRawLineBreak_data()
{
    QTest::addColumn<QString>("text");

    QTest::newRow("LF") << QStringLiteral("a\nb");
    QTest::newRow("CR") << QStringLiteral("a\rb");
    QTest::newRow("CRLF") << QStringLiteral("a\r\nb");
    QTest::newRow("only line breaks") << QStringLiteral("\n\r\n\r");
    QTest::newRow("blank line, as would end an SSE event") << QStringLiteral("a\n\ndata: injected\n\n");
}

void tst_MessageCodec::encodeHasNoRawLineBreak()
{
    QFETCH(QString, text);

    Message system;
    system.type = MessageType::System;
    system.text = text;
    for (const Message &m : { chat(QStringLiteral("x"), text), system }) {
        const QByteArray json = MessageCodec::encode(m);
        QVERIFY2(!json.contains('\n'), json.constData());
        QVERIFY2(!json.contains('\r'), json.constData());
        QCOMPARE(MessageCodec::decode(json)->text, text);
    }
    PublishRequest request { QStringLiteral("x"), text, {} };
    const QByteArray publish = MessageCodec::encodePublish(request);
    QVERIFY(!publish.contains('\n'));
    QVERIFY(!publish.contains('\r'));
}

void tst_MessageCodec::decodeRejects_data()
{
    QTest::addColumn<QByteArray>("json");

    QTest::newRow("malformed JSON") << QByteArray("{\"type\":\"chat\",");
    QTest::newRow("JSON array") << QByteArray("[1,2]");
    QTest::newRow("empty input") << QByteArray();
    QTest::newRow("missing type") << QByteArray("{\"id\":1,\"epoch\":\"e\"}");
    QTest::newRow("unknown type") << QByteArray("{\"type\":\"shout\",\"id\":1}");
    QTest::newRow("chat without id") << QByteArray("{\"type\":\"chat\",\"from\":\"a\",\"text\":\"b\"}");
    QTest::newRow("chat with negative id") << QByteArray("{\"type\":\"chat\",\"id\":-1}");
    QTest::newRow("chat with string id") << QByteArray("{\"type\":\"chat\",\"id\":\"1\"}");
}

void tst_MessageCodec::decodeRejects()
{
    QFETCH(QByteArray, json);

    QString error;
    QVERIFY(!MessageCodec::decode(json, &error));
    QVERIFY(!error.isEmpty());
}

static QByteArray publishJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

static QByteArray publishJson(const QString &from, const QString &text)
{
    return publishJson({ { QStringLiteral("type"), QStringLiteral("chat") },
                         { QStringLiteral("from"), from },
                         { QStringLiteral("text"), text } });
}

void tst_MessageCodec::decodePublish_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<MessageCodec::Error>("error");
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QJsonValue>("clientTs");

    using E = MessageCodec::Error;
    const qsizetype limit = PublishLimits {}.maxTextBytes;
    const QString ann = QStringLiteral("ann");
    const QString hi = QStringLiteral("hi");

    QTest::newRow("valid") << QByteArray(R"({"type":"chat","from":"ann","text":"hi"})") << E::None << ann << hi
                           << Absent;
    QTest::newRow("valid with clientTs") << QByteArray(
            R"({"type":"chat","from":"ann","text":"hi","clientTs":1700000000123})")
                                         << E::None << ann << hi << QJsonValue(qint64(1700000000123));
    QTest::newRow("valid with fractional clientTs")
            << QByteArray(R"({"type":"chat","from":"ann","text":"hi","clientTs":12.5})") << E::None << ann << hi
            << QJsonValue(12.5);
    QTest::newRow("type omitted") << QByteArray(R"({"from":"ann","text":"hi"})") << E::None << ann << hi << Absent;
    QTest::newRow("unknown keys ignored")
            << QByteArray(R"({"from":"ann","text":"hi","id":9,"epoch":"x"})") << E::None << ann << hi << Absent;
    QTest::newRow("text with line breaks")
            << publishJson(ann, QStringLiteral("a\r\nb\nc")) << E::None << ann << QStringLiteral("a\r\nb\nc") << Absent;
    QTest::newRow("malformed JSON") << QByteArray(R"({"from":"ann","text":)") << E::InvalidJson << QString()
                                    << QString() << Absent;
    QTest::newRow("empty body") << QByteArray() << E::InvalidJson << QString() << QString() << Absent;
    QTest::newRow("JSON array") << QByteArray(R"([{"from":"ann","text":"hi"}])") << E::NotAnObject << QString()
                                << QString() << Absent;
    QTest::newRow("wrong type") << QByteArray(R"({"type":"tick","from":"ann","text":"hi"})") << E::WrongType
                                << QString() << QString() << Absent;
    QTest::newRow("type not a string") << QByteArray(R"({"type":1,"from":"ann","text":"hi"})") << E::WrongType
                                       << QString() << QString() << Absent;
    QTest::newRow("missing from") << QByteArray(R"({"type":"chat","text":"hi"})") << E::MissingFrom << QString()
                                  << QString() << Absent;
    QTest::newRow("from not a string") << QByteArray(R"({"from":7,"text":"hi"})") << E::MissingFrom << QString()
                                       << QString() << Absent;
    QTest::newRow("blank from") << QByteArray(R"({"from":" \t ","text":"hi"})") << E::MissingFrom << QString()
                                << QString() << Absent;
    const QString from64(64, QLatin1Char('f'));
    QTest::newRow("from of exactly the limit") << publishJson(from64, hi) << E::None << from64 << hi << Absent;
    QTest::newRow("from too long") << publishJson(QString(65, QLatin1Char('f')), hi) << E::FromTooLong << QString()
                                   << QString() << Absent;
    QTest::newRow("missing text") << QByteArray(R"({"from":"ann"})") << E::MissingText << QString() << QString()
                                  << Absent;
    QTest::newRow("empty text") << QByteArray(R"({"from":"ann","text":""})") << E::MissingText << QString() << QString()
                                << Absent;
    QTest::newRow("text not a string") << QByteArray(R"({"from":"ann","text":["hi"]})") << E::MissingText << QString()
                                       << QString() << Absent;

    const QString exact(limit, QLatin1Char('t'));
    QTest::newRow("text of exactly the limit") << publishJson(ann, exact) << E::None << ann << exact << Absent;
    QTest::newRow("text one byte over the limit") << publishJson(ann, QString(limit + 1, QLatin1Char('t')))
                                                  << E::TextTooLong << QString() << QString() << Absent;
    // The limit counts UTF-8 bytes, not characters: "é" is two bytes, "€" three, "😀" four.
    const QString twoByte(limit / 2, QChar(0x00e9));
    QTest::newRow("two-byte UTF-8 text of exactly the limit")
            << publishJson(ann, twoByte) << E::None << ann << twoByte << Absent;
    QTest::newRow("two-byte UTF-8 text one byte over the limit")
            << publishJson(ann, twoByte + QLatin1Char('x')) << E::TextTooLong << QString() << QString() << Absent;
    QString fourByte;
    for (qsizetype i = 0; i < limit / 4; ++i)
        fourByte += QStringLiteral("\U0001F600");
    QTest::newRow("four-byte UTF-8 text of exactly the limit")
            << publishJson(ann, fourByte) << E::None << ann << fourByte << Absent;
    QTest::newRow("three-byte UTF-8 text over the limit by fewer characters than the limit")
            << publishJson(ann, QString(limit / 3 + 1, QChar(0x20ac))) << E::TextTooLong << QString() << QString()
            << Absent;

    QTest::newRow("clientTs not a number") << QByteArray(R"({"from":"ann","text":"hi","clientTs":"123"})")
                                           << E::BadClientTs << QString() << QString() << Absent;
    QTest::newRow("clientTs null") << QByteArray(R"({"from":"ann","text":"hi","clientTs":null})") << E::BadClientTs
                                   << QString() << QString() << Absent;
    QTest::newRow("clientTs object") << QByteArray(R"({"from":"ann","text":"hi","clientTs":{}})") << E::BadClientTs
                                     << QString() << QString() << Absent;

    // Strings a strict JSON reader cannot take: an escape for half a surrogate pair is valid JSON
    // syntax, and Qt 6.4 keeps it as a lone UTF-16 unit that its writer escapes again as "\ud800",
    // so it would be stored and sent to every subscriber (Python's json, serde, Go refuse it).
    QTest::newRow("lone high surrogate in text") << QByteArray(R"({"from":"ann","text":"a\ud800b"})")
                                                 << E::InvalidUnicode << QString() << QString() << Absent;
    QTest::newRow("lone low surrogate in text") << QByteArray(R"({"from":"ann","text":"a\udc00"})") << E::InvalidUnicode
                                                << QString() << QString() << Absent;
    QTest::newRow("high surrogate at the end of text") << QByteArray(R"({"from":"ann","text":"a\ud83d"})")
                                                       << E::InvalidUnicode << QString() << QString() << Absent;
    QTest::newRow("surrogates in the wrong order") << QByteArray(R"({"from":"ann","text":"\ude00\ud83d"})")
                                                   << E::InvalidUnicode << QString() << QString() << Absent;
    QTest::newRow("lone surrogate in from")
            << QByteArray(R"({"from":"a\ud800","text":"hi"})") << E::InvalidUnicode << QString() << QString() << Absent;
    QTest::newRow("lone surrogate in clientMsgId")
            << QByteArray(R"({"from":"ann","text":"hi","clientMsgId":"k\udfff"})") << E::InvalidUnicode << QString()
            << QString() << Absent;
    QTest::newRow("an escaped surrogate pair") << QByteArray(R"({"from":"ann","text":"\ud83d\ude00"})") << E::None
                                               << ann << QStringLiteral("\U0001F600") << Absent;
    // `from` is a name shown beside other text: no control characters (they would cut or hide it)
    // and no bidi controls (an override would turn the text after it around: "Trojan Source").
    QTest::newRow("NUL in from") << QByteArray(R"({"from":"a\u0000b","text":"hi"})") << E::BadFrom << QString()
                                 << QString() << Absent;
    QTest::newRow("newline in from") << QByteArray(R"({"from":"a\nb","text":"hi"})") << E::BadFrom << QString()
                                     << QString() << Absent;
    QTest::newRow("tab in from") << QByteArray(R"({"from":"a\tb","text":"hi"})") << E::BadFrom << QString() << QString()
                                 << Absent;
    QTest::newRow("ESC in from") << QByteArray(R"({"from":"a\u001b[31m","text":"hi"})") << E::BadFrom << QString()
                                 << QString() << Absent;
    QTest::newRow("DEL in from") << QByteArray(R"({"from":"a\u007f","text":"hi"})") << E::BadFrom << QString()
                                 << QString() << Absent;
    QTest::newRow("C1 control in from") << QByteArray(R"({"from":"a\u0085","text":"hi"})") << E::BadFrom << QString()
                                        << QString() << Absent;
    QTest::newRow("line separator in from")
            << QByteArray(R"({"from":"a\u2028b","text":"hi"})") << E::BadFrom << QString() << QString() << Absent;
    for (const char16_t bidi :
         { u'\u202a', u'\u202b', u'\u202c', u'\u202d', u'\u202e', u'\u2066', u'\u2067', u'\u2068', u'\u2069' }) {
        const QString from = QStringLiteral("ann") + QChar(bidi) + QStringLiteral("nimda");
        QTest::addRow("bidi control U+%04X in from", unsigned(bidi))
                << publishJson(from, hi) << E::BadFrom << QString() << QString() << Absent;
        // In text they stay: a right-to-left writer needs them, and each message is a paragraph
        // of its own in every client, so an override cannot reach past it.
        const QString text = QStringLiteral("abc") + QChar(bidi) + QStringLiteral("def");
        QTest::addRow("bidi control U+%04X in text", unsigned(bidi))
                << publishJson(ann, text) << E::None << ann << text << Absent;
    }
    const QString rtlName = QStringLiteral("\u05d3\u05e0\u05d4 dana \u00e9\U0001F600");
    QTest::newRow("right-to-left letters, accents and emoji in from")
            << publishJson(rtlName, hi) << E::None << rtlName << hi << Absent;
    // In text, line breaks and tabs are writing; NUL and the other C0 controls are not.
    QTest::newRow("NUL in text") << QByteArray(R"({"from":"ann","text":"a\u0000b"})") << E::BadText << QString()
                                 << QString() << Absent;
    QTest::newRow("ESC in text") << QByteArray(R"({"from":"ann","text":"\u001b[2J"})") << E::BadText << QString()
                                 << QString() << Absent;
    QTest::newRow("backspace in text") << QByteArray(R"({"from":"ann","text":"a\bb"})") << E::BadText << QString()
                                       << QString() << Absent;
    QTest::newRow("tab, CR and LF in text") << publishJson(ann, QStringLiteral("a\tb\r\nc\n")) << E::None << ann
                                            << QStringLiteral("a\tb\r\nc\n") << Absent;
}

void tst_MessageCodec::decodePublish()
{
    QFETCH(QByteArray, json);
    QFETCH(MessageCodec::Error, error);
    QFETCH(QString, from);
    QFETCH(QString, text);
    QFETCH(QJsonValue, clientTs);

    const PublishRequest untouched { QStringLiteral("untouched"), QStringLiteral("untouched"), QJsonValue(-1) };
    PublishRequest request = untouched;
    QString errorString;
    QCOMPARE(MessageCodec::decodePublish(json, PublishLimits {}, &request, &errorString), error);
    if (error == MessageCodec::Error::None) {
        QVERIFY2(errorString.isEmpty(), qPrintable(errorString));
        QCOMPARE(request.from, from);
        QCOMPARE(request.text, text);
        QCOMPARE(request.clientTs.isUndefined(), clientTs.isUndefined());
        QCOMPARE(request.clientTs.toDouble(), clientTs.toDouble());
    } else {
        QVERIFY(!errorString.isEmpty());
        // A rejected request leaves the output alone.
        QCOMPARE(request.from, untouched.from);
        QCOMPARE(request.text, untouched.text);
        QCOMPARE(request.clientTs, untouched.clientTs);
    }
    // The output and the error text are optional.
    QCOMPARE(MessageCodec::decodePublish(json, PublishLimits {}, nullptr), error);
}

void tst_MessageCodec::publishRoundTrip()
{
    const PublishRequest sent { QStringLiteral("ann"), QStringLiteral("line\nbreak"), QJsonValue(1234.5) };
    PublishRequest received;
    QCOMPARE(MessageCodec::decodePublish(MessageCodec::encodePublish(sent), PublishLimits {}, &received),
             MessageCodec::Error::None);
    QCOMPARE(received.from, sent.from);
    QCOMPARE(received.text, sent.text);
    QCOMPARE(received.clientTs.toDouble(), 1234.5);

    const PublishRequest noTs { QStringLiteral("ann"), QStringLiteral("hi"), Absent };
    QVERIFY(!MessageCodec::encodePublish(noTs).contains("clientTs"));
    QCOMPARE(MessageCodec::decodePublish(MessageCodec::encodePublish(noTs), PublishLimits {}, &received),
             MessageCodec::Error::None);
    QVERIFY(received.clientTs.isUndefined());
}

void tst_MessageCodec::clientMsgId_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<MessageCodec::Error>("error");
    QTest::addColumn<QString>("clientMsgId");

    using E = MessageCodec::Error;
    const QString id64(PublishLimits::MaxClientMsgIdChars, QLatin1Char('c'));
    auto with = [](const QByteArray &value) { return R"({"from":"ann","text":"hi","clientMsgId":)" + value + "}"; };
    QTest::newRow("absent") << QByteArray(R"({"from":"ann","text":"hi"})") << E::None << QString();
    QTest::newRow("one character") << with(R"("x")") << E::None << QStringLiteral("x");
    QTest::newRow("exactly the limit") << with('"' + id64.toUtf8() + '"') << E::None << id64;
    QTest::newRow("one over the limit") << with('"' + id64.toUtf8() + "c\"") << E::BadClientMsgId << QString();
    QTest::newRow("empty") << with(R"("")") << E::BadClientMsgId << QString();
    QTest::newRow("a number") << with("17") << E::BadClientMsgId << QString();
    QTest::newRow("null") << with("null") << E::BadClientMsgId << QString();
    QTest::newRow("an object") << with("{}") << E::BadClientMsgId << QString();
}

// A publisher's clientMsgId: validated on the way in, carried through to the message.
void tst_MessageCodec::clientMsgId()
{
    QFETCH(QByteArray, json);
    QFETCH(MessageCodec::Error, error);
    QFETCH(QString, clientMsgId);

    PublishRequest request;
    request.clientMsgId = QStringLiteral("untouched");
    QString why;
    QCOMPARE(MessageCodec::decodePublish(json, PublishLimits {}, &request, &why), error);
    if (error != MessageCodec::Error::None) {
        QVERIFY(why.contains(QLatin1String("clientMsgId")));
        QCOMPARE(request.clientMsgId, QStringLiteral("untouched"));
        return;
    }
    QCOMPARE(request.clientMsgId, clientMsgId);
    // Encoded again only when there is one.
    const QByteArray again = MessageCodec::encodePublish(request);
    QCOMPARE(again.contains("clientMsgId"), !clientMsgId.isEmpty());
    PublishRequest back;
    QCOMPARE(MessageCodec::decodePublish(again, PublishLimits {}, &back), MessageCodec::Error::None);
    QCOMPARE(back.clientMsgId, clientMsgId);
}

void tst_MessageCodec::httpStatus_data()
{
    QTest::addColumn<MessageCodec::Error>("error");
    QTest::addColumn<int>("status");

    using E = MessageCodec::Error;
    QTest::newRow("None") << E::None << 202;
    QTest::newRow("InvalidJson") << E::InvalidJson << 400;
    QTest::newRow("NotAnObject") << E::NotAnObject << 400;
    QTest::newRow("WrongType") << E::WrongType << 400;
    QTest::newRow("MissingFrom") << E::MissingFrom << 400;
    QTest::newRow("FromTooLong") << E::FromTooLong << 400;
    QTest::newRow("MissingText") << E::MissingText << 400;
    QTest::newRow("TextTooLong") << E::TextTooLong << 413;
    QTest::newRow("BadClientTs") << E::BadClientTs << 400;
    QTest::newRow("BadClientMsgId") << E::BadClientMsgId << 400;
    QTest::newRow("InvalidUnicode") << E::InvalidUnicode << 400;
    QTest::newRow("BadFrom") << E::BadFrom << 400;
    QTest::newRow("BadText") << E::BadText << 400;
}

void tst_MessageCodec::httpStatus()
{
    QFETCH(MessageCodec::Error, error);
    QFETCH(int, status);

    QCOMPARE(MessageCodec::httpStatus(error), status);
}

void tst_MessageCodec::eventId()
{
    QCOMPARE(MessageCodec::eventId(QStringLiteral("0123456789abcdef"), 42), QStringLiteral("0123456789abcdef:42"));
    QCOMPARE(MessageCodec::eventId(QStringLiteral("e"), 0), QStringLiteral("e:0"));
    QCOMPARE(MessageCodec::eventId(QStringLiteral("e"), std::numeric_limits<quint64>::max()),
             QStringLiteral("e:18446744073709551615"));

    QString epoch;
    quint64 id = 0;
    QVERIFY(MessageCodec::parseEventId(MessageCodec::eventId(QStringLiteral("cafe"), 17), &epoch, &id));
    QCOMPARE(epoch, QStringLiteral("cafe"));
    QCOMPARE(id, quint64(17));
    // Both outputs are optional.
    QVERIFY(MessageCodec::parseEventId(u"cafe:17", nullptr, nullptr));
}

void tst_MessageCodec::parseEventId_data()
{
    QTest::addColumn<QString>("eventId");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("epoch");
    QTest::addColumn<quint64>("id");

    QTest::newRow("valid") << QStringLiteral("0123456789abcdef:42") << true << QStringLiteral("0123456789abcdef")
                           << quint64(42);
    QTest::newRow("id 0") << QStringLiteral("e:0") << true << QStringLiteral("e") << quint64(0);
    QTest::newRow("huge id") << QStringLiteral("e:18446744073709551615") << true << QStringLiteral("e")
                             << std::numeric_limits<quint64>::max();
    QTest::newRow("id past uint64") << QStringLiteral("e:18446744073709551616") << false << QString() << quint64(0);
    QTest::newRow("no colon") << QStringLiteral("42") << false << QString() << quint64(0);
    QTest::newRow("empty") << QString() << false << QString() << quint64(0);
    QTest::newRow("non-numeric id") << QStringLiteral("e:abc") << false << QString() << quint64(0);
    QTest::newRow("id with trailing garbage") << QStringLiteral("e:12x") << false << QString() << quint64(0);
    QTest::newRow("negative id") << QStringLiteral("e:-1") << false << QString() << quint64(0);
    QTest::newRow("empty id") << QStringLiteral("e:") << false << QString() << quint64(0);
    QTest::newRow("empty epoch") << QStringLiteral(":42") << false << QString() << quint64(0);
    // A message id is decimal digits, nothing else (what QString::toULongLong also takes is not).
    QTest::newRow("id with a plus") << QStringLiteral("e:+42") << false << QString() << quint64(0);
    QTest::newRow("id with a space before") << QStringLiteral("e: 42") << false << QString() << quint64(0);
    QTest::newRow("id with a space after") << QStringLiteral("e:42 ") << false << QString() << quint64(0);
    QTest::newRow("id with leading zeros") << QStringLiteral("e:0042") << true << QStringLiteral("e") << quint64(42);
    QTest::newRow("id in Arabic-Indic digits") << QStringLiteral("e:\u0664\u0662") << false << QString() << quint64(0);
}

void tst_MessageCodec::parseEventId()
{
    QFETCH(QString, eventId);
    QFETCH(bool, ok);
    QFETCH(QString, epoch);
    QFETCH(quint64, id);

    QString parsedEpoch = QStringLiteral("untouched");
    quint64 parsedId = 12345;
    QCOMPARE(MessageCodec::parseEventId(eventId, &parsedEpoch, &parsedId), ok);
    if (ok) {
        QCOMPARE(parsedEpoch, epoch);
        QCOMPARE(parsedId, id);
    } else {
        QCOMPARE(parsedEpoch, QStringLiteral("untouched"));
        QCOMPARE(parsedId, quint64(12345));
    }
}

QTEST_APPLESS_MAIN(tst_MessageCodec)
#include "tst_messagecodec.moc"
