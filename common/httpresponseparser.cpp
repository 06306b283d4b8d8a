// SPDX-License-Identifier: MIT
#include "httpresponseparser.h"

#include <http_parser.h>

namespace rtlab {

struct HttpResponseCallbacks
{
    static HttpResponseParser *self(http_parser *p) { return static_cast<HttpResponseParser *>(p->data); }
    static int onHeadersComplete(http_parser *p)
    {
        HttpResponseParser *s = self(p);
        s->m_headers = s->m_headerLines.take();
        s->m_status = int(p->status_code);
        s->m_headComplete = true;
        s->m_keepAlive = http_should_keep_alive(p) != 0;
        s->m_state = HttpResponseParser::State::HeadComplete;
        // Pause so that the caller learns exactly where the head ended.
        http_parser_pause(p, 1);
        // 1: no body follows. RFC 9112 §6.3: the answer to HEAD, and 1xx, 204 and 304,
        // end at the blank line whatever their Content-Length says.
        const int status = int(p->status_code);
        return s->m_headRequest || status / 100 == 1 || status == 204 || status == 304 ? 1 : 0;
    }
    static int onBody(http_parser *p, const char *at, size_t n)
    {
        HttpResponseParser *s = self(p);
        s->m_body.append(at, qsizetype(n));
        s->m_bodyBytes += qint64(n);
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        self(p)->m_state = HttpResponseParser::State::Complete;
        http_parser_pause(p, 1);
        return 0;
    }
    static const http_parser_settings &settings()
    {
        static const http_parser_settings s =
                HttpHeaderLines::gathering<HttpResponseParser, &HttpResponseParser::m_headerLines>(
                        http_parser_settings { .on_headers_complete = onHeadersComplete,
                                               .on_body = onBody,
                                               .on_message_complete = onMessageComplete });
        return s;
    }
};

HttpResponseParser::HttpResponseParser() : m_parser(std::make_unique<http_parser>())
{
    reset();
}

HttpResponseParser::~HttpResponseParser() = default;

void HttpResponseParser::reset(bool headRequest)
{
    http_parser_init(m_parser.get(), HTTP_RESPONSE);
    m_parser->data = this;
    m_state = State::NeedMore;
    m_headComplete = false;
    m_headRequest = headRequest;
    m_status = 0;
    m_headers.clear();
    m_headerLines.clear();
    m_body.clear();
    m_keepAlive = true;
    m_headBytes = m_bodyBytes = m_totalBytes = 0;
    m_errorString.clear();
}

QByteArray HttpResponseParser::header(QByteArrayView lowerName) const
{
    for (const auto &[name, value] : m_headers)
        if (name == lowerName)
            return value;
    return {};
}

qsizetype HttpResponseParser::feed(QByteArrayView bytes)
{
    qsizetype consumed = 0;
    while (consumed < bytes.size() && m_state != State::Complete && m_state != State::Error) {
        const bool headBefore = m_headComplete;
        const size_t n = http_parser_execute(m_parser.get(), &HttpResponseCallbacks::settings(),
                                             bytes.data() + consumed, size_t(bytes.size() - consumed));
        consumed += qsizetype(n);
        m_totalBytes += qint64(n);
        // http_parser calls on_headers_complete while it sits on the head's final LF and, paused
        // there, returns p - data: that LF is not yet counted and is consumed (state
        // s_headers_done) by the next execute. It belongs to the head, so count it here.
        if (!headBefore && m_headComplete)
            m_headBytes = m_totalBytes + 1;
        const http_errno err = HTTP_PARSER_ERRNO(m_parser.get());
        if (err == HPE_PAUSED) {
            http_parser_pause(m_parser.get(), 0);
            continue;
        }
        if (err != HPE_OK) {
            m_state = State::Error;
            m_errorString = QString::fromLatin1(http_errno_description(err));
            break;
        }
        if (n == 0)
            break;
    }
    return consumed;
}

void HttpResponseParser::finish()
{
    if (m_state == State::Complete || m_state == State::Error)
        return;
    http_parser_execute(m_parser.get(), &HttpResponseCallbacks::settings(), nullptr, 0);
    const http_errno err = HTTP_PARSER_ERRNO(m_parser.get());
    if (m_state != State::Complete) {
        m_state = State::Error;
        m_errorString = err != HPE_OK && err != HPE_PAUSED
                ? QString::fromLatin1(http_errno_description(err))
                : QStringLiteral("connection closed before the response ended");
    }
}

} // namespace rtlab
