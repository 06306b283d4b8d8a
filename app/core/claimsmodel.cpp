#include "claimsmodel.h"

namespace rtlab {

ClaimsModel::ClaimsModel(QObject *parent) : QAbstractTableModel(parent), m_claims(designClaims()) { }

QList<ClaimsModel::Claim> ClaimsModel::designClaims()
{
    const QString lp = tr("Long Polling"), ws = tr("WebSocket"), sse = tr("SSE");
    return {
        { lp, tr("simple; works everywhere"), tr("plain HTTP requests in the protocol timeline"), QStringLiteral("compare"),
          tr("Subscribe all three"), {} },
        { lp, tr("resource intensive"), tr("held requests, requests/s and sockets per client on the server"),
          QStringLiteral("compare"), tr("Subscribe all three"), {} },
        { lp, tr("timed-out requests must be retried"), tr("hold timeouts and re-polls counted and drawn"),
          QStringLiteral("shortHold"), tr("Hold polls 3 s"), {} },
        { lp, tr("latency suffers"), tr("latency percentiles under bursts"), QStringLiteral("burst"),
          tr("Publish a burst"), {} },
        { ws, tr("low overhead: no headers per message"), tr("wire bytes per message: headers / framing / payload"),
          QStringLiteral("burst"), tr("Publish a burst"), {} },
        { ws, tr("bi-directional"), tr("upstream on the same socket vs an extra POST"), QStringLiteral("publishEach"),
          tr("Publish from each lane"), {} },
        { ws, tr("may be blocked by network infrastructure"), tr("a proxy that refuses upgrades; automatic fallback"),
          QStringLiteral("blockUpgrades"), tr("Block upgrades, go Auto"), {} },
        { ws, tr("security needs care"), tr("a handshake from a foreign Origin rejected and counted"),
          QStringLiteral("foreignOrigin"), tr("Try a foreign Origin"), {} },
        { sse, tr("efficient: bytes only when there is data"), tr("idle bytes/s (heartbeats only)"),
          QStringLiteral("quietServer"), tr("Restart without ticks"), {} },
        { sse, tr("plain HTTP"), tr("passes a plain HTTP relay unchanged"), QStringLiteral("compare"),
          tr("Subscribe all three"), {} },
        { sse, tr("one-way"), tr("upstream goes by POST"), QStringLiteral("publishEach"), tr("Publish from each lane"), {} },
        { sse, tr("browser connection limit"), tr("the 6-per-origin HTTP/1.1 limit shown in the browser page"),
          QStringLiteral("openBrowser"), tr("Open the browser page"), {} },
        { sse, tr("reconnection logic required"), tr("automatic reconnect with Last-Event-ID, retry: honoured"),
          QStringLiteral("drop"), tr("Drop all connections"), {} },
    };
}

void ClaimsModel::setMeasured(int row, const QString &text)
{
    if (row < 0 || row >= m_claims.size() || m_claims[row].measured == text)
        return;
    m_claims[row].measured = text;
    const QModelIndex i = index(row, MeasuredColumn);
    emit dataChanged(i, i, { Qt::DisplayRole });
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
    if (role == ActionRole)
        return c.action;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case TransportColumn: return c.transport;
    case ClaimColumn: return c.claim;
    case SeeColumn: return c.see;
    case MeasuredColumn: return c.measured.isEmpty() ? tr("— press the button to see it") : c.measured;
    case ActionColumn: return c.actionLabel;
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
    case SeeColumn: return tr("What you see");
    case MeasuredColumn: return tr("Measured in this session");
    case ActionColumn: return tr("Set it up");
    default: return {};
    }
}

} // namespace rtlab
