// SPDX-License-Identifier: MIT
#include "serverstats.h"

namespace rtlab {

QLatin1StringView refusalKey(Refusal reason)
{
    static constexpr std::array<const char *, RefusalCount> keys = {
        "bad_request",  "too_large",    "method",       "not_found",   "origin",       "shutting_down",
        "ws_handshake", "head_timeout", "body_timeout", "fd_limit",    "per_ip_limit", "host",
        "unauthorized", "forbidden",    "rate_limited", "slow_reader",
    };
    return QLatin1StringView(keys[size_t(reason)]);
}

const QByteArray ServerStats::PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

namespace {

// Writes one metric family of the exposition: HELP and TYPE once, then its samples.
class Exposition
{
public:
    void family(const char *name, const char *type, const char *help)
    {
        m_text += "# HELP ";
        m_text += name;
        m_text += ' ';
        m_text += help;
        m_text += "\n# TYPE ";
        m_text += name;
        m_text += ' ';
        m_text += type;
        m_text += '\n';
    }
    // name{label="value"} number; an empty label writes no braces. Label values here are keys
    // of our own (lower_snake, digits, a dot): nothing needs escaping.
    void sample(QByteArrayView name, const char *label, QByteArrayView value, QByteArrayView number)
    {
        m_text += name;
        if (label) {
            m_text += '{';
            m_text += label;
            m_text += "=\"";
            m_text += value;
            m_text += "\"}";
        }
        m_text += ' ';
        m_text += number;
        m_text += '\n';
    }
    void sample(QByteArrayView name, const char *label, QByteArrayView value, qint64 number)
    {
        sample(name, label, value, QByteArray::number(number));
    }
    void sample(QByteArrayView name, qint64 number) { sample(name, nullptr, {}, number); }
    void perTransport(const char *name, const std::array<TransportCounters, TransportKindCount> &transports,
                      qint64 TransportCounters::*member)
    {
        for (int i = 0; i < TransportKindCount; ++i)
            sample(name, "transport", transportKindKey(TransportKind(i)).toLatin1(), transports[size_t(i)].*member);
    }
    QByteArray take() { return std::move(m_text); }

private:
    QByteArray m_text;
};

QByteArray seconds(qint64 ns)
{
    return QByteArray::number(double(ns) / 1e9, 'f', 9);
}

} // namespace

QByteArray ServerStats::toPrometheus() const
{
    Exposition e;
    e.family("rtlab_connections", "gauge",
             "Connections open now, by transport (a polling connection until it closes).");
    e.perTransport("rtlab_connections", transports, &TransportCounters::connections);
    e.family("rtlab_messages_delivered_total", "counter", "Log messages written to subscribers, by transport.");
    e.perTransport("rtlab_messages_delivered_total", transports, &TransportCounters::messages);
    e.family("rtlab_bytes_out_total", "counter",
             "Bytes written to clients, headers and framing included, by transport (other: pages, /stats, "
             "publishes).");
    e.perTransport("rtlab_bytes_out_total", transports, &TransportCounters::bytesOut);
    e.sample("rtlab_bytes_out_total", "transport", "other", other.bytesOut);
    e.family("rtlab_published_total", "counter", "Chat messages accepted for publishing.");
    e.sample("rtlab_published_total", published);
    e.family("rtlab_resumes_total", "counter",
             "Subscriptions that named a position: replayed from it, or told to reset.");
    e.sample("rtlab_resumes_total", "outcome", "replayed", resumesReplayed);
    e.sample("rtlab_resumes_total", "outcome", "reset", resumesReset);
    e.family("rtlab_slow_readers_cut_total", "counter",
             "Connections cut because their unsent bytes passed --max-pending.");
    e.sample("rtlab_slow_readers_cut_total", slowReadersCut);
    e.family("rtlab_requests_refused_total", "counter", "Requests and connections refused, by reason.");
    for (int i = 0; i < RefusalCount; ++i)
        e.sample("rtlab_requests_refused_total", "reason", QByteArray(refusalKey(Refusal(i)).latin1()),
                 refused[size_t(i)]);

    e.family("rtlab_delivery_latency_seconds", "histogram",
             "From a message's append to the log to the write that carried it, per message and subscriber.");
    qint64 cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::BoundsNs.size(); ++i) {
        cumulative += deliveryLatency.counts[i];
        e.sample("rtlab_delivery_latency_seconds_bucket", "le",
                 QByteArray::number(double(LatencyHistogram::BoundsNs[i]) / 1e9, 'g', 6), cumulative);
    }
    e.sample("rtlab_delivery_latency_seconds_bucket", "le", "+Inf", deliveryLatency.count);
    e.sample("rtlab_delivery_latency_seconds_sum", nullptr, {}, seconds(deliveryLatency.sumNs));
    e.sample("rtlab_delivery_latency_seconds_count", deliveryLatency.count);
    e.family("rtlab_publish_failures_total", "counter",
             "Publishes answered 503 because the store could not commit them (nothing was kept).");
    e.sample("rtlab_publish_failures_total", publishFailures);
    e.family("rtlab_tick_failures_total", "counter", "Tick messages the store could not commit.");
    e.sample("rtlab_tick_failures_total", tickFailures);
    return e.take();
}

// A histogram from per-bucket counts: Prometheus's buckets are cumulative.
template<typename Bounds, typename Counts, typename Format>
static void storeHistogram(Exposition &e, const char *name, const Bounds &bounds, const Counts &counts, Format format)
{
    const QByteArray bucket = QByteArray(name) + "_bucket";
    quint64 cumulative = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
        cumulative += counts[i];
        e.sample(bucket, "le", format(bounds[i]), qint64(cumulative));
    }
    cumulative += counts[bounds.size()];
    e.sample(bucket, "le", "+Inf", qint64(cumulative));
    e.sample(QByteArray(name) + "_count", qint64(cumulative));
}

QByteArray ServerStats::storePrometheus(const StoreStats &store, bool up)
{
    Exposition e;
    e.family("rtlab_store_up", "gauge", "1 when the log's store takes publishes, 0 when it does not (Redis lost).");
    e.sample("rtlab_store_up", up ? 1 : 0);
    e.family("rtlab_store_commits_total", "counter", "Transactions the log's store committed.");
    e.sample("rtlab_store_commits_total", qint64(store.commits));
    e.family("rtlab_store_rows_total", "counter", "Messages the log's store committed.");
    e.sample("rtlab_store_rows_total", qint64(store.rows));
    e.family("rtlab_store_failed_commits_total", "counter",
             "Transactions that failed; their publishes were answered 503.");
    e.sample("rtlab_store_failed_commits_total", qint64(store.failedCommits));
    e.family("rtlab_store_reads_total", "counter", "Reads of history older than the memory ring.");
    e.sample("rtlab_store_reads_total", qint64(store.reads));
    e.family("rtlab_store_commit_batch_rows", "histogram", "Messages per committed transaction.");
    storeHistogram(e, "rtlab_store_commit_batch_rows", StoreStats::BatchBounds, store.batchRows,
                   [](int rows) { return QByteArray::number(rows); });
    e.family("rtlab_store_commit_seconds", "histogram", "Time in a commit, sync to the disk included.");
    storeHistogram(e, "rtlab_store_commit_seconds", StoreStats::CommitBoundsUs, store.commitUs,
                   [](qint64 us) { return QByteArray::number(double(us) / 1e6, 'g', 6); });
    return e.take();
}

} // namespace rtlab
