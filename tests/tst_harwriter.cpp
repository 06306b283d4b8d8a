// SPDX-License-Identifier: MIT
#include "harwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace rtlab;

// A scripted capture: every time is fixed, so each field of the HAR can be checked exactly.
namespace {

constexpr qint64 T = 1764085593000000; // 2025-11-25T15:46:33.000Z, in µs
constexpr qint64 Now = T + 90'000'000;

WireRecord rec(quint64 exchange, TransportKind t, WireRecord::Kind kind, WireDirection d, qint64 timeUs,
               const QString &label = {})
{
    return WireRecord::make(exchange, t, kind, d, timeUs, label);
}

WireExchange exchange(quint64 id, TransportKind t, WireExchange::Kind kind, const QByteArray &method,
                      const QString &url, const QByteArray &head, qint64 start)
{
    return WireExchange {
        .id = id, .transport = t, .kind = kind, .method = method, .url = url, .requestHead = head, .startUs = start
    };
}

WireRecord frame(quint64 ex, WireDirection d, qint64 timeUs, int opcode, const QByteArray &data)
{
    WireRecord r = rec(ex, TransportKind::WebSocket, WireRecord::Kind::Frame, d, timeUs);
    r.opcode = opcode;
    r.data = data;
    return r;
}

WireCapture::Snapshot scripted()
{
    WireCapture::Snapshot s;
    const auto lp = TransportKind::LongPoll;
    const QByteArray jsonHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n";

    // 1: a held poll that timed out: sent after 1 ms, held 25 s, answered empty.
    WireExchange e = exchange(1, lp, WireExchange::Kind::Poll, "GET",
                              QStringLiteral("http://127.0.0.1:8080/poll?after=11&epoch=ab&timeout=25"),
                              "GET /poll?after=11&epoch=ab&timeout=25 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", T);
    e.sentUs = T + 1000;
    e.headUs = T + 25'001'000;
    e.endUs = T + 25'002'000;
    e.status = 200;
    e.responseHead = jsonHead;
    e.mimeType = QStringLiteral("application/json");
    e.responseBodySize = 40;
    s.exchanges.push_back(e);
    s.records.push_back(rec(1, lp, WireRecord::Kind::Request, WireDirection::ToServer, T));
    WireRecord answer = rec(1, lp, WireRecord::Kind::Response, WireDirection::ToClient, e.headUs,
                            QStringLiteral("200 · empty: the hold ran out"));
    answer.empty = true;
    answer.data = R"({"epoch":"ab","cursor":11,"messages":[]})";
    s.records.push_back(answer);

    // 2: a poll answered at once with three messages.
    e = exchange(2, lp, WireExchange::Kind::Poll, "GET",
                 QStringLiteral("http://127.0.0.1:8080/poll?after=11&timeout=25"),
                 "GET /poll?after=11&timeout=25 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", T + 25'003'000);
    e.sentUs = T + 25'003'500;
    e.headUs = T + 25'010'000;
    e.endUs = T + 25'010'500;
    e.status = 200;
    e.responseHead = jsonHead;
    e.mimeType = QStringLiteral("application/json");
    e.responseBodySize = 120;
    s.exchanges.push_back(e);
    s.records.push_back(rec(2, lp, WireRecord::Kind::Request, WireDirection::ToServer, e.startUs));
    answer = rec(2, lp, WireRecord::Kind::Response, WireDirection::ToClient, e.headUs,
                 QStringLiteral("200 · 3 messages (ids 12–14)"));
    answer.messageIds = { 12, 13, 14 };
    answer.data = R"({"epoch":"ab","cursor":14,"messages":[{"id":12},{"id":13},{"id":14}]})";
    s.records.push_back(answer);

    // 3: a publish and its 202.
    const QByteArray body = R"({"type":"chat","text":"hi"})";
    e = exchange(3, lp, WireExchange::Kind::Publish, "POST", QStringLiteral("http://127.0.0.1:8080/send"),
                 "POST /send HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: "
                         + QByteArray::number(body.size()) + "\r\n\r\n",
                 T + 26'000'000);
    e.requestBody = body;
    e.sentUs = T + 26'000'200;
    e.headUs = T + 26'002'200;
    e.endUs = T + 26'002'300;
    e.status = 202;
    e.responseHead = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n";
    e.mimeType = QStringLiteral("application/json");
    e.responseBodySize = 9;
    s.exchanges.push_back(e);
    s.records.push_back(rec(3, lp, WireRecord::Kind::Request, WireDirection::ToServer, e.startUs));
    answer = rec(3, lp, WireRecord::Kind::Response, WireDirection::ToClient, e.headUs, QStringLiteral("202 · id 15"));
    answer.data = R"({"id":15})";
    answer.messageIds = { 15 };
    s.records.push_back(answer);

    // 4: an SSE stream: two events and a heartbeat, then cut.
    const auto sse = TransportKind::Sse;
    const QByteArray sseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
    e = exchange(4, sse, WireExchange::Kind::EventStream, "GET", QStringLiteral("http://127.0.0.1:8080/events"),
                 "GET /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\n\r\n", T + 30'000'000);
    e.sentUs = T + 30'000'100;
    e.headUs = T + 30'001'100;
    e.endUs = T + 40'001'100;
    e.endReason = QStringLiteral("connection reset");
    e.status = 200;
    e.responseHead = sseHead;
    e.mimeType = QStringLiteral("text/event-stream");
    e.responseBodySize = 200;
    s.exchanges.push_back(e);
    s.records.push_back(rec(4, sse, WireRecord::Kind::Request, WireDirection::ToServer, e.startUs));
    s.records.push_back(rec(4, sse, WireRecord::Kind::ResponseHead, WireDirection::ToClient, e.headUs));
    WireRecord ev = rec(4, sse, WireRecord::Kind::Event, WireDirection::ToClient, T + 31'000'000);
    ev.eventId = QStringLiteral("ab:16");
    ev.data = R"({"id":16})";
    ev.messageIds = { 16 };
    s.records.push_back(ev);
    s.records.push_back(
            rec(4, sse, WireRecord::Kind::Comment, WireDirection::ToClient, T + 32'000'000, QStringLiteral(": hb")));
    ev = rec(4, sse, WireRecord::Kind::Event, WireDirection::ToClient, T + 33'500'000);
    ev.eventId = QStringLiteral("ab:17");
    ev.eventType = QStringLiteral("reset");
    ev.data = "line one\nline two";
    s.records.push_back(ev);
    s.records.push_back(
            rec(4, sse, WireRecord::Kind::Ended, WireDirection::Local, e.endUs, QStringLiteral("connection reset")));

    // 5: its reconnect, resuming with Last-Event-ID; still open when written.
    e = exchange(
            5, sse, WireExchange::Kind::EventStream, "GET", QStringLiteral("http://127.0.0.1:8080/events"),
            "GET /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\nLast-Event-ID: ab:17\r\n\r\n",
            T + 41'000'000);
    e.sentUs = T + 41'000'100;
    e.headUs = T + 41'000'600;
    e.status = 200;
    e.responseHead = sseHead;
    e.mimeType = QStringLiteral("text/event-stream");
    s.exchanges.push_back(e);
    s.records.push_back(rec(5, sse, WireRecord::Kind::Request, WireDirection::ToServer, e.startUs,
                            QStringLiteral("GET /events · Last-Event-ID: ab:17")));

    // 6: a WebSocket: text both ways, a ping and its pong, a close handshake with 1000.
    const auto ws = TransportKind::WebSocket;
    e = exchange(6, ws, WireExchange::Kind::WebSocket, "GET", QStringLiteral("ws://127.0.0.1:8080/ws"),
                 "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                 T + 50'000'000);
    e.sentUs = T + 50'000'100;
    e.headUs = T + 50'000'900;
    e.endUs = T + 60'000'000;
    e.status = 101;
    e.responseHead = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    s.exchanges.push_back(e);
    s.records.push_back(rec(6, ws, WireRecord::Kind::Request, WireDirection::ToServer, e.startUs));
    s.records.push_back(rec(6, ws, WireRecord::Kind::ResponseHead, WireDirection::ToClient, e.headUs));
    s.records.push_back(frame(6, WireDirection::ToServer, T + 51'000'000, 1, "hello"));
    s.records.push_back(frame(6, WireDirection::ToClient, T + 51'250'000, 1, "héllo back"));
    s.records.push_back(frame(6, WireDirection::ToClient, T + 52'000'000, 9, "p"));
    s.records.push_back(frame(6, WireDirection::ToServer, T + 52'000'500, 10, "p"));
    s.records.push_back(frame(6, WireDirection::ToServer, T + 59'000'000, 8, QByteArray("\x03\xe8", 2) + "bye"));
    s.records.push_back(frame(6, WireDirection::ToClient, T + 59'500'000, 8, QByteArray("\x03\xe8", 2)));

    // A mark belongs to no exchange: no entry of its own.
    WireRecord fault = rec(0, sse, WireRecord::Kind::Fault, WireDirection::Local, T + 40'001'000,
                           QStringLiteral("relay: dropped"));
    s.records.push_back(fault);

    s.droppedExchanges = 2;
    s.droppedRecords = 7;
    return s;
}

QJsonObject timings(const QJsonObject &entry)
{
    return entry[QLatin1String("timings")].toObject();
}

} // namespace

class TestHarWriter : public QObject
{
    Q_OBJECT
private slots:
    void logAndCreator();
    void heldPollTimedOut();
    void pollWithMessages();
    void publish();
    void eventStreams();
    void webSocket();
    void writesAFileTheSchemaAccepts();
    void schemaRejectsABrokenHar();
    void writeFailsWithAReason();

private:
    QJsonArray entries()
    {
        return harFromCapture(scripted(), Now)[QLatin1String("log")].toObject()[QLatin1String("entries")].toArray();
    }
    // python3 -m jsonschema on `file` against tests/har-1.2.schema.json: whether it passed, or
    // nothing when the tool is missing (a fatal error instead when RTLAB_REQUIRE_TOOLS is set).
    std::optional<bool> validate(const QString &file, QString *output);
};

void TestHarWriter::logAndCreator()
{
    const QJsonObject log = harFromCapture(scripted(), Now)[QLatin1String("log")].toObject();
    QCOMPARE(log[QLatin1String("version")].toString(), QStringLiteral("1.2"));
    const QJsonObject creator = log[QLatin1String("creator")].toObject();
    QCOMPARE(creator[QLatin1String("name")].toString(), QStringLiteral("rtlab"));
    QVERIFY(!creator[QLatin1String("version")].toString().isEmpty());
    QCOMPARE(log[QLatin1String("entries")].toArray().size(), 6); // the fault mark is no entry
    const QString comment = log[QLatin1String("comment")].toString();
    QVERIFY2(comment.contains(QLatin1String("2 exchanges")) && comment.contains(QLatin1String("7 records")),
             qPrintable(comment));

    // Nothing dropped: no comment.
    WireCapture::Snapshot s = scripted();
    s.droppedExchanges = 0;
    s.droppedRecords = 0;
    QVERIFY(!harFromCapture(s, Now)[QLatin1String("log")].toObject().contains(QLatin1String("comment")));
    // Entries in start order.
    const QJsonArray all = entries();
    for (qsizetype i = 1; i < all.size(); ++i)
        QVERIFY(all.at(i - 1)[QLatin1String("startedDateTime")].toString()
                < all.at(i)[QLatin1String("startedDateTime")].toString());
}

void TestHarWriter::heldPollTimedOut()
{
    const QJsonObject entry = entries().at(0).toObject();
    QCOMPARE(entry[QLatin1String("startedDateTime")].toString(), QStringLiteral("2025-11-25T15:46:33.000Z"));
    const QJsonObject t = timings(entry);
    QCOMPARE(t[QLatin1String("blocked")].toDouble(), -1.0);
    QCOMPARE(t[QLatin1String("dns")].toDouble(), -1.0);
    QCOMPARE(t[QLatin1String("connect")].toDouble(), -1.0);
    QCOMPARE(t[QLatin1String("send")].toDouble(), 1.0);
    QCOMPARE(t[QLatin1String("wait")].toDouble(), 25000.0); // the hold: sentUs..headUs
    QCOMPARE(t[QLatin1String("receive")].toDouble(), 1.0);
    QCOMPARE(entry[QLatin1String("time")].toDouble(), 25002.0);
    QVERIFY(entry[QLatin1String("cache")].isObject());
    QVERIFY(entry[QLatin1String("comment")].toString().contains(QLatin1String("empty")));

    const QJsonObject req = entry[QLatin1String("request")].toObject();
    QCOMPARE(req[QLatin1String("method")].toString(), QStringLiteral("GET"));
    QCOMPARE(req[QLatin1String("url")].toString(),
             QStringLiteral("http://127.0.0.1:8080/poll?after=11&epoch=ab&timeout=25"));
    QCOMPARE(req[QLatin1String("httpVersion")].toString(), QStringLiteral("HTTP/1.1"));
    QCOMPARE(req[QLatin1String("cookies")].toArray().size(), 0);
    const QJsonArray headers = req[QLatin1String("headers")].toArray();
    QCOMPARE(headers.size(), 1);
    QCOMPARE(headers.at(0)[QLatin1String("name")].toString(), QStringLiteral("Host"));
    QCOMPARE(headers.at(0)[QLatin1String("value")].toString(), QStringLiteral("127.0.0.1:8080"));
    const QJsonArray query = req[QLatin1String("queryString")].toArray();
    QCOMPARE(query.size(), 3);
    QCOMPARE(query.at(0)[QLatin1String("name")].toString(), QStringLiteral("after"));
    QCOMPARE(query.at(0)[QLatin1String("value")].toString(), QStringLiteral("11"));
    QCOMPARE(query.at(2)[QLatin1String("name")].toString(), QStringLiteral("timeout"));
    QCOMPARE(req[QLatin1String("headersSize")].toInt(),
             int(QByteArray("GET /poll?after=11&epoch=ab&timeout=25 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n").size()));
    QCOMPARE(req[QLatin1String("bodySize")].toInt(), 0);
    QVERIFY(!req.contains(QLatin1String("postData")));

    const QJsonObject res = entry[QLatin1String("response")].toObject();
    QCOMPARE(res[QLatin1String("status")].toInt(), 200);
    QCOMPARE(res[QLatin1String("statusText")].toString(), QStringLiteral("OK"));
    QCOMPARE(res[QLatin1String("httpVersion")].toString(), QStringLiteral("HTTP/1.1"));
    QCOMPARE(res[QLatin1String("headers")].toArray().size(), 2);
    QCOMPARE(res[QLatin1String("headers")].toArray().at(1)[QLatin1String("name")].toString(),
             QStringLiteral("Content-Length"));
    QCOMPARE(res[QLatin1String("redirectURL")].toString(), QString());
    QCOMPARE(res[QLatin1String("headersSize")].toInt(),
             int(QByteArray("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n").size()));
    QCOMPARE(res[QLatin1String("bodySize")].toInt(), 40);
    const QJsonObject content = res[QLatin1String("content")].toObject();
    QCOMPARE(content[QLatin1String("size")].toInt(), 40);
    QCOMPARE(content[QLatin1String("mimeType")].toString(), QStringLiteral("application/json"));
    QCOMPARE(content[QLatin1String("text")].toString(), QStringLiteral(R"({"epoch":"ab","cursor":11,"messages":[]})"));
    QVERIFY(!entry.contains(QLatin1String("_eventStreamMessages")));
    QVERIFY(!entry.contains(QLatin1String("_webSocketMessages")));
}

void TestHarWriter::pollWithMessages()
{
    const QJsonObject entry = entries().at(1).toObject();
    QCOMPARE(timings(entry)[QLatin1String("send")].toDouble(), 0.5);
    QCOMPARE(timings(entry)[QLatin1String("wait")].toDouble(), 6.5);
    QCOMPARE(timings(entry)[QLatin1String("receive")].toDouble(), 0.5);
    QCOMPARE(entry[QLatin1String("time")].toDouble(), 7.5);
    QVERIFY(!entry.contains(QLatin1String("comment")));
    const QJsonObject content = entry[QLatin1String("response")][QLatin1String("content")].toObject();
    QCOMPARE(content[QLatin1String("size")].toInt(), 120);
    QVERIFY(content[QLatin1String("text")].toString().contains(QLatin1String(R"({"id":14})")));
    // The capture kept 70 of the 120 bytes: the content says so.
    QVERIFY(content[QLatin1String("comment")].toString().contains(QLatin1String("120")));
}

void TestHarWriter::publish()
{
    const QJsonObject entry = entries().at(2).toObject();
    const QJsonObject req = entry[QLatin1String("request")].toObject();
    QCOMPARE(req[QLatin1String("method")].toString(), QStringLiteral("POST"));
    QCOMPARE(req[QLatin1String("bodySize")].toInt(), 27);
    const QJsonObject post = req[QLatin1String("postData")].toObject();
    QCOMPARE(post[QLatin1String("mimeType")].toString(), QStringLiteral("application/json"));
    QCOMPARE(post[QLatin1String("text")].toString(), QStringLiteral(R"({"type":"chat","text":"hi"})"));
    QCOMPARE(req[QLatin1String("headers")].toArray().size(), 3);
    const QJsonObject res = entry[QLatin1String("response")].toObject();
    QCOMPARE(res[QLatin1String("status")].toInt(), 202);
    QCOMPARE(res[QLatin1String("statusText")].toString(), QStringLiteral("Accepted"));
    QCOMPARE(res[QLatin1String("content")][QLatin1String("text")].toString(), QStringLiteral(R"({"id":15})"));
    QCOMPARE(timings(entry)[QLatin1String("wait")].toDouble(), 2.0);
}

void TestHarWriter::eventStreams()
{
    const QJsonObject first = entries().at(3).toObject();
    const QJsonObject content = first[QLatin1String("response")][QLatin1String("content")].toObject();
    QCOMPARE(content[QLatin1String("mimeType")].toString(), QStringLiteral("text/event-stream"));
    QCOMPARE(content[QLatin1String("size")].toInt(), 200);
    QVERIFY(first[QLatin1String("comment")].toString().contains(QLatin1String("connection reset")));
    // The stream's life is its receive phase.
    QCOMPARE(timings(first)[QLatin1String("receive")].toDouble(), 10000.0);
    const QJsonArray events = first[QLatin1String("_eventStreamMessages")].toArray();
    QCOMPARE(events.size(), 2); // the heartbeat is no event
    QCOMPARE(events.at(0)[QLatin1String("type")].toString(), QStringLiteral("message"));
    QCOMPARE(events.at(0)[QLatin1String("id")].toString(), QStringLiteral("ab:16"));
    QCOMPARE(events.at(0)[QLatin1String("data")].toString(), QStringLiteral(R"({"id":16})"));
    QCOMPARE(events.at(0)[QLatin1String("time")].toDouble(), double(T + 31'000'000) / 1e6);
    QCOMPARE(events.at(1)[QLatin1String("type")].toString(), QStringLiteral("reset"));
    QCOMPARE(events.at(1)[QLatin1String("id")].toString(), QStringLiteral("ab:17"));
    QCOMPARE(events.at(1)[QLatin1String("data")].toString(), QStringLiteral("line one\nline two"));
    QCOMPARE(events.at(1)[QLatin1String("time")].toDouble(), 1764085626.5);

    const QJsonObject second = entries().at(4).toObject();
    bool resumed = false;
    for (const QJsonValue &h : second[QLatin1String("request")][QLatin1String("headers")].toArray())
        resumed = resumed
                || (h[QLatin1String("name")] == QLatin1String("Last-Event-ID")
                    && h[QLatin1String("value")] == QLatin1String("ab:17"));
    QVERIFY(resumed);
    QCOMPARE(second[QLatin1String("_eventStreamMessages")].toArray().size(), 0);
    // Still open: its times run up to "now".
    QCOMPARE(timings(second)[QLatin1String("receive")].toDouble(), double(Now - (T + 41'000'600)) / 1000.0);
    QCOMPARE(second[QLatin1String("time")].toDouble(), double(Now - (T + 41'000'000)) / 1000.0);
    QVERIFY(second[QLatin1String("comment")].toString().contains(QLatin1String("open")));
}

void TestHarWriter::webSocket()
{
    const QJsonObject entry = entries().at(5).toObject();
    QCOMPARE(entry[QLatin1String("request")][QLatin1String("url")].toString(),
             QStringLiteral("ws://127.0.0.1:8080/ws"));
    QCOMPARE(entry[QLatin1String("response")][QLatin1String("status")].toInt(), 101);
    QCOMPARE(entry[QLatin1String("response")][QLatin1String("statusText")].toString(),
             QStringLiteral("Switching Protocols"));
    const QJsonArray frames = entry[QLatin1String("_webSocketMessages")].toArray();
    QCOMPARE(frames.size(), 6);
    const auto check = [&](int i, const char *type, int opcode, const QString &data) {
        const QJsonObject f = frames.at(i).toObject();
        QCOMPARE(f[QLatin1String("type")].toString(), QLatin1String(type));
        QCOMPARE(f[QLatin1String("opcode")].toInt(), opcode);
        QCOMPARE(f[QLatin1String("data")].toString(), data);
    };
    check(0, "send", 1, QStringLiteral("hello"));
    check(1, "receive", 1, QStringLiteral("héllo back"));
    check(2, "receive", 9, QStringLiteral("p"));
    check(3, "send", 10, QStringLiteral("p"));
    check(4, "send", 8, QStringLiteral("bye"));
    check(5, "receive", 8, QString());
    QCOMPARE(frames.at(0)[QLatin1String("time")].toDouble(), 1764085644.0);
    QVERIFY(!entry.contains(QLatin1String("_eventStreamMessages")));
}

std::optional<bool> TestHarWriter::validate(const QString &file, QString *output)
{
    const QString schema = QStringLiteral(RTLAB_HAR_SCHEMA);
    QProcess probe;
    probe.start(QStringLiteral("python3"), { QStringLiteral("-c"), QStringLiteral("import jsonschema") });
    const bool have =
            probe.waitForFinished(60000) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0;
    if (!have) {
        if (qEnvironmentVariableIsEmpty("RTLAB_REQUIRE_TOOLS"))
            return std::nullopt;
        qFatal("python3 -m jsonschema is required (RTLAB_REQUIRE_TOOLS is set): install python3-jsonschema");
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("python3"),
            { QStringLiteral("-W"), QStringLiteral("ignore"), QStringLiteral("-m"), QStringLiteral("jsonschema"),
              QStringLiteral("-i"), file, schema });
    if (!p.waitForFinished(120000))
        qFatal("python3 -m jsonschema did not finish");
    *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

void TestHarWriter::writesAFileTheSchemaAccepts()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("capture.har"));
    QString error;
    QVERIFY2(writeHar(path, scripted(), &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    QCOMPARE(pe.error, QJsonParseError::NoError);
    QCOMPARE(doc[QLatin1String("log")][QLatin1String("entries")].toArray().size(), 6);

    QString output;
    const std::optional<bool> valid = validate(path, &output);
    if (!valid)
        QSKIP("python3-jsonschema is not installed (set RTLAB_REQUIRE_TOOLS=1 to make this a failure)");
    QVERIFY2(*valid, qPrintable(output));
}

void TestHarWriter::schemaRejectsABrokenHar()
{
    // The validator can fail: an entry without timings and a negative wait is rejected.
    QJsonObject har = harFromCapture(scripted(), Now);
    QJsonObject log = har[QLatin1String("log")].toObject();
    QJsonArray entries = log[QLatin1String("entries")].toArray();
    QJsonObject entry = entries.at(0).toObject();
    QJsonObject t = entry[QLatin1String("timings")].toObject();
    t[QLatin1String("wait")] = -5;
    entry[QLatin1String("timings")] = t;
    entries[0] = entry;
    log[QLatin1String("entries")] = entries;
    har[QLatin1String("log")] = log;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.har"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(har).toJson());
    f.close();
    QString output;
    const std::optional<bool> valid = validate(path, &output);
    if (!valid)
        QSKIP("python3-jsonschema is not installed (set RTLAB_REQUIRE_TOOLS=1 to make this a failure)");
    QVERIFY2(!*valid, qPrintable(output));
    QVERIFY2(output.contains(QLatin1String("-5")), qPrintable(output));
}

void TestHarWriter::writeFailsWithAReason()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("no/such/dir/capture.har"));
    QString error;
    QVERIFY(!writeHar(path, scripted(), &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY(!QFile::exists(path));
}

QTEST_GUILESS_MAIN(TestHarWriter)
#include "tst_harwriter.moc"
