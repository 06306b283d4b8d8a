// SPDX-License-Identifier: MIT
#include "ssetransport.h"

#include "authrefusal.h"

#include <QJsonObject>

namespace rtlab {

// A block of the stream: the lines up to and including a blank line. A block with a "data"
// line is what the parser dispatches as an event (WHATWG: a blank line dispatches when the
// data buffer is not empty); one without (a comment, retry:, a bare id:) carries no message.
struct SseTransport::Block
{
    QByteArray bytes;
    qsizetype dataLines = 0;
    qsizetype valueStart = -1; // the first data line's value, within bytes
    qsizetype valueEnd = -1;
};

// Any body byte that is not in a Block yet waits here; at most this many (a longer event or
// comment run is counted, but not split for the ledger).
static constexpr qsizetype MaxUnsplitBytes = 4 * 1024 * 1024;
// Events dispatched whose block is not complete yet: normally none or one.
static constexpr qsizetype MaxAwaitingBlocks = 256;

// One block of the stream as records in the capture: an event (with its id:, event: and data),
// a retry:, a comment (a heartbeat), or a bare id: (names the live end; carries no event).
// Parsed again from the exact bytes, which the parser does not keep.
static void captureBlock(WireCapture &capture, quint64 exchange, const QByteArray &bytes,
                         const std::optional<Message> &message)
{
    QString id;
    QString type;
    QByteArray data;
    bool hasData = false;
    std::optional<QByteArray> retry;
    std::optional<QByteArray> comment;
    bool hasId = false;
    for (QByteArray line : bytes.split('\n')) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue;
        if (line.startsWith(':')) {
            if (!comment)
                comment = line.mid(1).trimmed();
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArray field = colon < 0 ? line : line.left(colon);
        QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
        if (field == "data") {
            data += (hasData ? "\n" : "") + value;
            hasData = true;
        } else if (field == "event") {
            type = QString::fromUtf8(value);
        } else if (field == "id") {
            id = QString::fromUtf8(value);
            hasId = true;
        } else if (field == "retry") {
            retry = value;
        }
    }
    WireRecord r;
    r.direction = WireDirection::ToClient;
    r.bytes = bytes;
    r.size = bytes.size();
    if (hasData) {
        r.kind = WireRecord::Kind::Event;
        r.eventId = id;
        r.eventType = type;
        r.data = data;
        if (message && message->id > 0)
            r.messageIds = { message->id };
        r.label = QStringLiteral("%1%2").arg(type.isEmpty() ? QStringLiteral("message") : type,
                                             hasId ? QStringLiteral(" · id: %1").arg(id) : QString());
    } else if (retry) {
        r.kind = WireRecord::Kind::Retry;
        r.label = QStringLiteral("retry: %1").arg(QString::fromUtf8(*retry));
    } else if (comment) {
        r.kind = WireRecord::Kind::Comment;
        r.label = QStringLiteral(": %1").arg(QString::fromUtf8(*comment));
    } else {
        r.kind = WireRecord::Kind::Comment;
        r.eventId = id;
        r.label = QStringLiteral("id: %1 (no data: no event)").arg(id);
    }
    capture.record(exchange, std::move(r));
}

SseTransport::SseTransport(const Options &options, QObject *parent)
    : ClientTransport(TransportKind::Sse, options, parent), m_publisher(options.server, options.stats, this)
{
    m_connection.setServer(options.rawUrl.isValid() ? options.rawUrl : options.server);
    m_connection.setCapture(options.capture, kind());
    m_publisher.setCapture(options.capture, kind());
    // The stream's request and response head are sent once per connection: set-up, not per
    // message (see messageCost()).
    connect(&m_connection, &HttpClientConnection::requestWritten, this, [this](qint64 n) {
        stats().headerBytes += n;
        stats().setupBytes += n;
    });
    connect(&m_connection, &HttpClientConnection::bytesReceived, this, [this] { noteAlive(); });
    connect(&m_connection, &HttpClientConnection::responseHeadReceived, this, &SseTransport::onHead);
    connect(&m_connection, &HttpClientConnection::bodyReceived, this, &SseTransport::onBody);
    connect(&m_connection, &HttpClientConnection::responseFinished, this,
            [this] { connectionLost(QStringLiteral("the server ended the stream")); });
    connectHttpParts(&m_connection, &m_publisher);
}

void SseTransport::publish(const PublishRequest &request)
{
    m_publisher.publish(request);
}

void SseTransport::connectNow()
{
    m_parser.reset();
    m_comments = 0;
    m_framingSeen = 0;
    m_wire.clear();
    m_awaitingBlocks.clear();
    HttpClientConnection::Request r;
    const bool raw = options().rawUrl.isValid();
    r.target = raw ? options().rawUrl.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment)
                   : QByteArray("/events");
    if (r.target.isEmpty())
        r.target = "/";
    r.headers = { { "Accept", "text/event-stream" }, { "Cache-Control", "no-cache" } };
    r.captureKind = WireExchange::Kind::EventStream;
    // On a reconnect, the last event ID goes back to the server (for rtlab it names our place).
    QString lastId = m_lastEventId;
    if (!raw && m_position.lastId) {
        // Without an epoch (a bare --after N) the id alone goes back; the server takes it as ours.
        lastId = m_position.epoch.isEmpty() ? QString::number(*m_position.lastId)
                                            : MessageCodec::eventId(m_position.epoch, *m_position.lastId);
    }
    if (!lastId.isEmpty())
        r.headers.append({ "Last-Event-ID", lastId.toUtf8() });
    stats().httpRequests++;
    m_connection.send(r);
}

void SseTransport::disconnectNow()
{
    m_connection.abort();
}

std::optional<int> SseTransport::retryDelay(int attempt)
{
    const std::optional<int> policy = ClientTransport::retryDelay(attempt);
    if (!policy || !m_retryMs)
        return policy;
    // The server's retry: is the first wait (as EventSource does); later ones back off from there.
    if (attempt == 1)
        return int(qMin<qint64>(*m_retryMs, 3600 * 1000));
    return int(qMax<qint64>(*policy, qMin<qint64>(*m_retryMs, 3600 * 1000)));
}

void SseTransport::onHead()
{
    const HttpResponseParser &r = m_connection.response();
    stats().headerBytes += r.headBytes();
    stats().setupBytes += r.headBytes();
    stats().setupWire = { { WirePart::Role::Header, tr("request: GET /events"), m_connection.lastRequest() },
                          { WirePart::Role::Header, tr("response head"), m_connection.responseHead() } };
    if (r.status() == 204) {
        connectionLost(QStringLiteral("the server answered 204 No Content: told to stop"), 0, false);
        return;
    }
    if (refusesToken(r.status())) {
        // Decided on the head (a stream's body may never end): the reason is in WWW-Authenticate.
        tokenRefused(AuthRefusal::describe(r.status(), r.header("www-authenticate"), {}, u"subscribe"), r.status());
        return;
    }
    if (r.status() != 200) {
        attemptRefused(QStringLiteral("HTTP status %1 (an event stream needs 200)").arg(r.status()), r.status(), false);
        return;
    }
    const QByteArray type = r.header("content-type").split(';').value(0).trimmed().toLower();
    if (type != "text/event-stream") {
        attemptRefused(
                QStringLiteral("the server answered %1, not an event stream (that is Content-Type: text/event-stream)")
                        .arg(type.isEmpty() ? QStringLiteral("no Content-Type") : QString::fromUtf8(type)),
                r.status(), false);
        return;
    }
    attemptOpened();
}

void SseTransport::onBody(const QByteArray &bytes)
{
    if (state() != State::Open)
        return;
    m_parser.feed(bytes);
    // Every body byte is framing until an event's data turns out to be payload.
    stats().framingBytes += bytes.size();
    if (m_parser.error() != SseParser::Error::None) {
        connectionLost(QStringLiteral("an event stream line is longer than the parser's limit"));
        return;
    }
    if (m_parser.retry())
        m_retryMs = m_parser.retry();
    while (m_comments < m_parser.commentCount()) {
        ++m_comments;
        stats().heartbeats++;
        emitEvent(ConnectionEvent::Type::Heartbeat);
    }
    m_lastEventId = m_parser.lastEventId();
    const bool raw = options().rawUrl.isValid();
    const QList<SseEvent> events = m_parser.takeEvents();
    QList<std::optional<Message>> decoded;
    for (const SseEvent &e : events) {
        const QByteArray data = e.data.toUtf8();
        stats().payloadBytes += data.size();
        stats().framingBytes -= data.size();
        decoded.append(raw ? std::nullopt : MessageCodec::decode(data));
        m_awaitingBlocks.push_back({ decoded.constLast(), data });
    }
    while (qsizetype(m_awaitingBlocks.size()) > MaxAwaitingBlocks)
        m_awaitingBlocks.pop_front();
    // The byte ledger: the parser dispatched one event per block with data, in order; a block
    // completes here when its blank line is certain (a CR last in a read may be half a CRLF),
    // which can be a read later than the parser's dispatch.
    m_wire += bytes;
    const std::shared_ptr<WireCapture> &capture = options().capture;
    for (const Block &block : takeBlocks()) {
        if (block.dataLines == 0 || m_awaitingBlocks.empty()) {
            if (capture)
                captureBlock(*capture, m_connection.exchangeId(), block.bytes, std::nullopt);
            continue; // a comment, retry: or a bare id: carried no message (idle)
        }
        const auto [message, data] = std::move(m_awaitingBlocks.front());
        m_awaitingBlocks.pop_front();
        if (capture)
            captureBlock(*capture, m_connection.exchangeId(), block.bytes, message);
        stats().messageFramingBytes += block.bytes.size() - data.size();
        if (!message || message->type == MessageType::Reset)
            continue;
        QList<WirePart> parts;
        if (block.dataLines == 1 && block.bytes.mid(block.valueStart, block.valueEnd - block.valueStart) == data)
            parts = { { WirePart::Role::Framing, tr("fields before the data (framing)"),
                        block.bytes.left(block.valueStart) },
                      { WirePart::Role::Payload, tr("payload: the message JSON"), data },
                      { WirePart::Role::Framing, tr("end of the event (framing)"), block.bytes.mid(block.valueEnd) } };
        else
            parts = { { WirePart::Role::Framing, tr("the event: several data lines (framing and payload)"),
                        block.bytes } };
        stats().recordWire(WireLedger::of(*message, parts));
    }
    if (m_wire.size() > MaxUnsplitBytes)
        m_wire.clear();
    for (qsizetype i = 0; i < events.size(); ++i) {
        const SseEvent &e = events.at(i);
        if (raw) {
            QJsonObject o;
            o.insert(QLatin1String("event"), e.type);
            o.insert(QLatin1String("id"), e.lastEventId);
            o.insert(QLatin1String("data"), e.data);
            stats().messages++;
            emit rawReceived(o);
        } else if (decoded.at(i)) {
            deliver(*decoded.at(i));
        } else {
            emitEvent(ConnectionEvent::Type::Error, QStringLiteral("an event that is not an rtlab message"));
        }
        if (state() != State::Open)
            return;
    }
    if (!raw && !m_position.lastId) {
        // No message yet, but the server named the live end (an id with no data): resume from there.
        QString epoch;
        quint64 id = 0;
        if (MessageCodec::parseEventId(m_lastEventId, &epoch, &id))
            m_position = { epoch, id };
    }
}

QList<SseTransport::Block> SseTransport::takeBlocks()
{
    QList<Block> blocks;
    Block current;
    qsizetype blockStart = 0;
    qsizetype pos = 0;
    const qsizetype n = m_wire.size();
    while (pos < n) {
        qsizetype end = pos;
        while (end < n && m_wire.at(end) != '\r' && m_wire.at(end) != '\n')
            ++end;
        if (end == n || (end == n - 1 && m_wire.at(end) == '\r'))
            break; // an incomplete line, or a CR that may be half a CRLF
        const qsizetype next = end + (m_wire.at(end) == '\r' && end + 1 < n && m_wire.at(end + 1) == '\n' ? 2 : 1);
        if (end == pos) {
            current.bytes = m_wire.mid(blockStart, next - blockStart);
            if (current.valueStart >= 0) {
                current.valueStart -= blockStart;
                current.valueEnd -= blockStart;
            }
            blocks.append(std::exchange(current, Block {}));
            blockStart = next;
        } else {
            const QByteArrayView line(m_wire.constData() + pos, end - pos);
            const qsizetype colon = line.indexOf(':');
            if ((colon < 0 ? line : line.first(colon)) == "data") {
                if (current.dataLines++ == 0) {
                    qsizetype value = colon < 0 ? end : pos + colon + 1;
                    if (value < end && m_wire.at(value) == ' ')
                        ++value;
                    current.valueStart = value;
                    current.valueEnd = end;
                }
            }
        }
        pos = next;
    }
    m_wire.remove(0, blockStart);
    return blocks;
}

} // namespace rtlab
