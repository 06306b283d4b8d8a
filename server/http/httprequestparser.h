// SPDX-License-Identifier: MIT
#pragma once

#include "httpheaderlines.h"
#include "httprequest.h"

#include <QByteArrayView>
#include <QString>

#include <memory>

struct http_parser;

namespace rtlab {

// Parses one HTTP/1.x request at a time with Node's http_parser (libhttp-parser), adding the
// limits and the framing rules this server enforces. I/O-free: feed() any split of the
// bytes; it stops at the end of the request so that pipelined bytes are left to the caller.
class HttpRequestParser
{
public:
    enum class State { NeedMore, HeadComplete, Complete, Error };
    struct Limits
    {
        qsizetype maxHeadBytes = 16 * 1024; // request line + headers
        qsizetype maxBodyBytes = 64 * 1024;
    };

    HttpRequestParser();
    explicit HttpRequestParser(Limits limits);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    // Returns how many bytes were consumed: never past the end of the current request.
    qsizetype feed(QByteArrayView bytes);
    // Starts on the next request of the same connection.
    void reset();

    State state() const { return m_state; }
    bool headComplete() const { return m_headComplete; }
    const HttpRequest &request() const { return m_request; }
    // With State::Complete: the request, and reset() for the next one.
    HttpRequest takeRequest();
    // With State::Error: the status to answer (400, 413, 431) and why.
    int errorStatus() const { return m_errorStatus; }
    QString errorString() const { return m_errorString; }

private:
    friend struct HttpParserCallbacks;
    int fail(int status, const QString &why);
    int onHeadersComplete();
    qsizetype feedSome(QByteArrayView bytes);

    Limits m_limits;
    std::unique_ptr<http_parser> m_parser;
    HttpRequest m_request;
    HttpHeaderLines m_headerLines;
    bool m_headComplete = false;
    qsizetype m_headBytes = 0;
    const char *m_bodyOverflowAt = nullptr; // in the bytes of the current feedSome(): see onBody
    State m_state = State::NeedMore;
    int m_errorStatus = 0;
    QString m_errorString;
};

} // namespace rtlab
