// SPDX-License-Identifier: MIT
#pragma once

#include "message.h"

#include <QString>

#include <optional>

namespace rtlab {

// Where a client is in the server's log: the last id it has and that id's epoch. The one rule for
// what an incoming message is to a client at this position; every client (the transports, the
// RealtimeClient above them, the CLI through it) asks it rather than comparing ids itself.
struct StreamPosition
{
    // What a message is to this position.
    enum class Arrival {
        Next,      // the id after the last one (or the first message of a fresh client)
        Duplicate, // an id already had, or a reset to where the client already is: drop it
        Gap,       // ids skipped without a reset, or a new epoch no reset announced: must not happen
        Reset,     // the server could not resume us: the position moves to the reset's cursor
    };

    QString epoch;
    std::optional<quint64> lastId;
    bool operator==(const StreamPosition &) const = default;

    Arrival classify(const Message &message) const;
    // Classifies the message and moves past it unless it is a duplicate.
    Arrival advance(const Message &message);
    // A poll answer's cursor: where the next poll goes on. It moves forward in the same epoch and
    // anywhere in another one (an empty answer keeps it; a late answer never moves it back).
    void advanceToCursor(const QString &cursorEpoch, quint64 cursor);
};

} // namespace rtlab
