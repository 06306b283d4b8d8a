// SPDX-License-Identifier: MIT
#include "longpolltransport.h"

#include "authrefusal.h"

#include "wirecontract.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace rtlab {

static constexpr int ClientMarginMs = 5000;
static constexpr qsizetype MaxPollBody = 8 * 1024 * 1024;

// A poll's answer as one arrow in the capture: its status, how many messages (with their ids)
// or that it came back empty (the hold ran out, or a poll that asked for no hold: timeout=0).
// `messages` is the answer's, parsed once by the caller (none for a status other than 200).
static void captureAnswer(const HttpClientConnection &c, const QByteArray &body, const QJsonArray &messages)
{
    if (!c.capture())
        return;
    const int status = c.response().status();
    QList<quint64> ids;
    for (const QJsonValue &v : messages) {
        if (const qint64 id = v.toObject().value(QLatin1String("id")).toInteger(); id > 0)
            ids.append(quint64(id));
    }
    QString label;
    if (status != 200)
        label = QStringLiteral("%1").arg(status);
    else if (messages.isEmpty() && c.lastRequest().contains("timeout=0 "))
        label = QObject::tr("%1 · empty: nothing new (no hold asked)").arg(status);
    else if (messages.isEmpty())
        label = QObject::tr("%1 · empty: the hold ran out").arg(status);
    else if (messages.size() == 1)
        label = QObject::tr("%1 · 1 message (id %2)").arg(status).arg(ids.value(0));
    else
        label = QObject::tr("%1 · %2 messages (ids %3–%4)")
                        .arg(status)
                        .arg(messages.size())
                        .arg(ids.value(0))
                        .arg(ids.isEmpty() ? 0 : ids.last());
    c.capture()->finishResponse(c.exchangeId(), label, body, status == 200 && messages.isEmpty(), ids);
}

LongPollTransport::LongPollTransport(const Options &options, QObject *parent, TransportKind kind)
    : ClientTransport(kind, options, parent), m_publisher(options.server, options.stats, this)
{
    m_intervalTimer.setSingleShot(true);
    m_intervalTimer.setTimerType(Qt::PreciseTimer); // the interval is what short polling is measured by
    connect(&m_intervalTimer, &QTimer::timeout, this, &LongPollTransport::poll);
    // A held poll is silent by design: the client timeout below is its watchdog.
    setWatchdogEnabled(false);
    m_connection.setServer(options.server);
    m_connection.setCapture(options.capture, kind);
    m_publisher.setCapture(options.capture, kind);
    m_clientTimeout.setSingleShot(true);
    connect(&m_clientTimeout, &QTimer::timeout, this,
            [this] { connectionLost(QStringLiteral("no answer within the hold time + %1 ms").arg(ClientMarginMs)); });
    connect(&m_connection, &HttpClientConnection::requestWritten, this, [this](qint64 n) { stats().headerBytes += n; });
    connect(&m_connection, &HttpClientConnection::responseHeadReceived, this,
            [this] { stats().headerBytes += m_connection.response().headBytes(); });
    connect(&m_connection, &HttpClientConnection::bodyReceived, this, [this](const QByteArray &b) {
        if (m_body.size() + b.size() > MaxPollBody) {
            connectionLost(QStringLiteral("a poll answer over %1 bytes").arg(MaxPollBody));
            return;
        }
        m_body += b;
    });
    connect(&m_connection, &HttpClientConnection::responseFinished, this, &LongPollTransport::onFinished);
    connectHttpParts(&m_connection, &m_publisher);
}

void LongPollTransport::publish(const PublishRequest &request)
{
    m_publisher.publish(request);
}

void LongPollTransport::connectNow()
{
    m_opened = false;
    poll();
}

void LongPollTransport::disconnectNow()
{
    m_clientTimeout.stop();
    m_intervalTimer.stop();
    m_connection.abort();
    m_body.clear();
}

void LongPollTransport::poll()
{
    HttpClientConnection::Request r;
    QByteArrayList query;
    if (m_position.lastId) {
        query << "after=" + QByteArray::number(*m_position.lastId);
        if (!m_position.epoch.isEmpty())
            query << "epoch=" + QUrl::toPercentEncoding(m_position.epoch);
    }
    // Short polling says so, for the server's figures (it answers every poll alike).
    if (isShort())
        query << "mode=short";
    if (m_position.lastId) {
        // The first poll of a connection asks for an answer at once, so that the transport
        // knows it is through (and a live switch need not wait out a hold); the rest are held.
        // Short polling is never held.
        const double hold = m_opened && !isShort() ? double(options().pollHoldMs) / 1000.0 : 0.0;
        query << "timeout=" + QByteArray::number(hold);
    }
    r.target = query.isEmpty() ? QByteArray("/poll") : "/poll?" + query.join('&');
    r.captureKind = WireExchange::Kind::Poll;
    m_body.clear();
    stats().httpRequests++;
    m_clientTimeout.start(int(isShort() ? 0 : options().pollHoldMs) + ClientMarginMs);
    m_sinceLastPoll.start();
    m_connection.send(r);
}

void LongPollTransport::onFinished()
{
    m_clientTimeout.stop();
    const int status = m_connection.response().status();
    QString why;
    const std::optional<PollAnswer> answer = status == 200 ? PollAnswer::decode(m_body, &why) : std::nullopt;
    const QJsonArray messages = answer ? answer->messages : QJsonArray();
    captureAnswer(m_connection, m_body, messages);
    if (refusesToken(status)) {
        tokenRefused(
                AuthRefusal::describe(status, m_connection.response().header("www-authenticate"), m_body, u"subscribe"),
                status);
        return;
    }
    if (status != 200) {
        // 5xx (a server shutting down, a proxy) is worth retrying; a 4xx will not get better.
        connectionLost(QStringLiteral("HTTP status %1").arg(status), 0, status >= 500);
        return;
    }
    if (!answer) {
        connectionLost(QStringLiteral("not a poll answer: %1").arg(why), 0, false);
        return;
    }
    const bool firstAnswer = !m_opened;
    if (firstAnswer) {
        m_opened = true;
        attemptOpened();
    }
    // The server writes each message as compact JSON; re-encoding gives its exact size. The
    // rest of the body (epoch, cursor, brackets, commas) is the envelope: framing.
    QList<QByteArray> encoded;
    encoded.reserve(messages.size());
    qint64 payload = 0;
    for (const QJsonValue &v : messages) {
        encoded.append(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        payload += encoded.constLast().size();
    }
    stats().payloadBytes += payload;
    const qint64 framing = m_connection.response().bodyBytes() + m_connection.response().framingBytes() - payload;
    stats().framingBytes += framing;
    QList<WirePart> shared;
    if (!messages.isEmpty()) {
        // Every poll is a request and a response of its own: when the answer carries messages,
        // its heads and envelope are what carried them (see messageCost()); an empty answer is idle.
        stats().messageHeaderBytes += m_connection.lastRequest().size() + m_connection.response().headBytes();
        stats().messageFramingBytes += framing;
        shared = { { WirePart::Role::Header, tr("request (the poll itself)"), m_connection.lastRequest() },
                   { WirePart::Role::Header, tr("response head"), m_connection.responseHead() } };
    }
    // Byte ledger: where each message's JSON sits in the body (in order); the rest is envelope.
    QList<qsizetype> at;
    for (qsizetype i = 0, from = 0; i < encoded.size(); ++i) {
        const qsizetype found = m_body.indexOf(encoded.at(i), from);
        if (found < 0) {
            at.clear();
            break;
        }
        at.append(found);
        from = found + encoded.at(i).size();
    }
    QByteArray envelope; // the body without its payloads
    for (qsizetype i = 0, from = 0; i <= at.size() && !at.isEmpty(); ++i) {
        const qsizetype to = i < at.size() ? at.at(i) : m_body.size();
        envelope += m_body.mid(from, to - from);
        if (i < at.size())
            from = at.at(i) + encoded.at(i).size();
    }
    const auto partsFor = [&](qsizetype i) {
        QList<WirePart> parts = shared;
        if (at.isEmpty()) {
            parts.append({ WirePart::Role::Framing, tr("the answer (its messages could not be told apart)"), m_body });
        } else if (messages.size() == 1) {
            parts.append({ WirePart::Role::Framing, tr("envelope before (framing)"), m_body.left(at.at(i)) });
            parts.append({ WirePart::Role::Payload, tr("payload: the message JSON"), encoded.at(i) });
            parts.append({ WirePart::Role::Framing, tr("envelope after (framing)"),
                           m_body.mid(at.at(i) + encoded.at(i).size()) });
        } else {
            parts.append({ WirePart::Role::Framing,
                           messages.size() == 2
                                   ? tr("envelope (framing; the other message of this answer left out)")
                                   : tr("envelope (framing; the other %1 messages of this answer left out)")
                                             .arg(messages.size() - 1),
                           envelope });
            parts.append({ WirePart::Role::Payload, tr("payload: the message JSON"), encoded.at(i) });
        }
        return parts;
    };
    for (qsizetype i = 0; i < messages.size(); ++i) {
        if (auto m = MessageCodec::fromJsonObject(messages.at(i).toObject())) {
            if (m->type != MessageType::Reset)
                stats().recordWire(WireLedger::of(*m, partsFor(i), messages.size()));
            deliver(*m);
        }
        if (state() != State::Open)
            return;
    }
    if (messages.isEmpty() && m_position.lastId && !firstAnswer) {
        if (isShort()) {
            stats().idlePolls++; // nothing new yet: what traditional polling mostly gets
        } else {
            stats().holdTimeouts++;
            emitEvent(ConnectionEvent::Type::HoldTimeout, QStringLiteral("empty answer: poll again"));
        }
    }
    // The cursor is where the next poll goes on (a reset moves it; an empty answer keeps it).
    m_position.advanceToCursor(answer->epoch, answer->cursor);
    pollAgain();
}

void LongPollTransport::pollAgain()
{
    if (!isShort()) {
        poll();
        return;
    }
    // From the start of one poll to the start of the next: a fixed rate while answers are quick.
    const qint64 interval = qMax<qint64>(1, options().pollIntervalMs);
    m_intervalTimer.start(int(qBound(qint64(0), interval - m_sinceLastPoll.elapsed(), qint64(24 * 3600 * 1000))));
}

} // namespace rtlab
