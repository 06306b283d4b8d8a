// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"

#include <QByteArrayList>

#include <optional>

namespace rtlab {

// An HttpStream with no connection beneath: it records what the hub answers, and the test plays
// the connection's part (bytes draining, the peer going away). Nothing leaves the process, so
// pendingBytes() is what the test says.
class FakeHttpStream : public HttpStream
{
public:
    void setObserver(Observer *observer) override { m_observer = observer; }
    void respond(const HttpResponse &response) override;
    void beginStream(const HttpResponse &head) override;
    void write(const QByteArray &bytes) override;
    void end() override { m_ended = true; }
    void abort() override { m_aborted = true; }
    qint64 pendingBytes() const override { return m_pendingBytes; }
    QByteArray peerAddress() const override { return m_peer; }

    // The connection's side.
    void setPendingBytes(qint64 bytes) { m_pendingBytes = bytes; }
    void setPeerAddress(const QByteArray &peer) { m_peer = peer; }
    // The written bytes left the process: pendingBytes() goes to 0 and the observer hears it.
    void drain();
    // The peer went away.
    void close();

    Observer *observer() const { return m_observer; }
    // The complete answer given with respond(), if any.
    const std::optional<HttpResponse> &response() const { return m_response; }
    const std::optional<HttpResponse> &streamHead() const { return m_head; }
    // Every write() since the stream began, in order; and the same bytes in one piece.
    const QByteArrayList &writes() const { return m_writes; }
    QByteArray written() const { return m_writes.join(); }
    void clearWrites() { m_writes.clear(); }
    bool ended() const { return m_ended; }
    bool aborted() const { return m_aborted; }

private:
    Observer *m_observer = nullptr;
    std::optional<HttpResponse> m_response;
    std::optional<HttpResponse> m_head;
    QByteArrayList m_writes;
    qint64 m_pendingBytes = 0;
    QByteArray m_peer;
    bool m_ended = false;
    bool m_aborted = false;
};

} // namespace rtlab
