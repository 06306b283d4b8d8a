// SPDX-License-Identifier: MIT
#pragma once

#include "httpstream.h"

#include <QByteArrayList>
#include <QList>

namespace rtlab {

// A WsChannel with no socket beneath: it records what the session sends (texts, pings, a close
// or an abort), and the test plays the peer (a text, a pong, a close).
class FakeWsChannel : public WsChannel
{
public:
    struct Close
    {
        quint16 code = 0;
        QString reason;
    };

    explicit FakeWsChannel(QByteArray requestTarget = "/ws") : m_target(std::move(requestTarget)) { }

    void setObserver(Observer *observer) override { m_observer = observer; }
    void sendText(const QByteArray &utf8) override { m_texts.append(utf8); }
    void sendTextFrame(const QByteArray &utf8, const QByteArray &frame) override;
    void ping() override { ++m_pings; }
    void close(quint16 code, const QString &reason) override { m_closes.append({ code, reason }); }
    void abort() override { m_aborted = true; }
    qint64 pendingBytes() const override { return m_pendingBytes; }
    QByteArray requestTarget() const override { return m_target; }
    QByteArray peerAddress() const override { return "127.0.0.1:40000"; }

    // The peer's side.
    void receiveText(const QByteArray &utf8);
    void receivePong();
    void receiveBinary();
    void setPendingBytes(qint64 bytes) { m_pendingBytes = bytes; }
    void drain();
    // The connection is gone (a close handshake finished, or the socket dropped).
    void closeFromPeer();

    Observer *observer() const { return m_observer; }
    // Every text sent, whether as text or as a prepared frame, in order.
    const QByteArrayList &texts() const { return m_texts; }
    // How many of them went as prepared frames (LogEntry::wsFrame).
    int frames() const { return m_frames; }
    int pings() const { return m_pings; }
    const QList<Close> &closes() const { return m_closes; }
    bool aborted() const { return m_aborted; }

private:
    Observer *m_observer = nullptr;
    QByteArray m_target;
    QByteArrayList m_texts;
    QList<Close> m_closes;
    qint64 m_pendingBytes = 0;
    int m_frames = 0;
    int m_pings = 0;
    bool m_aborted = false;
};

} // namespace rtlab
