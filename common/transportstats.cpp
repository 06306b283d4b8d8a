#include "transportstats.h"

#include <QJsonArray>

#include <cmath>

namespace rtlab {

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
    if (s.messages > 0) {
        const auto per = [&](qint64 v) { return std::round(double(v) / double(s.messages) * 10) / 10; };
        QJsonObject perMessage;
        perMessage.insert(QLatin1String("headers"), per(s.headerBytes));
        perMessage.insert(QLatin1String("framing"), per(s.framingBytes));
        perMessage.insert(QLatin1String("payload"), per(s.payloadBytes));
        perMessage.insert(QLatin1String("total"), per(s.wireBytes()));
        bytes.insert(QLatin1String("perMessage"), perMessage);
    }
    QJsonObject o;
    o.insert(QLatin1String("messages"), s.messages);
    o.insert(QLatin1String("duplicates"), s.duplicates);
    o.insert(QLatin1String("opens"), s.opens);
    o.insert(QLatin1String("reconnects"), s.reconnects);
    o.insert(QLatin1String("httpRequests"), s.httpRequests);
    o.insert(QLatin1String("holdTimeouts"), s.holdTimeouts);
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
