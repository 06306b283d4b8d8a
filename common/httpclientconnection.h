#pragma once

#include "httpresponseparser.h"

#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QUrl>

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
    };

    explicit HttpClientConnection(QObject *parent = nullptr);
    ~HttpClientConnection() override;

    void setServer(const QUrl &server);
    void send(const Request &request);
    // Drops the connection (and any request in flight) without a signal.
    void abort();
    bool isBusy() const { return m_busy; }

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

    QUrl m_server;
    QPointer<QTcpSocket> m_socket;
    HttpResponseParser m_parser;
    Request m_request;
    QByteArray m_lastRequest;
    QByteArray m_rawHead;
    bool m_busy = false;
    bool m_connected = false;
};

} // namespace rtlab
