// SPDX-License-Identifier: MIT
#pragma once

#include <QTimer>
#include <QtGlobal>

#include <deque>

namespace rtlab {

// The batching of ChatModel and EventLogModel, written once: rows can arrive far faster than a
// view can draw them (a stream of thousands of messages or events per second), so they wait in
// a buffer that a timer flushes into the model as one insert, with at most one remove of the
// oldest rows, the model keeping at most `capacity` of them. A base between the model and its
// Qt model class, for the protected begin/end calls of both.
template<typename ModelBase>
class BatchedRowsModel : public ModelBase
{
protected:
    BatchedRowsModel(qsizetype capacity, int flushIntervalMs, QObject *parent)
        : ModelBase(parent), m_capacity(qMax<qsizetype>(1, capacity))
    {
        m_flushTimer.setInterval(flushIntervalMs);
        m_flushTimer.setSingleShot(true);
    }

    // Buffers a row; a burst larger than the model can hold keeps only what it could show.
    template<typename Row>
    void queueRow(std::deque<Row> *pending, Row row)
    {
        pending->push_back(std::move(row));
        while (qsizetype(pending->size()) > m_capacity)
            pending->pop_front();
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
    }

    // Moves the buffered rows to the end of `rows` (the model's first rows), the oldest rows
    // leaving first beyond the capacity.
    template<typename Row>
    void flushRows(std::deque<Row> *rows, std::deque<Row> *pending)
    {
        const qsizetype incoming = qsizetype(pending->size());
        const qsizetype drop = qMin(qsizetype(rows->size()) + incoming - m_capacity, qsizetype(rows->size()));
        if (drop > 0) {
            this->beginRemoveRows({}, 0, int(drop - 1));
            rows->erase(rows->begin(), rows->begin() + drop);
            this->endRemoveRows();
        }
        const int first = int(rows->size());
        this->beginInsertRows({}, first, first + int(incoming) - 1);
        rows->insert(rows->end(), pending->begin(), pending->end());
        pending->clear();
        this->endInsertRows();
    }

    const qsizetype m_capacity;
    QTimer m_flushTimer;
};

} // namespace rtlab
