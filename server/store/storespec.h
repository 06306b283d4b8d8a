// SPDX-License-Identifier: MIT
#pragma once

#include "logstore.h"

#include <QString>

#include <memory>
#include <optional>

namespace rtlab {

// Which store keeps the log: rtlab-server --store memory|sqlite:PATH|redis://… and --store-sync.
struct StoreSpec
{
    enum class Kind { Memory, Sqlite, Redis };
    // SQLite only: NORMAL loses nothing on a process crash (a power loss may lose the last
    // commits); FULL syncs every commit to the disk.
    enum class Sync { Normal, Full };

    Kind kind = Kind::Memory;
    QString location; // sqlite: the file's path; redis: the URL
    Sync sync = Sync::Normal;
    // Redis only (docs/architecture.md, "The Redis store"):
    QString logName = QStringLiteral("rtlab"); // --log: the log's keys share the hash tag {NAME}
    QString nodeName;                          // --node: unique among the nodes live on the log; empty: HOSTNAME:PORT
    QString stateDir; // --state-dir: where the node keeps its high-water mark; empty: memory only

    // "memory", "sqlite:PATH" (PATH not empty; relative to the working directory), "redis://…".
    static std::optional<StoreSpec> parse(const QString &text, QString *why);
    static std::optional<Sync> parseSync(const QString &text, QString *why);
    QString toString() const;
    bool operator==(const StoreSpec &) const = default;
};

// The store the spec names, not yet opened (LogStore::open). Null with the reason when this build
// has no such store.
std::unique_ptr<LogStore> makeLogStore(const StoreSpec &spec, QString *why);

} // namespace rtlab
