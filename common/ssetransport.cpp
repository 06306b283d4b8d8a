#include "ssetransport.h"

#include <QJsonObject>

namespace rtlab {

SseTransport::SseTransport(const Options &options, QObject *parent)
    : ClientTransport(TransportKind::Sse, options, parent), m_publisher(options.server, options.stats, this)
{
    m_connection.setServer(options.rawUrl.isValid() ? options.rawUrl : options.server);
    connect(&m_connection, &HttpClientConnection::requestWritten, this,
            [this](qint64 n) { stats().headerBytes += n; });
    connect(&m_connection, &HttpClientConnection::bytesReceived, this, [this] { noteAlive(); });
    connect(&m_connection, &HttpClientConnection::responseHeadReceived, this, &SseTransport::onHead);
    connect(&m_connection, &HttpClientConnection::bodyReceived, this, &SseTransport::onBody);
    connect(&m_connection, &HttpClientConnection::responseFinished, this,
            [this] { connectionLost(QStringLiteral("the server ended the stream")); });
    connect(&m_connection, &HttpClientConnection::failed, this, [this](const QString &why) { connectionLost(why); });
    connect(&m_publisher, &HttpPublisher::published, this, &ClientTransport::publishAcknowledged);
    connect(&m_publisher, &HttpPublisher::failed, this,
            [this](const QString &clientMsgId, const QString &why, bool retryable) {
                emitEvent(ConnectionEvent::Type::Error, why);
                emit publishFailed(clientMsgId, why, retryable);
            });
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
    HttpClientConnection::Request r;
    const bool raw = options().rawUrl.isValid();
    r.target = raw ? options().rawUrl.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment)
                   : QByteArray("/events");
    if (r.target.isEmpty())
        r.target = "/";
    r.headers = { { "Accept", "text/event-stream" }, { "Cache-Control", "no-cache" } };
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
    if (r.status() == 204) {
        connectionLost(QStringLiteral("the server answered 204 No Content: told to stop"), 0, false);
        return;
    }
    if (r.status() != 200) {
        connectionLost(QStringLiteral("HTTP status %1 (an event stream needs 200)").arg(r.status()), 0, false);
        return;
    }
    const QByteArray type = r.header("content-type").split(';').value(0).trimmed().toLower();
    if (type != "text/event-stream") {
        connectionLost(QStringLiteral("Content-Type is \"%1\", not text/event-stream").arg(QString::fromUtf8(type)),
                       0, false);
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
    if (events.size() == 1) {
        // Byte ledger: this read carried exactly one event; split it around its data.
        const QByteArray data = events.front().data.toUtf8();
        const qsizetype at = bytes.indexOf(data);
        if (at >= 0) {
            stats().lastWire = { { tr("response head (once per connection)"), m_connection.responseHead() },
                                 { tr("fields before the data (framing)"), bytes.left(at) },
                                 { tr("payload: the message JSON"), data },
                                 { tr("end of the event (framing)"), bytes.mid(at + data.size()) } };
        }
    }
    for (const SseEvent &e : events) {
        const QByteArray data = e.data.toUtf8();
        stats().payloadBytes += data.size();
        stats().framingBytes -= data.size();
        if (raw) {
            QJsonObject o;
            o.insert(QLatin1String("event"), e.type);
            o.insert(QLatin1String("id"), e.lastEventId);
            o.insert(QLatin1String("data"), e.data);
            stats().messages++;
            emit rawReceived(o);
        } else if (!deliverJson(data)) {
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

} // namespace rtlab
