// SPDX-License-Identifier: MIT
// Responses follow RFC 9112 (HTTP/1.1 message syntax): §6.3 for how a body's length is found,
// §7.1 for chunked framing, §9.3 for persistence. Every input is fed whole, in every two-piece
// split (empty pieces included) and one byte at a time, and must give the same result each way,
// the byte ledger (head, body, framing) included.

#include "httpresponseparser.h"

#include <QTest>

#include "splitfeed.h"

using rtlab::HttpResponseParser;
using State = rtlab::HttpResponseParser::State;
using Headers = QList<std::pair<QByteArray, QByteArray>>;

Q_DECLARE_METATYPE(rtlab::HttpResponseParser::State)

namespace rtlab {

// Found by QTest through ADL, so a failed QCOMPARE names the state.
char *toString(HttpResponseParser::State state)
{
    switch (state) {
    case HttpResponseParser::State::NeedMore: return qstrdup("NeedMore");
    case HttpResponseParser::State::HeadComplete: return qstrdup("HeadComplete");
    case HttpResponseParser::State::Complete: return qstrdup("Complete");
    case HttpResponseParser::State::Error: return qstrdup("Error");
    }
    return qstrdup("?");
}

} // namespace rtlab

namespace {

// What one parser made of some input fed in given pieces the way a connection does: each piece
// once, stopping at the end of a response or at an error, then the connection closes.
struct Outcome
{
    State stateBeforeClose = State::NeedMore; // before finish()
    State state = State::NeedMore;            // after finish()
    QString errorString;
    int status = 0;
    Headers headers;
    bool keepAlive = true;
    QByteArray body; // every takeBody() after every feed() and after finish(), concatenated
    qsizetype consumed = 0;
    qint64 headBytes = 0;
    qint64 bodyBytes = 0;
    qint64 framingBytes = 0;
    QString problem; // set if the parser broke its own contract while being fed

    bool operator==(const Outcome &) const = default;
};

Outcome feedPieces(const QList<QByteArrayView> &pieces, bool headRequest)
{
    HttpResponseParser parser;
    parser.reset(headRequest);
    Outcome out;
    for (QByteArrayView piece : pieces) {
        const qsizetype n = parser.feed(piece);
        out.body += parser.takeBody();
        if (n < 0 || n > piece.size()) {
            out.problem = QStringLiteral("feed() returned %1 for %2 bytes").arg(n).arg(piece.size());
            break;
        }
        out.consumed += n;
        if (parser.state() == State::Complete || parser.state() == State::Error)
            break;
        if (n != piece.size()) {
            // A parser in the middle of a response takes everything it is given.
            out.problem =
                    QStringLiteral("feed() took %1 of %2 bytes but the response is not over").arg(n).arg(piece.size());
            break;
        }
    }
    out.stateBeforeClose = parser.state();
    parser.finish();
    out.body += parser.takeBody();
    out.state = parser.state();
    out.errorString = parser.errorString();
    out.status = parser.status();
    out.headers = parser.headers();
    out.keepAlive = parser.keepAlive();
    out.headBytes = parser.headBytes();
    out.bodyBytes = parser.bodyBytes();
    out.framingBytes = parser.framingBytes();
    return out;
}

// Empty if a and b say the same; otherwise what differs.
QString difference(const Outcome &a, const Outcome &b)
{
    if (!b.problem.isEmpty())
        return b.problem;
    if (a == b)
        return {};
    if (a.stateBeforeClose != b.stateBeforeClose || a.state != b.state)
        return QStringLiteral("state %1/%2 vs %3/%4")
                .arg(int(a.stateBeforeClose))
                .arg(int(a.state))
                .arg(int(b.stateBeforeClose))
                .arg(int(b.state));
    if (a.errorString != b.errorString)
        return QStringLiteral("error \"%1\" vs \"%2\"").arg(a.errorString, b.errorString);
    if (a.status != b.status)
        return QStringLiteral("status %1 vs %2").arg(a.status).arg(b.status);
    if (a.headers != b.headers)
        return QStringLiteral("headers differ (%1 vs %2)").arg(a.headers.size()).arg(b.headers.size());
    if (a.keepAlive != b.keepAlive)
        return QStringLiteral("keepAlive differs");
    if (a.body != b.body)
        return QStringLiteral("body differs (%1 vs %2 bytes)").arg(a.body.size()).arg(b.body.size());
    return QStringLiteral("bytes (consumed, head, body, framing) %1, %2, %3, %4 vs %5, %6, %7, %8")
            .arg(a.consumed)
            .arg(a.headBytes)
            .arg(a.bodyBytes)
            .arg(a.framingBytes)
            .arg(b.consumed)
            .arg(b.headBytes)
            .arg(b.bodyBytes)
            .arg(b.framingBytes);
}

// Parses raw whole, then in every two-piece split, then one byte at a time. Returns the
// outcome of the whole feed; *disagreement names the first feeding that said otherwise.
Outcome parseEveryWay(const QByteArray &raw, bool headRequest, QString *disagreement)
{
    return rtlab::test::parseEveryWay(
            raw, [&](const QList<QByteArrayView> &pieces) { return feedPieces(pieces, headRequest); }, difference,
            disagreement);
}

constexpr qint64 NotChecked = -1;

} // namespace

class tst_HttpResponseParser : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void pipelining_data();
    void pipelining();
    void headBytesKnownWhenTheHeadEnds_data();
    void headBytesKnownWhenTheHeadEnds();
    void feedAfterTheEnd();
    void resetStartsOver();
    void headerLookup();
};

void tst_HttpResponseParser::parse_data()
{
    QTest::addColumn<QByteArray>("head"); // status line, headers and the blank line
    QTest::addColumn<QByteArray>("rest"); // whatever follows the head on the wire
    QTest::addColumn<bool>("headRequest");
    QTest::addColumn<State>("stateBeforeClose");
    QTest::addColumn<State>("state");
    QTest::addColumn<int>("status");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<qint64>("framingBytes"); // NotChecked: no framing to speak of
    QTest::addColumn<bool>("keepAlive");

    // A response that ends by itself: complete before the connection closes, no framing.
    auto complete = [](const char *name, const QByteArray &head, const QByteArray &body, int status,
                       const Headers &headers, bool keepAlive = true, bool headRequest = false) {
        QTest::newRow(name) << head << body << headRequest << State::Complete << State::Complete << status << headers
                            << body << qint64(0) << keepAlive;
    };

    complete("200 with Content-Length body",
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n", "hello world", 200,
             { { "content-type", "text/plain" }, { "content-length", "11" } });
    complete("202 JSON", "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n",
             "{\"id\":\"m-17\",\"queued\":true}", 202,
             { { "content-type", "application/json" }, { "content-length", "27" } });
    complete("204 no body", "HTTP/1.1 204 No Content\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n", {}, 204,
             { { "date", "Mon, 01 Jan 2024 00:00:00 GMT" } });
    // §6.3 rule 1: a 304 never has a body, whether or not there is a Content-Length.
    complete("304", "HTTP/1.1 304 Not Modified\r\nETag: \"v42\"\r\n\r\n", {}, 304, { { "etag", "\"v42\"" } });
    complete("200 with Content-Length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", {}, 200,
             { { "content-length", "0" } });
    complete("body with CRLFs and NULs", "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n",
             QByteArray("a\r\n\r\n\0b\0", 8), 200, { { "content-length", "8" } });
    // §6.3 rule 1: the response to a HEAD request ends at the blank line; its Content-Length
    // describes the body a GET would have had.
    complete("HEAD response", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1234\r\n\r\n", {}, 200,
             { { "content-type", "text/html" }, { "content-length", "1234" } }, true, true);
    complete("HEAD response to a chunked resource", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", {}, 200,
             { { "transfer-encoding", "chunked" } }, true, true);
    // §9.3: "close" ends persistence; HTTP/1.0 persists only with "keep-alive".
    complete("Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n", "ok", 200,
             { { "connection", "close" }, { "content-length", "2" } }, false);
    complete("HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", "ok", 200, { { "content-length", "2" } },
             false);
    complete("HTTP/1.0 with Connection: keep-alive",
             "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", "ok", 200,
             { { "connection", "keep-alive" }, { "content-length", "2" } }, true);
    complete("header names lower-cased, values trimmed",
             "HTTP/1.1 200 OK\r\nX-MiXeD-CaSe:   spaced out \t \r\nCONTENT-LENGTH:2\r\nX-Empty:\r\n\r\n", "ok", 200,
             { { "x-mixed-case", "spaced out" }, { "content-length", "2" }, { "x-empty", "" } });
    complete("empty header value between two others",
             "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-Empty:\r\nX-B:  \r\nContent-Length: 0\r\n\r\n", {}, 200,
             { { "x-a", "1" }, { "x-empty", "" }, { "x-b", "" }, { "content-length", "0" } });
    complete("repeated headers kept in order",
             "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n", {}, 200,
             { { "set-cookie", "a=1" }, { "set-cookie", "b=2" }, { "content-length", "0" } });
    complete("reason phrase is optional", "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n", "x", 200,
             { { "content-length", "1" } });
    complete("bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\n", "ok", 200, { { "content-length", "2" } });

    // §7.1: chunk-size [ext] CRLF, data CRLF, ..., last-chunk "0" CRLF, trailer, CRLF. The framing
    // is every byte of that except the data.
    QTest::newRow("chunked body") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                                  << QByteArray("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") << false << State::Complete
                                  << State::Complete << 200 << Headers { { "transfer-encoding", "chunked" } }
                                  << QByteArray("hello world") << qint64(3 + 2 + 3 + 2 + 5) << true;
    QTest::newRow("chunked body, hex sizes of two digits")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            << QByteArray("1a\r\nabcdefghijklmnopqrstuvwxyz\r\nA\r\n0123456789\r\n0\r\n\r\n") << false
            << State::Complete << State::Complete << 200 << Headers { { "transfer-encoding", "chunked" } }
            << QByteArray("abcdefghijklmnopqrstuvwxyz0123456789") << qint64(4 + 2 + 3 + 2 + 5) << true;
    QTest::newRow("chunked body with CRLFs inside a chunk")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            << QByteArray("4\r\n\r\n\r\n\r\n0\r\n\r\n") << false << State::Complete << State::Complete << 200
            << Headers { { "transfer-encoding", "chunked" } } << QByteArray("\r\n\r\n") << qint64(3 + 2 + 5) << true;
    QTest::newRow("chunked body with an extension and a trailer")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            << QByteArray("3;name=value\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n") << false << State::Complete
            << State::Complete << 200 << Headers { { "transfer-encoding", "chunked" } } << QByteArray("abc")
            << qint64(14 + 2 + 3 + 14 + 2) << true;
    QTest::newRow("chunked, no chunks") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                                        << QByteArray("0\r\n\r\n") << false << State::Complete << State::Complete << 200
                                        << Headers { { "transfer-encoding", "chunked" } } << QByteArray() << qint64(5)
                                        << true;

    // §6.3 rule 8: no Content-Length and not chunked, the body runs until the connection closes.
    QTest::newRow("close-delimited body")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            << QByteArray("streamed until\r\n\r\nthe close") << false << State::HeadComplete << State::Complete << 200
            << Headers { { "content-type", "text/plain" } } << QByteArray("streamed until\r\n\r\nthe close")
            << qint64(0) << false;
    QTest::newRow("close-delimited, empty body")
            << QByteArray("HTTP/1.1 200 OK\r\n\r\n") << QByteArray() << false << State::HeadComplete << State::Complete
            << 200 << Headers {} << QByteArray() << qint64(0) << false;

    // Cut short by the close: §8 "incomplete message".
    QTest::newRow("closed in the middle of a Content-Length body")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") << QByteArray("abc") << false
            << State::HeadComplete << State::Error << 200 << Headers { { "content-length", "10" } } << QByteArray("abc")
            << qint64(0) << true;
    QTest::newRow("closed in the middle of a chunk")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") << QByteArray("5\r\nhel") << false
            << State::HeadComplete << State::Error << 200 << Headers { { "transfer-encoding", "chunked" } }
            << QByteArray("hel") << qint64(3) << true;
    QTest::newRow("closed in the middle of the head")
            << QByteArray() << QByteArray("HTTP/1.1 200 OK\r\nContent-Le") << false << State::NeedMore << State::Error
            << 0 << Headers {} << QByteArray() << NotChecked << true;
    QTest::newRow("closed before any byte") << QByteArray() << QByteArray() << false << State::NeedMore << State::Error
                                            << 0 << Headers {} << QByteArray() << qint64(0) << true;

    // Not a response at all, or broken framing: an error, whatever came before.
    // Status -1: only the error is checked; how far such input got is nobody's business.
    auto error = [](const char *name, const QByteArray &raw) {
        QTest::newRow(name) << QByteArray() << raw << false << State::Error << State::Error << -1 << Headers {}
                            << QByteArray() << NotChecked << true;
    };
    error("garbage", "garbage\r\n\r\n");
    error("binary garbage", QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    error("a request instead of a response", "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    error("status that is not a number", "HTTP/1.1 2x0 OK\r\n\r\n");
    error("bad version", "HTTP/x.1 200 OK\r\n\r\n");
    error("header without a colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok");
    error("Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\nok");
    error("bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
}

void tst_HttpResponseParser::parse()
{
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, rest);
    QFETCH(bool, headRequest);
    QFETCH(State, stateBeforeClose);
    QFETCH(State, state);
    QFETCH(int, status);
    QFETCH(Headers, headers);
    QFETCH(QByteArray, body);
    QFETCH(qint64, framingBytes);
    QFETCH(bool, keepAlive);

    const QByteArray raw = head + rest;
    QString disagreement;
    const Outcome out = parseEveryWay(raw, headRequest, &disagreement);
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));

    QCOMPARE(out.stateBeforeClose, stateBeforeClose);
    QCOMPARE(out.state, state);
    if (state == State::Error) {
        QVERIFY(!out.errorString.isEmpty());
        if (status < 0)
            return;
    } else {
        QVERIFY2(out.errorString.isEmpty(), qPrintable(out.errorString));
    }
    QCOMPARE(out.consumed, raw.size());
    QCOMPARE(out.status, status);
    QCOMPARE(out.headers, headers);
    QCOMPARE(out.keepAlive, keepAlive);
    QCOMPARE(out.body, body);

    // The ledger: the head is the status line, the headers and the blank line, to the byte; the
    // body is the decoded payload; the framing is everything else; together they are the input.
    QCOMPARE(out.headBytes, qint64(head.size()));
    QCOMPARE(out.bodyBytes, qint64(body.size()));
    if (framingBytes != NotChecked)
        QCOMPARE(out.framingBytes, framingBytes);
    QCOMPARE(out.headBytes + out.bodyBytes + out.framingBytes, qint64(raw.size()));
}

void tst_HttpResponseParser::pipelining_data()
{
    QTest::addColumn<QByteArray>("first");
    QTest::addColumn<bool>("firstIsHead"); // the first answers a HEAD request
    QTest::addColumn<QByteArray>("second");
    QTest::addColumn<int>("secondStatus");
    QTest::addColumn<QByteArray>("secondBody");

    QTest::newRow("two Content-Length responses")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none") << false
            << QByteArray("HTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\ntwo") << 202 << QByteArray("two");
    QTest::newRow("chunked then 204") << QByteArray(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\n\r\n")
                                      << false << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << 204 << QByteArray();
    QTest::newRow("204 then a body") << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << false
                                     << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << 200
                                     << QByteArray("ok");
    QTest::newRow("304 with a Content-Length, then a body")
            << QByteArray("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n") << false
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << 200 << QByteArray("ok");
    QTest::newRow("204 with a Content-Length, then a body")
            << QByteArray("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n") << false
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << 200 << QByteArray("ok");
    QTest::newRow("304 then a body") << QByteArray("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n") << false
                                     << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << 200
                                     << QByteArray("ok");
    QTest::newRow("HEAD response then a body")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") << true
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") << 200 << QByteArray("hello");
    QTest::newRow("bare LF responses") << QByteArray("HTTP/1.1 200 OK\nContent-Length: 1\n\na") << false
                                       << QByteArray("HTTP/1.1 201 Created\nContent-Length: 1\n\nb") << 201
                                       << QByteArray("b");
}

void tst_HttpResponseParser::pipelining()
{
    QFETCH(QByteArray, first);
    QFETCH(bool, firstIsHead);
    QFETCH(QByteArray, second);
    QFETCH(int, secondStatus);
    QFETCH(QByteArray, secondBody);

    // However the bytes arrive, the parser stops exactly at the end of the first response.
    const QByteArray both = first + second;
    QString disagreement;
    const Outcome out = parseEveryWay(both, firstIsHead, &disagreement);
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));
    QCOMPARE(out.stateBeforeClose, State::Complete);
    QCOMPARE(out.consumed, first.size());
    QCOMPARE(out.headBytes + out.bodyBytes + out.framingBytes, qint64(first.size()));

    HttpResponseParser parser;
    parser.reset(firstIsHead);
    QCOMPARE(parser.feed(both), first.size());
    QCOMPARE(parser.state(), State::Complete);
    QCOMPARE(parser.feed(QByteArrayView(both).sliced(first.size())), 0);

    parser.reset();
    QCOMPARE(parser.feed(QByteArrayView(both).sliced(first.size())), second.size());
    QCOMPARE(parser.state(), State::Complete);
    QCOMPARE(parser.status(), secondStatus);
    QCOMPARE(parser.takeBody(), secondBody);
    QCOMPARE(parser.headBytes() + parser.bodyBytes() + parser.framingBytes(), qint64(second.size()));
}

void tst_HttpResponseParser::headBytesKnownWhenTheHeadEnds_data()
{
    QTest::addColumn<QByteArray>("head");

    QTest::newRow("CRLF head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    QTest::newRow("bare LF head") << QByteArray("HTTP/1.1 200 OK\nContent-Length: 5\n\n");
    QTest::newRow("chunked head") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    QTest::newRow("close-delimited head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
}

void tst_HttpResponseParser::headBytesKnownWhenTheHeadEnds()
{
    QFETCH(QByteArray, head);

    // libhttp-parser calls on_headers_complete while sitting on the final LF; that LF is part of
    // the head all the same, and is counted as soon as feed() returns, whatever the split.
    QString disagreement;
    const Outcome out = parseEveryWay(head, false, &disagreement);
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));
    QCOMPARE(out.stateBeforeClose, State::HeadComplete);
    QCOMPARE(out.consumed, head.size());
    QCOMPARE(out.headBytes, qint64(head.size()));

    HttpResponseParser parser;
    QCOMPARE(parser.feed(head), head.size());
    QCOMPARE(parser.state(), State::HeadComplete);
    QVERIFY(parser.headComplete());
    QCOMPARE(parser.headBytes(), qint64(head.size()));
    QCOMPARE(parser.bodyBytes(), 0);
    QCOMPARE(parser.framingBytes(), 0);

    // One byte short of the head: not complete, nothing counted as head yet.
    HttpResponseParser shortOne;
    QCOMPARE(shortOne.feed(QByteArrayView(head).chopped(1)), head.size() - 1);
    QCOMPARE(shortOne.state(), State::NeedMore);
    QVERIFY(!shortOne.headComplete());
    QCOMPARE(shortOne.headBytes(), 0);
}

void tst_HttpResponseParser::feedAfterTheEnd()
{
    HttpResponseParser parser;
    const QByteArray response = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
    QCOMPARE(parser.feed(response), response.size());
    QCOMPARE(parser.state(), State::Complete);
    QCOMPARE(parser.feed("HTTP/1.1 200 OK\r\n\r\n"), 0);
    QCOMPARE(parser.feed("x"), 0);
    parser.finish();
    QCOMPARE(parser.state(), State::Complete);
    QCOMPARE(parser.takeBody(), QByteArray("a"));
    QCOMPARE(parser.takeBody(), QByteArray());

    HttpResponseParser failed;
    failed.feed("NOT HTTP\r\n\r\n");
    QCOMPARE(failed.state(), State::Error);
    const QString error = failed.errorString();
    QVERIFY(!error.isEmpty());
    QCOMPARE(failed.feed("HTTP/1.1 200 OK\r\n\r\n"), 0);
    failed.finish();
    QCOMPARE(failed.state(), State::Error);
    QCOMPARE(failed.errorString(), error);

    HttpResponseParser empty;
    QCOMPARE(empty.feed(QByteArrayView()), 0);
    QCOMPARE(empty.state(), State::NeedMore);
}

void tst_HttpResponseParser::resetStartsOver()
{
    HttpResponseParser parser;
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n");
    QCOMPARE(parser.state(), State::Error);

    parser.reset();
    QCOMPARE(parser.state(), State::NeedMore);
    QVERIFY(parser.errorString().isEmpty());
    QVERIFY(!parser.headComplete());
    QCOMPARE(parser.status(), 0);
    QVERIFY(parser.headers().isEmpty());
    QCOMPARE(parser.headBytes(), 0);
    QCOMPARE(parser.bodyBytes(), 0);
    QCOMPARE(parser.framingBytes(), 0);

    // A HEAD reset does not outlive the next reset.
    const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    parser.reset(true);
    QCOMPARE(parser.feed(head), head.size());
    QCOMPARE(parser.state(), State::Complete);
    parser.reset();
    QCOMPARE(parser.feed(head + "ok"), head.size() + 2);
    QCOMPARE(parser.state(), State::Complete);
    QCOMPARE(parser.takeBody(), QByteArray("ok"));
    QCOMPARE(parser.headers().size(), 1);

    // Body not taken before a reset is dropped.
    parser.reset();
    parser.feed(head + "o");
    parser.reset();
    QCOMPARE(parser.takeBody(), QByteArray());
}

void tst_HttpResponseParser::headerLookup()
{
    HttpResponseParser parser;
    parser.feed("HTTP/1.1 200 OK\r\nAccept-Ranges: a\r\naccept-ranges: b\r\nX-Empty:\r\n\r\n");
    QCOMPARE(parser.header("accept-ranges"), QByteArray("a")); // the first of repeated headers
    QVERIFY(parser.header("x-empty").isEmpty());
    QVERIFY(parser.header("x-missing").isNull());
}

QTEST_APPLESS_MAIN(tst_HttpResponseParser)
#include "tst_httpresponseparser.moc"
