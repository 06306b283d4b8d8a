// SPDX-License-Identifier: MIT
#pragma once

#include <QHostAddress>
#include <QString>

#include <functional>

namespace rtlab {

// A listening TCP socket made by hand: what QTcpServer cannot set before its bind
// (SO_REUSEPORT, --reuse-port), and the epoll core's listener, whose descriptor it owns. Both
// cores share it, so that --reuse-port and a port in use mean the same on either.
//
// Opens a non-blocking, close-on-exec socket, sets SO_REUSEADDR (and SO_REUSEPORT when asked:
// several processes then listen on the port, and the kernel spreads new connections over
// them), lets `beforeBind` set the caller's options, binds and listens. The descriptor, or -1
// with *error saying why ("bind: ..."; a port in use says so, naming --reuse-port).
int openListeningSocket(const QHostAddress &address, quint16 port, bool reusePort, int backlog, QString *error,
                        const std::function<void(int fd)> &beforeBind = {});
void closeListeningSocket(int fd);
// The port a listening socket is bound to (its own when asked for port 0).
quint16 boundPort(int fd);
// The one message for a port another socket holds.
QString portInUseMessage(quint16 port);

} // namespace rtlab
