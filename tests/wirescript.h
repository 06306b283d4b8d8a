// SPDX-License-Identifier: MIT
#pragma once
// Scripted WireCaptures for the X-ray's tests: for each transport, a realistic sequence with the
// exact bytes a real client would have recorded, at times the script chooses (µs from t0).

#include "wirecapture.h"

#include <QList>

namespace rtlab::test {

inline constexpr qint64 Sec = 1'000'000;
inline constexpr qint64 Ms = 1'000;

// An RFC 6455 frame: FIN set, payload masked with `maskKey` when one is given (a client's frame).
inline QByteArray wsFrameBytes(int opcode, const QByteArray &payload, const QByteArray &maskKey = {})
{
    QByteArray out;
    out.append(char(0x80 | opcode));
    const char maskBit = maskKey.isEmpty() ? 0 : char(0x80);
    if (payload.size() < 126) {
        out.append(char(maskBit | char(payload.size())));
    } else {
        out.append(char(maskBit | 126));
        out.append(char((payload.size() >> 8) & 0xff));
        out.append(char(payload.size() & 0xff));
    }
    out.append(maskKey);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out.append(maskKey.isEmpty() ? payload[i] : char(payload[i] ^ maskKey[i % 4]));
    return out;
}

inline WireRecord wsFrame(WireDirection direction, int opcode, const QByteArray &payload, const QByteArray &maskKey,
                          const QString &label, qint64 timeUs, const QList<quint64> &ids = {}, int closeCode = 0)
{
    WireRecord r;
    r.kind = WireRecord::Kind::Frame;
    r.direction = direction;
    r.timeUs = timeUs;
    r.label = label;
    r.bytes = wsFrameBytes(opcode, payload, maskKey);
    r.size = r.bytes.size();
    r.opcode = opcode;
    r.masked = !maskKey.isEmpty();
    r.maskKey = maskKey;
    r.headerLength = int(r.bytes.size() - payload.size());
    r.closeCode = closeCode;
    r.messageIds = ids;
    r.data = payload;
    return r;
}

inline WireRecord sseRecord(WireRecord::Kind kind, const QByteArray &block, const QString &label, qint64 timeUs,
                            const QList<quint64> &ids = {})
{
    WireRecord r;
    r.kind = kind;
    r.direction = WireDirection::ToClient;
    r.timeUs = timeUs;
    r.label = label;
    r.bytes = block;
    r.size = block.size();
    r.messageIds = ids;
    return r;
}

inline QByteArray chatJson(quint64 id, const char *text)
{
    return QStringLiteral(R"({"id":%1,"type":"chat","from":"ana","text":"%2","ts":1764085593000})")
            .arg(id)
            .arg(QLatin1String(text))
            .toUtf8();
}

inline const QByteArray PollHead200 = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                                      "Cache-Control: no-store\r\nContent-Length: %1\r\n\r\n";

inline QByteArray pollHead(qsizetype bodyLength)
{
    return QByteArray(PollHead200).replace("%1", QByteArray::number(bodyLength));
}

// One poll: asked at `at`, answered after `holdUs` with these messages (none: an empty answer).
inline quint64 scriptPoll(WireCapture &c, TransportKind kind, qint64 at, qint64 holdUs, quint64 after,
                          const QList<quint64> &ids, int timeoutS = 25)
{
    const QString path = QStringLiteral("/poll?after=%1&timeout=%2").arg(after).arg(timeoutS);
    const QByteArray head = "GET " + path.toLatin1()
            + " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n";
    const quint64 e =
            c.beginExchange(kind, WireExchange::Kind::Poll, "GET", QStringLiteral("http://127.0.0.1:8080") + path, head,
                            {}, QStringLiteral("GET ") + path, at);
    c.requestSent(e, at + 150);
    QByteArray body = "{\"messages\":[";
    for (qsizetype i = 0; i < ids.size(); ++i)
        body += (i ? "," : "") + chatJson(ids[i], "hi");
    body += "],\"next\":" + QByteArray::number(ids.isEmpty() ? after : ids.back()) + "}";
    const QByteArray rhead = pollHead(body.size());
    c.responseHead(e, 200, rhead, false, at + 150 + holdUs);
    c.bodyReceived(e, body.size());
    const QString label =
            ids.isEmpty() ? QStringLiteral("200: no message") : QStringLiteral("200: %1 message(s)").arg(ids.size());
    c.finishResponse(e, label, body, ids.isEmpty(), ids, at + 150 + holdUs);
    c.endExchange(e, {}, at + 150 + holdUs);
    return e;
}

inline quint64 scriptPublish(WireCapture &c, TransportKind kind, qint64 at, quint64 id, const char *text)
{
    const QByteArray body = QByteArray(R"({"from":"ana","text":")") + text + "\"}";
    const QByteArray head = "POST /send HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
                            "Content-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n";
    const quint64 e =
            c.beginExchange(kind, WireExchange::Kind::Publish, "POST", QStringLiteral("http://127.0.0.1:8080/send"),
                            head, body, QStringLiteral("POST /send"), at);
    c.requestSent(e, at + 100);
    const QByteArray answer = "{\"id\":" + QByteArray::number(id) + "}";
    const QByteArray rhead = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: "
            + QByteArray::number(answer.size()) + "\r\n\r\n";
    c.responseHead(e, 202, rhead, false, at + 900);
    c.finishResponse(e, QStringLiteral("202 Accepted"), answer, false, { id }, at + 900);
    c.endExchange(e, {}, at + 900);
    return e;
}

// Long polling: a poll held 25 s that timed out empty, one answered after 1.2 s with #41, a
// publish of #42 and the poll that brings it, then a poll still held open.
inline void scriptLongPolling(WireCapture &c, qint64 t0, TransportKind kind = TransportKind::LongPoll)
{
    scriptPoll(c, kind, t0, 25 * Sec, 40, {});
    scriptPoll(c, kind, t0 + 25 * Sec + 1 * Ms, 1200 * Ms, 40, { 41 });
    scriptPoll(c, kind, t0 + 26201 * Ms + 1 * Ms, 500 * Ms, 41, { 42 });
    scriptPublish(c, kind, t0 + 26500 * Ms, 42, "hello");
    const quint64 open = c.beginExchange(kind, WireExchange::Kind::Poll, "GET",
                                         QStringLiteral("http://127.0.0.1:8080/poll?after=42&timeout=25"),
                                         "GET /poll?after=42&timeout=25 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", {},
                                         QStringLiteral("GET /poll?after=42&timeout=25"), t0 + 26703 * Ms);
    c.requestSent(open, t0 + 26703 * Ms + 150);
}

// Short (traditional) polling: a poll every 2 s answered at once, empty but for one with #41.
inline void scriptShortPolling(WireCapture &c, qint64 t0, TransportKind kind)
{
    for (int i = 0; i < 6; ++i)
        scriptPoll(c, kind, t0 + i * 2 * Sec, 3 * Ms, i < 4 ? 40 : 41,
                   i == 3 ? QList<quint64> { 41 } : QList<quint64> {}, 0);
}

// SSE: GET /events, its head, retry:, event #41, a heartbeat comment, event #42, a burst of
// `burst` events (#100…) 5 ms apart, the stream's end, and the reconnect with Last-Event-ID.
inline void scriptSse(WireCapture &c, qint64 t0, int burst = 0)
{
    const QByteArray req = "GET /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\n"
                           "Cache-Control: no-cache\r\n\r\n";
    const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                            "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n";
    const quint64 e = c.beginExchange(TransportKind::Sse, WireExchange::Kind::EventStream, "GET",
                                      QStringLiteral("http://127.0.0.1:8080/events"), req, {}, {}, t0);
    c.requestSent(e, t0 + 100);
    c.responseHead(e, 200, head, true, t0 + 2 * Ms);
    c.record(e, sseRecord(WireRecord::Kind::Retry, "retry: 2000\n\n", QStringLiteral("retry: 2000"), t0 + 3 * Ms));
    auto event = [&](quint64 id, qint64 at) {
        WireRecord r =
                sseRecord(WireRecord::Kind::Event,
                          "id: " + QByteArray::number(id) + "\nevent: chat\ndata: " + chatJson(id, "hi") + "\n\n",
                          QStringLiteral("event #%1").arg(id), at, { id });
        r.eventId = QString::number(id);
        r.eventType = QStringLiteral("chat");
        r.data = chatJson(id, "hi");
        c.record(e, r);
    };
    event(41, t0 + 25201 * Ms);
    c.record(e, sseRecord(WireRecord::Kind::Comment, ": heartbeat\n\n", QStringLiteral(": heartbeat"), t0 + 15 * Sec));
    event(42, t0 + 26701 * Ms);
    for (int i = 0; i < burst; ++i)
        event(quint64(100 + i), t0 + 27 * Sec + i * 5 * Ms);
    const qint64 end = t0 + 28 * Sec + burst * 5 * Ms;
    c.endExchange(e, QStringLiteral("the server closed the stream"), end);
    const QByteArray again = "GET /events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: text/event-stream\r\n"
                             "Cache-Control: no-cache\r\nLast-Event-ID: "
            + QByteArray::number(burst ? 100 + burst - 1 : 42) + "\r\n\r\n";
    const quint64 e2 = c.beginExchange(TransportKind::Sse, WireExchange::Kind::EventStream, "GET",
                                       QStringLiteral("http://127.0.0.1:8080/events"), again, {},
                                       QStringLiteral("GET /events (Last-Event-ID)"), end + 2 * Sec);
    c.requestSent(e2, end + 2 * Sec + 100);
    c.responseHead(e2, 200, head, true, end + 2 * Sec + 2 * Ms);
}

inline const QByteArray ClientMaskKey = QByteArray::fromHex("37fa213d"); // RFC 6455 §5.7's example key

// WebSocket: the upgrade and its 101, #41 from the server, the client's masked "Hello" (RFC 6455
// §5.7's bytes), #42, a ping and the client's masked pong, a burst of `burst` text frames (#100…)
// 5 ms apart, and a close 1000 both ways.
inline void scriptWebSocket(WireCapture &c, qint64 t0, int burst = 0)
{
    const QByteArray req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const QByteArray head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    const quint64 e = c.beginExchange(TransportKind::WebSocket, WireExchange::Kind::WebSocket, "GET",
                                      QStringLiteral("ws://127.0.0.1:8080/ws"), req, {},
                                      QStringLiteral("GET /ws (Upgrade: websocket)"), t0);
    c.requestSent(e, t0 + 100);
    c.responseHead(e, 101, head, true, t0 + 2 * Ms);
    c.record(e,
             wsFrame(WireDirection::ToClient, 1, chatJson(41, "hi"), {}, QStringLiteral("text #41"), t0 + 25201 * Ms,
                     { 41 }));
    c.record(e,
             wsFrame(WireDirection::ToServer, 1, "Hello", ClientMaskKey, QStringLiteral("text \"Hello\" (masked)"),
                     t0 + 26500 * Ms));
    c.record(e,
             wsFrame(WireDirection::ToClient, 1, chatJson(42, "hello"), {}, QStringLiteral("text #42"), t0 + 26701 * Ms,
                     { 42 }));
    c.record(e, wsFrame(WireDirection::ToClient, 9, {}, {}, QStringLiteral("ping"), t0 + 26900 * Ms));
    c.record(e,
             wsFrame(WireDirection::ToServer, 10, {}, QByteArray::fromHex("a1b2c3d4"), QStringLiteral("pong"),
                     t0 + 26901 * Ms));
    for (int i = 0; i < burst; ++i)
        c.record(e,
                 wsFrame(WireDirection::ToClient, 1, chatJson(quint64(100 + i), "burst"), {},
                         QStringLiteral("text #%1").arg(100 + i), t0 + 27 * Sec + i * 5 * Ms, { quint64(100 + i) }));
    const qint64 end = t0 + 28 * Sec + burst * 5 * Ms;
    const QByteArray code = QByteArray::fromHex("03e8");
    c.record(e,
             wsFrame(WireDirection::ToServer, 8, code, QByteArray::fromHex("0f1e2d3c"), QStringLiteral("close 1000"),
                     end, {}, 1000));
    c.record(e, wsFrame(WireDirection::ToClient, 8, code, {}, QStringLiteral("close 1000"), end + 1 * Ms, {}, 1000));
    c.endExchange(e, {}, end + 2 * Ms);
}

} // namespace rtlab::test
