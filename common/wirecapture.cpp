// SPDX-License-Identifier: MIT
#include "wirecapture.h"

#include <QMutexLocker>

#include <algorithm>
#include <chrono>

namespace rtlab {

// The exchange with this id in a ring (ids increase along it), or null.
template<typename Exchanges>
static auto findExchange(Exchanges &exchanges, quint64 id) -> decltype(&*exchanges.begin())
{
    const auto it = std::lower_bound(exchanges.begin(), exchanges.end(), id,
                                     [](const WireExchange &e, quint64 v) { return e.id < v; });
    return it != exchanges.end() && it->id == id ? &*it : nullptr;
}

const WireExchange *WireCapture::Snapshot::exchange(quint64 id) const
{
    return findExchange(exchanges, id);
}

WireCapture::WireCapture(Limits limits) : m_limits(limits) { }

qint64 WireCapture::nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

static qint64 orNow(qint64 timeUs)
{
    return timeUs >= 0 ? timeUs : WireCapture::nowUs();
}

QByteArray WireCapture::clip(const QByteArray &bytes) const
{
    return bytes.size() > m_limits.bytesPerRecord ? bytes.left(m_limits.bytesPerRecord) : bytes;
}

WireRecord WireRecord::make(quint64 exchange, TransportKind transport, Kind kind, WireDirection direction,
                            qint64 timeUs, const QString &label, const QByteArray &bytes)
{
    return WireRecord { .exchange = exchange,
                        .transport = transport,
                        .kind = kind,
                        .direction = direction,
                        .timeUs = timeUs,
                        .label = label,
                        .bytes = bytes,
                        .size = bytes.size() };
}

WireExchange *WireCapture::find(quint64 id)
{
    return findExchange(m_exchanges, id);
}

void WireCapture::append(WireRecord record)
{
    record.seq = m_nextRecord++;
    record.bytes = clip(record.bytes);
    record.data = clip(record.data);
    m_records.push_back(std::move(record));
    while (qsizetype(m_records.size()) > m_limits.records) {
        m_records.pop_front();
        ++m_droppedRecords;
    }
    ++m_revision;
}

quint64 WireCapture::beginExchange(TransportKind transport, WireExchange::Kind kind, const QByteArray &method,
                                   const QString &url, const QByteArray &requestHead, const QByteArray &requestBody,
                                   const QString &label, qint64 timeUs)
{
    const qint64 now = orNow(timeUs);
    QMutexLocker lock(&m_mutex);
    WireExchange e;
    e.id = m_nextExchange++;
    e.transport = transport;
    e.kind = kind;
    e.method = method;
    e.url = url;
    e.requestHead = requestHead;
    e.requestBody = clip(requestBody);
    e.startUs = now;
    m_exchanges.push_back(e);
    // Over the limit: the oldest exchange that has ended goes first, so that a stream still open
    // (an SSE stream, a WebSocket) keeps its entry; if every one is open, the oldest.
    while (qsizetype(m_exchanges.size()) > m_limits.exchanges) {
        auto victim = std::find_if(m_exchanges.begin(), m_exchanges.end(),
                                   [](const WireExchange &x) { return x.endUs >= 0; });
        m_exchanges.erase(victim != m_exchanges.end() ? victim : m_exchanges.begin());
        ++m_droppedExchanges;
    }
    append(WireRecord::make(e.id, transport, WireRecord::Kind::Request, WireDirection::ToServer, now,
                            label.isEmpty() ? QString::fromLatin1(requestHead.left(requestHead.indexOf("\r\n")))
                                            : label,
                            requestHead + requestBody));
    return e.id;
}

void WireCapture::requestSent(quint64 exchange, qint64 timeUs)
{
    QMutexLocker lock(&m_mutex);
    if (WireExchange *e = find(exchange)) {
        e->sentUs = orNow(timeUs);
        ++m_revision;
    }
}

static QString contentType(const QByteArray &head)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "content-type")
            return QString::fromLatin1(line.mid(colon + 1).split(';').value(0).trimmed().toLower());
    }
    return {};
}

void WireCapture::responseHead(quint64 exchange, int status, const QByteArray &head, bool asRecord, qint64 timeUs)
{
    const qint64 now = orNow(timeUs);
    QMutexLocker lock(&m_mutex);
    WireExchange *e = find(exchange);
    if (!e)
        return;
    e->status = status;
    e->responseHead = head;
    e->mimeType = contentType(head);
    e->headUs = now;
    if (e->sentUs < 0)
        e->sentUs = e->startUs;
    ++m_revision;
    if (!asRecord)
        return;
    append(WireRecord::make(exchange, e->transport, WireRecord::Kind::ResponseHead, WireDirection::ToClient, now,
                            QString::fromLatin1(head.left(head.indexOf("\r\n"))), head));
}

void WireCapture::bodyReceived(quint64 exchange, qint64 bytes)
{
    QMutexLocker lock(&m_mutex);
    if (WireExchange *e = find(exchange)) {
        e->responseBodySize += bytes;
        ++m_revision;
    }
}

void WireCapture::finishResponse(quint64 exchange, const QString &label, const QByteArray &body, bool empty,
                                 const QList<quint64> &messageIds, qint64 timeUs)
{
    const qint64 now = orNow(timeUs);
    QMutexLocker lock(&m_mutex);
    WireExchange *e = find(exchange);
    if (!e)
        return;
    if (e->endUs < 0)
        e->endUs = now;
    WireRecord r = WireRecord::make(exchange, e->transport, WireRecord::Kind::Response, WireDirection::ToClient,
                                    e->headUs >= 0 ? e->headUs : now, label, e->responseHead + body);
    r.data = body;
    r.empty = empty;
    r.messageIds = messageIds;
    append(std::move(r));
}

void WireCapture::record(quint64 exchange, WireRecord record)
{
    QMutexLocker lock(&m_mutex);
    if (const WireExchange *e = find(exchange))
        record.transport = e->transport;
    record.exchange = exchange;
    if (record.timeUs <= 0)
        record.timeUs = nowUs();
    if (record.size == 0)
        record.size = record.bytes.size();
    append(std::move(record));
}

void WireCapture::endExchange(quint64 exchange, const QString &reason, qint64 timeUs)
{
    const qint64 now = orNow(timeUs);
    QMutexLocker lock(&m_mutex);
    WireExchange *e = find(exchange);
    if (!e)
        return;
    const bool wasOpen = e->endUs < 0;
    if (wasOpen)
        e->endUs = now;
    if (!reason.isEmpty() && e->endReason.isEmpty())
        e->endReason = reason;
    ++m_revision;
    if (reason.isEmpty() || !wasOpen)
        return;
    append(WireRecord::make(exchange, e->transport, WireRecord::Kind::Ended, WireDirection::Local, now, reason));
}

void WireCapture::mark(TransportKind transport, WireRecord::Kind kind, const QString &label, qint64 timeUs)
{
    WireRecord r = WireRecord::make(0, transport, kind, WireDirection::Local, orNow(timeUs), label);
    QMutexLocker lock(&m_mutex);
    append(std::move(r));
}

WireCapture::Snapshot WireCapture::snapshot() const
{
    QMutexLocker lock(&m_mutex);
    return { m_exchanges, m_records, m_droppedExchanges, m_droppedRecords, m_revision };
}

quint64 WireCapture::revision() const
{
    QMutexLocker lock(&m_mutex);
    return m_revision;
}

void WireCapture::clear()
{
    QMutexLocker lock(&m_mutex);
    m_exchanges.clear();
    m_records.clear();
    m_droppedExchanges = 0;
    m_droppedRecords = 0;
    ++m_revision;
}

} // namespace rtlab
