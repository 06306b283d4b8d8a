// SPDX-License-Identifier: MIT
#include "claimsmodel.h"

#include "lessoncatalog.h"

namespace rtlab {

ClaimsModel::ClaimsModel(QObject *parent) : QAbstractTableModel(parent)
{
    for (const LessonInfo &l : LessonCatalog::all())
        m_claims.append({ l.id,
                          LessonCatalog::transportLabel(l.transport),
                          l.claim,
                          l.expected,
                          l.unavailable,
                          {},
                          {},
                          false });
}

int ClaimsModel::rowOf(const QString &lesson) const
{
    for (int i = 0; i < m_claims.size(); ++i)
        if (m_claims[i].lesson == lesson)
            return i;
    return -1;
}

const ClaimsModel::Claim *ClaimsModel::claim(const QString &lesson) const
{
    const int row = rowOf(lesson);
    return row >= 0 ? &m_claims[row] : nullptr;
}

void ClaimsModel::setMeasured(const QString &lesson, const QString &text, std::optional<bool> holds, bool running)
{
    const int row = rowOf(lesson);
    if (row < 0)
        return;
    Claim &c = m_claims[row];
    if (c.measured == text && c.holds == holds && c.running == running)
        return;
    c.measured = text;
    c.holds = holds;
    c.running = running;
    emit dataChanged(index(row, MeasuredColumn), index(row, HoldsColumn));
}

QString ClaimsModel::verdict(const std::optional<bool> &holds, bool running)
{
    if (!holds)
        return running ? tr("… measuring") : tr("–");
    // While its lesson runs a verdict is provisional: the figures so far, not the lesson's result.
    if (running)
        return *holds ? tr("✓ so far") : tr("✗ so far");
    return *holds ? tr("✓ holds") : tr("✗ not on this machine");
}

int ClaimsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_claims.size());
}

int ClaimsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClaimsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Claim &c = m_claims[index.row()];
    switch (role) {
    case LessonRole: return c.lesson;
    case HoldsRole: return c.holds ? QVariant(*c.holds) : QVariant();
    case AvailableRole: return c.unavailable.isEmpty();
    case Qt::DisplayRole:
    case Qt::ToolTipRole: break;
    default: return {};
    }
    switch (index.column()) {
    case TransportColumn: return c.transport;
    case ClaimColumn: return c.claim;
    case ExpectedColumn: return c.expected;
    case MeasuredColumn:
        if (!c.unavailable.isEmpty())
            return tr("not yet: %1").arg(c.unavailable);
        return c.measured.isEmpty() ? tr("— start its lesson to measure it") : c.measured;
    case HoldsColumn:
        if (role == Qt::ToolTipRole)
            return tr("✓: the figures point the way the claim says. ✗: measured here, they do not — this machine "
                      "contradicts the claim under these conditions. While the lesson runs: “so far” on the figures "
                      "until now, or …: too little yet to tell.");
        return c.unavailable.isEmpty() ? verdict(c.holds, c.running) : QString();
    case ActionColumn: return c.unavailable.isEmpty() ? tr("Run lesson") : QString();
    default: return {};
    }
}

QVariant ClaimsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TransportColumn: return tr("Transport");
    case ClaimColumn: return tr("Claim");
    case ExpectedColumn: return tr("The figures must show");
    case MeasuredColumn: return tr("Measured in this session");
    case HoldsColumn: return tr("Holds?");
    case ActionColumn: return tr("Set it up");
    default: return {};
    }
}

} // namespace rtlab
