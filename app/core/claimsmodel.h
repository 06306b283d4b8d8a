#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace rtlab {

// DESIGN.md's claims table, each row with its live measurement from this session and the
// action that sets up the situation that shows it.
class ClaimsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TransportColumn, ClaimColumn, SeeColumn, MeasuredColumn, ActionColumn, ColumnCount };
    enum Role { ActionRole = Qt::UserRole + 1 };

    struct Claim
    {
        QString transport;
        QString claim;
        QString see;
        QString action;      // LabController action key
        QString actionLabel; // the button's text
        QString measured;    // live
    };

    explicit ClaimsModel(QObject *parent = nullptr);

    static QList<Claim> designClaims();
    const QList<Claim> &claims() const { return m_claims; }
    void setMeasured(int row, const QString &text);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<Claim> m_claims;
};

} // namespace rtlab
