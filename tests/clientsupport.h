// SPDX-License-Identifier: MIT
#pragma once
// Helpers for the tests that drive RealtimeClient against the in-process server: a recorder of
// what a client passes on, and the transport table rows.

#include "realtimeclient.h"
#include "testsupport.h"

Q_DECLARE_METATYPE(rtlab::RealtimeClient::Mode)

namespace rtlab::test {

// Records what a RealtimeClient passes on.
struct Recorder : QObject
{
    explicit Recorder(RealtimeClient &client)
    {
        QObject::connect(&client, &RealtimeClient::messageReceived, this, [this](const Message &m, TransportKind via) {
            messages.append(m);
            vias.append(via);
        });
        QObject::connect(&client, &RealtimeClient::eventOccurred, this,
                         [this](const ConnectionEvent &e) { events.append(e); });
    }
    qsizetype count(ConnectionEvent::Type type, std::optional<TransportKind> kind = {}) const
    {
        return std::count_if(events.begin(), events.end(), [&](const ConnectionEvent &e) {
            return e.type == type && (!kind || e.transport == *kind);
        });
    }
    QList<quint64> chatIds() const { return ids(messages); }
    bool waitChats(qsizetype n) const
    {
        return QTest::qWaitFor([&] { return chatIds().size() >= n; }, WaitMs);
    }
    QList<Message> messages;
    QList<TransportKind> vias;
    QList<ConnectionEvent> events;
};

// A chat message from "ann" as the server sends it, for a peer of the test's own to send.
inline Message chatFromAnn(quint64 id, const QString &epoch, const QString &text)
{
    Message m;
    m.id = id;
    m.epoch = epoch;
    m.type = MessageType::Chat;
    m.ts = 1;
    m.from = QStringLiteral("ann");
    m.text = text;
    return m;
}

inline QList<quint64> range(quint64 from, quint64 to)
{
    QList<quint64> out;
    for (quint64 i = from; i <= to; ++i)
        out.append(i);
    return out;
}

// One row per transport, column "mode".
inline void addModes()
{
    QTest::addColumn<RealtimeClient::Mode>("mode");
    QTest::newRow("long polling") << RealtimeClient::Mode::LongPoll;
    QTest::newRow("sse") << RealtimeClient::Mode::Sse;
    QTest::newRow("websocket") << RealtimeClient::Mode::WebSocket;
}

inline bool waitOpen(RealtimeClient &client)
{
    return QTest::qWaitFor([&] { return client.state() == ClientTransport::State::Open; }, WaitMs);
}

} // namespace rtlab::test
