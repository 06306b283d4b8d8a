// SPDX-License-Identifier: MIT
#include "chatmodel.h"

#include <QDateTime>

namespace rtlab {

ChatModel::ChatModel(qsizetype capacity, QObject *parent) : BatchedRowsModel(capacity, 33, parent)
{
    connect(&m_flushTimer, &QTimer::timeout, this, &ChatModel::flush);
}

void ChatModel::append(const Row &row)
{
    queueRow(&m_pending, row);
}

void ChatModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    // Our own messages that came back: their outgoing rows leave as the delivered rows come in.
    for (const Row &row : m_pending) {
        if (row.clientMsgId.isEmpty())
            continue;
        const auto found = std::find_if(m_outgoing.begin(), m_outgoing.end(),
                                        [&](const Row &o) { return o.clientMsgId == row.clientMsgId; });
        if (found == m_outgoing.end())
            continue;
        const int at = int(m_rows.size() + (found - m_outgoing.begin()));
        beginRemoveRows({}, at, at);
        m_outgoing.erase(found);
        endRemoveRows();
    }
    flushRows(&m_rows, &m_pending);
}

void ChatModel::addOutgoing(const Row &row)
{
    // The outbox bounds what is outgoing; this only guards the model against a caller that does not.
    if (qsizetype(m_outgoing.size()) >= m_capacity)
        return;
    const int at = rowCount();
    beginInsertRows({}, at, at);
    m_outgoing.push_back(row);
    endInsertRows();
}

void ChatModel::setDelivery(const QString &clientMsgId, Outbox::State state, const QString &detail)
{
    for (size_t i = 0; i < m_outgoing.size(); ++i) {
        Row &row = m_outgoing[i];
        if (row.clientMsgId != clientMsgId)
            continue;
        row.delivery = state;
        row.deliveryDetail = detail;
        const QModelIndex index = this->index(int(m_rows.size() + i));
        emit dataChanged(index, index);
        return;
    }
}

void ChatModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    m_outgoing.clear();
    endResetModel();
}

int ChatModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size() + m_outgoing.size());
}

QString ChatModel::deliveryText(const Row &r)
{
    if (r.id != 0 || r.clientMsgId.isEmpty())
        return {};
    switch (r.delivery) {
    case Outbox::State::Queued:
        return r.deliveryDetail.isEmpty() ? tr("queued until connected")
                                          : tr("queued to be sent again (%1)").arg(r.deliveryDetail);
    case Outbox::State::Sent: return tr("sending…");
    case Outbox::State::Delivered: return tr("sent");
    case Outbox::State::Failed: return tr("failed — click to retry (%1)").arg(r.deliveryDetail);
    }
    return {};
}

QVariant ChatModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const size_t at = size_t(index.row());
    const Row &r = at < m_rows.size() ? m_rows[at] : m_outgoing[at - m_rows.size()];
    switch (role) {
    case Qt::DisplayRole:
        if (r.type == MessageType::Chat)
            return QStringLiteral("%1: %2").arg(r.from, r.text);
        return r.text;
    case Qt::ToolTipRole:
        if (r.id == 0 && r.type == MessageType::Chat)
            return r.deliveryDetail.isEmpty() ? tr("not yet delivered") : r.deliveryDetail;
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
    case ClientMsgIdRole: return r.clientMsgId;
    case DeliveryRole: return int(r.delivery);
    case DeliveryDetailRole: return r.deliveryDetail;
    case DeliveryTextRole: return deliveryText(r);
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
    names.insert(ClientMsgIdRole, "clientMsgId");
    names.insert(DeliveryRole, "delivery");
    names.insert(DeliveryDetailRole, "deliveryDetail");
    names.insert(DeliveryTextRole, "deliveryText");
    return names;
}

} // namespace rtlab
