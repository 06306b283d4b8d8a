// SPDX-License-Identifier: MIT
#pragma once

#include "batchedrowsmodel.h"
#include "connectionevent.h"
#include "message.h"
#include "outbox.h"

#include <QAbstractListModel>

#include <deque>

namespace rtlab {

// The chat view's rows: chat, system and reset messages, newest last. Bounded (the oldest
// rows go), and batched: rows arrive in a buffer that is flushed into the model a few dozen
// times a second, so a stream of thousands of messages per second costs the view one insert
// (and at most one remove) per batch.
//
// The user's own messages show at once as outgoing rows, below every delivered row, with their
// delivery state (queued, sending, failed); when the message comes back in the stream, its
// outgoing row leaves and the delivered row takes its place, so that it is never shown twice.
class ChatModel : public BatchedRowsModel<QAbstractListModel>
{
    Q_OBJECT
public:
    enum Role {
        FromRole = Qt::UserRole + 1,
        TextRole,
        TimeRole,      // server ts, µs since the Unix epoch
        TransportRole, // TransportKind as int
        LatencyRole,   // µs, -1 unknown
        TypeRole,      // MessageType as int
        IdRole,
        OwnRole, // sent by this client
        ClientMsgIdRole,
        DeliveryRole,       // Outbox::State as int: Delivered for every row from the stream
        DeliveryDetailRole, // why a send failed
        DeliveryTextRole,   // an outgoing row's state in words ("sending…"); empty for delivered rows
    };
    struct Row
    {
        quint64 id = 0;
        MessageType type = MessageType::Chat;
        QString from;
        QString text;
        qint64 ts = 0;
        TransportKind via = TransportKind::WebSocket;
        qint64 latencyUs = -1;
        bool own = false;
        QString clientMsgId;
        Outbox::State delivery = Outbox::State::Delivered;
        QString deliveryDetail;
    };

    explicit ChatModel(qsizetype capacity = 5000, QObject *parent = nullptr);

    void append(const Row &row);
    // An outgoing row of our own: shown at once, after the delivered rows. Bounded by the outbox.
    void addOutgoing(const Row &row);
    // Its delivery state changed. Delivered keeps the row (now "sent") until the message itself
    // arrives through append(), which replaces it.
    void setDelivery(const QString &clientMsgId, Outbox::State state, const QString &detail = {});
    qsizetype outgoingCount() const { return qsizetype(m_outgoing.size()); }
    // Moves the buffered rows into the model now (the timer does it otherwise).
    void flush();
    void clear();
    qsizetype capacity() const { return m_capacity; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    static QString deliveryText(const Row &row);

    std::deque<Row> m_rows;
    std::deque<Row> m_pending;
    std::deque<Row> m_outgoing; // rows m_rows.size() .. rowCount() - 1
};

} // namespace rtlab
