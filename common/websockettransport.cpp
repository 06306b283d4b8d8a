// SPDX-License-Identifier: MIT
#include "websockettransport.h"

#include "authrefusal.h"

#include "message.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QThread>
#include <QtEndian>
#if QT_CONFIG(ssl)
#include <QSslSocket>
#endif

namespace rtlab {

namespace {

constexpr qint64 ReadChunk = 64 * 1024;

// What a frame's arrow says: "text 142 B", "ping", "close 1000 client closing".
QString frameLabel(const WsFrame &f)
{
    switch (f.opcode) {
    case WsFrameParser::Close: {
        if (f.payload.size() < 2)
            return QStringLiteral("close");
        const QString reason = f.closeReason();
        return reason.isEmpty() ? QStringLiteral("close %1").arg(f.closeCode())
                                : QStringLiteral("close %1 %2").arg(f.closeCode()).arg(reason);
    }
    case WsFrameParser::Ping:
    case WsFrameParser::Pong: return WsFrameParser::opcodeName(f.opcode);
    default: {
        QString s = QStringLiteral("%1 %2 B").arg(WsFrameParser::opcodeName(f.opcode)).arg(f.payloadLength);
        if (!f.fin)
            s += QStringLiteral(" (more follows)");
        return s;
    }
    }
}

void recordFrame(WireCapture *capture, quint64 exchange, WireDirection direction, const WsFrame &f,
                 const QList<quint64> &messageIds = {})
{
    if (!capture || !exchange)
        return;
    WireRecord r;
    r.transport = TransportKind::WebSocket;
    r.kind = WireRecord::Kind::Frame;
    r.direction = direction;
    r.timeUs = WireCapture::nowUs();
    r.label = frameLabel(f);
    r.bytes = f.bytes();
    r.size = r.bytes.size();
    r.opcode = f.opcode;
    r.fin = f.fin;
    r.masked = f.masked;
    r.maskKey = f.maskKey;
    r.closeCode = f.opcode == WsFrameParser::Close && f.payload.size() >= 2 ? f.closeCode() : 0;
    r.headerLength = f.headerLength;
    r.data = f.payload;
    r.messageIds = messageIds;
    capture->record(exchange, std::move(r));
}

// Our own frame, read back: the same fields a received one has.
WsFrame frameOf(const QByteArray &bytes)
{
    WsFrameParser p(WsFrameParser::Role::Server,
                    { WebSocketTransport::MaxMessageBytes, WebSocketTransport::MaxMessageBytes });
    p.feed(bytes);
    return p.next().value_or(WsFrame {});
}

QString lowerFirst(QString text)
{
    if (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    return text.isEmpty() ? QStringLiteral("unknown error") : text.at(0).toLower() + text.mid(1);
}

// The close handshake outlives the transport: after our close frame (or the server's), the socket
// waits at most CloseTimeoutMs for the other side's, records it, then goes.
struct Linger
{
    WsFrameParser parser;
    std::shared_ptr<WireCapture> capture;
    quint64 exchange = 0;
    QString reason;
    bool done = false;
};

// The owner of this thread's sockets still closing. They outlive their transport on purpose, but
// not the thread that runs them: a process that exits (or a thread that ends) within CloseTimeoutMs
// of a close would otherwise never free the socket and its Linger. The owner is deleted while its
// thread can still run a socket's destructor: on the main thread by a post routine, which the
// QCoreApplication's destructor runs first (its children, the backstop, go later, after the event
// dispatcher), on another thread when the thread finishes (its deferred deletes are still sent).
thread_local QPointer<QObject> lingerOwnerOfThread;

// A socket destroyed mid-close emits disconnected from its destructor: the Linger's slots, which
// would then call into the half-destroyed socket, are cut first.
void cutLingerSlots(QObject *owner)
{
    for (QObject *socket : owner->children())
        socket->disconnect();
}

void deleteMainLingerOwner()
{
    if (QObject *owner = lingerOwnerOfThread.data()) {
        cutLingerSlots(owner);
        delete owner;
    }
}

QObject *lingerOwner()
{
    if (lingerOwnerOfThread)
        return lingerOwnerOfThread;
    QCoreApplication *app = QCoreApplication::instance();
    QThread *thread = QThread::currentThread();
    if (!app)
        return nullptr; // nothing runs the close either: unowned, as before
    auto *owner = new QObject;
    owner->setObjectName(QStringLiteral("rtlab lingering WebSocket closes"));
    if (thread == app->thread()) {
        owner->setParent(app);
        qAddPostRoutine(deleteMainLingerOwner);
    } else {
        QObject::connect(thread, &QThread::finished, owner, [owner] {
            cutLingerSlots(owner);
            owner->deleteLater();
        });
    }
    lingerOwnerOfThread = owner;
    return owner;
}

void lingerUntilClosed(QTcpSocket *socket, std::shared_ptr<Linger> l)
{
    socket->setParent(lingerOwner());
    const auto finish = [socket, l](bool timedOut) {
        if (std::exchange(l->done, true))
            return;
        if (l->capture && l->exchange)
            l->capture->endExchange(l->exchange, l->reason);
        if (timedOut)
            socket->abort();
        else
            socket->disconnectFromHost();
        socket->deleteLater();
    };
    const auto read = [socket, l, finish] {
        while (!l->done && socket->bytesAvailable() > 0) {
            l->parser.feed(socket->read(ReadChunk));
            while (const std::optional<WsFrame> f = l->parser.next()) {
                recordFrame(l->capture.get(), l->exchange, WireDirection::ToClient, *f);
                if (f->opcode == WsFrameParser::Close) {
                    finish(false);
                    return;
                }
            }
            if (l->parser.error() != WsFrameParser::Error::None) {
                finish(true);
                return;
            }
        }
    };
    QObject::connect(socket, &QTcpSocket::readyRead, socket, read);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, [finish] { finish(false); });
    QObject::connect(socket, &QAbstractSocket::errorOccurred, socket, [finish] { finish(true); });
    QTimer::singleShot(WebSocketTransport::CloseTimeoutMs, socket, [finish] { finish(true); });
    if (socket->bytesAvailable() > 0)
        QTimer::singleShot(0, socket, read);
}

} // namespace

WebSocketTransport::WebSocketTransport(const Options &options, QObject *parent)
    : ClientTransport(TransportKind::WebSocket, options, parent),
      m_parser(WsFrameParser::Role::Client, { MaxMessageBytes, MaxMessageBytes })
{
    m_pingTimer.setInterval(int(qMax<qint64>(100, options.heartbeatMs > 0 ? options.heartbeatMs : 15000)));
    connect(&m_pingTimer, &QTimer::timeout, this, &WebSocketTransport::sendPing);
}

WebSocketTransport::~WebSocketTransport()
{
    disconnectNow();
}

QString WebSocketTransport::describeRefusal(int status, const QByteArray &reasonPhrase)
{
    const QString phrase = QString::fromLatin1(reasonPhrase).trimmed();
    const QString http = phrase.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                                          : QStringLiteral("HTTP %1 %2").arg(status).arg(phrase);
    if (status >= 200 && status < 300)
        return QStringLiteral("the server answered %1 instead of upgrading to WebSocket (not a WebSocket "
                              "endpoint, or a proxy that drops the Upgrade header)")
                .arg(http);
    return QStringLiteral("the server refused the WebSocket upgrade: %1").arg(http);
}

QUrl WebSocketTransport::targetUrl() const
{
    QUrl url;
    if (options().rawUrl.isValid()) {
        url = options().rawUrl;
        if (url.scheme() == u"http")
            url.setScheme(QStringLiteral("ws"));
        else if (url.scheme() == u"https")
            url.setScheme(QStringLiteral("wss"));
        return url;
    }
    url = options().server;
    url.setScheme(url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/ws"));
    if (m_position.lastId) {
        QString query = QStringLiteral("after=%1").arg(*m_position.lastId);
        if (!m_position.epoch.isEmpty())
            query += QStringLiteral("&epoch=") + m_position.epoch;
        url.setQuery(query);
    }
    return url;
}

void WebSocketTransport::connectNow()
{
    disconnectNow();
    m_closeSent = m_closeReceived = false;
    m_endReason.clear();
    m_messageParts.clear();
    m_pingPayload.clear();
    m_parser.reset();
    const QUrl url = targetUrl();
    // A browser cannot set this header on a WebSocket (it sends the rtlab_token cookie instead);
    // this client can, on the upgrade request like on every other request.
    WsHandshake::Headers headers;
    if (!options().token.isEmpty())
        headers.append({ "Authorization", "Bearer " + options().token });
    m_handshake.emplace(url, WsHandshake::generateKey(), QString(), WsHandshake::Limits {}, headers);
    const bool tls = url.scheme() == u"wss";
#if QT_CONFIG(ssl)
    m_socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
#else
    m_socket = new QTcpSocket(this);
#endif
    m_phase = Phase::Connecting;
    QTcpSocket *socket = m_socket;
    connect(socket, &QTcpSocket::readyRead, this, &WebSocketTransport::onReadyRead);
    connect(socket, &QAbstractSocket::errorOccurred, this, &WebSocketTransport::onSocketError);
    connect(socket, &QTcpSocket::disconnected, this, &WebSocketTransport::onSocketError);
    connect(socket, &QTcpSocket::bytesWritten, this, [this](qint64 n) {
        if (m_requestUnsent <= 0)
            return;
        m_requestUnsent -= n;
        if (m_requestUnsent <= 0 && options().capture && m_exchange)
            options().capture->requestSent(m_exchange);
    });
    stats().httpRequests++;
    if (tls) {
#if QT_CONFIG(ssl)
        auto *ssl = static_cast<QSslSocket *>(socket);
        connect(ssl, &QSslSocket::encrypted, this, &WebSocketTransport::onConnected);
        ssl->connectToHostEncrypted(url.host(), quint16(url.port(443)));
#else
        QTimer::singleShot(0, this, [this] { connectionLost(QStringLiteral("could not connect: no TLS support")); });
#endif
    } else {
        connect(socket, &QTcpSocket::connected, this, &WebSocketTransport::onConnected);
        socket->connectToHost(url.host(), quint16(url.port(80)));
    }
}

// TCP (and TLS) is up: the upgrade request goes out, and the capture opens this connection's
// exchange with its exact bytes.
void WebSocketTransport::onConnected()
{
    if (m_phase != Phase::Connecting)
        return;
    m_phase = Phase::Handshaking;
    const QByteArray &request = m_handshake->request();
    if (const auto &capture = options().capture) {
        const QUrl url = targetUrl();
        m_exchange = capture->beginExchange(
                TransportKind::WebSocket, WireExchange::Kind::WebSocket, "GET", url.toString(), request, {},
                QStringLiteral("GET %1 (upgrade)")
                        .arg(QString::fromUtf8(
                                url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment))));
    }
    m_requestUnsent = request.size();
    m_socket->write(request);
}

void WebSocketTransport::onReadyRead()
{
    while (m_socket && m_socket->bytesAvailable() > 0) {
        const QByteArray chunk = m_socket->read(ReadChunk);
        noteAlive();
        QByteArrayView rest(chunk);
        if (m_phase == Phase::Handshaking) {
            rest = rest.sliced(m_handshake->feed(rest));
            if (m_handshake->state() == WsHandshake::State::Reading)
                continue;
            onHandshakeDone();
            if (m_phase != Phase::Open)
                return;
        }
        if (m_phase != Phase::Open)
            return;
        m_parser.feed(rest);
        while (const std::optional<WsFrame> f = m_parser.next()) {
            if (!onFrame(*f))
                return;
        }
        if (m_parser.error() != WsFrameParser::Error::None) {
            failConnection(m_parser.closeCode(), m_parser.errorString());
            return;
        }
    }
}

void WebSocketTransport::onHandshakeDone()
{
    const WsHandshake &h = *m_handshake;
    const QByteArray &request = h.request();
    const QByteArray &head = h.head();
    // The exact bytes of both heads: set-up when it opened, idle bytes of a failed attempt if not.
    stats().headerBytes += request.size() + head.size();
    if (options().capture && m_exchange)
        options().capture->responseHead(m_exchange, h.status(), head);
    switch (h.state()) {
    case WsHandshake::State::Reading: return;
    case WsHandshake::State::Upgraded: break;
    case WsHandshake::State::Refused: {
        // Nothing was open, so there is no close code to report: the server's own status is.
        if (refusesToken(h.status())) {
            const QString why = AuthRefusal::describe(h.status(), h.header("www-authenticate"), {}, u"subscribe");
            endExchange(why);
            tokenRefused(why, h.status());
            return;
        }
        const QString why = describeRefusal(h.status(), h.reasonPhrase());
        endExchange(why);
        attemptRefused(why, h.status(), true);
        return;
    }
    case WsHandshake::State::Invalid: {
        const QString why = QStringLiteral("the upgrade answer is invalid: %1").arg(h.errorString());
        endExchange(why);
        connectionLost(QStringLiteral("could not connect: %1").arg(why));
        return;
    }
    }
    stats().setupBytes += request.size() + head.size();
    stats().setupWire = { { WirePart::Role::Header, tr("handshake request"), request },
                          { WirePart::Role::Header, tr("101 answer"), head } };
    m_phase = Phase::Open;
    m_pingTimer.start();
    attemptOpened();
}

// One frame from the server. Returns false when it ended the connection.
bool WebSocketTransport::onFrame(const WsFrame &f)
{
    const bool data = !f.isControl();
    if (data) {
        stats().framingBytes += f.headerLength;
        stats().messageFramingBytes += f.headerLength;
        stats().payloadBytes += f.payload.size();
        const QString what =
                f.opcode == WsFrameParser::Continuation ? tr("continuation") : WsFrameParser::opcodeName(f.opcode);
        m_messageParts.append(
                { WirePart::Role::Framing,
                  tr("frame header (FIN %1, opcode %2, length %3)").arg(f.fin ? 1 : 0).arg(what).arg(f.payloadLength),
                  f.header });
        m_messageParts.append({ WirePart::Role::Payload, tr("payload: the message JSON"), f.payload });
        if (std::optional<WsMessage> m = m_parser.takeMessage()) {
            onMessage(*m, std::exchange(m_messageParts, {}), f);
            return m_socket != nullptr;
        }
        recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, f);
        return true;
    }
    // Control frames carry no message: idle bytes.
    stats().framingBytes += f.headerLength + f.payload.size();
    recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, f);
    switch (f.opcode) {
    case WsFrameParser::Ping:
        sendFrame(WsFrameParser::Pong, f.payload); // RFC 6455 §5.5.3: the same application data
        return true;
    case WsFrameParser::Pong:
        if (!m_pingPayload.isEmpty() && f.payload == m_pingPayload) {
            m_pingPayload.clear();
            const qint64 us = m_pingClock.nsecsElapsed() / 1000;
            stats().heartbeats++;
            stats().pingRttUs = us;
            emitEvent(ConnectionEvent::Type::Heartbeat,
                      QStringLiteral("pong after %1 ms").arg(double(us) / 1000.0, 0, 'f', 1));
        }
        return true;
    case WsFrameParser::Close: {
        m_closeReceived = true;
        const bool hasCode = f.payload.size() >= 2;
        const int code = f.closeCode();
        const QString reason = f.closeReason();
        if (!m_closeSent) {
            // Echo the server's code (RFC 6455 §5.5.1); the server then closes the TCP connection.
            sendFrame(WsFrameParser::Close, hasCode ? WsFrameParser::closePayload(code) : QByteArray());
        }
        const QString text = reason.isEmpty() ? QStringLiteral("closed by the server (%1)").arg(code)
                                              : QStringLiteral("closed by the server (%1): %2").arg(code).arg(reason);
        m_endReason = text;
        if (AuthRefusal::refusesToken(code))
            tokenRefused(AuthRefusal::describeClose(reason), 0, code);
        else
            connectionLost(text, code);
        return false;
    }
    }
    return true;
}

void WebSocketTransport::onMessage(const WsMessage &message, QList<WirePart> parts, const WsFrame &last)
{
    const QByteArray &json = message.data;
    if (options().rawUrl.isValid()) {
        QJsonObject o;
        if (message.opcode == WsFrameParser::Binary) {
            o.insert(QLatin1String("data"), QString::fromLatin1(json.toBase64()));
            o.insert(QLatin1String("binary"), true);
        } else {
            o.insert(QLatin1String("data"), QString::fromUtf8(json));
        }
        recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, last);
        stats().messages++;
        emit rawReceived(o);
        return;
    }
    if (message.opcode != WsFrameParser::Text) {
        recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, last);
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("a binary message, not an rtlab message"));
        return;
    }
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.value(QLatin1String("type")).toString() == u"error") {
        recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, last);
        const QString why = object.value(QLatin1String("error")).toString();
        const int status = object.value(QLatin1String("status")).toInt();
        emitEvent(ConnectionEvent::Type::Error, why);
        // The server refused one of our messages, and named it. Over the publishing rate (429) it
        // goes again after the outbox's back-off; a refused token or permission would be refused again.
        const QString clientMsgId = object.value(MessageCodec::clientMsgIdKey()).toString();
        if (clientMsgId.isEmpty())
            return;
        if (status == 429)
            emit publishFailed(clientMsgId, QStringLiteral("publish rate limited (429): %1").arg(why), true);
        else if (refusesToken(status))
            emit publishFailed(
                    clientMsgId,
                    QStringLiteral("not published: %1").arg(AuthRefusal::describe(status, {}, json, u"publish")),
                    false);
        else
            emit publishFailed(clientMsgId, QStringLiteral("publish refused: %1").arg(why), false);
        return;
    }
    const std::optional<Message> m = MessageCodec::decode(json);
    recordFrame(options().capture.get(), m_exchange, WireDirection::ToClient, last,
                m && m->id > 0 ? QList<quint64> { m->id } : QList<quint64> {});
    if (!m) {
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("a frame that is not an rtlab message"));
        return;
    }
    if (m->type != MessageType::Reset)
        stats().recordWire(WireLedger::of(*m, std::move(parts)));
    deliver(*m);
}

// Client frames are masked, each with a fresh key from the system's generator (RFC 6455 §5.3).
void WebSocketTransport::sendFrame(quint8 opcode, const QByteArray &payload)
{
    if (!m_socket)
        return;
    quint32 key = QRandomGenerator::system()->generate();
    const QByteArray maskKey(reinterpret_cast<const char *>(&key), 4);
    const QByteArray bytes = WsFrameParser::encodeFrame(opcode, payload, true, maskKey);
    if (opcode == WsFrameParser::Close)
        m_closeSent = true;
    m_socket->write(bytes);
    recordFrame(options().capture.get(), m_exchange, WireDirection::ToServer, frameOf(bytes));
}

void WebSocketTransport::sendPing()
{
    if (m_phase != Phase::Open || m_closeSent)
        return;
    // A counter names each ping: only the pong to the latest one measures the round trip.
    m_pingPayload = QByteArray(4, Qt::Uninitialized);
    qToBigEndian(++m_pings, m_pingPayload.data());
    m_pingClock.start();
    sendFrame(WsFrameParser::Ping, m_pingPayload);
}

// A rule of RFC 6455 broken by the server: close with the code the rule names, then go.
void WebSocketTransport::failConnection(int closeCode, const QString &why)
{
    if (!m_closeSent)
        sendFrame(WsFrameParser::Close, WsFrameParser::closePayload(closeCode, why));
    const QString text = QStringLiteral("protocol error (%1): %2").arg(closeCode).arg(why);
    m_endReason = text;
    connectionLost(text); // no close code: the server sent none, we did
}

void WebSocketTransport::onSocketError()
{
    if (!m_socket)
        return;
    const QString error = lowerFirst(m_socket->errorString());
    if (m_phase == Phase::Open) {
        const QString text = QStringLiteral("connection lost: %1").arg(error);
        m_endReason = text;
        connectionLost(text);
        return;
    }
    // The attempt ended before the upgrade: nothing was open, so there is no close code.
    const QString text = QStringLiteral("could not connect: %1").arg(error);
    endExchange(text);
    connectionLost(text);
}

void WebSocketTransport::endExchange(const QString &reason)
{
    if (options().capture && m_exchange)
        options().capture->endExchange(m_exchange, reason);
    m_exchange = 0;
}

void WebSocketTransport::disconnectNow()
{
    m_pingTimer.stop();
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    const Phase phase = std::exchange(m_phase, Phase::Idle);
    if (!socket)
        return;
    socket->disconnect(this);
    const bool connected = socket->state() == QAbstractSocket::ConnectedState;
    if (phase != Phase::Open || !connected) {
        endExchange(m_endReason.isEmpty() ? QStringLiteral("closed by the client") : m_endReason);
        socket->abort();
        socket->deleteLater();
        return;
    }
    // Open: the close handshake. Ours if nobody has closed yet, then the server's answer (or,
    // once both close frames crossed, the end of the TCP connection), at most CloseTimeoutMs.
    if (!m_closeSent) {
        m_socket = socket; // sendFrame writes to it and records the frame
        sendFrame(WsFrameParser::Close,
                  WsFrameParser::closePayload(WsFrameParser::CloseNormal, QStringLiteral("client closing")));
        m_socket = nullptr;
        m_endReason = QStringLiteral("closed by the client (1000 client closing)");
    }
    auto linger = std::make_shared<Linger>(
            Linger { std::exchange(m_parser, WsFrameParser(WsFrameParser::Role::Client, m_parser.limits())),
                     options().capture, std::exchange(m_exchange, 0), m_endReason });
    if (m_closeReceived) {
        linger->parser.reset(); // the server said its last word: only the TCP close is awaited
    }
    lingerUntilClosed(socket, linger);
}

void WebSocketTransport::publish(const PublishRequest &request)
{
    if (!m_socket || m_phase != Phase::Open || m_closeSent) {
        emitEvent(ConnectionEvent::Type::Error, QStringLiteral("not connected: message not sent"));
        emit publishFailed(request.clientMsgId, QStringLiteral("not connected"), true);
        return;
    }
    const QByteArray json = MessageCodec::encodePublish(request);
    stats().publishes++;
    stats().upstreamBytes += json.size() + WsFrameParser::headerLengthFor(quint64(json.size()), true);
    sendFrame(WsFrameParser::Text, json);
}

} // namespace rtlab
