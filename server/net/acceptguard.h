// SPDX-License-Identifier: MIT
#pragma once

#include "logthrottle.h"
#include "peercounts.h"

#include <QByteArray>

namespace rtlab {

struct ServerConfig;

// What both cores do when a connection cannot be served as usual, the same on each:
// - the per-address cap (--max-conns-per-ip), counted at accept;
// - a reserved descriptor: out of descriptors (EMFILE/ENFILE), a core that has no idle connection
//   left to close frees it, accepts the waiting client with it, answers 503 + Retry-After and
//   closes, then takes the reserve again (nginx and Node leave the client to time out instead);
// - the answers those clients get;
// - warnings at most once a second per kind, with how many were held back.
class AcceptGuard
{
public:
    explicit AcceptGuard(const ServerConfig &config);
    ~AcceptGuard();
    AcceptGuard(const AcceptGuard &) = delete;
    AcceptGuard &operator=(const AcceptGuard &) = delete;

    PeerCounts &peers() { return m_peers; }

    // Closes the reserve, so that the next accept gets a descriptor; false when there is none.
    bool freeReserve();
    // Takes the reserve again (once the refused client is closed); false when that failed too.
    bool takeReserve();
    bool hasReserve() const { return m_reserveFd >= 0; }
    // The errno of the last takeReserve() that failed (EMFILE, ENFILE): what the Qt core, which
    // does not see accept()'s errno, reports.
    int reserveError() const { return m_reserveError; }

    // Whether a request's bytes wait unread in the kernel (a peek): such a connection is not
    // idle, whatever its state says. False where it cannot be told.
    static bool hasUnreadInput(qintptr fd);

    // The answer to a client accepted only to be told: out of descriptors, or over its address's cap.
    static QByteArray serverFull();
    static QByteArray addressFull();

    // Logs "what: the error's text (errno N): outcome" as a warning under rtlab.server.accept, at
    // most once a second per what and error. error is the errno the caller saved at once (0: none,
    // the text is the outcome alone).
    void warn(const char *what, int error, const QString &outcome, qint64 nowMs);

private:
    PeerCounts m_peers;
    int m_reserveFd = -1;
    int m_reserveError = 0;
    LogThrottle m_throttle;
};

} // namespace rtlab
