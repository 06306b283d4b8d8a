// SPDX-License-Identifier: MIT
#pragma once

#include "httpresponseparser.h"
#include "wirecapture.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>

#include <functional>

namespace rtlab {

// One HTTP/1.1 client connection (plain or TLS), kept alive between requests, one request at a
// time. It knows every byte it sends and receives, so the transports built on it can say what a
// message cost on the wire: request bytes, response head, framing and body.
class HttpClientConnection : public QObject
{
    Q_OBJECT
public:
    struct Request
    {
        QByteArray method = "GET";
        QByteArray target = "/"; // path and query
        QList<std::pair<QByteArray, QByteArray>> headers;
        QByteArray body;
        // What the exchange is in the capture (when one is set): a poll's or a publish's answer
        // is recorded by its transport with finishResponse(), every other head as it comes.
        WireExchange::Kind captureKind = WireExchange::Kind::Other;
    };

    explicit HttpClientConnection(QObject *parent = nullptr);
    ~HttpClientConnection() override;

    void setServer(const QUrl &server);
    // Every request from now on carries `Authorization: Bearer <token>` (empty: none).
    void setBearerToken(const QByteArray &token) { m_token = token; }
    bool hasBearerToken() const { return !m_token.isEmpty(); }
    void send(const Request &request);
    // Drops the connection (and any request in flight) without a signal.
    void abort();
    bool isBusy() const { return m_busy; }
    // Records every exchange into `capture` (null: nothing) on the lifeline of `transport`:
    // the exact request, when its last byte was written, the exact response head, the body's
    // size, and why it ended when it did not end with its response. The exchange of a Poll or
    // a Publish is left to its transport to answer with finishResponse() inside
    // responseFinished(); its end is recorded after that at the latest.
    void setCapture(std::shared_ptr<WireCapture> capture, TransportKind transport);
    // The capture's id of the exchange in flight (or of the last one); 0 when none is recorded.
    quint64 exchangeId() const { return m_exchange; }
    const std::shared_ptr<WireCapture> &capture() const { return m_capture; }

    // The parser of the response in flight: status, headers, byte counts.
    const HttpResponseParser &response() const { return m_parser; }
    // The exact bytes of the last request written and of the current response's head.
    QByteArray lastRequest() const { return m_lastRequest; }
    QByteArray responseHead() const { return m_rawHead; }

signals:
    void requestWritten(qint64 bytes);
    void responseHeadReceived();
    void bodyReceived(const QByteArray &bytes);
    void responseFinished();
    // Any bytes arrived (the transports' dead-peer watchdogs listen to this).
    void bytesReceived(qint64 bytes);
    void failed(const QString &reason);

private:
    void connectSocket();
    void onConnected();
    void onReadyRead();
    void onDisconnected();
    void onError();
    void fail(const QString &reason);
    void onBytesWritten(qint64 bytes);
    // Ends the exchange in flight in the capture (reason empty: it ended normally).
    void endCaptured(const QString &reason);
    // The response is complete: ends the exchange now, or returns what ends it once the
    // transport has answered it (a poll, a publish).
    std::function<void()> finishCaptured();

    QUrl m_server;
    QByteArray m_token;
    QPointer<QTcpSocket> m_socket;
    HttpResponseParser m_parser;
    Request m_request;
    QByteArray m_requestHead; // m_request's request line and headers, as written
    QByteArray m_lastRequest;
    QByteArray m_rawHead;
    bool m_busy = false;
    bool m_connected = false;
    std::shared_ptr<WireCapture> m_capture;
    TransportKind m_captureTransport = TransportKind::LongPoll;
    quint64 m_exchange = 0;      // the exchange in flight in the capture (or the last one)
    bool m_exchangeOpen = false; // m_exchange has not ended yet
    qint64 m_unwritten = 0;      // bytes of the request not written yet (requestSent at 0)
};

} // namespace rtlab
