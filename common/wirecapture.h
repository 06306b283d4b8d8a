// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QString>

#include <deque>

namespace rtlab {

// What crossed the wire, as a client transport sent and received it: the source of the protocol
// X-ray's sequence diagrams and of the HAR export. Two kinds of entries:
//
//  - a WireExchange is one HTTP exchange (a poll, a publish), one event stream (GET /events and
//    everything it carried) or one WebSocket connection (its upgrade and every frame): a HAR
//    entry;
//  - a WireRecord is one arrow (or one mark) on a transport's lifeline: a request, a response
//    head, a poll's answer, an SSE event, comment or retry:, a WebSocket frame, the end of a
//    connection, a fault the relay made, a switch. A record names its exchange (0: none).
//
// Both live in bounded rings: the oldest go first, and droppedRecords()/droppedExchanges() say
// how many went. A record keeps at most Limits::bytesPerRecord of its bytes (size says how many
// there were). Thread-safe: the lanes write on the network thread while a view reads snapshots.

enum class WireDirection { ToServer, ToClient, Local };

struct WireRecord
{
    enum class Kind {
        Request,      // an HTTP request (a poll, a publish, GET /events, the WebSocket upgrade)
        ResponseHead, // an HTTP response's status line and headers (a 101, a stream's 200)
        Response,     // a whole HTTP response with its body (a poll's answer, a publish's 202)
        Event,        // an SSE event (with data)
        Comment,      // an SSE comment: a heartbeat
        Retry,        // an SSE retry: field
        Frame,        // a WebSocket frame, either way
        Ended,        // the connection or exchange ended (label: why)
        Fault,        // the relay did something on purpose (cut, refused an upgrade, reset)
        Note,         // the client did something worth marking (switched transport, a reset)
    };
    quint64 seq = 0;      // assigned by the capture: increasing, never reused
    quint64 exchange = 0; // the WireExchange this belongs to; 0 for faults and notes
    TransportKind transport = TransportKind::WebSocket;
    Kind kind = Kind::Note;
    WireDirection direction = WireDirection::Local;
    qint64 timeUs = 0; // µs since the Unix epoch, this machine's clock
    QString label;     // what the arrow says: "GET /poll?after=12&timeout=25", "ping", "close 1000"
    QByteArray bytes;  // the exact bytes on the wire (at most Limits::bytesPerRecord of them)
    qint64 size = 0;   // how many bytes crossed
    // A poll's answer that carried no message (the hold timed out): drawn apart from one that did.
    bool empty = false;
    // The rtlab messages (log ids) this carried, so one message can be followed across lanes.
    QList<quint64> messageIds;
    // SSE: the event's id: and event: fields, and its data (joined lines).
    QString eventId;
    QString eventType;
    // WebSocket frames: the opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation),
    // FIN, whether the frame was masked and with which key, the close code of a close frame, and
    // how many of `bytes` are the frame's header (the rest is the payload as sent: masked for a
    // client frame).
    int opcode = -1;
    bool fin = true;
    bool masked = false;
    QByteArray maskKey;
    int closeCode = 0;
    int headerLength = 0;
    // The message's content: an SSE event's data, a WebSocket frame's unmasked payload, a poll
    // answer's body (at most Limits::bytesPerRecord of it).
    QByteArray data;

    // A record on an exchange's lifeline (exchange 0: a mark of its own), with its exact bytes.
    static WireRecord make(quint64 exchange, TransportKind transport, Kind kind, WireDirection direction, qint64 timeUs,
                           const QString &label, const QByteArray &bytes = {});
};

struct WireExchange
{
    enum class Kind { Poll, Publish, EventStream, WebSocket, Other };
    quint64 id = 0; // assigned by the capture: increasing, never reused
    TransportKind transport = TransportKind::WebSocket;
    Kind kind = Kind::Other;
    QByteArray method = "GET";
    QString url;                 // the full URL, as a HAR entry names it
    QByteArray requestHead;      // the exact request line and headers
    QByteArray requestBody;      // (at most Limits::bytesPerRecord)
    int status = 0;              // 0 until a response head came (and if none ever did)
    QByteArray responseHead;     // the exact status line and headers
    QString mimeType;            // the response's Content-Type, without parameters
    qint64 responseBodySize = 0; // bytes of body received (a stream: all of them so far)
    qint64 startUs = -1;         // the request was handed to the socket
    qint64 sentUs = -1;          // the request's last byte was written
    qint64 headUs = -1;          // the response head arrived: sentUs..headUs is the wait (a poll's hold)
    qint64 endUs = -1;           // the response ended or the connection closed; -1 while open
    QString endReason;           // why it ended, when it did not end normally
};

class WireCapture
{
public:
    struct Limits
    {
        qsizetype records = 5000;
        qsizetype exchanges = 2000;
        qsizetype bytesPerRecord = 4096;
    };
    struct Snapshot
    {
        std::deque<WireExchange> exchanges; // oldest first
        std::deque<WireRecord> records;     // oldest first
        qint64 droppedExchanges = 0;
        qint64 droppedRecords = 0;
        quint64 revision = 0;
        // The exchange with this id, or null when it is not (or no longer) in the ring.
        const WireExchange *exchange(quint64 id) const;
    };

    explicit WireCapture(Limits limits);
    WireCapture() : WireCapture(Limits {}) { }

    static qint64 nowUs();

    // An exchange starts: its request is on its way. Records the request as a record too.
    // Returns the exchange's id. `timeUs` < 0: now (a replay or a scripted capture gives its own).
    quint64 beginExchange(TransportKind transport, WireExchange::Kind kind, const QByteArray &method,
                          const QString &url, const QByteArray &requestHead, const QByteArray &requestBody = {},
                          const QString &label = {}, qint64 timeUs = -1);
    // The request's last byte was written.
    void requestSent(quint64 exchange, qint64 timeUs = -1);
    // The response's head arrived. Records it as a record unless `asRecord` is false (a poll's
    // answer is one record with its body: see finishResponse).
    void responseHead(quint64 exchange, int status, const QByteArray &head, bool asRecord = true, qint64 timeUs = -1);
    // Counts body bytes of the exchange (a stream's events, a poll's answer).
    void bodyReceived(quint64 exchange, qint64 bytes);
    // A whole response with its body: one arrow back (a poll's answer, a publish's 202).
    void finishResponse(quint64 exchange, const QString &label, const QByteArray &body, bool empty,
                        const QList<quint64> &messageIds, qint64 timeUs = -1);
    // Anything else on the exchange's connection (an SSE event, a WebSocket frame). The record's
    // seq and exchange are set here; its transport is the exchange's.
    void record(quint64 exchange, WireRecord record);
    // The exchange is over (normally or not: `reason` says why when not). Records an Ended
    // record when `reason` is not empty.
    void endExchange(quint64 exchange, const QString &reason = {}, qint64 timeUs = -1);
    // A fault or a note on a transport's lifeline.
    void mark(TransportKind transport, WireRecord::Kind kind, const QString &label, qint64 timeUs = -1);

    Snapshot snapshot() const;
    // Changes whenever anything was recorded: a view re-reads only when it moved.
    quint64 revision() const;
    void clear();
    Limits limits() const { return m_limits; }

private:
    WireExchange *find(quint64 id);
    void append(WireRecord record);
    QByteArray clip(const QByteArray &bytes) const;

    const Limits m_limits;
    mutable QMutex m_mutex;
    std::deque<WireExchange> m_exchanges;
    std::deque<WireRecord> m_records;
    qint64 m_droppedExchanges = 0;
    qint64 m_droppedRecords = 0;
    quint64 m_nextExchange = 1;
    quint64 m_nextRecord = 1;
    quint64 m_revision = 0;
};

} // namespace rtlab
