// SPDX-License-Identifier: MIT
#pragma once

#include "wirecapture.h"

#include <QList>
#include <QSet>
#include <QString>

#include <vector>

namespace rtlab {

// One drawable thing of the X-ray's sequence diagrams, on one transport's lane: an arrow between
// the client and the server lifelines, a hold bar on the server lifeline (a poll held open), a
// stream span (an SSE stream or a WebSocket connection open from its head to its end) or a mark
// across the lane (a fault, a note, the end of a connection).
struct SequenceItem
{
    enum class Shape { Arrow, HoldBar, StreamSpan, Mark };
    enum class Style {
        Request,      // an HTTP request (a poll, a publish, GET /events, the upgrade)
        Response,     // a response head, or a whole answer that carried messages
        EmptyAnswer,  // a poll's answer that carried none: the hold timed out
        Event,        // an SSE event
        Heartbeat,    // an SSE comment
        Retry,        // an SSE retry: field
        Frame,        // a WebSocket data frame the server sent (unmasked)
        MaskedFrame,  // a WebSocket frame the client sent: masked, with its key
        ControlFrame, // ping, pong
        Close,        // a close frame
        Hold,         // (HoldBar) a poll held open by the server
        Stream,       // (StreamSpan) a stream or connection open
        Ended,        // (Mark) the connection or exchange ended abnormally
        Fault,        // (Mark) the relay did something on purpose
        Note,         // (Mark) the client did something worth marking
    };
    Shape shape = Shape::Arrow;
    Style style = Style::Note;
    TransportKind transport = TransportKind::WebSocket;
    WireDirection direction = WireDirection::Local;
    qint64 timeUs = 0; // where it starts (an arrow: where it is)
    qint64 endUs = 0;  // where it ends: a bar's or span's end (the newest time while open), a burst's last record
    bool open = false; // a bar or span still open
    QString label;
    quint64 seq = 0;      // the record (a burst: its first record); 0 for bars and spans
    quint64 lastSeq = 0;  // a burst's last record; else seq
    quint64 exchange = 0; // the exchange it belongs to (0: none)
    int count = 1;        // > 1: a collapsed burst of this many records
    quint64 burst = 0;    // the first record of the burst this item belongs to, expanded (0: none)
    QList<quint64> messageIds;
    bool highlighted = false; // carries the followed message id

    bool isBurst() const { return count > 1; }
};

// Turns a WireCapture snapshot into the items of one sequence diagram per transport that has
// records, in time order, and maps time to y. Holds the snapshot it was given (so a detail pane
// reads the exact bytes of any item); its memory is bounded by the capture's rings: at most one
// item per record plus one per exchange. No widgets: the X-ray view draws what this says.
class SequenceLayout
{
public:
    struct Lane
    {
        TransportKind transport = TransportKind::WebSocket;
        std::vector<SequenceItem> items; // by time
    };
    // A burst: at least this many consecutive records of one kind and direction on a lane,
    // each within the burst gap of the one before.
    static constexpr int MinBurst = 3;
    static constexpr qint64 DefaultBurstGapUs = 250'000;
    // A steady stream never becomes one endless burst: a burst spans at most this long, so the
    // diagram still reads in time (at 20 messages a second: one "×20" a second).
    static constexpr qint64 MaxBurstSpanUs = 1'000'000;
    static constexpr double MinPixelsPerSecond = 0.5;
    static constexpr double MaxPixelsPerSecond = 200'000;
    // The diagram never gets taller than this (a widget cannot): the scale shrinks to fit.
    static constexpr double MaxHeight = 8'000'000;

    void setSnapshot(WireCapture::Snapshot snapshot);
    // The time now, so that a hold or stream still open reaches it while the capture is live (0:
    // none). A capture whose newest record is older than LiveWindowUs is history: drawn to its
    // last record, never stretched to now.
    void setNowUs(qint64 nowUs);
    static constexpr qint64 LiveWindowUs = 60'000'000;
    // Whether a hold or a stream is still open: drawing it again later shows it longer.
    bool hasOpenItems() const { return m_openItems; }
    const WireCapture::Snapshot &snapshot() const { return m_snapshot; }

    // Compact: bursts collapse into one item labelled "×N", unless expanded.
    void setCompact(bool on);
    bool isCompact() const { return m_compact; }
    void setBurstGapUs(qint64 gapUs);
    // Expands a collapsed burst (by its first record) or collapses an expanded one.
    void toggleBurst(quint64 firstSeq);
    bool isExpanded(quint64 firstSeq) const { return m_expanded.contains(firstSeq); }

    // Highlights the items that carry this message id, across all lanes (0: none).
    void setFollowedId(quint64 id);
    quint64 followedId() const { return m_followed; }

    void setPixelsPerSecond(double pps);
    double pixelsPerSecond() const { return m_pps; }
    // The scale in use: pixelsPerSecond(), less if the diagram would be taller than MaxHeight.
    double effectivePixelsPerSecond() const;

    const std::vector<Lane> &lanes() const { return m_lanes; }
    qsizetype itemCount() const;
    qsizetype highlightedCount() const;
    qint64 originUs() const { return m_originUs; } // the oldest time drawn: y 0
    qint64 newestUs() const { return m_newestUs; }
    double y(qint64 timeUs) const;
    qint64 timeAt(double y) const;
    double height() const { return y(m_newestUs); }

    // The record with this seq in the snapshot, or null.
    const WireRecord *record(quint64 seq) const;
    // The item drawn for this record (a burst's item when it is collapsed into one), or null.
    const SequenceItem *itemForRecord(quint64 seq) const;
    // The record of the arrow or mark `step` places after (before, if negative) the one drawing
    // this record, on its lane, stopping at either end; 0 when the record is not drawn. So the
    // keyboard walks a diagram arrow by arrow.
    quint64 neighbour(quint64 seq, int step) const;
    // The first item (in time, any lane) that carries the followed id: its record, or 0.
    quint64 firstHighlighted() const;

private:
    void rebuild();

    WireCapture::Snapshot m_snapshot;
    std::vector<Lane> m_lanes;
    QSet<quint64> m_expanded; // first records of expanded bursts; pruned to the snapshot
    bool m_compact = false;
    qint64 m_burstGapUs = DefaultBurstGapUs;
    quint64 m_followed = 0;
    double m_pps = 40;
    qint64 m_originUs = 0;
    qint64 m_newestUs = 0;
    qint64 m_nowUs = 0;
    bool m_openItems = false;
};

} // namespace rtlab
