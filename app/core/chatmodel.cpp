#include "chatmodel.h"

#include <QDateTime>

namespace rtlab {

ChatModel::ChatModel(qsizetype capacity, QObject *parent)
    : QAbstractListModel(parent), m_capacity(qMax<qsizetype>(1, capacity))
{
    m_flushTimer.setInterval(33);
    m_flushTimer.setSingleShot(true);
    connect(&m_flushTimer, &QTimer::timeout, this, &ChatModel::flush);
}

void ChatModel::append(const Row &row)
{
    m_pending.push_back(row);
    // A burst larger than the model can hold keeps only what it could show.
    while (qsizetype(m_pending.size()) > m_capacity)
        m_pending.pop_front();
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void ChatModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    const qsizetype incoming = qsizetype(m_pending.size());
    const qsizetype overflow = qsizetype(m_rows.size()) + incoming - m_capacity;
    if (overflow > 0) {
        const qsizetype drop = qMin<qsizetype>(overflow, qsizetype(m_rows.size()));
        beginRemoveRows({}, 0, int(drop - 1));
        m_rows.erase(m_rows.begin(), m_rows.begin() + drop);
        endRemoveRows();
    }
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(incoming) - 1);
    m_rows.insert(m_rows.end(), m_pending.begin(), m_pending.end());
    m_pending.clear();
    endInsertRows();
}

void ChatModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    endResetModel();
}

int ChatModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ChatModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        if (r.type == MessageType::Chat)
            return QStringLiteral("%1: %2").arg(r.from, r.text);
        return r.text;
    case Qt::ToolTipRole:
        return QStringLiteral("#%1 via %2, %3")
                .arg(r.id)
                .arg(transportKindLabel(r.via))
                .arg(QDateTime::fromMSecsSinceEpoch(r.ts / 1000).toString(Qt::ISODateWithMs));
    case FromRole: return r.from;
    case TextRole: return r.text;
    case TimeRole: return r.ts;
    case TransportRole: return int(r.via);
    case LatencyRole: return r.latencyUs;
    case TypeRole: return int(r.type);
    case IdRole: return r.id;
    case OwnRole: return r.own;
    default: return {};
    }
}

QHash<int, QByteArray> ChatModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(FromRole, "from");
    names.insert(TextRole, "text");
    names.insert(TimeRole, "time");
    names.insert(TransportRole, "transport");
    names.insert(LatencyRole, "latency");
    names.insert(TypeRole, "type");
    names.insert(IdRole, "id");
    names.insert(OwnRole, "own");
    return names;
}

} // namespace rtlab
