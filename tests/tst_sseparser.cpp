// SPDX-License-Identifier: MIT
// Vectors follow WHATWG HTML, "Interpreting an event stream" (server-sent events, 9.2.6), and the
// facts checked by the web-platform-tests in eventsource/format-*. Every vector is fed whole, in
// every two-piece split (empty pieces included) and one byte at a time, and must give the same
// result each way: the parser is incremental, so where a read ends can never matter.

#include "sseparser.h"

#include <QTest>

#include <memory>

#include "splitfeed.h"
#include "testprinters.h"

using rtlab::SseEvent;
using rtlab::SseParser;

namespace {

constexpr qint64 NoRetry = -1;
const QByteArray Bom("\xEF\xBB\xBF");
constexpr qsizetype DefaultMaxLine = 1024 * 1024;

// Everything a stream leaves behind once it has ended.
struct ParseResult
{
    QList<SseEvent> events {};
    qint64 retry = NoRetry; // the parser's retry(), NoRetry when no valid "retry:" was seen
    QString lastEventId {}; // the parser's lastEventId() after the stream
    qint64 comments = 0;
    bool lineTooLong = false;

    bool operator==(const ParseResult &) const = default;
};

// A literal as bytes, embedded NULs included.
template<qsizetype N>
QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

SseEvent ev(QStringView data, QStringView lastEventId = {}, QStringView type = u"message")
{
    return SseEvent { type.toString(), data.toString(), lastEventId.toString() };
}

QString nul(qsizetype count = 1)
{
    return QString(count, QChar(u'\0'));
}

ParseResult parsePieces(const QList<QByteArrayView> &pieces, qsizetype maxLine)
{
    SseParser parser(maxLine);
    ParseResult r;
    for (QByteArrayView piece : pieces) {
        parser.feed(piece);
        r.events += parser.takeEvents();
    }
    parser.finish();
    r.events += parser.takeEvents();
    r.retry = parser.retry().value_or(NoRetry);
    r.lastEventId = parser.lastEventId();
    r.comments = parser.commentCount();
    r.lineTooLong = parser.error() == SseParser::Error::LineTooLong;
    return r;
}

void compareResult(const ParseResult &got, const ParseResult &want, const QByteArray &how)
{
    if (got != want)
        qInfo("input fed %s", how.constData());
    QCOMPARE(got.events, want.events);
    QCOMPARE(got.retry, want.retry);
    QCOMPARE(got.lastEventId, want.lastEventId);
    QCOMPARE(got.comments, want.comments);
    QCOMPARE(got.lineTooLong, want.lineTooLong);
}

// The one check every vector goes through: whole, every two-piece split, one byte at a time.
void checkEverySplit(const QByteArray &input, const ParseResult &want, qsizetype maxLine = DefaultMaxLine)
{
    rtlab::test::forEachFeeding(input, [&](const rtlab::test::Feeding &feeding) {
        compareResult(parsePieces(feeding.pieces, maxLine), want, feeding.name().toUtf8());
        return !QTest::currentTestFailed();
    });
}

void addColumns()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<ParseResult>("expected");
}

} // namespace

class tst_SseParser : public QObject
{
    Q_OBJECT

private slots:
    void lineEnds_data();
    void lineEnds() { check(); }
    void byteOrderMark_data();
    void byteOrderMark() { check(); }
    void dataField_data();
    void dataField() { check(); }
    void eventField_data();
    void eventField() { check(); }
    void idField_data();
    void idField() { check(); }
    void retryField_data();
    void retryField() { check(); }
    void commentsAndUnknownFields_data();
    void commentsAndUnknownFields() { check(); }
    void utf8_data();
    void utf8() { check(); }
    void endOfStream_data();
    void endOfStream() { check(); }
    void lineLengthLimit_data();
    void lineLengthLimit();

    void crlfAcrossReads();
    void finishThenNextStream();
    void errorStopsParsing();
    void resetClearsEverything();

private:
    static void check()
    {
        QFETCH(QByteArray, input);
        QFETCH(ParseResult, expected);
        checkEverySplit(input, expected);
    }
};

// "The stream must then be parsed by reading everything line by line, with a U+000D CARRIAGE RETURN
// U+000A LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF) character not preceded by a
// U+000D CARRIAGE RETURN (CR) character, and a single U+000D CARRIAGE RETURN (CR) character not
// followed by a U+000A LINE FEED (LF) character being the ways in which a line can end."
void tst_SseParser::lineEnds_data()
{
    addColumns();
    QTest::newRow("lf") << bytes("data:a\n\n") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("cr") << bytes("data:a\r\r") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("crlf") << bytes("data:a\r\n\r\n") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("cr, lf and crlf mixed in one event")
            << bytes("data:a\rdata:b\ndata:c\r\n\n") << ParseResult { .events = { ev(u"a\nb\nc") } };
    QTest::newRow("crlf then lf is a line end and a blank line")
            << bytes("data:a\r\n\ndata:b\r\n\r\n") << ParseResult { .events = { ev(u"a"), ev(u"b") } };
    QTest::newRow("lf then cr is two line ends")
            << bytes("data:a\n\rdata:b\n\n") << ParseResult { .events = { ev(u"a"), ev(u"b") } };
    QTest::newRow("cr then crlf is two line ends")
            << bytes("data:a\r\r\ndata:b\n\n") << ParseResult { .events = { ev(u"a"), ev(u"b") } };
    QTest::newRow("crlf crlf between events, cr cr at the end")
            << bytes("data:1\r\n\r\ndata:2\r\r") << ParseResult { .events = { ev(u"1"), ev(u"2") } };
    // WPT format-newlines.
    QTest::newRow("wpt format-newlines") << bytes("data:test\r\ndata\ndata:test\r\n\r")
                                         << ParseResult { .events = { ev(u"test\n\ntest") } };
    QTest::newRow("several blank lines dispatch once")
            << bytes("data:a\n\n\n\r\n\r") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("empty input") << QByteArray() << ParseResult {};
}

// The stream is decoded with "UTF-8 decode", which strips one leading BOM, and the ABNF allows one:
// stream = [ bom ] *event.
void tst_SseParser::byteOrderMark_data()
{
    addColumns();
    QTest::newRow("leading bom is skipped") << Bom + "data:1\n\n" << ParseResult { .events = { ev(u"1") } };
    // WPT format-bom: a BOM later in the stream belongs to the line, so "\uFEFFdata" is an unknown field.
    QTest::newRow("wpt format-bom: a bom after the start is part of the line") << Bom + "data:1\n\n" + Bom
                    + "data:2\n\ndata:3\n\n" << ParseResult { .events = { ev(u"1"), ev(u"3") } };
    // WPT format-bom-2: only one BOM is stripped.
    QTest::newRow("wpt format-bom-2: a second leading bom is part of the first line") << Bom + Bom
                    + "data:1\n\ndata:2\n\ndata:3\n\n" << ParseResult { .events = { ev(u"2"), ev(u"3") } };
    QTest::newRow("bom then comment") << Bom + ":hi\ndata:x\n\n"
                                      << ParseResult { .events = { ev(u"x") }, .comments = 1 };
    QTest::newRow("bom then blank line") << Bom + "\ndata:x\n\n" << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("incomplete bom is not a bom") << Bom.first(2) + "data:1\n\ndata:2\n\n"
                                                 << ParseResult { .events = { ev(u"2") } };
    QTest::newRow("bom only") << Bom << ParseResult {};
}

// "If the field name is "data": Append the field value to the data buffer, then append a single
// U+000A LINE FEED (LF) character to the data buffer." On dispatch: "If the data buffer's last
// character is a U+000A LINE FEED (LF) character, then remove the last character from the data buffer."
void tst_SseParser::dataField_data()
{
    addColumns();
    QTest::newRow("single line") << bytes("data: hello\n\n") << ParseResult { .events = { ev(u"hello") } };
    QTest::newRow("lines joined with lf")
            << bytes("data:a\ndata:b\ndata:c\n\n") << ParseResult { .events = { ev(u"a\nb\nc") } };
    QTest::newRow("only the last lf is removed")
            << bytes("data:a\ndata\n\n") << ParseResult { .events = { ev(u"a\n") } };
    QTest::newRow("no colon: empty data dispatches an empty string")
            << bytes("data\n\n") << ParseResult { .events = { ev(u"") } };
    QTest::newRow("colon, no value: empty string") << bytes("data:\n\n") << ParseResult { .events = { ev(u"") } };
    QTest::newRow("two empty data lines are one lf")
            << bytes("data\ndata\n\n") << ParseResult { .events = { ev(u"\n") } };
    // WPT format-field-data.
    QTest::newRow("wpt format-field-data") << bytes("data:\n\ndata\ndata\n\ndata:test\n\n")
                                           << ParseResult { .events = { ev(u""), ev(u"\n"), ev(u"test") } };
    // "If value starts with a U+0020 SPACE character, remove it from value."
    QTest::newRow("one leading space is stripped") << bytes("data: a\n\n") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("only one leading space is stripped")
            << bytes("data:  a\n\n") << ParseResult { .events = { ev(u" a") } };
    QTest::newRow("a lone space is an empty value") << bytes("data: \n\n") << ParseResult { .events = { ev(u"") } };
    QTest::newRow("tab is not stripped") << bytes("data:\ta\n\n") << ParseResult { .events = { ev(u"\ta") } };
    QTest::newRow("trailing spaces are kept") << bytes("data: a  \n\n") << ParseResult { .events = { ev(u"a  ") } };
    // WPT format-leading-space.
    QTest::newRow("wpt format-leading-space")
            << bytes("data:\ttest\rdata: \ndata:test\n\n") << ParseResult { .events = { ev(u"\ttest\n\ntest") } };
    // "Collect the characters on the line after the first U+003A COLON character (:)".
    QTest::newRow("later colons belong to the value")
            << bytes("data: a: b:c\n\n") << ParseResult { .events = { ev(u"a: b:c") } };
    // WPT format-null-character.
    QTest::newRow("wpt format-null-character: nul in data is kept")
            << bytes("data:\0\n\n") << ParseResult { .events = { ev(nul()) } };
    // WPT format-field-parsing: case-sensitive names, no trimming, NUL is an ordinary character.
    QTest::newRow("wpt format-field-parsing")
            << bytes("data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n"
                     " data:32\ndata:4\n\n")
            << ParseResult { .events = { ev(nul() + QStringLiteral("\n 2\n1\n3\n\n4")) } };
    QTest::newRow("several events") << bytes("data:1\n\ndata:2\n\ndata:3\n\n")
                                    << ParseResult { .events = { ev(u"1"), ev(u"2"), ev(u"3") } };
}

// "If the field name is "event": Set the event type buffer to field value." On dispatch the type is
// "message" when the buffer is empty, and the buffer is reset afterwards.
void tst_SseParser::eventField_data()
{
    addColumns();
    QTest::newRow("named event") << bytes("event:ping\ndata:x\n\n")
                                 << ParseResult { .events = { ev(u"x", u"", u"ping") } };
    // WPT format-field-event.
    QTest::newRow("wpt format-field-event: type reset after dispatch")
            << bytes("event:test\ndata:x\n\ndata:x\n\n")
            << ParseResult { .events = { ev(u"x", u"", u"test"), ev(u"x") } };
    // WPT format-field-event-empty.
    QTest::newRow("wpt format-field-event-empty: empty type is message")
            << bytes("event: \ndata:data\n\n") << ParseResult { .events = { ev(u"data") } };
    QTest::newRow("event without colon is message")
            << bytes("event\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("last event field wins")
            << bytes("event:a\nevent:b\ndata:x\n\n") << ParseResult { .events = { ev(u"x", u"", u"b") } };
    QTest::newRow("event after data in the same block")
            << bytes("data:x\nevent:late\n\n") << ParseResult { .events = { ev(u"x", u"", u"late") } };
    // "If the data buffer is an empty string, set the data buffer and the event type buffer to the
    // empty string and return."
    QTest::newRow("type of an event without data is dropped")
            << bytes("event:ping\n\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("type keeps spaces and case")
            << bytes("event:  Up Date \ndata:x\n\n") << ParseResult { .events = { ev(u"x", u"", u" Up Date ") } };
    QTest::newRow("explicit message type")
            << bytes("event:message\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
}

// "If the field name is "id": If the field value does not contain U+0000 NULL, then set the last event
// ID buffer to the field value. Otherwise, ignore the field." On dispatch: "Set the last event ID string
// of the event source to the value of the last event ID buffer. The buffer does not get reset".
void tst_SseParser::idField_data()
{
    addColumns();
    QTest::newRow("id attached to the event")
            << bytes("id:1\ndata:a\n\n")
            << ParseResult { .events = { ev(u"a", u"1") }, .lastEventId = QStringLiteral("1") };
    QTest::newRow("id persists across events")
            << bytes("id:1\ndata:a\n\ndata:b\n\n")
            << ParseResult { .events = { ev(u"a", u"1"), ev(u"b", u"1") }, .lastEventId = QStringLiteral("1") };
    QTest::newRow("id after data in the same block")
            << bytes("data:a\nid:7\n\n")
            << ParseResult { .events = { ev(u"a", u"7") }, .lastEventId = QStringLiteral("7") };
    QTest::newRow("later id replaces earlier")
            << bytes("id:1\ndata:a\n\nid:2\ndata:b\n\n")
            << ParseResult { .events = { ev(u"a", u"1"), ev(u"b", u"2") }, .lastEventId = QStringLiteral("2") };
    QTest::newRow("empty id resets the last event id")
            << bytes("id:1\ndata:a\n\nid:\ndata:b\n\n") << ParseResult { .events = { ev(u"a", u"1"), ev(u"b") } };
    QTest::newRow("id without colon resets the last event id")
            << bytes("id:1\ndata:a\n\nid\ndata:b\n\n") << ParseResult { .events = { ev(u"a", u"1"), ev(u"b") } };
    // WPT format-field-id-null.
    QTest::newRow("wpt format-field-id-null: id with nul is ignored")
            << bytes("id:1\ndata:a\n\nid:\0\0\ndata:b\n\n")
            << ParseResult { .events = { ev(u"a", u"1"), ev(u"b", u"1") }, .lastEventId = QStringLiteral("1") };
    QTest::newRow("nul in the middle of an id")
            << bytes("id:2\0x\ndata:b\n\n") << ParseResult { .events = { ev(u"b") } };
    QTest::newRow("id keeps inner and trailing spaces")
            << bytes("id: a b \ndata:x\n\n")
            << ParseResult { .events = { ev(u"x", u"a b ") }, .lastEventId = QStringLiteral("a b ") };
    // Dispatch sets the last event ID string before it looks at the data buffer.
    QTest::newRow("blank line without data still sets the last event id")
            << bytes("id:5\n\n") << ParseResult { .lastEventId = QStringLiteral("5") };
    QTest::newRow("id-only block then data")
            << bytes("id:5\n\ndata:x\n\n")
            << ParseResult { .events = { ev(u"x", u"5") }, .lastEventId = QStringLiteral("5") };
    QTest::newRow("id-only block resets to empty")
            << bytes("id:5\ndata:a\n\nid\n\n") << ParseResult { .events = { ev(u"a", u"5") } };
}

// "If the field name is "retry": If the field value consists of only ASCII digits, then interpret the
// field value as an integer in base ten, and set the event stream's reconnection time to that
// integer. Otherwise, ignore the field."
void tst_SseParser::retryField_data()
{
    addColumns();
    QTest::newRow("digits") << bytes("retry:1000\n") << ParseResult { .retry = 1000 };
    QTest::newRow("one leading space stripped") << bytes("retry: 1000\n") << ParseResult { .retry = 1000 };
    QTest::newRow("zero") << bytes("retry:0\n") << ParseResult { .retry = 0 };
    QTest::newRow("leading zeros") << bytes("retry:03000\n") << ParseResult { .retry = 3000 };
    QTest::newRow("retry does not dispatch and does not need a blank line")
            << bytes("retry:5\ndata:x\n\n") << ParseResult { .events = { ev(u"x") }, .retry = 5 };
    // WPT format-field-retry-bogus.
    QTest::newRow("wpt format-field-retry-bogus: bogus value keeps the previous one")
            << bytes("retry:2000\nretry:1000x\ndata:x\n\n") << ParseResult { .events = { ev(u"x") }, .retry = 2000 };
    QTest::newRow("later valid value replaces") << bytes("retry:1\nretry:2\n") << ParseResult { .retry = 2 };
    // WPT format-field-retry-empty.
    QTest::newRow("wpt format-field-retry-empty: no colon")
            << bytes("retry\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("empty value") << bytes("retry:\n") << ParseResult {};
    QTest::newRow("lone space") << bytes("retry: \n") << ParseResult {};
    QTest::newRow("two leading spaces") << bytes("retry:  1000\n") << ParseResult {};
    QTest::newRow("trailing space") << bytes("retry:1000 \n") << ParseResult {};
    QTest::newRow("minus sign") << bytes("retry:-1\n") << ParseResult {};
    QTest::newRow("plus sign") << bytes("retry:+1\n") << ParseResult {};
    QTest::newRow("decimal point") << bytes("retry:1.5\n") << ParseResult {};
    QTest::newRow("exponent") << bytes("retry:1e3\n") << ParseResult {};
    QTest::newRow("hex") << bytes("retry:0x10\n") << ParseResult {};
    QTest::newRow("arabic-indic digit is not an ascii digit") << bytes("retry:\xD9\xA3\n") << ParseResult {};
    QTest::newRow("fullwidth digit is not an ascii digit") << bytes("retry:\xEF\xBC\x91\n") << ParseResult {};
    QTest::newRow("field name is case-sensitive") << bytes("Retry:10\n") << ParseResult {};
}

// "If the line starts with a U+003A COLON character (:): Ignore the line." and "Otherwise: The field
// is ignored." (unknown names). A line without a colon is a field with an empty value.
void tst_SseParser::commentsAndUnknownFields_data()
{
    addColumns();
    QTest::newRow("comment") << bytes(":hello\n") << ParseResult { .comments = 1 };
    QTest::newRow("bare colon") << bytes(":\n") << ParseResult { .comments = 1 };
    QTest::newRow("comment looking like a field") << bytes(": data: x\n\n") << ParseResult { .comments = 1 };
    QTest::newRow("comment inside an event")
            << bytes("data:a\n: hi\ndata:b\n\n") << ParseResult { .events = { ev(u"a\nb") }, .comments = 1 };
    QTest::newRow("comment then blank line dispatches nothing")
            << bytes(":hb\n\n:hb\n\n") << ParseResult { .comments = 2 };
    // WPT format-comments.
    const QByteArray longComment(2 * 1024, 'x');
    QTest::newRow("wpt format-comments") << bytes("data:1\r:\0\n:\r\ndata:2\n:") + longComment
                    + bytes("\rdata:3\n:data:fail\r:") + longComment + bytes("\ndata:4\n\n")
                                         << ParseResult { .events = { ev(u"1\n2\n3\n4") }, .comments = 5 };
    QTest::newRow("unknown field") << bytes("foo:bar\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("field without a colon is ignored when unknown")
            << bytes("justsometext\ndata:x\n\n") << ParseResult { .events = { ev(u"x") } };
    QTest::newRow("space before the colon makes another name") << bytes("data :x\n\n") << ParseResult {};
    QTest::newRow("field names are case-sensitive") << bytes("DATA:x\nEvent:y\nID:1\n\n") << ParseResult {};
    // WPT format-field-unknown.
    QTest::newRow("wpt format-field-unknown")
            << bytes("data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n")
            << ParseResult { .events = { ev(u"test\n\ntest") }, .comments = 1 };
}

// "Streams must be decoded using the UTF-8 decode algorithm." Lines are decoded once complete, so a
// code point may arrive in pieces (every split of these vectors cuts one).
void tst_SseParser::utf8_data()
{
    addColumns();
    // WPT format-utf-8.
    QTest::newRow("wpt format-utf-8: three-byte character")
            << bytes("data:ok\xE2\x80\xA6\n\n") << ParseResult { .events = { ev(u"ok\u2026") } };
    QTest::newRow("two-byte characters") << bytes("data:\xC3\xA9t\xC3\xA9\n\n")
                                         << ParseResult { .events = { ev(u"\u00E9t\u00E9") } };
    QTest::newRow("four-byte character") << bytes("data:\xF0\x9F\x98\x80!\n\n")
                                         << ParseResult { .events = { ev(u"\U0001F600!") } };
    QTest::newRow("non-ascii type and id") << bytes("event:\xC3\xA9v\nid:\xE2\x82\xAC-1\ndata:x\n\n")
                                           << ParseResult { .events = { ev(u"x", u"\u20AC-1", u"\u00E9v") },
                                                            .lastEventId = QStringLiteral("\u20AC-1") };
    QTest::newRow("invalid byte becomes replacement character")
            << bytes("data:x\xFFy\n\n") << ParseResult { .events = { ev(u"x\uFFFDy") } };
}

// "Once the end of the file is reached, any pending data must be discarded. (If the file ends in the
// middle of an event, before the final empty line, the incomplete event is not dispatched.)"
void tst_SseParser::endOfStream_data()
{
    addColumns();
    QTest::newRow("unterminated line is not dispatched") << bytes("data:a") << ParseResult {};
    QTest::newRow("event without its blank line is not dispatched")
            << bytes("data:a\n\ndata:b\n") << ParseResult { .events = { ev(u"a") } };
    QTest::newRow("event ending in a lone cr line end is not dispatched") << bytes("data:a\r") << ParseResult {};
    // WPT format-data-before-final-empty-line: the pending id never becomes the last event ID.
    QTest::newRow("wpt format-data-before-final-empty-line")
            << bytes("retry:1000\ndata:test1\n\nid:test\ndata:test2")
            << ParseResult { .events = { ev(u"test1") }, .retry = 1000 };
    QTest::newRow("pending id is not applied")
            << bytes("id:1\ndata:a\n\nid:2\n")
            << ParseResult { .events = { ev(u"a", u"1") }, .lastEventId = QStringLiteral("1") };
}

void tst_SseParser::lineLengthLimit_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<ParseResult>("expected");
    // The limit counts the bytes of one line, without its line end. 16 bytes: "data:" + 11.
    QTest::newRow("line at the limit") << bytes("data:0123456789a\n\n")
                                       << ParseResult { .events = { ev(u"0123456789a") } };
    QTest::newRow("crlf does not count") << bytes("data:0123456789a\r\n\r\n")
                                         << ParseResult { .events = { ev(u"0123456789a") } };
    QTest::newRow("line one byte over") << bytes("data:0123456789ab\n\n") << ParseResult { .lineTooLong = true };
    QTest::newRow("over-long line without line end")
            << bytes("data:0123456789ab") << ParseResult { .lineTooLong = true };
    QTest::newRow("over-long comment") << bytes(":0123456789abcdef\n") << ParseResult { .lineTooLong = true };
    QTest::newRow("events before the long line are kept, nothing after")
            << bytes("data:a\n\nid:1\ndata:0123456789ab\n\ndata:b\n\n")
            << ParseResult { .events = { ev(u"a") }, .lineTooLong = true };
    QTest::newRow("many short lines add up to no limit")
            << bytes("data:0123456789\ndata:0123456789\ndata:0123456789\n\n")
            << ParseResult { .events = { ev(u"0123456789\n0123456789\n0123456789") } };
}

void tst_SseParser::lineLengthLimit()
{
    QFETCH(QByteArray, input);
    QFETCH(ParseResult, expected);
    checkEverySplit(input, expected, 16);
}

// The LF of a CRLF may arrive in the next read; it must not be taken for a blank line, and neither may
// an LF that follows a complete CRLF be swallowed as if it were one.
void tst_SseParser::crlfAcrossReads()
{
    SseParser parser;
    parser.feed("data: a\r");
    QVERIFY(!parser.hasEvents());
    parser.feed("\n");
    QVERIFY(!parser.hasEvents());
    parser.feed("\r");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"a") });
    parser.feed("\n");
    parser.feed("data: b\r");
    parser.feed("");
    parser.feed("\n\n");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"b") });
    // A whole CRLF ends a read: the LF that starts the next one is a blank line.
    parser.feed("data: c\r\n");
    parser.feed("\n");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"c") });
}

// After finish() the parser may read the next stream (an EventSource reconnecting keeps its last event
// ID string). The id of the event cut off by the end was pending data: it is discarded with the event,
// so the next stream's events do not carry it (WPT format-data-before-final-empty-line: after
// "id:test\ndata:test2" ended the stream, the next "test1" still has the old last event ID).
void tst_SseParser::finishThenNextStream()
{
    SseParser parser;
    parser.feed("id:1\ndata:a\n\nid:test\ndata:test2");
    parser.finish();
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"a", u"1") });
    QCOMPARE(parser.lastEventId(), QStringLiteral("1"));

    parser.feed("data:b\n\n");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"b", u"1") });
    QCOMPARE(parser.lastEventId(), QStringLiteral("1"));
}

void tst_SseParser::errorStopsParsing()
{
    SseParser parser(8);
    parser.feed("data:a\n\n:0123456789");
    QCOMPARE(parser.error(), SseParser::Error::LineTooLong);
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"a") });
    parser.feed("\ndata:b\n\n");
    QVERIFY(!parser.hasEvents());
    QCOMPARE(parser.commentCount(), qint64(0));
}

void tst_SseParser::resetClearsEverything()
{
    SseParser parser(32);
    parser.feed(Bom + ":c\nretry:7\nid:9\ndata:a\n\ndata:pending");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"a", u"9") });
    parser.feed(QByteArray(40, 'x'));
    QCOMPARE(parser.error(), SseParser::Error::LineTooLong);

    parser.reset();
    QCOMPARE(parser.error(), SseParser::Error::None);
    QCOMPARE(parser.lastEventId(), QString());
    QVERIFY(!parser.retry().has_value());
    QCOMPARE(parser.commentCount(), qint64(0));
    QVERIFY(!parser.hasEvents());

    // A fresh stream: its BOM is skipped again, and the limit still holds.
    parser.feed(Bom + "data:b\n\n");
    QCOMPARE(parser.takeEvents(), QList<SseEvent> { ev(u"b") });
    parser.feed(QByteArray(40, 'x'));
    QCOMPARE(parser.error(), SseParser::Error::LineTooLong);
}

QTEST_APPLESS_MAIN(tst_SseParser)

#include "tst_sseparser.moc"
