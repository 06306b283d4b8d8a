// SPDX-License-Identifier: MIT
#pragma once

#include "batchedrowsmodel.h"
#include "connectionevent.h"

#include <QAbstractTableModel>

#include <deque>

namespace rtlab {

// Every connection event of every transport (and lane), newest last, for the timeline and its
// filterable log. Bounded and batched like ChatModel.
class EventLogModel : public BatchedRowsModel<QAbstractTableModel>
{
    Q_OBJECT
public:
    enum Column { TimeColumn, SourceColumn, TransportColumn, EventColumn, DetailColumn, ColumnCount };
    enum Role { EventRole = Qt::UserRole + 1, TimeMsRole, TransportKindRole, SourceRole };

    struct Row
    {
        ConnectionEvent event;
        QString source; // "client" or a compare lane
    };

    explicit EventLogModel(qsizetype capacity = 5000, QObject *parent = nullptr);

    void append(const ConnectionEvent &event, const QString &source);
    void flush();
    const std::deque<Row> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString describe(const ConnectionEvent &event);

private:
    std::deque<Row> m_rows;
    std::deque<Row> m_pending;
};

} // namespace rtlab
