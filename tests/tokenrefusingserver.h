// SPDX-License-Identifier: MIT
#pragma once
// A stand-in for an rtlab server with tokens that refuses the client's: for the clients' tests of
// what they send and how they take a refusal, without a server of their own.

#include <QHash>
#include <QTcpServer>
#include <QTcpSocket>

#include <algorithm>

namespace rtlab::test {

// A server with tokens that refuses this one: it answers every request 401 as rtlab-server does
// (WWW-Authenticate with the reason) and keeps each request head, for the test to read.
class TokenRefusingServer : public QTcpServer
{
public:
    TokenRefusingServer()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_partial[s] += s->readAll();
                    const qsizetype end = m_partial[s].indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    heads.append(m_partial[s].left(end + 2)); // each line with its CRLF
                    m_partial.remove(s);
                    s->write("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"rtlab\", "
                             "error=\"invalid_token\", error_description=\"token expired\"\r\n"
                             "Content-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n"
                             "token expired\n");
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    // How many request heads asked for `path` (the bootstrap GET /poll counts apart: no "after").
    int countRequests(QByteArrayView requestLinePrefix) const
    {
        return int(std::count_if(heads.cbegin(), heads.cend(),
                                 [&](const QByteArray &h) { return h.startsWith(requestLinePrefix); }));
    }
    QList<QByteArray> heads;

private:
    QHash<QTcpSocket *, QByteArray> m_partial;
};

} // namespace rtlab::test
