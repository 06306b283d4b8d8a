// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"
#include "transportstats.h"

#include <QObject>

#include <array>
#include <functional>
#include <optional>

namespace rtlab {

// Which message the byte ledger shows on each lane: the latest, one chosen by its id, or the
// one this window just published (found by the stamp it comes back with). Ticks keep arriving
// at 5/s: a chosen message stays on screen while it is among a lane's last
// TransportStats::MaxLedgers messages, and its copy stays after that. Paused, nothing moves
// until the user chooses again. No widgets: the Bytes tab shows what it holds.
class LedgerFollower : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Latest, Id, Published };
    Q_ENUM(Mode)

    // What one lane shows, copied from its figures so that a pause can keep it.
    struct Lane
    {
        bool subscribed = false;
        std::optional<WireLedger> ledger; // the followed message, if this lane has it
        QList<WirePart> setup;            // the lane's latest connection set-up
        MessageCost cost;                 // the lane's average, by the one rule
        quint64 oldestKept = 0;           // the ids of the ledgers the lane keeps (0: none)
        quint64 newestKept = 0;
    };
    // A message the lanes hold, to choose from.
    struct Entry
    {
        quint64 id = 0;
        QString epoch;
        MessageType type = MessageType::Chat;
        QString from;
        QString text;
        bool own = false; // the message this window published last
    };

    // `lanes` gives a lane's figures, or null when it is not subscribed.
    using LaneStats = std::function<TransportStats *(TransportKind)>;
    explicit LedgerFollower(LaneStats lanes, QObject *parent = nullptr);

    Mode mode() const { return m_mode; }
    // The message followed (Id; Published once it is back).
    std::optional<quint64> followedId() const { return m_id; }
    bool isPaused() const { return m_paused; }
    const Lane &lane(TransportKind kind) const { return m_lanes[size_t(kind)]; }
    // The messages the lanes hold, newest first, at most `n`.
    QList<Entry> recent(qsizetype n) const;

    void followLatest();
    void followId(quint64 id, const QString &epoch = {});
    // Calls `publish` and follows the message it publishes. The publish is recognised by its
    // clientTs: RealtimeClient stamps it with the clock during the call, so the stamp lies
    // between the clock before and after it (a later publish protocol with a client message
    // id would match that id instead). Returns what `publish` returned.
    bool publishAndFollow(const std::function<bool()> &publish);
    void setPaused(bool paused);
    // Re-reads the lanes, unless paused.
    void update();

signals:
    void followChanged();

private:
    void take();
    bool isPublished(const WireLedger &ledger) const;

    LaneStats m_stats;
    std::array<Lane, TransportKindCount> m_lanes;
    Mode m_mode = Mode::Latest;
    std::optional<quint64> m_id;
    QString m_epoch;
    qint64 m_stampFrom = 0; // the published message's clientTs lies in [from, to]
    qint64 m_stampTo = -1;
    bool m_paused = false;
};

} // namespace rtlab
