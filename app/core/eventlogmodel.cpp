// SPDX-License-Identifier: MIT
#include "eventlogmodel.h"

#include <QDateTime>

namespace rtlab {

EventLogModel::EventLogModel(qsizetype capacity, QObject *parent) : BatchedRowsModel(capacity, 50, parent)
{
    connect(&m_flushTimer, &QTimer::timeout, this, &EventLogModel::flush);
}

void EventLogModel::append(const ConnectionEvent &event, const QString &source)
{
    queueRow(&m_pending, Row { event, source });
}

void EventLogModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    flushRows(&m_rows, &m_pending);
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString EventLogModel::describe(const ConnectionEvent &e)
{
    QString d = e.detail;
    if (e.type == ConnectionEvent::Type::RetryScheduled)
        d = QStringLiteral("in %1 ms").arg(e.delayMs);
    if (e.type == ConnectionEvent::Type::Reset && d.isEmpty())
        d = QStringLiteral("lost %1").arg(e.lost);
    if (e.closeCode)
        d += QStringLiteral(" [close %1]").arg(e.closeCode);
    return d;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[size_t(index.row())];
    if (role == EventRole)
        return int(r.event.type);
    if (role == TimeMsRole)
        return r.event.timeMs;
    if (role == TransportKindRole)
        return int(r.event.transport);
    if (role == SourceRole)
        return r.source;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case TimeColumn: return QDateTime::fromMSecsSinceEpoch(r.event.timeMs).toString(QStringLiteral("HH:mm:ss.zzz"));
    case SourceColumn: return r.source;
    case TransportColumn: return transportKindLabel(r.event.transport);
    case EventColumn: return ConnectionEvent::typeName(r.event.type);
    case DetailColumn: return describe(r.event);
    default: return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn: return tr("Time");
    case SourceColumn: return tr("Source");
    case TransportColumn: return tr("Transport");
    case EventColumn: return tr("Event");
    case DetailColumn: return tr("Detail");
    default: return {};
    }
}

} // namespace rtlab
