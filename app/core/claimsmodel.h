// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QList>

#include <optional>

namespace rtlab {

// The claims table: every benefit and drawback of the three transports that the classic
// comparison lists, one lesson each (LessonCatalog), with what this session measured for it and
// whether that points the way the claim says.
class ClaimsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        TransportColumn,
        ClaimColumn,
        ExpectedColumn,
        MeasuredColumn,
        HoldsColumn,
        ActionColumn,
        ColumnCount
    };
    enum Role {
        LessonRole = Qt::UserRole + 1, // the lesson id
        HoldsRole,                     // true / false / invalid (not measured, or too little to tell)
        AvailableRole,                 // false: the lesson waits for a later feature
    };

    struct Claim
    {
        QString lesson;
        QString transport;
        QString claim;
        QString expected;
        QString unavailable;
        QString measured; // live, or kept from the lesson's last run
        std::optional<bool> holds;
        bool running = false;
    };

    explicit ClaimsModel(QObject *parent = nullptr);

    const QList<Claim> &claims() const { return m_claims; }
    // A claim is addressed by its lesson's id (LessonCatalog), which stays when rows move; the
    // row is only where a view shows it (-1: no such claim).
    const Claim *claim(const QString &lesson) const;
    int rowOf(const QString &lesson) const;
    void setMeasured(const QString &lesson, const QString &text, std::optional<bool> holds, bool running);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString verdict(const std::optional<bool> &holds, bool running);

private:
    QList<Claim> m_claims;
};

} // namespace rtlab
