// SPDX-License-Identifier: MIT
// rtlab-bench's own wire code: its HTTP/1.1 response reader (RFC 9112 §6.3 body length, §7.1
// chunked framing, §9.3 persistence), which it runs instead of common/'s because it must keep up
// with 10,000 subscribers on one core, and its masked client frames (RFC 6455 §5.3). The frames it
// reads go through common/'s WsFrameParser, tested in tst_wsframeparser. Every response is fed
// whole, in every two-piece split (empty pieces included) and one byte at a time, and must give
// the same result each way: a socket's reads may end anywhere.

#include "httpresponsereader.h"
#include "promtext.h"
#include "wsframeparser.h"
#include "wsframes.h"

#include <QJsonArray>
#include <QTest>

#include "splitfeed.h"

using rtlab::WsFrameParser;
using rtlab::bench::HttpResponseReader;
using State = HttpResponseReader::State;

Q_DECLARE_METATYPE(HttpResponseReader::State)

namespace rtlab::bench {

// Found by QTest through ADL, so a failed QCOMPARE names the state.
char *toString(HttpResponseReader::State state)
{
    switch (state) {
    case HttpResponseReader::State::Head: return qstrdup("Head");
    case HttpResponseReader::State::Body: return qstrdup("Body");
    case HttpResponseReader::State::Done: return qstrdup("Done");
    case HttpResponseReader::State::Error: return qstrdup("Error");
    }
    return qstrdup("?");
}

} // namespace rtlab::bench

namespace {

template<qsizetype N>
QByteArray bytes(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

// What the reader made of a response fed in pieces the way the bench's connections feed it: each
// piece once, stopping at the end of the response or at an error.
struct Outcome
{
    State state = State::Head;
    int status = 0;
    bool keepAlive = true;
    qsizetype headBytes = 0;
    QByteArray contentType;
    QByteArray body;
    qsizetype consumed = 0;
    QString problem; // set if the reader broke its own contract while being fed

    bool operator==(const Outcome &) const = default;
};

Outcome readPieces(const QList<QByteArrayView> &pieces)
{
    HttpResponseReader reader;
    Outcome out;
    std::string body;
    for (QByteArrayView piece : pieces) {
        const size_t n = reader.feed(piece.data(), size_t(piece.size()), &body);
        if (n > size_t(piece.size())) {
            out.problem = QStringLiteral("feed() took %1 of %2 bytes").arg(n).arg(piece.size());
            break;
        }
        out.consumed += qsizetype(n);
        if (reader.state() == State::Done || reader.state() == State::Error)
            break;
        if (n != size_t(piece.size())) {
            // A reader in the middle of a response takes everything it is given.
            out.problem =
                    QStringLiteral("feed() took %1 of %2 bytes but the response is not over").arg(n).arg(piece.size());
            break;
        }
    }
    out.state = reader.state();
    out.status = reader.status();
    out.keepAlive = reader.keepAlive();
    out.headBytes = qsizetype(reader.headBytes());
    const std::string_view type = reader.header("content-type");
    out.contentType = QByteArray(type.data(), qsizetype(type.size()));
    out.body = QByteArray::fromStdString(body);
    return out;
}

QString describe(const Outcome &o)
{
    return QStringLiteral("state %1, status %2, %3 body bytes, %4 consumed")
            .arg(int(o.state))
            .arg(o.status)
            .arg(o.body.size())
            .arg(o.consumed);
}

// Empty if a and b say the same; otherwise both, or the contract b's feeding broke.
QString difference(const Outcome &a, const Outcome &b)
{
    if (!b.problem.isEmpty())
        return b.problem;
    return a == b ? QString() : describe(a) + QStringLiteral(" vs ") + describe(b);
}

} // namespace

class tst_BenchReaders : public QObject
{
    Q_OBJECT
private slots:
    void responses_data();
    void responses();
    void headIsBounded();
    void clientFramesAreWhatAServerReads_data();
    void clientFramesAreWhatAServerReads();
    void webSocketKeyIsSixteenBytes();
    void metricsDeltaIsADistribution();
};

void tst_BenchReaders::responses_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<State>("state");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<qsizetype>("rest"); // bytes after the response, left to the caller

    const QByteArray ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n";
    QTest::newRow("Content-Length") << ok + "hello" << State::Done << 200 << QByteArray("hello") << true
                                    << qsizetype(0);
    QTest::newRow("Content-Length, the next answer pipelined behind")
            << ok + "hello" + "HTTP/1.1 204 No Content\r\n\r\n"
            << State::Done << 200 << QByteArray("hello") << true << qsizetype(27);
    QTest::newRow("Content-Length 0") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") << State::Done
                                      << 200 << QByteArray() << true << qsizetype(0);
    QTest::newRow("chunked, an extension and a trailer")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5;x=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n")
            << State::Done << 200 << QByteArray("helloabcdefghijklmnopqrstuvwxyz") << true << qsizetype(0);
    QTest::newRow("chunked, then the next answer")
            << QByteArray("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1")
            << State::Done << 200 << QByteArray("abc") << true << qsizetype(8);
    QTest::newRow("chunked, unfinished: an SSE stream")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "c\r\ndata: tick\n\n\r\n")
            << State::Body << 200 << QByteArray("data: tick\n\n") << true << qsizetype(0);
    QTest::newRow("delimited by close") << QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                                                      "data: a\n\ndata: b\n\n")
                                        << State::Body << 200 << QByteArray("data: a\n\ndata: b\n\n") << false
                                        << qsizetype(0);
    QTest::newRow("101, frames behind it")
            << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                          "\x81\x05Hello")
            << State::Done << 101 << QByteArray() << true << qsizetype(7);
    QTest::newRow("204 with a length: no body") << QByteArray("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc")
                                                << State::Done << 204 << QByteArray() << true << qsizetype(3);
    QTest::newRow("304: no body") << QByteArray("HTTP/1.1 304 Not Modified\r\n\r\n") << State::Done << 304
                                  << QByteArray() << true << qsizetype(0);
    QTest::newRow("Connection: close") << QByteArray(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
                                       << State::Done << 200 << QByteArray("ok") << false << qsizetype(0);
    QTest::newRow("HTTP/1.0") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok") << State::Done << 200
                              << QByteArray("ok") << false << qsizetype(0);
    QTest::newRow("HTTP/1.0 keep-alive") << QByteArray(
            "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok")
                                         << State::Done << 200 << QByteArray("ok") << true << qsizetype(0);
    QTest::newRow("header values trimmed, names in any case")
            << QByteArray("HTTP/1.1 404 Not Found\r\nCONTENT-LENGTH:   3  \r\n\r\nnop") << State::Done << 404
            << QByteArray("nop") << true << qsizetype(0);
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << State::Error << 0 << QByteArray() << true
                              << qsizetype(0);
    QTest::newRow("status not a number") << QByteArray("HTTP/1.1 abc OK\r\n\r\n") << State::Error << 0 << QByteArray()
                                         << true << qsizetype(0);
    QTest::newRow("negative Content-Length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
                                             << State::Error << 200 << QByteArray() << true << qsizetype(0);
    QTest::newRow("chunk size not hex") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                                        << State::Error << 200 << QByteArray() << true << qsizetype(0);
}

void tst_BenchReaders::responses()
{
    QFETCH(QByteArray, raw);
    QFETCH(State, state);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, keepAlive);
    QFETCH(qsizetype, rest);
    QString disagreement;
    const Outcome out = rtlab::test::parseEveryWay(raw, readPieces, difference, &disagreement);
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));
    QCOMPARE(out.state, state);
    if (state == State::Error)
        return;
    QCOMPARE(out.status, status);
    QCOMPARE(out.body, body);
    QCOMPARE(out.keepAlive, keepAlive);
    QCOMPARE(out.consumed, raw.size() - rest);
    QCOMPARE(out.headBytes, raw.indexOf("\r\n\r\n") + 4);
}

// A head that never ends is cut off at MaxHeadBytes, however it arrives: the bench never holds more.
void tst_BenchReaders::headIsBounded()
{
    const QByteArray head = "HTTP/1.1 200 OK\r\n" + QByteArray("X-Filler: ") + QByteArray(70 * 1024, 'x');
    QString disagreement;
    const Outcome out =
            rtlab::test::parseEveryWay(head, readPieces, difference, &disagreement, rtlab::test::Splits::WholeAndBytes);
    QVERIFY2(disagreement.isEmpty(), qPrintable(disagreement));
    QCOMPARE(out.state, State::Error);
    QCOMPARE(out.consumed, qsizetype(HttpResponseReader::MaxHeadBytes));

    // Exactly at the bound, and complete: read (its body is delimited by the close).
    const QByteArray fits = "HTTP/1.1 200 OK\r\nX-Filler: "
            + QByteArray(qsizetype(HttpResponseReader::MaxHeadBytes) - 31, 'x') + "\r\n\r\n";
    QCOMPARE(fits.size(), qsizetype(HttpResponseReader::MaxHeadBytes));
    const Outcome read = readPieces({ fits });
    QCOMPARE(read.state, State::Body);
    QCOMPARE(read.status, 200);
    QCOMPARE(read.headBytes, fits.size());
}

void tst_BenchReaders::clientFramesAreWhatAServerReads_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("pong, empty") << int(WsFrameParser::Pong) << QByteArray();
    QTest::newRow("text, 5 bytes") << int(WsFrameParser::Text) << QByteArray("Hello");
    QTest::newRow("close, a code") << int(WsFrameParser::Close) << bytes("\x03\xe8");
    QTest::newRow("text, 126 bytes") << int(WsFrameParser::Text) << QByteArray(126, 'a');
    QTest::newRow("binary, 64 KiB") << int(WsFrameParser::Binary) << QByteArray(65536, 'z');
}

// The bench's masked client frames byte for byte as common/'s encoder makes them, and read back by
// the server-side parser (§5.3: masked with the key, the key in network order).
void tst_BenchReaders::clientFramesAreWhatAServerReads()
{
    QFETCH(int, opcode);
    QFETCH(QByteArray, payload);
    const uint32_t mask = 0x37fa213d;
    const std::string frame = rtlab::bench::encodeClientFrame(uint8_t(opcode), payload.toStdString(), mask);
    const QByteArray wire = QByteArray::fromStdString(frame);
    QCOMPARE(wire, WsFrameParser::encodeFrame(quint8(opcode), payload, true, bytes("\x37\xfa\x21\x3d")));
    WsFrameParser server(WsFrameParser::Role::Server);
    server.feed(wire);
    const std::optional<rtlab::WsFrame> f = server.next();
    QVERIFY2(f, qPrintable(server.errorString()));
    QCOMPARE(f->opcode, quint8(opcode));
    QCOMPARE(f->payload, payload);
    QCOMPARE(server.buffered(), qsizetype(0));
}

void tst_BenchReaders::webSocketKeyIsSixteenBytes()
{
    const std::string a = rtlab::bench::makeWebSocketKey(1);
    const std::string b = rtlab::bench::makeWebSocketKey(2);
    QCOMPARE(a.size(), size_t(24));
    const auto decoded =
            QByteArray::fromBase64Encoding(QByteArray::fromStdString(a), QByteArray::AbortOnBase64DecodingErrors);
    QCOMPARE(decoded.decodingStatus, QByteArray::Base64DecodingStatus::Ok);
    QCOMPARE(decoded.decoded.size(), 16);
    QVERIFY(a != b);
    QCOMPARE(rtlab::bench::makeWebSocketKey(1), a); // a seed gives its key: runs repeat
}

// What rtlab-bench reports from /metrics: the change over the run, each histogram as the count in
// each bucket (not Prometheus' cumulative counts), everything else as a number.
void tst_BenchReaders::metricsDeltaIsADistribution()
{
    namespace promtext = rtlab::bench::promtext;
    const char *before = "# HELP rtlab_store_commit_batch_rows rows per commit\n"
                         "# TYPE rtlab_store_commit_batch_rows histogram\n"
                         "rtlab_store_commit_batch_rows_bucket{le=\"1\"} 2\n"
                         "rtlab_store_commit_batch_rows_bucket{le=\"4\"} 3\n"
                         "rtlab_store_commit_batch_rows_bucket{le=\"+Inf\"} 3\n"
                         "rtlab_store_commit_batch_rows_sum 5\n"
                         "rtlab_store_commit_batch_rows_count 3\n"
                         "rtlab_store_commits_total 3\n"
                         "rtlab_published_total 99\n";
    // Another order, a CRLF, a label besides le, a timestamp: all as a scraper may see them.
    const char *after = "rtlab_store_commit_batch_rows_bucket{le=\"+Inf\"} 13\r\n"
                        "rtlab_store_commit_batch_rows_bucket{le=\"4\"} 11\n"
                        "rtlab_store_commit_batch_rows_bucket{le=\"1\"} 2\n"
                        "rtlab_store_commit_batch_rows_sum 85\n"
                        "rtlab_store_commit_batch_rows_count 13\n"
                        "rtlab_store_commits_total 13 1700000000000\n"
                        "rtlab_store_read_seconds_bucket{kind=\"old\",le=\"0.001\"} 4\n"
                        "rtlab_store_read_seconds_bucket{kind=\"old\",le=\"+Inf\"} 5\n"
                        "rtlab_store_read_seconds_count{kind=\"old\"} 5\n"
                        "rtlab_published_total 120\n"
                        "not a sample\n";
    const promtext::Series b = promtext::parse(before, "rtlab_store_");
    const promtext::Series a = promtext::parse(after, "rtlab_store_");
    QVERIFY(!a.count("rtlab_published_total")); // outside the prefix
    const QJsonObject d = promtext::delta(b, a);
    QCOMPARE(d.value(QLatin1String("rtlab_store_commits_total")).toDouble(), 10.0);
    const QJsonObject rows = d.value(QLatin1String("rtlab_store_commit_batch_rows")).toObject();
    QCOMPARE(rows.value(QLatin1String("count")).toDouble(), 10.0);
    QCOMPARE(rows.value(QLatin1String("sum")).toDouble(), 80.0);
    QCOMPARE(rows.value(QLatin1String("mean")).toDouble(), 8.0);
    const QJsonArray buckets = rows.value(QLatin1String("buckets")).toArray();
    QCOMPARE(buckets.size(), 3);
    const QStringList les { QStringLiteral("1"), QStringLiteral("4"), QStringLiteral("+Inf") };
    const QList<double> counts { 0, 8, 2 };
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(buckets[i].toObject().value(QLatin1String("le")).toString(), les[i]);
        QCOMPARE(buckets[i].toObject().value(QLatin1String("count")).toDouble(), counts[i]);
    }
    // A histogram with another label is its own family, named with that label.
    const QJsonObject reads = d.value(QLatin1String("rtlab_store_read_seconds{kind=\"old\"}")).toObject();
    QCOMPARE(reads.value(QLatin1String("count")).toDouble(), 5.0);
    QCOMPARE(reads.value(QLatin1String("buckets")).toArray().size(), 2);
    QVERIFY(!reads.contains(QLatin1String("sum"))); // it has no _sum: no sum, no mean, rather than a false 0
    QVERIFY(!reads.contains(QLatin1String("mean")));
    QCOMPARE(d.size(), 3);
}

QTEST_GUILESS_MAIN(tst_BenchReaders)
#include "tst_benchreaders.moc"
