// SPDX-License-Identifier: MIT
#include "streamposition.h"

namespace rtlab {

StreamPosition::Arrival StreamPosition::classify(const Message &m) const
{
    const bool sameEpoch = m.epoch == epoch && lastId.has_value();
    if (m.type == MessageType::Reset) {
        // Already where the reset puts us (another connection told us first).
        return sameEpoch && m.cursor <= *lastId ? Arrival::Duplicate : Arrival::Reset;
    }
    if (sameEpoch && m.id <= *lastId)
        return Arrival::Duplicate;
    if (sameEpoch && m.id != *lastId + 1)
        return Arrival::Gap;
    // An epoch is known and a new one came without the reset that must announce it.
    if (!sameEpoch && lastId && !epoch.isEmpty())
        return Arrival::Gap;
    return Arrival::Next;
}

StreamPosition::Arrival StreamPosition::advance(const Message &m)
{
    const Arrival arrival = classify(m);
    if (arrival == Arrival::Reset)
        *this = { m.epoch, m.cursor };
    else if (arrival != Arrival::Duplicate)
        *this = { m.epoch, m.id };
    return arrival;
}

void StreamPosition::advanceToCursor(const QString &cursorEpoch, quint64 cursor)
{
    if (!lastId || cursorEpoch != epoch || cursor > *lastId)
        *this = { cursorEpoch, cursor };
}

} // namespace rtlab
