// SPDX-License-Identifier: MIT
#include "sequencelayout.h"

#include <QCoreApplication>

#include <algorithm>
#include <array>

namespace rtlab {

static QString tr(const char *text)
{
    return QCoreApplication::translate("rtlab::SequenceLayout", text);
}

void SequenceLayout::setSnapshot(WireCapture::Snapshot snapshot)
{
    m_snapshot = std::move(snapshot);
    rebuild();
}

void SequenceLayout::setNowUs(qint64 nowUs)
{
    m_nowUs = nowUs;
    rebuild();
}

void SequenceLayout::setCompact(bool on)
{
    if (on == m_compact)
        return;
    m_compact = on;
    m_expanded.clear();
    rebuild();
}

void SequenceLayout::setBurstGapUs(qint64 gapUs)
{
    m_burstGapUs = qMax<qint64>(0, gapUs);
    rebuild();
}

void SequenceLayout::toggleBurst(quint64 firstSeq)
{
    if (!m_expanded.remove(firstSeq))
        m_expanded.insert(firstSeq);
    rebuild();
}

void SequenceLayout::setFollowedId(quint64 id)
{
    if (id == m_followed)
        return;
    m_followed = id;
    rebuild();
}

void SequenceLayout::setPixelsPerSecond(double pps)
{
    m_pps = std::clamp(pps, MinPixelsPerSecond, MaxPixelsPerSecond);
}

double SequenceLayout::effectivePixelsPerSecond() const
{
    const double span = double(m_newestUs - m_originUs) / 1e6;
    return span > 0 && span * m_pps > MaxHeight ? MaxHeight / span : m_pps;
}

double SequenceLayout::y(qint64 timeUs) const
{
    return double(timeUs - m_originUs) / 1e6 * effectivePixelsPerSecond();
}

qint64 SequenceLayout::timeAt(double y) const
{
    return m_originUs + qint64(y / effectivePixelsPerSecond() * 1e6);
}

qsizetype SequenceLayout::itemCount() const
{
    qsizetype n = 0;
    for (const Lane &lane : m_lanes)
        n += qsizetype(lane.items.size());
    return n;
}

qsizetype SequenceLayout::highlightedCount() const
{
    qsizetype n = 0;
    for (const Lane &lane : m_lanes)
        n += std::count_if(lane.items.begin(), lane.items.end(), [](const SequenceItem &i) { return i.highlighted; });
    return n;
}

const WireRecord *SequenceLayout::record(quint64 seq) const
{
    const auto &records = m_snapshot.records;
    const auto it = std::lower_bound(records.begin(), records.end(), seq,
                                     [](const WireRecord &r, quint64 v) { return r.seq < v; });
    return it != records.end() && it->seq == seq ? &*it : nullptr;
}

const SequenceItem *SequenceLayout::itemForRecord(quint64 seq) const
{
    // Every lane's records share one sequence, so a burst's first..last range holds other lanes'
    // records too: only the record's own lane is searched.
    const WireRecord *r = seq ? record(seq) : nullptr;
    if (!r)
        return nullptr;
    for (const Lane &lane : m_lanes) {
        if (lane.transport != r->transport)
            continue;
        for (const SequenceItem &item : lane.items)
            if (item.seq != 0 && item.seq <= seq && seq <= item.lastSeq && (item.seq == seq || item.isBurst()))
                return &item;
    }
    return nullptr;
}

quint64 SequenceLayout::neighbour(quint64 seq, int step) const
{
    const SequenceItem *from = itemForRecord(seq);
    if (!from)
        return 0;
    for (const Lane &lane : m_lanes) {
        if (lane.transport != from->transport)
            continue;
        std::vector<const SequenceItem *> arrows;
        qsizetype at = -1;
        for (const SequenceItem &item : lane.items)
            if (item.seq != 0) {
                if (&item == from)
                    at = qsizetype(arrows.size());
                arrows.push_back(&item);
            }
        if (at < 0)
            return 0;
        const qsizetype to = std::clamp<qsizetype>(at + step, 0, qsizetype(arrows.size()) - 1);
        return arrows[size_t(to)]->seq;
    }
    return 0;
}

quint64 SequenceLayout::firstHighlighted() const
{
    const SequenceItem *first = nullptr;
    for (const Lane &lane : m_lanes)
        for (const SequenceItem &item : lane.items)
            if (item.highlighted && item.seq && (!first || item.timeUs < first->timeUs))
                first = &item;
    return first ? first->seq : 0;
}

static SequenceItem::Style styleOf(const WireRecord &r)
{
    using K = WireRecord::Kind;
    using S = SequenceItem::Style;
    switch (r.kind) {
    case K::Request: return S::Request;
    case K::ResponseHead: return S::Response;
    case K::Response: return r.empty ? S::EmptyAnswer : S::Response;
    case K::Event: return S::Event;
    case K::Comment: return S::Heartbeat;
    case K::Retry: return S::Retry;
    case K::Frame:
        if (r.opcode == 8)
            return S::Close;
        if (r.opcode == 9 || r.opcode == 10)
            return S::ControlFrame;
        return r.masked ? S::MaskedFrame : S::Frame;
    case K::Ended: return S::Ended;
    case K::Fault: return S::Fault;
    case K::Note: return S::Note;
    }
    return S::Note;
}

static SequenceItem itemOf(const WireRecord &r)
{
    SequenceItem item;
    item.style = styleOf(r);
    const bool mark = r.kind == WireRecord::Kind::Ended || r.kind == WireRecord::Kind::Fault
            || r.kind == WireRecord::Kind::Note || r.direction == WireDirection::Local;
    item.shape = mark ? SequenceItem::Shape::Mark : SequenceItem::Shape::Arrow;
    item.transport = r.transport;
    item.direction = r.direction;
    item.timeUs = item.endUs = r.timeUs;
    item.label = r.label;
    item.seq = item.lastSeq = r.seq;
    item.exchange = r.exchange;
    item.messageIds = r.messageIds;
    return item;
}

// Records that may form a burst: a stream's events and comments, a connection's frames. Two
// records are of one burst when this key and their direction are the same.
static int burstKey(const WireRecord &r)
{
    switch (r.kind) {
    case WireRecord::Kind::Event: return 1;
    case WireRecord::Kind::Comment: return 2;
    case WireRecord::Kind::Frame: return 16 + r.opcode * 2 + (r.masked ? 1 : 0);
    default: return 0;
    }
}

void SequenceLayout::rebuild()
{
    m_lanes.clear();
    const auto &records = m_snapshot.records;
    if (records.empty()) {
        m_expanded.clear();
        m_originUs = m_newestUs = 0;
        m_openItems = false;
        return;
    }
    m_originUs = records.front().timeUs;
    m_newestUs = records.front().timeUs;
    for (const WireRecord &r : records) {
        m_originUs = qMin(m_originUs, r.timeUs);
        m_newestUs = qMax(m_newestUs, r.timeUs);
    }
    for (const WireExchange &e : m_snapshot.exchanges)
        for (qint64 t : { e.sentUs, e.headUs, e.endUs })
            m_newestUs = qMax(m_newestUs, t);
    if (m_nowUs > m_newestUs && m_nowUs - m_newestUs <= LiveWindowUs)
        m_newestUs = m_nowUs;
    m_openItems = false;

    // Expanded bursts whose first record left the ring are forgotten.
    QSet<quint64> stillThere;
    std::array<std::vector<SequenceItem>, TransportKindCount> lanes;
    std::array<std::vector<const WireRecord *>, TransportKindCount> runs;
    auto flush = [&](int lane) {
        std::vector<const WireRecord *> &run = runs[size_t(lane)];
        if (run.empty())
            return;
        const bool burst = m_compact && qsizetype(run.size()) >= MinBurst;
        const quint64 first = run.front()->seq;
        if (burst && m_expanded.contains(first))
            stillThere.insert(first);
        if (burst && !m_expanded.contains(first)) {
            SequenceItem item = itemOf(*run.front());
            item.count = int(run.size());
            item.lastSeq = run.back()->seq;
            item.endUs = run.back()->timeUs;
            item.label = QStringLiteral("×%1").arg(run.size());
            for (const WireRecord *r : run)
                for (quint64 id : r->messageIds)
                    if (!item.messageIds.contains(id))
                        item.messageIds.append(id);
            lanes[size_t(lane)].push_back(std::move(item));
        } else {
            for (const WireRecord *r : run) {
                SequenceItem item = itemOf(*r);
                if (burst)
                    item.burst = first;
                lanes[size_t(lane)].push_back(std::move(item));
            }
        }
        run.clear();
    };
    for (const WireRecord &r : records) {
        const int lane = int(r.transport);
        if (lane < 0 || lane >= TransportKindCount)
            continue;
        std::vector<const WireRecord *> &run = runs[size_t(lane)];
        const int key = burstKey(r);
        if (!run.empty()) {
            const WireRecord &last = *run.back();
            if (key == 0 || key != burstKey(last) || r.direction != last.direction
                || r.timeUs - last.timeUs > m_burstGapUs || r.exchange != last.exchange
                || r.timeUs - run.front()->timeUs > MaxBurstSpanUs)
                flush(lane);
        }
        if (key == 0) {
            lanes[size_t(lane)].push_back(itemOf(r));
            continue;
        }
        run.push_back(&r);
    }
    for (int lane = 0; lane < TransportKindCount; ++lane)
        flush(lane);
    m_expanded = stillThere;

    // Holds and open streams, on lanes that have records.
    for (const WireExchange &e : m_snapshot.exchanges) {
        const int lane = int(e.transport);
        if (lane < 0 || lane >= TransportKindCount || lanes[size_t(lane)].empty())
            continue;
        SequenceItem item;
        item.transport = e.transport;
        item.exchange = e.id;
        if (e.kind == WireExchange::Kind::Poll && e.sentUs >= 0) {
            item.shape = SequenceItem::Shape::HoldBar;
            item.style = SequenceItem::Style::Hold;
            item.timeUs = e.sentUs;
            item.open = e.headUs < 0 && e.endUs < 0;
            item.endUs = e.headUs >= 0 ? e.headUs : e.endUs >= 0 ? e.endUs : m_newestUs;
            const double seconds = double(item.endUs - item.timeUs) / 1e6;
            item.label = item.open ? tr("holding %1 s").arg(seconds, 0, 'f', 1)
                                   : tr("held %1 s").arg(seconds, 0, 'f', seconds < 10 ? 2 : 1);
        } else if ((e.kind == WireExchange::Kind::EventStream || e.kind == WireExchange::Kind::WebSocket)
                   && e.headUs >= 0) {
            item.shape = SequenceItem::Shape::StreamSpan;
            item.style = SequenceItem::Style::Stream;
            item.timeUs = e.headUs;
            item.open = e.endUs < 0;
            item.endUs = item.open ? m_newestUs : e.endUs;
            item.label = e.kind == WireExchange::Kind::EventStream ? tr("stream open") : tr("connection open");
        } else {
            continue;
        }
        if (item.endUs < m_originUs)
            continue;
        m_openItems = m_openItems || item.open;
        item.timeUs = qMax(item.timeUs, m_originUs);
        lanes[size_t(lane)].push_back(std::move(item));
    }

    for (int lane = 0; lane < TransportKindCount; ++lane) {
        std::vector<SequenceItem> &items = lanes[size_t(lane)];
        if (items.empty())
            continue;
        std::stable_sort(items.begin(), items.end(),
                         [](const SequenceItem &a, const SequenceItem &b) { return a.timeUs < b.timeUs; });
        for (SequenceItem &item : items)
            item.highlighted = m_followed != 0 && item.messageIds.contains(m_followed);
        m_lanes.push_back({ TransportKind(lane), std::move(items) });
    }
}

} // namespace rtlab
