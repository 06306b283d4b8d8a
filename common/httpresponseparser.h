// SPDX-License-Identifier: MIT
#pragma once

#include "httpheaderlines.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <memory>
#include <utility>

struct http_parser;

namespace rtlab {

// Parses HTTP/1.x responses with libhttp-parser, I/O-free: feed() any split of the bytes.
// Reports the exact wire cost of each response: head bytes, body bytes, and the framing in
// between (chunk sizes and CRLFs), which is what the byte ledger shows.
class HttpResponseParser
{
public:
    enum class State { NeedMore, HeadComplete, Complete, Error };

    HttpResponseParser();
    ~HttpResponseParser();
    HttpResponseParser(const HttpResponseParser &) = delete;
    HttpResponseParser &operator=(const HttpResponseParser &) = delete;

    // Say whether the response answers a HEAD request (it then has no body).
    void reset(bool headRequest = false);
    // Returns the bytes consumed; stops at the end of one response.
    qsizetype feed(QByteArrayView bytes);
    // The connection closed: a close-delimited body ends here.
    void finish();

    State state() const { return m_state; }
    bool headComplete() const { return m_headComplete; }
    int status() const { return m_status; }
    QByteArray header(QByteArrayView lowerName) const;
    const QList<std::pair<QByteArray, QByteArray>> &headers() const { return m_headers; }
    bool keepAlive() const { return m_keepAlive; }
    // Body bytes decoded since the last call (chunked framing removed).
    QByteArray takeBody() { return std::exchange(m_body, {}); }
    qint64 headBytes() const { return m_headBytes; }
    qint64 bodyBytes() const { return m_bodyBytes; }
    qint64 framingBytes() const { return m_totalBytes - m_headBytes - m_bodyBytes; }
    QString errorString() const { return m_errorString; }

private:
    friend struct HttpResponseCallbacks;

    std::unique_ptr<http_parser> m_parser;
    State m_state = State::NeedMore;
    bool m_headComplete = false;
    bool m_headRequest = false;
    int m_status = 0;
    QList<std::pair<QByteArray, QByteArray>> m_headers;
    HttpHeaderLines m_headerLines;
    QByteArray m_body;
    bool m_keepAlive = true;
    qint64 m_headBytes = 0;
    qint64 m_bodyBytes = 0;
    qint64 m_totalBytes = 0;
    QString m_errorString;
};

} // namespace rtlab
