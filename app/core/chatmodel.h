#pragma once

#include "connectionevent.h"
#include "message.h"

#include <QAbstractListModel>
#include <QTimer>

#include <deque>

namespace rtlab {

// The chat view's rows: chat, system and reset messages, newest last. Bounded (the oldest
// rows go), and batched: rows arrive in a buffer that is flushed into the model a few dozen
// times a second, so a stream of thousands of messages per second costs the view one insert
// (and at most one remove) per batch.
class ChatModel : public QAbstractListModel
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
        OwnRole,       // sent by this client
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
    };

    explicit ChatModel(qsizetype capacity = 5000, QObject *parent = nullptr);

    void append(const Row &row);
    // Moves the buffered rows into the model now (the timer does it otherwise).
    void flush();
    void clear();
    qsizetype capacity() const { return m_capacity; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    qsizetype m_capacity;
    std::deque<Row> m_rows;
    std::deque<Row> m_pending;
    QTimer m_flushTimer;
};

} // namespace rtlab
