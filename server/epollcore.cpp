// SPDX-License-Identifier: MIT
#include "epollcore.h"

#include "hub.h"
#include "wsframe.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QStringDecoder>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcEpoll, "rtlab.server.epoll")

namespace rtlab {

namespace {

constexpr int ListenBacklog = 4096; // the kernel caps it at net.core.somaxconn
constexpr int MaxEvents = 256;
constexpr int MaxIov = 64;
constexpr qint64 CloseHandshakeMs = 5000;
constexpr int SendBufferBytes = 128 * 1024; // SO_SNDBUF of every accepted socket

// RFC 6455 opcodes and close codes.
enum : quint8 { OpContinuation = 0x0, OpText = 0x1, OpBinary = 0x2, OpClose = 0x8, OpPing = 0x9, OpPong = 0xA };
enum : quint16 { CloseNormal = 1000, CloseProtocolError = 1002, CloseInvalidPayload = 1007, CloseTooBig = 1009 };

QByteArray closePayload(quint16 code, const QByteArray &reason)
{
    QByteArray p;
    p.append(char(code >> 8));
    p.append(char(code & 0xff));
    p.append(reason);
    return p;
}

bool isValidUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(bytes);
    Q_UNUSED(text);
    return !decoder.hasError();
}

// RFC 6455 §7.4: the codes a close frame may carry. 1004 is reserved, 1005, 1006 and 1015 are
// never sent, the rest of 1000-2999 is unassigned; 3000-4999 are for libraries and applications.
bool isValidCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// EpollConnection

EpollConnection::EpollConnection(EpollCore *core, int fd)
    : m_core(core), m_hub(core->hub()), m_fd(fd),
      m_parser({ core->hub()->config().maxHeadBytes, core->hub()->config().maxBodyBytes })
{
    m_lastActivityMs = m_hub->nowMs();
    m_hub->stats().other.connectionsTotal++;
}

EpollConnection::~EpollConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void EpollConnection::onEvents(quint32 events)
{
    if (isClosed())
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        if (m_readPaused && (events & (EPOLLHUP | EPOLLERR))) {
            teardown();
            return;
        }
        readInput();
    }
    if (!isClosed() && (events & EPOLLOUT))
        flush();
}

void EpollConnection::readInput()
{
    const qsizetype cap = m_hub->config().maxHeadBytes + m_hub->config().maxBodyBytes + 4096;
    bool eof = false;
    char buffer[65536];
    while (m_in.size() < cap) {
        const size_t want = size_t(qMin<qsizetype>(sizeof buffer, cap - m_in.size()));
        const ssize_t n = ::read(m_fd, buffer, want);
        if (n > 0) {
            m_in.append(buffer, qsizetype(n));
            // A short read drained the socket: the level-triggered set says when there is more
            // (or the end), so no read that would only answer EAGAIN.
            if (size_t(n) < want)
                break;
            continue;
        }
        if (n == 0) {
            eof = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        teardown(); // ECONNRESET and friends
        return;
    }
    if (!m_in.isEmpty())
        process();
    if (isClosed())
        return;
    if (eof) {
        teardown();
        return;
    }
    updateInterest();
}

void EpollConnection::process()
{
    if (m_processing || isClosed())
        return;
    m_processing = true;
    if (m_mode == Mode::Http)
        processHttp();
    if (!isClosed() && m_mode == Mode::WebSocket)
        processFrames();
    m_processing = false;
    if (!isClosed())
        updateInterest();
}

void EpollConnection::processHttp()
{
    while (!isClosed() && m_mode == Mode::Http && m_state == State::Reading && !m_in.isEmpty()) {
        m_lastActivityMs = m_hub->nowMs();
        const qsizetype consumed = m_parser.feed(m_in);
        m_in.remove(0, consumed);
        if (m_parser.state() == HttpRequestParser::State::Error) {
            fail(m_parser.errorStatus(), m_parser.errorString());
            return;
        }
        if (m_parser.state() == HttpRequestParser::State::Complete)
            dispatch();
        else if (consumed == 0)
            return; // cannot happen with http_parser, but never spin
    }
}

void EpollConnection::dispatch()
{
    const HttpRequest request = m_parser.request();
    m_parser.reset();
    m_state = State::Dispatched;
    if (request.path == "/ws" && request.isWebSocketUpgrade() && !m_hub->isShuttingDown()) {
        upgrade(request);
        return;
    }
    m_keepAlive = request.persistent();
    m_exchangeTransport = m_hub->exchangeTransport(request, &m_countedAs);
    m_hub->handleRequest(request, this);
}

void EpollConnection::upgrade(const HttpRequest &request)
{
    if (const auto refusal = m_hub->refuseWebSocket(request)) {
        respond(*refusal);
        return;
    }
    const QByteArray key = request.header("sec-websocket-key").trimmed();
    const QByteArray accept = QCryptographicHash::hash(key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
                                                       QCryptographicHash::Sha1)
                                      .toBase64();
    QByteArray head = QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n"
                                        "Upgrade: websocket\r\n"
                                        "Connection: Upgrade\r\n"
                                        "Sec-WebSocket-Accept: ");
    head += accept;
    head += "\r\n\r\n";
    m_mode = Mode::WebSocket;
    m_requestTarget = request.target;
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += head.size();
    append(head);
    m_hub->openWebSocket(this);
    // Frames that came with the handshake are read by process() on its way out.
}

void EpollConnection::fail(int status, const QString &why)
{
    qCDebug(lcEpoll) << "answering" << status << why;
    m_hub->stats().badRequests++;
    HttpResponse r = HttpResponse::error(status, why);
    // The framing of what follows can no longer be trusted (RFC 9112 §6.3, §11.2).
    r.closeConnection = true;
    m_state = State::Dispatched;
    respond(r);
}

void EpollConnection::append(const QByteArray &bytes)
{
    if (isClosed() || bytes.isEmpty())
        return;
    m_out.push_back(bytes); // implicitly shared: one encoding, many subscribers
    m_pending += bytes.size();
    m_core->markDirty(this);
}

void EpollConnection::flush()
{
    if (isClosed())
        return;
    bool progressed = false;
    while (!m_out.empty()) {
        iovec iov[MaxIov];
        int count = 0;
        for (auto it = m_out.begin(); it != m_out.end() && count < MaxIov; ++it, ++count) {
            const qsizetype skip = count == 0 ? m_outOffset : 0;
            iov[count].iov_base = const_cast<char *>(it->constData() + skip);
            iov[count].iov_len = size_t(it->size() - skip);
        }
        msghdr msg {};
        msg.msg_iov = iov;
        msg.msg_iovlen = size_t(count);
        const ssize_t n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                m_blocked = true;
                break;
            }
            teardown(); // EPIPE, ECONNRESET: the peer is gone
            return;
        }
        progressed = progressed || n > 0;
        if (n > 0 && m_mode == Mode::Http && m_state == State::Closing)
            m_lastActivityMs = m_hub->nowMs(); // a last response still on its way
        m_pending -= n;
        qsizetype left = qsizetype(n);
        while (left > 0) {
            const qsizetype rest = m_out.front().size() - m_outOffset;
            if (left >= rest) {
                left -= rest;
                m_out.pop_front();
                m_outOffset = 0;
            } else {
                m_outOffset += left;
                left = 0;
            }
        }
    }
    if (m_out.empty()) {
        m_blocked = false;
        if (m_closeAfterFlush) {
            teardown();
            return;
        }
    }
    updateInterest();
    if (progressed) {
        if (m_mode == Mode::Http) {
            if (m_httpObserver)
                m_httpObserver->streamDrained();
        } else if (m_wsObserver) {
            m_wsObserver->channelDrained();
        }
    }
}

void EpollConnection::updateInterest()
{
    if (isClosed())
        return;
    const qsizetype cap = m_hub->config().maxHeadBytes + m_hub->config().maxBodyBytes + 4096;
    m_readPaused = m_in.size() >= cap;
    quint32 events = m_readPaused ? 0 : quint32(EPOLLIN | EPOLLRDHUP);
    // Output about to be flushed by this pass needs no EPOLLOUT: only a socket that refused
    // bytes (EAGAIN) waits for it. Two epoll_ctl calls and a wake-up per message saved.
    if (m_blocked && !m_out.empty())
        events |= EPOLLOUT;
    if (events != m_interest) {
        m_interest = events;
        m_core->setInterest(this, events);
    }
    // Bytes left over (a pipelined request whose turn has come) are read without a wake-up.
    // (A WebSocket's leftover is a partial frame: only more input completes it.)
    if (!m_processing && !m_in.isEmpty() && m_mode == Mode::Http && m_state == State::Reading)
        m_core->scheduleProcess(this);
}

void EpollConnection::closeAfterFlush()
{
    m_closeAfterFlush = true;
    if (m_out.empty())
        teardown();
    else
        m_core->markDirty(this);
}

QByteArray EpollConnection::peerAddress() const
{
    if (isClosed())
        return {};
    sockaddr_storage peer {};
    socklen_t length = sizeof(peer);
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&peer), &length) < 0)
        return {};
    QHostAddress address(reinterpret_cast<const sockaddr *>(&peer));
    const quint16 port = ntohs(peer.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_port
                                                          : reinterpret_cast<const sockaddr_in *>(&peer)->sin_port);
    return formatPeer(address, port);
}

void EpollConnection::teardown()
{
    if (isClosed())
        return;
    ::close(m_fd);
    m_fd = -1;
    m_out.clear();
    m_pending = 0;
    m_in.clear();
    m_hub->connectionClosed(std::exchange(m_countedAs, std::nullopt), this);
    HttpStream::Observer *http = std::exchange(m_httpObserver, nullptr);
    WsChannel::Observer *ws = std::exchange(m_wsObserver, nullptr);
    m_core->release(this);
    if (http)
        http->streamClosed();
    if (ws)
        ws->channelClosed();
}

void EpollConnection::closeIdle()
{
    if (!isClosed() && m_mode == Mode::Http && m_state == State::Reading) {
        m_state = State::Closing;
        closeAfterFlush();
    }
}

void EpollConnection::drop()
{
    teardown();
}

bool EpollConnection::closeHandshakeExpired(qint64 nowMs) const
{
    return !isClosed() && m_mode == Mode::WebSocket && m_closeSent && nowMs - m_closeSentMs > CloseHandshakeMs;
}

// HttpStream ----------------------------------------------------------------------------------

void EpollConnection::write(const QByteArray &bytes)
{
    if (isClosed() || m_mode != Mode::Http || m_state == State::Closing)
        return;
    m_hub->stats().at(m_exchangeTransport).bytesOut += bytes.size();
    append(bytes);
}

void EpollConnection::respond(const HttpResponse &response)
{
    if (isClosed() || m_mode != Mode::Http || m_state != State::Dispatched)
        return;
    m_httpObserver = nullptr;
    HttpResponse r = response;
    if (!m_keepAlive)
        r.closeConnection = true;
    write(r.encode());
    if (r.closeConnection) {
        m_state = State::Closing;
        closeAfterFlush();
        return;
    }
    m_state = State::Reading;
    m_lastActivityMs = m_hub->nowMs();
    updateInterest(); // a pipelined request may be waiting
}

void EpollConnection::beginStream(const HttpResponse &head)
{
    if (isClosed() || m_mode != Mode::Http || m_state != State::Dispatched)
        return;
    write(head.encode());
    m_state = State::Streaming;
}

void EpollConnection::end()
{
    m_httpObserver = nullptr;
    if (isClosed())
        return;
    m_state = State::Closing;
    closeAfterFlush();
}

void EpollConnection::abort()
{
    m_httpObserver = nullptr;
    m_wsObserver = nullptr;
    teardown();
}

// WsChannel -----------------------------------------------------------------------------------

void EpollConnection::appendFrame(quint8 opcode, const QByteArray &payload)
{
    // Server frames are never masked (RFC 6455 §5.1).
    const QByteArray frame = encodeServerFrame(opcode, payload);
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += frame.size();
    append(frame);
}

void EpollConnection::sendText(const QByteArray &utf8)
{
    if (isClosed() || m_mode != Mode::WebSocket || m_closeSent)
        return;
    appendFrame(OpText, utf8);
}

void EpollConnection::sendTextFrame(const QByteArray &utf8, const QByteArray &frame)
{
    if (isClosed() || m_mode != Mode::WebSocket || m_closeSent)
        return;
    if (frame.isEmpty()) {
        appendFrame(OpText, utf8);
        return;
    }
    // Built once by the log: every subscriber's queue holds the same bytes.
    m_hub->stats().at(TransportKind::WebSocket).bytesOut += frame.size();
    append(frame);
}

void EpollConnection::ping()
{
    if (isClosed() || m_mode != Mode::WebSocket || m_closeSent)
        return;
    appendFrame(OpPing, QByteArray());
}

void EpollConnection::close(quint16 code, const QString &reason)
{
    m_wsObserver = nullptr;
    if (isClosed() || m_mode != Mode::WebSocket || m_closeSent)
        return;
    // A close reason is at most 123 bytes (RFC 6455 §5.5: control frames carry ≤ 125).
    QString r = reason;
    while (r.toUtf8().size() > 123)
        r.chop(1);
    appendFrame(OpClose, closePayload(code, r.toUtf8()));
    m_closeSent = true;
    m_closeSentMs = m_hub->nowMs();
    // Wait for the peer's close frame; the core's sweep ends a handshake left unanswered.
}

void EpollConnection::failWs(quint16 code, const QString &reason)
{
    qCDebug(lcEpoll) << "closing WebSocket" << code << reason;
    if (!m_closeSent) {
        appendFrame(OpClose, closePayload(code, reason.toUtf8().left(123)));
        m_closeSent = true;
        m_closeSentMs = m_hub->nowMs();
    }
    m_in.clear();
    if (WsChannel::Observer *observer = std::exchange(m_wsObserver, nullptr))
        observer->channelClosed();
    closeAfterFlush();
}

void EpollConnection::processFrames()
{
    const qint64 maxMessage = m_hub->config().maxBodyBytes;
    qsizetype pos = 0;
    while (!isClosed() && m_mode == Mode::WebSocket) {
        const qsizetype avail = m_in.size() - pos;
        if (avail < 2)
            break;
        const auto *p = reinterpret_cast<const quint8 *>(m_in.constData() + pos);
        const bool fin = p[0] & 0x80;
        const quint8 opcode = p[0] & 0x0f;
        const bool masked = p[1] & 0x80;
        quint64 len = p[1] & 0x7f;
        qsizetype headSize = 2;
        if (p[0] & 0x70) {
            failWs(CloseProtocolError, QStringLiteral("no extension was negotiated"));
            return;
        }
        if (!masked) {
            failWs(CloseProtocolError, QStringLiteral("client frames must be masked"));
            return;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (quint64(p[2]) << 8) | p[3];
            headSize = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; ++i)
                len = (len << 8) | p[2 + i];
            headSize = 10;
            if (len >> 63) {
                failWs(CloseProtocolError, QStringLiteral("bad frame length"));
                return;
            }
        }
        const bool control = opcode & 0x8;
        if (control) {
            if (!fin || len > 125 || (opcode != OpClose && opcode != OpPing && opcode != OpPong)) {
                failWs(CloseProtocolError, QStringLiteral("bad control frame"));
                return;
            }
        } else {
            if (opcode != OpContinuation && opcode != OpText && opcode != OpBinary) {
                failWs(CloseProtocolError, QStringLiteral("unknown opcode"));
                return;
            }
            if ((opcode == OpContinuation) != (m_messageOpcode != 0)) {
                failWs(CloseProtocolError, QStringLiteral("bad fragmentation"));
                return;
            }
            if (len > quint64(maxMessage) || quint64(m_message.size()) + len > quint64(maxMessage)) {
                failWs(CloseTooBig, QStringLiteral("message larger than %1 bytes").arg(maxMessage));
                return;
            }
        }
        if (quint64(avail) < quint64(headSize) + 4 + len)
            break; // the rest of the frame is on its way (bounded: ≤ 64 KiB + 14)
        const quint8 *mask = p + headSize;
        QByteArray payload(reinterpret_cast<const char *>(p + headSize + 4), qsizetype(len));
        for (qsizetype i = 0; i < payload.size(); ++i)
            payload[i] = char(quint8(payload[i]) ^ mask[i & 3]);
        pos += headSize + 4 + qsizetype(len);
        m_lastActivityMs = m_hub->nowMs();

        if (m_closeSent && opcode != OpClose)
            continue; // after our close frame, only the peer's close matters
        switch (opcode) {
        case OpPing: appendFrame(OpPong, payload); break;
        case OpPong:
            if (m_wsObserver)
                m_wsObserver->channelPongReceived();
            break;
        case OpClose: {
            const quint16 code =
                    len >= 2 ? quint16((quint8(payload[0]) << 8) | quint8(payload[1])) : quint16(CloseNormal);
            if (len == 1 || !isValidCloseCode(code)) {
                failWs(CloseProtocolError, QStringLiteral("bad close frame"));
                return;
            }
            // The reason is UTF-8 (§5.5.1), and bytes that are not fail the connection (§8.1).
            if (len > 2 && !isValidUtf8(payload.sliced(2))) {
                failWs(CloseInvalidPayload, QStringLiteral("close reason is not UTF-8"));
                return;
            }
            if (!m_closeSent) {
                // Echo the peer's code (RFC 6455 §5.5.1), then close the TCP connection.
                appendFrame(OpClose, len >= 2 ? closePayload(code, {}) : QByteArray());
                m_closeSent = true;
                m_closeSentMs = m_hub->nowMs();
            }
            m_in.clear();
            if (WsChannel::Observer *observer = std::exchange(m_wsObserver, nullptr))
                observer->channelClosed();
            closeAfterFlush();
            return;
        }
        default: {
            const quint8 messageOpcode = opcode == OpContinuation ? m_messageOpcode : opcode;
            if (!fin) {
                m_messageOpcode = messageOpcode;
                m_message += payload;
                break;
            }
            QByteArray message = m_message.isEmpty() ? payload : m_message + payload;
            m_message.clear();
            m_messageOpcode = 0;
            if (messageOpcode == OpText) {
                if (!isValidUtf8(message)) {
                    failWs(CloseInvalidPayload, QStringLiteral("text frame is not UTF-8"));
                    return;
                }
                if (m_wsObserver)
                    m_wsObserver->channelTextReceived(message);
            } else if (m_wsObserver) {
                m_wsObserver->channelBinaryReceived();
            }
            break;
        }
        }
    }
    if (!isClosed())
        m_in.remove(0, pos);
}

// ---------------------------------------------------------------------------------------------
// EpollCore

EpollCore::EpollCore(Hub *hub, QObject *parent) : QObject(parent), m_hub(hub)
{
    m_epfd = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epfd < 0)
        qFatal("epoll_create1: %s", std::strerror(errno));
    m_notifier = std::make_unique<QSocketNotifier>(m_epfd, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &EpollCore::onReadable);
}

EpollCore::~EpollCore()
{
    m_notifier.reset();
    const auto connections = m_connections.keys();
    for (EpollConnection *c : connections)
        c->teardown(); // sessions hear of it and let go
    collectGarbage();
    stopListening();
    ::close(m_epfd);
}

bool EpollCore::listen(const QHostAddress &address, quint16 port, QString *errorString)
{
    auto failed = [&](const char *what) {
        if (errorString)
            *errorString =
                    QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(errno)));
        if (m_listenFd >= 0) {
            ::close(m_listenFd);
            m_listenFd = -1;
        }
        return false;
    };
    sockaddr_storage storage {};
    socklen_t length = 0;
    int family = AF_INET;
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        family = AF_INET6;
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, &ip, sizeof ip);
        length = sizeof *a;
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof *a;
    }
    m_listenFd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_listenFd < 0)
        return failed("socket");
    const int one = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted sockets inherit these from the listener (Linux copies the socket): two fewer
    // syscalls per connection. No Nagle, since we coalesce writes ourselves; and a fixed kernel
    // send buffer instead of autotuning (up to tcp_wmem's 4 MiB): what a reader has not taken
    // waits in our queue as shared bytes, counted against --max-pending, so a reader that
    // stops reading costs at most this (the kernel doubles it) plus references.
    ::setsockopt(m_listenFd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_SNDBUF, &SendBufferBytes, sizeof SendBufferBytes);
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&storage), length) < 0)
        return failed("bind");
    if (::listen(m_listenFd, ListenBacklog) < 0)
        return failed("listen");
    sockaddr_storage bound {};
    socklen_t boundLength = sizeof bound;
    ::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&bound), &boundLength);
    m_port = family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port)
                                : ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
    m_address = address;
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the listening socket
    if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev) < 0)
        return failed("epoll_ctl");
    return true;
}

void EpollCore::stopListening()
{
    if (m_listenFd < 0)
        return;
    ::epoll_ctl(m_epfd, EPOLL_CTL_DEL, m_listenFd, nullptr);
    ::close(m_listenFd);
    m_listenFd = -1;
}

void EpollCore::acceptAll()
{
    while (m_listenFd >= 0) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: the listener would stay readable and spin the loop. Stop
                // watching it for a moment; the backlog holds the queue meanwhile.
                qCWarning(lcEpoll) << "accept4:" << std::strerror(errno) << "- pausing accept for 100 ms";
                ::epoll_ctl(m_epfd, EPOLL_CTL_DEL, m_listenFd, nullptr);
                QTimer::singleShot(100, this, [this] {
                    if (m_listenFd < 0)
                        return;
                    epoll_event ev {};
                    ev.events = EPOLLIN;
                    ev.data.ptr = nullptr;
                    ::epoll_ctl(m_epfd, EPOLL_CTL_ADD, m_listenFd, &ev);
                });
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                qCWarning(lcEpoll) << "accept4:" << std::strerror(errno);
            }
            return;
        }
        if (m_hub->isShuttingDown()) {
            ::close(fd);
            continue;
        }
        auto *c = new EpollConnection(this, fd);
        m_connections.insert(c, true);
        c->m_interest = EPOLLIN | EPOLLRDHUP;
        epoll_event ev {};
        ev.events = c->m_interest;
        ev.data.ptr = c;
        if (::epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            qCWarning(lcEpoll) << "epoll_ctl add:" << std::strerror(errno);
            c->teardown();
        }
    }
}

void EpollCore::setInterest(EpollConnection *c, quint32 events)
{
    epoll_event ev {};
    ev.events = events;
    ev.data.ptr = c;
    ::epoll_ctl(m_epfd, EPOLL_CTL_MOD, c->fd(), &ev);
}

void EpollCore::markDirty(EpollConnection *c)
{
    if (c->m_dirty)
        return;
    c->m_dirty = true;
    m_dirty.push_back(c);
    scheduleFlush();
}

void EpollCore::scheduleProcess(EpollConnection *c)
{
    if (c->m_processQueued)
        return;
    c->m_processQueued = true;
    // Reuse the dirty list: flushDirty() processes leftover input before writing.
    if (!c->m_dirty) {
        c->m_dirty = true;
        m_dirty.push_back(c);
    }
    scheduleFlush();
}

void EpollCore::scheduleFlush()
{
    // Inside a pass (onReadable, flushDirty) the pass itself flushes when it ends: posting an
    // event would only cost another wake-up of the event loop per message.
    if (m_flushScheduled || m_depth > 0)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &EpollCore::flushDirty, Qt::QueuedConnection);
}

void EpollCore::flushDirty()
{
    if (m_depth > 0)
        return; // the outer pass goes on until the list is empty
    m_flushScheduled = false;
    ++m_depth;
    // Everything written since the last pass leaves in one writev per connection.
    while (!m_dirty.empty()) {
        std::vector<EpollConnection *> batch;
        batch.swap(m_dirty);
        for (EpollConnection *c : batch) {
            c->m_dirty = false;
            if (c->isClosed())
                continue;
            if (std::exchange(c->m_processQueued, false))
                c->process();
            // A socket already waiting for EPOLLOUT is full: trying it again would be a wasted
            // syscall per message for every reader that has stopped reading.
            if (!c->isClosed() && !c->m_blocked)
                c->flush();
        }
    }
    --m_depth;
    collectGarbage();
}

void EpollCore::release(EpollConnection *c)
{
    if (m_connections.remove(c)) {
        // close() already took the fd out of the epoll set.
        m_graveyard.push_back(c);
        scheduleFlush();
    }
}

void EpollCore::collectGarbage()
{
    if (m_graveyard.empty() || m_depth > 0)
        return;
    // Not while a pass might still hold one of these: only from the end of flushDirty().
    std::vector<EpollConnection *> dead;
    dead.swap(m_graveyard);
    for (EpollConnection *c : dead)
        delete c;
    emit connectionClosed();
}

void EpollCore::onReadable()
{
    epoll_event events[MaxEvents];
    ++m_depth;
    for (int round = 0; round < 4; ++round) {
        const int n = ::epoll_wait(m_epfd, events, MaxEvents, 0);
        if (n <= 0)
            break;
        for (int i = 0; i < n; ++i) {
            auto *c = static_cast<EpollConnection *>(events[i].data.ptr);
            if (!c)
                acceptAll();
            else
                c->onEvents(events[i].events);
        }
        if (n < MaxEvents)
            break;
    }
    --m_depth;
    flushDirty();
}

template<typename F>
void EpollCore::forEachConnection(F f)
{
    // A copy: what f does may close connections (they leave m_connections).
    const auto connections = m_connections.keys();
    for (EpollConnection *c : connections)
        f(c);
    flushDirty();
}

void EpollCore::sweep(qint64 nowMs, qint64 idleMs)
{
    forEachConnection([&](EpollConnection *c) {
        if (c->isClosed())
            return;
        if (c->closeHandshakeExpired(nowMs))
            c->teardown();
        else if (!c->isWebSocket() && nowMs - c->lastActivityMs() > idleMs)
            // A last response nobody has read for that long (its flush made no progress) ends
            // here; an idle keep-alive connection is closed.
            c->isClosing() ? c->teardown() : c->closeIdle();
    });
}

void EpollCore::closeIdle()
{
    forEachConnection([](EpollConnection *c) { c->closeIdle(); });
}

void EpollCore::dropConnections()
{
    forEachConnection([](EpollConnection *c) { c->drop(); });
}

void EpollCore::abortAll()
{
    forEachConnection([](EpollConnection *c) { c->teardown(); });
}

} // namespace rtlab

#include "moc_epollcore.cpp"
