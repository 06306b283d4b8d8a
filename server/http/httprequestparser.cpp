// SPDX-License-Identifier: MIT
#include "httprequestparser.h"

#include <QUrl>

#include <http_parser.h>

namespace rtlab {

QByteArray HttpRequest::header(QByteArrayView lowerName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView lowerName) const
{
    return headerCount(lowerName) > 0;
}

qsizetype HttpRequest::headerCount(QByteArrayView lowerName) const
{
    qsizetype n = 0;
    for (const auto &header : headers) {
        if (header.first == lowerName)
            ++n;
    }
    return n;
}

static bool headerHasToken(const QByteArray &value, QByteArrayView token)
{
    for (const QByteArray &part : value.split(',')) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return method == "GET" && headerHasToken(header("upgrade"), "websocket")
            && headerHasToken(header("connection"), "upgrade");
}

struct HttpParserCallbacks
{
    static HttpRequestParser *self(http_parser *p) { return static_cast<HttpRequestParser *>(p->data); }

    static int onMessageBegin(http_parser *) { return 0; }
    static int onUrl(http_parser *p, const char *at, size_t length)
    {
        self(p)->m_request.target.append(at, qsizetype(length));
        return 0;
    }
    static int onHeadersComplete(http_parser *p) { return self(p)->onHeadersComplete(); }
    static int onBody(http_parser *p, const char *at, size_t length)
    {
        HttpRequestParser *s = self(p);
        if (s->m_request.body.size() + qsizetype(length) > s->m_limits.maxBodyBytes) {
            // The first byte over the limit: feedSome() stops there, wherever http_parser cut
            // the chunk's data (a chunk read whole comes in one call, read bytewise in many).
            s->m_bodyOverflowAt = at + (s->m_limits.maxBodyBytes - s->m_request.body.size());
            return s->fail(413, QStringLiteral("request body is larger than %1 bytes").arg(s->m_limits.maxBodyBytes));
        }
        s->m_request.body.append(at, qsizetype(length));
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        HttpRequestParser *s = self(p);
        s->m_state = HttpRequestParser::State::Complete;
        // Stop here: whatever follows is the next request, for the caller to keep.
        http_parser_pause(p, 1);
        return 0;
    }
    static const http_parser_settings &settings()
    {
        static const http_parser_settings s =
                HttpHeaderLines::gathering<HttpRequestParser, &HttpRequestParser::m_headerLines>(
                        http_parser_settings { .on_message_begin = onMessageBegin,
                                               .on_url = onUrl,
                                               .on_headers_complete = onHeadersComplete,
                                               .on_body = onBody,
                                               .on_message_complete = onMessageComplete });
        return s;
    }
};

HttpRequestParser::HttpRequestParser() : HttpRequestParser(Limits {}) { }

HttpRequestParser::HttpRequestParser(Limits limits) : m_limits(limits), m_parser(std::make_unique<http_parser>())
{
    reset();
}

HttpRequestParser::~HttpRequestParser() = default;

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest request = std::move(m_request);
    reset();
    return request;
}

void HttpRequestParser::reset()
{
    http_parser_init(m_parser.get(), HTTP_REQUEST);
    m_parser->data = this;
    m_request = HttpRequest();
    m_headerLines.clear();
    m_headComplete = false;
    m_headBytes = 0;
    m_state = State::NeedMore;
    m_errorStatus = 0;
    m_errorString.clear();
}

int HttpRequestParser::fail(int status, const QString &why)
{
    if (m_state != State::Error) {
        m_state = State::Error;
        m_errorStatus = status;
        m_errorString = why;
    }
    return -1;
}

// RFC 9110 §5.6.2: a field name is a token. http_parser, built without HTTP_PARSER_STRICT as
// Debian ships it, lets a space through ("X Forwarded-For", "Host :"), which a proxy in front
// may read as another field or drop: the two would disagree on what the request says.
static bool isToken(QByteArrayView name)
{
    static constexpr QByteArrayView punctuation = "!#$%&'*+-.^_`|~";
    if (name.isEmpty())
        return false;
    for (const char c : name) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !punctuation.contains(c))
            return false;
    }
    return true;
}

// Fields that hold one value, not a list (RFC 9110 §5.3): sent twice, which one counts is a
// guess, and a proxy in front may guess the other way (two Hosts: RFC 9112 §3.2; two lengths:
// §6.3; two Origins would let a request pass the origin check as one site and be another).
static constexpr std::pair<QByteArrayView, QLatin1StringView> SingleFields[] = {
    { "host", QLatin1StringView("Host") },
    { "content-length", QLatin1StringView("Content-Length") },
    { "transfer-encoding", QLatin1StringView("Transfer-Encoding") },
    { "content-type", QLatin1StringView("Content-Type") },
    { "origin", QLatin1StringView("Origin") },
    { "authorization", QLatin1StringView("Authorization") },
    { "last-event-id", QLatin1StringView("Last-Event-ID") },
};

int HttpRequestParser::onHeadersComplete()
{
    m_request.headers = m_headerLines.take();
    for (const auto &header : std::as_const(m_request.headers)) {
        if (!isToken(header.first))
            return fail(400,
                        QStringLiteral("invalid header name \"%1\": a name is a token (no spaces)")
                                .arg(QString::fromLatin1(header.first.left(64))));
    }
    // RFC 9112 §6.3: a request with both, or with conflicting lengths, is a framing error
    // that a server must not guess at (request smuggling); answer 400 and close.
    if (m_request.hasHeader("transfer-encoding") && m_request.hasHeader("content-length"))
        return fail(400, QStringLiteral("both Content-Length and Transfer-Encoding"));
    for (const auto &[name, shown] : SingleFields) {
        if (m_request.headerCount(name) > 1)
            return fail(400, QStringLiteral("more than one %1").arg(shown));
    }
    // RFC 9112 §3.2: "A server MUST respond with a 400 to any HTTP/1.1 request message that lacks
    // a Host header field". HTTP/1.0 predates it.
    if ((m_parser->http_major > 1 || (m_parser->http_major == 1 && m_parser->http_minor >= 1))
        && !m_request.hasHeader("host"))
        return fail(400, QStringLiteral("an HTTP/1.1 request needs a Host header"));
    if (m_parser->content_length != ULLONG_MAX && m_parser->content_length > quint64(m_limits.maxBodyBytes))
        return fail(413, QStringLiteral("request body is larger than %1 bytes").arg(m_limits.maxBodyBytes));

    m_request.method = http_method_str(http_method(m_parser->method));
    m_request.versionMajor = m_parser->http_major;
    m_request.versionMinor = m_parser->http_minor;
    m_request.keepAlive = http_should_keep_alive(m_parser.get()) != 0;
    const QUrl url = QUrl::fromEncoded(m_request.target);
    m_request.path = url.path(QUrl::FullyDecoded).toUtf8();
    m_request.query = QUrlQuery(url);
    m_headComplete = true;
    if (m_state == State::NeedMore)
        m_state = State::HeadComplete;
    return 0;
}

qsizetype HttpRequestParser::feed(QByteArrayView bytes)
{
    qsizetype consumed = 0;
    while (consumed < bytes.size() && m_state != State::Complete && m_state != State::Error) {
        const qsizetype n = feedSome(bytes.sliced(consumed));
        consumed += n;
        if (n == 0)
            break;
    }
    return consumed;
}

qsizetype HttpRequestParser::feedSome(QByteArrayView bytes)
{
    qsizetype input = bytes.size();
    if (!m_headComplete) {
        // The head limit counts every byte up to the end of the headers. http_parser
        // tells us where the head ends only through a callback, so bound the input first:
        // a head that has not ended within maxHeadBytes is too large.
        const qsizetype room = m_limits.maxHeadBytes - m_headBytes;
        input = qMin(input, qMax<qsizetype>(room, 0));
    }
    const bool headWasComplete = m_headComplete;
    m_bodyOverflowAt = nullptr;
    const size_t parsed =
            http_parser_execute(m_parser.get(), &HttpParserCallbacks::settings(), bytes.data(), size_t(input));
    if (!headWasComplete && !m_headComplete)
        m_headBytes += qsizetype(parsed);
    const http_errno err = HTTP_PARSER_ERRNO(m_parser.get());
    if (m_state == State::Error && m_bodyOverflowAt)
        return qsizetype(m_bodyOverflowAt - bytes.data()) + 1;
    if (m_state == State::Error)
        return qsizetype(parsed);
    if (err == HPE_PAUSED)
        http_parser_pause(m_parser.get(), 0);
    else if (err != HPE_OK) {
        if (err == HPE_HEADER_OVERFLOW && m_headComplete) {
            // After the head, http_parser counts a chunk's size line (with its extensions) and
            // the trailer section against the same limit: that is the body's framing, not the
            // request's headers.
            fail(413,
                 QStringLiteral("a chunk-size line or the trailer section is longer than %1 bytes")
                         .arg(HTTP_MAX_HEADER_SIZE));
        } else if (err == HPE_HEADER_OVERFLOW)
            fail(431, QStringLiteral("request line and headers are larger than %1 bytes").arg(m_limits.maxHeadBytes));
        else if (err == HPE_UNEXPECTED_CONTENT_LENGTH)
            fail(400, QStringLiteral("conflicting Content-Length or Transfer-Encoding"));
        else
            fail(400, QStringLiteral("malformed request: %1").arg(QLatin1String(http_errno_description(err))));
        return qsizetype(parsed);
    }
    if (m_parser->upgrade && m_state == State::Complete) {
        // http_parser stops after an Upgrade request (and its body, if it has one); what
        // follows belongs to the new protocol.
        m_request.upgrade = true;
        return qsizetype(parsed);
    }
    if (!m_headComplete && m_headBytes >= m_limits.maxHeadBytes)
        fail(431, QStringLiteral("request line and headers are larger than %1 bytes").arg(m_limits.maxHeadBytes));
    return qsizetype(parsed);
}

} // namespace rtlab
