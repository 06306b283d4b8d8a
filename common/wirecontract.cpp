// SPDX-License-Identifier: MIT
#include "wirecontract.h"

#include <QJsonDocument>

namespace rtlab {

namespace {

// Reads the fields of one JSON object and remembers the first one that is missing or of the
// wrong type, named by its path from the document's root ("transports.lp.connections").
class FieldReader
{
public:
    FieldReader(const QJsonObject &object, QString *error, QString path = {})
        : m_object(object), m_error(error), m_path(std::move(path))
    {
    }

    qint64 integer(const QString &key) { return number(key).toInteger(); }
    double real(const QString &key) { return number(key).toDouble(); }
    QString string(const QString &key) { return value(key, QJsonValue::String, "a string").toString(); }
    QJsonArray array(const QString &key) { return value(key, QJsonValue::Array, "an array").toArray(); }
    FieldReader object(const QString &key)
    {
        return FieldReader(value(key, QJsonValue::Object, "an object").toObject(), m_error, name(key));
    }
    bool has(const QString &key) const { return m_object.contains(key); }
    bool ok() const { return m_error->isEmpty(); }
    void fail(const QString &key, const QString &why)
    {
        if (ok())
            *m_error = QStringLiteral("\"%1\" %2").arg(name(key), why);
    }

    std::optional<double> optionalReal(const QString &key)
    {
        return has(key) ? std::optional<double>(real(key)) : std::nullopt;
    }
    void read(const QString &key, qint64 *v) { *v = integer(key); }
    void read(const QString &key, double *v) { *v = real(key); }
    void read(const QString &key, QString *v) { *v = string(key); }

private:
    QString name(const QString &key) const { return m_path.isEmpty() ? key : m_path + u'.' + key; }
    QJsonValue number(const QString &key) { return value(key, QJsonValue::Double, "a number"); }
    QJsonValue value(const QString &key, QJsonValue::Type type, const char *what)
    {
        const QJsonValue v = m_object.value(key);
        if (v.isUndefined())
            fail(key, QStringLiteral("is missing"));
        else if (v.type() != type)
            fail(key, QLatin1String("is not ") + QLatin1String(what));
        return v.type() == type ? v : QJsonValue();
    }

    QJsonObject m_object;
    QString *m_error;
    QString m_path;
};

// Runs a reader over an object: the value, or nullopt with the reason in *errorString.
template<typename T, typename Read>
std::optional<T> readAll(const QJsonObject &object, QString *errorString, Read read)
{
    QString error;
    FieldReader r(object, &error);
    T value = read(r);
    if (!error.isEmpty()) {
        if (errorString)
            *errorString = error;
        return std::nullopt;
    }
    return value;
}

QJsonObject byTransport(const std::array<qint64, TransportKindCount> &values)
{
    QJsonObject o;
    for (int i = 0; i < TransportKindCount; ++i)
        o.insert(transportKindKey(TransportKind(i)), values[size_t(i)]);
    return o;
}

std::array<qint64, TransportKindCount> byTransport(FieldReader r)
{
    std::array<qint64, TransportKindCount> values {};
    for (int i = 0; i < TransportKindCount; ++i)
        values[size_t(i)] = r.integer(transportKindKey(TransportKind(i)));
    return values;
}

const QLatin1String otherKey("other");

// A document's plain fields as one table: the member and its key, so that the writer and the
// reader of a document spell each key once.
template<typename T, typename M>
struct Field
{
    M T::*member;
    const char *key;
};

template<typename T, typename M, size_t N>
void writeFields(const T &value, const Field<T, M> (&fields)[N], QJsonObject *o)
{
    for (const Field<T, M> &f : fields)
        o->insert(QLatin1String(f.key), value.*f.member);
}

template<typename T, typename M, size_t N>
void readFields(T *value, const Field<T, M> (&fields)[N], FieldReader &r)
{
    for (const Field<T, M> &f : fields)
        r.read(QLatin1String(f.key), &(value->*f.member));
}

using Counters = StatsSnapshot::Counters;
const Field<Counters, qint64> counterFields[] = {
    { &Counters::connections, "connections" }, { &Counters::connectionsTotal, "connectionsTotal" },
    { &Counters::requests, "requests" },       { &Counters::messages, "messages" },
    { &Counters::bytesOut, "bytesOut" },
};
using History = StatsSnapshot::History;
const Field<History, qint64> historyFields[] = {
    { &History::count, "count" },       { &History::firstId, "firstId" },   { &History::lastId, "lastId" },
    { &History::maxCount, "maxCount" }, { &History::maxAgeMs, "maxAgeMs" },
};
using Config = StatsSnapshot::Config;
const Field<Config, qint64> configFields[] = { { &Config::pollTimeoutMs, "pollTimeoutMs" },
                                               { &Config::heartbeatMs, "heartbeatMs" } };
const Field<Config, double> configRealFields[] = { { &Config::tickRate, "tickRate" } };
const Field<StatsSnapshot, qint64> statsFields[] = {
    { &StatsSnapshot::uptimeMs, "uptimeMs" },
    { &StatsSnapshot::rss, "rss" },
    { &StatsSnapshot::cpuMicros, "cpuMicros" },
    { &StatsSnapshot::published, "published" },
    { &StatsSnapshot::duplicatePublishes, "duplicatePublishes" },
    { &StatsSnapshot::rejectedOrigin, "rejectedOrigin" },
    { &StatsSnapshot::badRequests, "badRequests" },
    { &StatsSnapshot::slowReadersCut, "slowReadersCut" },
    { &StatsSnapshot::heartbeatTimeouts, "heartbeatTimeouts" },
    { &StatsSnapshot::pollTimeouts, "pollTimeouts" },
};
using Client = StatsSnapshot::Client;
const Field<Client, qint64> clientFields[] = { { &Client::since, "since" }, { &Client::messages, "messages" } };
const Field<Client, QString> clientStringFields[] = { { &Client::peer, "peer" } };

const Field<IdleCostResult, qint64> idleFields[] = {
    { &IdleCostResult::clients, "clients" },
    { &IdleCostResult::failed, "failed" },
    { &IdleCostResult::holdMs, "holdMs" },
    { &IdleCostResult::heartbeatMs, "heartbeatMs" },
    { &IdleCostResult::messagesInWindow, "messagesInWindow" },
    { &IdleCostResult::heartbeats, "heartbeats" },
};
const Field<IdleCostResult, double> idleRealFields[] = {
    { &IdleCostResult::windowSeconds, "windowSeconds" },
    { &IdleCostResult::warmupSeconds, "warmupSeconds" },
    { &IdleCostResult::tickRate, "tickRate" },
};
const Field<IdleCostResult, QString> idleStringFields[] = { { &IdleCostResult::transport, "transport" },
                                                            { &IdleCostResult::conditions, "conditions" } };

} // namespace

// --- TickData ----------------------------------------------------------------------------------

QJsonObject TickData::toJson() const
{
    QJsonObject held;
    held.insert(transportKindKey(TransportKind::LongPoll), heldPolls);
    QJsonObject o;
    o.insert(QLatin1String("connections"), byTransport(connections));
    o.insert(QLatin1String("held"), held);
    o.insert(QLatin1String("messagesPerSec"), messagesPerSec);
    o.insert(QLatin1String("bytesOut"), byTransport(bytesOut));
    o.insert(QLatin1String("rss"), rss);
    if (!node.isEmpty())
        o.insert(QLatin1String("node"), node);
    return o;
}

std::optional<TickData> TickData::fromJson(const QJsonObject &object, QString *errorString)
{
    return readAll<TickData>(object, errorString, [](FieldReader &r) {
        TickData t;
        t.connections = byTransport(r.object(QLatin1String("connections")));
        t.heldPolls = r.object(QLatin1String("held")).integer(transportKindKey(TransportKind::LongPoll));
        t.messagesPerSec = r.real(QLatin1String("messagesPerSec"));
        t.bytesOut = byTransport(r.object(QLatin1String("bytesOut")));
        t.rss = r.integer(QLatin1String("rss"));
        if (r.has(QLatin1String("node")))
            t.node = r.string(QLatin1String("node"));
        return t;
    });
}

// --- StatsSnapshot -----------------------------------------------------------------------------

static QJsonObject countersJson(const Counters &c)
{
    QJsonObject o;
    writeFields(c, counterFields, &o);
    if (c.held)
        o.insert(QLatin1String("held"), *c.held);
    return o;
}

static Counters readCounters(FieldReader r)
{
    Counters c;
    readFields(&c, counterFields, r);
    if (r.has(QLatin1String("held")))
        c.held = r.integer(QLatin1String("held"));
    return c;
}

QJsonObject StatsSnapshot::toJson() const
{
    QJsonObject t;
    for (int i = 0; i < TransportKindCount; ++i)
        t.insert(transportKindKey(TransportKind(i)), countersJson(transports[size_t(i)]));
    t.insert(otherKey, countersJson(other));
    QJsonObject h;
    writeFields(history, historyFields, &h);
    QJsonObject c;
    writeFields(config, configFields, &c);
    writeFields(config, configRealFields, &c);
    QJsonObject o;
    o.insert(QLatin1String("epoch"), epoch);
    o.insert(QLatin1String("store"), store);
    o.insert(QLatin1String("storeState"),
             QJsonObject { { QLatin1String("state"),
                             storeState.available ? QLatin1String("ok") : QLatin1String("unavailable") },
                           { QLatin1String("detail"), storeState.detail } });
    if (!node.isEmpty())
        o.insert(QLatin1String("node"), node);
    writeFields(*this, statsFields, &o);
    o.insert(QLatin1String("history"), h);
    o.insert(QLatin1String("transports"), t);
    o.insert(QLatin1String("config"), c);
    if (clients) {
        QJsonArray list;
        for (const Client &client : *clients) {
            QJsonObject e;
            e.insert(QLatin1String("transport"), transportKindKey(client.transport));
            writeFields(client, clientStringFields, &e);
            writeFields(client, clientFields, &e);
            list.append(e);
        }
        o.insert(QLatin1String("clients"), list);
        o.insert(QLatin1String("clientsTruncated"), clientsTruncated);
    }
    return o;
}

std::optional<StatsSnapshot> StatsSnapshot::fromJson(const QJsonObject &object, QString *errorString)
{
    return readAll<StatsSnapshot>(object, errorString, [](FieldReader &r) {
        StatsSnapshot s;
        s.epoch = r.string(QLatin1String("epoch"));
        if (r.has(QLatin1String("store")))
            s.store = r.string(QLatin1String("store"));
        if (r.has(QLatin1String("storeState"))) {
            FieldReader st = r.object(QLatin1String("storeState"));
            s.storeState.available = st.string(QLatin1String("state")) != u"unavailable";
            s.storeState.detail = st.string(QLatin1String("detail"));
        }
        if (r.has(QLatin1String("node")))
            s.node = r.string(QLatin1String("node"));
        readFields(&s, statsFields, r);
        FieldReader h = r.object(QLatin1String("history"));
        readFields(&s.history, historyFields, h);
        FieldReader t = r.object(QLatin1String("transports"));
        for (int i = 0; i < TransportKindCount; ++i)
            s.transports[size_t(i)] = readCounters(t.object(transportKindKey(TransportKind(i))));
        s.other = readCounters(t.object(otherKey));
        FieldReader c = r.object(QLatin1String("config"));
        readFields(&s.config, configFields, c);
        readFields(&s.config, configRealFields, c);
        if (r.has(QLatin1String("clients"))) {
            QList<Client> clients;
            const QJsonArray list = r.array(QLatin1String("clients"));
            for (qsizetype i = 0; i < list.size(); ++i) {
                QString error;
                FieldReader e(list.at(i).toObject(), &error, QStringLiteral("clients[%1]").arg(i));
                Client client;
                const QString transport = e.string(QLatin1String("transport"));
                if (e.ok() && !transportKindFromKey(transport, &client.transport))
                    e.fail(QStringLiteral("transport"), QStringLiteral("is not a transport"));
                readFields(&client, clientStringFields, e);
                readFields(&client, clientFields, e);
                if (!error.isEmpty()) {
                    r.fail(QStringLiteral("clients"), QStringLiteral("has a bad entry: ") + error);
                    break;
                }
                clients.append(client);
            }
            s.clients = clients;
            s.clientsTruncated = r.integer(QLatin1String("clientsTruncated"));
        }
        return s;
    });
}

// --- PollAnswer --------------------------------------------------------------------------------

QJsonObject PollAnswer::toJson() const
{
    QJsonObject o;
    o.insert(QLatin1String("epoch"), epoch);
    o.insert(QLatin1String("messages"), messages);
    o.insert(QLatin1String("cursor"), qint64(cursor));
    return o;
}

std::optional<PollAnswer> PollAnswer::fromJson(const QJsonObject &object, QString *errorString)
{
    return readAll<PollAnswer>(object, errorString, [](FieldReader &r) {
        PollAnswer a;
        // Optional: the bench's Node peer answers without an epoch.
        if (r.has(QLatin1String("epoch")))
            a.epoch = r.string(QLatin1String("epoch"));
        a.messages = r.array(QLatin1String("messages"));
        a.cursor = quint64(r.integer(QLatin1String("cursor")));
        return a;
    });
}

std::optional<PollAnswer> PollAnswer::decode(QByteArrayView json, QString *errorString)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toByteArray(), &error);
    if (!doc.isObject()) {
        if (errorString)
            *errorString =
                    error.error != QJsonParseError::NoError ? error.errorString() : QStringLiteral("not a JSON object");
        return std::nullopt;
    }
    return fromJson(doc.object(), errorString);
}

QByteArray PollAnswer::encode(const QString &epoch, const QList<QByteArray> &encodedMessages, quint64 cursor)
{
    QByteArray out;
    qsizetype size = 48 + epoch.size();
    for (const QByteArray &m : encodedMessages)
        size += m.size() + 1;
    out.reserve(size);
    out.append("{\"epoch\":\"");
    out.append(epoch.toLatin1()); // 16 hex digits: nothing to escape
    out.append("\",\"messages\":[");
    for (qsizetype i = 0; i < encodedMessages.size(); ++i) {
        if (i > 0)
            out.append(',');
        out.append(encodedMessages.at(i));
    }
    out.append("],\"cursor\":");
    out.append(QByteArray::number(cursor));
    out.append('}');
    return out;
}

// --- IdleCostResult ----------------------------------------------------------------------------

namespace {

// The per-client figures: the member and its key, written only when measured.
const Field<IdleCostResult, std::optional<double>> perClientFigures[] = {
    { &IdleCostResult::rssBytesPerClient, "rssBytesPerClient" },
    { &IdleCostResult::fdsPerClient, "fdsPerClient" },
    { &IdleCostResult::wakeupsPerSecPerClient, "wakeupsPerSecPerClient" },
    { &IdleCostResult::requestsPerSecPerClient, "requestsPerSecPerClient" },
    { &IdleCostResult::bytesPerSecPerClient, "bytesPerSecPerClient" },
    { &IdleCostResult::bytesInPerSecPerClient, "bytesInPerSecPerClient" },
    { &IdleCostResult::cpuUsPerSecPerClient, "cpuUsPerSecPerClient" },
    { &IdleCostResult::preemptionsPerSecPerClient, "preemptionsPerSecPerClient" },
    { &IdleCostResult::serverWakeupsPerSec, "serverWakeupsPerSec" },
    { &IdleCostResult::serverCpuPercent, "serverCpuPercent" },
};

} // namespace

QJsonObject IdleCostResult::toJson() const
{
    QJsonObject o;
    writeFields(*this, idleStringFields, &o);
    writeFields(*this, idleFields, &o);
    writeFields(*this, idleRealFields, &o);
    for (const auto &[member, key] : perClientFigures)
        if (const std::optional<double> &v = this->*member)
            o.insert(QLatin1String(key), *v);
    if (!server.isEmpty())
        o.insert(QLatin1String("server"), server);
    o.insert(QLatin1String("notes"), QJsonArray::fromStringList(notes));
    return o;
}

std::optional<IdleCostResult> IdleCostResult::fromJson(const QJsonObject &object, QString *errorString)
{
    return readAll<IdleCostResult>(object, errorString, [](FieldReader &r) {
        IdleCostResult s;
        readFields(&s, idleStringFields, r);
        readFields(&s, idleFields, r);
        readFields(&s, idleRealFields, r);
        for (const auto &[member, key] : perClientFigures)
            s.*member = r.optionalReal(QLatin1String(key));
        if (r.has(QLatin1String("server")))
            s.server = r.string(QLatin1String("server"));
        const QJsonArray notes = r.array(QLatin1String("notes"));
        for (qsizetype i = 0; i < notes.size(); ++i) {
            if (!notes.at(i).isString()) {
                r.fail(QStringLiteral("notes"), QStringLiteral("has an entry that is not a string"));
                break;
            }
            s.notes += notes.at(i).toString();
        }
        return s;
    });
}

QList<IdleCostResult> IdleCostResult::fromJsonArray(const QJsonArray &array)
{
    QList<IdleCostResult> results;
    for (const QJsonValue &v : array)
        if (std::optional<IdleCostResult> r = fromJson(v.toObject()))
            results += std::move(*r);
    return results;
}

template<typename M, typename Table>
static QLatin1String keyIn(M IdleCostResult::*member, const Table &table)
{
    for (const auto &f : table)
        if (f.member == member)
            return QLatin1String(f.key);
    Q_ASSERT_X(false, "IdleCostResult::keyOf", "a member the contract does not write");
    return {};
}

QLatin1String IdleCostResult::keyOf(qint64 IdleCostResult::*member)
{
    return keyIn(member, idleFields);
}

QLatin1String IdleCostResult::keyOf(double IdleCostResult::*member)
{
    return keyIn(member, idleRealFields);
}

QLatin1String IdleCostResult::keyOf(std::optional<double> IdleCostResult::*member)
{
    return keyIn(member, perClientFigures);
}

} // namespace rtlab
