// SPDX-License-Identifier: MIT
#include "storespec.h"

#include "memorystore.h"
#include "redisstore.h"
#include "sqlitestore.h"

namespace rtlab {

std::optional<StoreSpec> StoreSpec::parse(const QString &text, QString *why)
{
    StoreSpec spec;
    if (text == u"memory")
        return spec;
    if (text.startsWith(u"sqlite:")) {
        spec.kind = Kind::Sqlite;
        spec.location = text.mid(7);
        if (spec.location.isEmpty()) {
            *why = QStringLiteral("sqlite: needs a file, e.g. sqlite:chat.db");
            return std::nullopt;
        }
        return spec;
    }
    if (text.startsWith(u"redis://")) {
        spec.kind = Kind::Redis;
        spec.location = text;
        if (!RedisUrl::parse(text, why))
            return std::nullopt;
        return spec;
    }
    *why = QStringLiteral("expected memory, sqlite:PATH or redis://HOST:PORT, got %1").arg(text);
    return std::nullopt;
}

std::optional<StoreSpec::Sync> StoreSpec::parseSync(const QString &text, QString *why)
{
    if (text == u"normal")
        return Sync::Normal;
    if (text == u"full")
        return Sync::Full;
    *why = QStringLiteral("expected normal or full, got %1").arg(text);
    return std::nullopt;
}

QString StoreSpec::toString() const
{
    switch (kind) {
    case Kind::Memory: return QStringLiteral("memory");
    case Kind::Sqlite: return QStringLiteral("sqlite:") + location;
    case Kind::Redis: return location;
    }
    return {};
}

std::unique_ptr<LogStore> makeLogStore(const StoreSpec &spec, QString *why)
{
    switch (spec.kind) {
    case StoreSpec::Kind::Memory: return std::make_unique<MemoryStore>();
    case StoreSpec::Kind::Sqlite: return std::make_unique<SqliteStore>(spec.location, spec.sync);
    case StoreSpec::Kind::Redis: {
        const std::optional<RedisUrl> url = RedisUrl::parse(spec.location, why);
        if (!url)
            return nullptr;
        return std::make_unique<RedisStore>(*url, spec.logName, spec.nodeName, spec.stateDir);
    }
    }
    return nullptr;
}

} // namespace rtlab
