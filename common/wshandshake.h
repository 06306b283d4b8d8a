// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QUrl>

#include <utility>

namespace rtlab {

// The client's side of the WebSocket opening handshake (RFC 6455 §4.1), I/O-free: it builds the
// upgrade request and reads the server's answer, fed as it came (split anywhere), up to the end
// of its head. Then it says one of three things: Upgraded (101 with the right Upgrade, Connection
// and Sec-WebSocket-Accept), Refused (another status: the server's own status and reason phrase),
// or Invalid (which rule the answer broke). Bytes after the head are not its own: they are the
// first frames, and feed() says where they begin.
class WsHandshake
{
public:
    enum class State { Reading, Upgraded, Refused, Invalid };
    enum class Error {
        None,
        HeadTooLarge,         // no end of the head within Limits::maxHeadBytes
        BadStatusLine,        // not "HTTP/1.x NNN reason"
        BadHeaderLine,        // a header line without a name and a colon (or a folded line)
        NoUpgradeHeader,      // a 101 without "Upgrade: websocket"
        NoConnectionUpgrade,  // a 101 without "Connection: Upgrade"
        WrongAccept,          // Sec-WebSocket-Accept missing or not the one for our key
        UnrequestedExtension, // Sec-WebSocket-Extensions, though we asked for none
        UnrequestedProtocol,  // Sec-WebSocket-Protocol, though we asked for none
    };
    struct Limits
    {
        qsizetype maxHeadBytes = 16 * 1024;
    };

    // 16 random bytes (QRandomGenerator::system()) in base64: 24 characters.
    static QByteArray generateKey();
    // base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 §4.2.2.
    static QByteArray acceptFor(QByteArrayView key);

    // The server's side (RFC 6455 §4.2): the request's checks are the server's own (Origin, version;
    // rtlab's Hub::refuseWebSocket), these are the two pieces of the handshake every server needs.
    // A Sec-WebSocket-Key is 16 random bytes in base64, so exactly 24 characters (§4.2.1).
    // (QByteArray::fromBase64 alone skips characters it does not know, and would let a bad key pass.)
    static bool isValidKey(QByteArrayView key);
    // The 101 answer to a valid key: Upgrade, Connection and Sec-WebSocket-Accept, no extension
    // and no subprotocol (§4.2.2).
    static QByteArray acceptResponse(QByteArrayView key);

    // For `url` (ws:// or wss://; http(s):// alike), with `key` (a fresh one by default), an
    // Origin header when `origin` is not empty, and `extraHeaders` after them (Authorization).
    using Headers = QList<std::pair<QByteArray, QByteArray>>;
    WsHandshake(const QUrl &url, const QByteArray &key, const QString &origin, Limits limits,
                const Headers &extraHeaders = {});
    explicit WsHandshake(const QUrl &url, const QByteArray &key = generateKey(), const QString &origin = {})
        : WsHandshake(url, key, origin, Limits {})
    {
    }

    // The exact request: GET path?query, Host (with the port when the URL has one), Upgrade,
    // Connection, Sec-WebSocket-Key, Sec-WebSocket-Version: 13, Origin if given, the extra headers.
    const QByteArray &request() const { return m_request; }
    const QByteArray &key() const { return m_key; }
    QByteArray expectedAccept() const { return acceptFor(m_key); }

    // Reads the answer. Returns how many of `bytes` belong to the head; once the state is no
    // longer Reading, the rest (and everything after) is not the handshake's.
    qsizetype feed(QByteArrayView bytes);

    State state() const { return m_state; }
    Error error() const { return m_error; }
    QString errorString() const;
    // Once the head is complete (Upgraded, Refused, or Invalid after the status line).
    int status() const { return m_status; }
    const QByteArray &reasonPhrase() const { return m_reason; }
    // The exact head, up to and including its empty line (what was read of it while Reading).
    const QByteArray &head() const { return m_head; }
    // A header's value (trimmed), by name in any case; several of the same name joined with ", ".
    QByteArray header(QByteArrayView name) const;
    bool headComplete() const { return m_complete; }

private:
    void parseHead();
    void invalid(Error error);

    Limits m_limits;
    QByteArray m_key;
    QByteArray m_request;
    QByteArray m_head;
    qsizetype m_lineStart = 0; // where the line being read begins in m_head
    bool m_complete = false;
    State m_state = State::Reading;
    Error m_error = Error::None;
    int m_status = 0;
    QByteArray m_reason;
    QList<std::pair<QByteArray, QByteArray>> m_headers; // names lower-cased
};

} // namespace rtlab
