// SPDX-License-Identifier: MIT
#include "transportstats.h"

#include <QJsonArray>

#include <cmath>

namespace rtlab {

WireLedger WireLedger::of(const Message &m, QList<WirePart> parts, qint64 sharedBy)
{
    WireLedger l;
    l.id = m.id;
    l.epoch = m.epoch;
    l.type = m.type;
    l.from = m.from;
    l.text = m.text.left(40);
    l.clientTs = m.clientTs.isDouble() ? m.clientTs.toInteger() : -1;
    l.parts = std::move(parts);
    l.sharedBy = qMax<qint64>(1, sharedBy);
    return l;
}

qint64 WireLedger::wireBytes() const
{
    qint64 n = 0;
    for (const WirePart &p : parts)
        n += p.bytes.size();
    return n;
}

double WireLedger::cost() const
{
    qint64 own = 0;
    for (const WirePart &p : parts)
        own += p.role == WirePart::Role::Payload ? p.bytes.size() : 0;
    return double(own) + double(wireBytes() - own) / double(qMax<qint64>(1, sharedBy));
}

void TransportStats::recordWire(WireLedger ledger)
{
    if (ledgerFor(ledger.id, ledger.epoch))
        return;
    lastWire.clear();
    for (const WirePart &p : ledger.parts)
        lastWire.append({ p.label, p.bytes });
    lastWireId = ledger.id;
    recentWire.push_back(std::move(ledger));
    while (qsizetype(recentWire.size()) > MaxLedgers)
        recentWire.pop_front();
}

const WireLedger *TransportStats::ledgerFor(quint64 id, const QString &epoch) const
{
    for (auto it = recentWire.rbegin(); it != recentWire.rend(); ++it) {
        if (it->id == id && (epoch.isEmpty() || it->epoch == epoch))
            return &*it;
    }
    return nullptr;
}

MessageCost messageCost(const TransportStats &s)
{
    MessageCost c;
    c.messages = s.messages;
    c.setupBytes = s.setupBytes;
    c.idleBytes = s.idleBytes();
    if (s.messages <= 0)
        return c;
    const double n = double(s.messages);
    c.headers = double(s.messageHeaderBytes) / n;
    c.framing = double(s.messageFramingBytes) / n;
    c.payload = double(s.payloadBytes) / n;
    c.setupPerMessage = double(s.setupBytes) / n;
    return c;
}

double bytesPerMessage(const TransportStats &s)
{
    return s.messages > 0 ? messageCost(s).perMessage() : -1.0;
}

QJsonObject latencyToJson(const LatencyStats &l)
{
    QJsonObject o;
    o.insert(QLatin1String("count"), qint64(l.count()));
    o.insert(QLatin1String("p50"), l.percentile(50));
    o.insert(QLatin1String("p95"), l.percentile(95));
    o.insert(QLatin1String("p99"), l.percentile(99));
    o.insert(QLatin1String("min"), l.minimum());
    o.insert(QLatin1String("max"), l.maximum());
    // Log-scale histogram: counts below 100 µs, 200 µs, 400 µs, … and the rest.
    QJsonArray histogram;
    for (qint64 n : l.histogram())
        histogram.append(n);
    o.insert(QLatin1String("histogram"), histogram);
    return o;
}

QJsonObject transportStatsToJson(const TransportStats &s, qint64 elapsedMs)
{
    QJsonObject bytes;
    bytes.insert(QLatin1String("headers"), s.headerBytes);
    bytes.insert(QLatin1String("framing"), s.framingBytes);
    bytes.insert(QLatin1String("payload"), s.payloadBytes);
    bytes.insert(QLatin1String("upstream"), s.upstreamBytes);
    bytes.insert(QLatin1String("setup"), s.setupBytes);
    bytes.insert(QLatin1String("idle"), s.idleBytes());
    if (s.messages > 0) {
        // The rule of messageCost(): what carried the messages; set-up and idle bytes apart.
        const MessageCost c = messageCost(s);
        const auto round1 = [](double v) { return std::round(v * 10) / 10; };
        QJsonObject perMessage;
        perMessage.insert(QLatin1String("headers"), round1(c.headers));
        perMessage.insert(QLatin1String("framing"), round1(c.framing));
        perMessage.insert(QLatin1String("payload"), round1(c.payload));
        perMessage.insert(QLatin1String("total"), round1(c.perMessage()));
        perMessage.insert(QLatin1String("setupAmortised"), round1(c.setupPerMessage));
        bytes.insert(QLatin1String("perMessage"), perMessage);
    }
    QJsonObject o;
    o.insert(QLatin1String("messages"), s.messages);
    o.insert(QLatin1String("duplicates"), s.duplicates);
    o.insert(QLatin1String("opens"), s.opens);
    o.insert(QLatin1String("reconnects"), s.reconnects);
    o.insert(QLatin1String("httpRequests"), s.httpRequests);
    o.insert(QLatin1String("holdTimeouts"), s.holdTimeouts);
    o.insert(QLatin1String("idlePolls"), s.idlePolls);
    o.insert(QLatin1String("heartbeats"), s.heartbeats);
    o.insert(QLatin1String("resets"), s.resets);
    o.insert(QLatin1String("publishes"), s.publishes);
    o.insert(QLatin1String("publishRequests"), s.publishRequests);
    o.insert(QLatin1String("replayed"), s.replayed);
    o.insert(QLatin1String("pingRttUs"), s.pingRttUs);
    o.insert(QLatin1String("bytes"), bytes);
    o.insert(QLatin1String("latencyUs"), latencyToJson(s.latency));
    o.insert(QLatin1String("roundTripUs"), latencyToJson(s.roundTrip));
    if (elapsedMs > 0)
        o.insert(QLatin1String("messagesPerSec"), std::round(double(s.messages) * 10000.0 / double(elapsedMs)) / 10);
    return o;
}

} // namespace rtlab
