// SPDX-License-Identifier: MIT
#include "ledgerfollower.h"

#include <algorithm>

namespace rtlab {

LedgerFollower::LedgerFollower(LaneStats lanes, QObject *parent) : QObject(parent), m_stats(std::move(lanes)) { }

bool LedgerFollower::isPublished(const WireLedger &l) const
{
    return l.type == MessageType::Chat && l.clientTs >= m_stampFrom && l.clientTs <= m_stampTo;
}

QList<LedgerFollower::Entry> LedgerFollower::recent(qsizetype n) const
{
    QList<Entry> out;
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportStats *s = m_stats(TransportKind(i));
        if (!s)
            continue;
        for (const WireLedger &l : s->recentWire) {
            const bool known = std::any_of(out.begin(), out.end(),
                                           [&](const Entry &e) { return e.id == l.id && e.epoch == l.epoch; });
            if (!known)
                out.append({ l.id, l.epoch, l.type, l.from, l.text, isPublished(l) });
        }
    }
    // Newest first; ids only grow within an epoch, and a lane's newer epoch comes later.
    std::stable_sort(out.begin(), out.end(), [](const Entry &a, const Entry &b) { return a.id > b.id; });
    if (out.size() > n)
        out.resize(n);
    return out;
}

void LedgerFollower::followLatest()
{
    m_mode = Mode::Latest;
    m_id.reset();
    m_epoch.clear();
    take();
    emit followChanged();
}

void LedgerFollower::followId(quint64 id, const QString &epoch)
{
    m_mode = Mode::Id;
    m_id = id;
    m_epoch = epoch;
    for (Lane &l : m_lanes)
        l.ledger.reset(); // another message: the copies of the previous one go
    take();
    emit followChanged();
}

bool LedgerFollower::publishAndFollow(const std::function<bool()> &publish)
{
    const qint64 from = nowMicros();
    if (!publish())
        return false;
    // RealtimeClient makes a stamp unique by adding 1 while it is taken: a few µs of slack.
    m_stampFrom = from;
    m_stampTo = nowMicros() + 64;
    m_mode = Mode::Published;
    m_id.reset();
    m_epoch.clear();
    for (Lane &l : m_lanes)
        l.ledger.reset();
    take();
    emit followChanged();
    return true;
}

void LedgerFollower::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (!paused)
        take();
    emit followChanged();
}

void LedgerFollower::update()
{
    if (!m_paused)
        take();
}

void LedgerFollower::take()
{
    if (m_mode == Mode::Published && !m_id) {
        // Whichever lane has it back first names its id; the others are then looked up by id.
        for (int i = 0; i < TransportKindCount && !m_id; ++i) {
            const TransportStats *s = m_stats(TransportKind(i));
            if (!s)
                continue;
            const auto found = std::find_if(s->recentWire.rbegin(), s->recentWire.rend(),
                                            [this](const WireLedger &l) { return isPublished(l); });
            if (found != s->recentWire.rend()) {
                m_id = found->id;
                m_epoch = found->epoch;
            }
        }
        if (m_id)
            emit followChanged();
    }
    for (int i = 0; i < TransportKindCount; ++i) {
        Lane &lane = m_lanes[size_t(i)];
        const TransportStats *s = m_stats(TransportKind(i));
        lane.subscribed = s != nullptr;
        if (!s) {
            lane = Lane {};
            continue;
        }
        lane.setup = s->setupWire;
        lane.cost = messageCost(*s);
        lane.oldestKept = s->recentWire.empty() ? 0 : s->recentWire.front().id;
        lane.newestKept = s->recentWire.empty() ? 0 : s->recentWire.back().id;
        if (m_mode == Mode::Latest) {
            lane.ledger.reset();
            if (!s->recentWire.empty())
                lane.ledger = s->recentWire.back();
        } else if (m_id) {
            // Found: copy it. Gone past the lane's window: keep the copy already taken.
            if (const WireLedger *l = s->ledgerFor(*m_id, m_epoch))
                lane.ledger = *l;
        }
    }
}

} // namespace rtlab
