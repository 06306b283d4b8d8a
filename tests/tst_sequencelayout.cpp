// SPDX-License-Identifier: MIT
// The X-ray's layout: scripted captures in, the items of each transport's sequence diagram out.
#include "sequencelayout.h"
#include "wiredetail.h"
#include "wirescript.h"

#include <QTest>

using namespace rtlab;
using namespace rtlab::test;

using Shape = SequenceItem::Shape;
using Style = SequenceItem::Style;

class tst_SequenceLayout : public QObject
{
    Q_OBJECT
private slots:
    void longPollingHoldsAndAnswers();
    void sseStreamEventsAndReconnect();
    void webSocketFramesMaskedAndControl();
    void aColumnPerTransportThatHasRecords();
    void compactCollapsesABurstAndExpands();
    void aSteadyStreamIsBurstsOfAtMostASecond();
    void followingAnIdHighlightsExactlyItsItems();
    void aBusyStreamStaysBoundedByTheRing();
    void theKeyboardWalksALaneArrowByArrow();
    void interleavedBurstsFindTheirOwnRecords();
    void timeMapsToY();
    void anOpenHoldReachesNowWhileLive();
    void detailDecodesAMaskedFrame();

private:
    static const SequenceLayout::Lane *lane(const SequenceLayout &l, TransportKind kind)
    {
        for (const SequenceLayout::Lane &lane : l.lanes())
            if (lane.transport == kind)
                return &lane;
        return nullptr;
    }
    static QList<Style> styles(const SequenceLayout::Lane &lane)
    {
        QList<Style> out;
        for (const SequenceItem &i : lane.items)
            out.append(i.style);
        return out;
    }
};

static constexpr qint64 T0 = 1'764'085'593'000'000;

void tst_SequenceLayout::longPollingHoldsAndAnswers()
{
    WireCapture c;
    scriptLongPolling(c, T0);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    QCOMPARE(l.lanes().size(), size_t(1));
    const SequenceLayout::Lane &lp = l.lanes().front();
    QCOMPARE(lp.transport, TransportKind::LongPoll);
    const QList<Style> expected { Style::Request,  Style::Hold, Style::EmptyAnswer, // held 25 s, empty
                                  Style::Request,  Style::Hold, Style::Response,    // #41 after 1.2 s
                                  Style::Request,  Style::Hold, Style::Request,
                                  Style::Response,                // poll; POST /send, 202
                                  Style::Response,                // #42
                                  Style::Request,  Style::Hold }; // still held
    QCOMPARE(styles(lp), expected);
    const SequenceItem &hold = lp.items[1];
    QCOMPARE(hold.shape, Shape::HoldBar);
    QCOMPARE(hold.endUs - hold.timeUs, 25 * Sec); // the real hold
    QCOMPARE(hold.label, QStringLiteral("held 25.0 s"));
    QVERIFY(!hold.open);
    QCOMPARE(lp.items[2].shape, Shape::Arrow);
    QCOMPARE(lp.items[2].direction, WireDirection::ToClient);
    QVERIFY(lp.items[2].messageIds.isEmpty());
    QCOMPARE(lp.items[5].messageIds, QList<quint64> { 41 });
    QCOMPARE(lp.items[4].endUs - lp.items[4].timeUs, 1200 * Ms);
    QVERIFY(lp.items.back().open);
    QCOMPARE(lp.items.back().shape, Shape::HoldBar);
    // Arrows in time order, every one drawn at its record's time.
    for (size_t i = 1; i < lp.items.size(); ++i)
        QVERIFY(lp.items[i - 1].timeUs <= lp.items[i].timeUs);
}

void tst_SequenceLayout::sseStreamEventsAndReconnect()
{
    WireCapture c;
    scriptSse(c, T0);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    const SequenceLayout::Lane *sse = lane(l, TransportKind::Sse);
    QVERIFY(sse);
    const QList<Style> expected { Style::Request,   Style::Response, Style::Stream, Style::Retry,
                                  Style::Heartbeat, Style::Event,    Style::Event,  Style::Ended,
                                  Style::Request,   Style::Response, Style::Stream };
    QCOMPARE(styles(*sse), expected);
    const SequenceItem &span = sse->items[2];
    QCOMPARE(span.shape, Shape::StreamSpan);
    QCOMPARE(span.endUs, T0 + 28 * Sec);
    QVERIFY(!span.open);
    QCOMPARE(sse->items[7].shape, Shape::Mark);
    QCOMPARE(sse->items[7].label, QStringLiteral("the server closed the stream"));
    QVERIFY(sse->items.back().open);
    const WireRecord *reconnect = l.record(sse->items[8].seq);
    QVERIFY(reconnect);
    QVERIFY(reconnect->bytes.contains("Last-Event-ID: 42\r\n"));
}

void tst_SequenceLayout::webSocketFramesMaskedAndControl()
{
    WireCapture c;
    scriptWebSocket(c, T0);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    const SequenceLayout::Lane *ws = lane(l, TransportKind::WebSocket);
    QVERIFY(ws);
    const QList<Style> expected { Style::Request,     Style::Response, Style::Stream,       Style::Frame,
                                  Style::MaskedFrame, Style::Frame,    Style::ControlFrame, Style::ControlFrame,
                                  Style::Close,       Style::Close };
    QCOMPARE(styles(*ws), expected);
    QCOMPARE(ws->items[4].direction, WireDirection::ToServer);
    QCOMPARE(ws->items[3].direction, WireDirection::ToClient);
    QCOMPARE(ws->items[8].direction, WireDirection::ToServer);
    QCOMPARE(ws->items[9].label, QStringLiteral("close 1000"));
    QCOMPARE(ws->items[2].endUs, T0 + 28 * Sec + 2 * Ms);
}

void tst_SequenceLayout::aColumnPerTransportThatHasRecords()
{
    WireCapture c;
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    QVERIFY(l.lanes().empty());
    QCOMPARE(l.itemCount(), 0);
    scriptWebSocket(c, T0);
    scriptSse(c, T0);
    l.setSnapshot(c.snapshot());
    QCOMPARE(l.lanes().size(), size_t(2));
    QCOMPARE(l.lanes()[0].transport, TransportKind::Sse);
    QCOMPARE(l.lanes()[1].transport, TransportKind::WebSocket);
    // Any transport, however many there are: each one with records gets its lane, in order.
    WireCapture every;
    for (int k = 0; k < TransportKindCount; ++k)
        scriptShortPolling(every, T0 + k * Ms, TransportKind(k));
    l.setSnapshot(every.snapshot());
    QCOMPARE(qsizetype(l.lanes().size()), qsizetype(TransportKindCount));
    for (int k = 0; k < TransportKindCount; ++k) {
        QCOMPARE(l.lanes()[size_t(k)].transport, TransportKind(k));
        const auto &items = l.lanes()[size_t(k)].items;
        QCOMPARE(std::count_if(items.begin(), items.end(),
                               [](const SequenceItem &i) { return i.style == Style::EmptyAnswer; }),
                 5);
        QCOMPARE(std::count_if(items.begin(), items.end(),
                               [](const SequenceItem &i) { return i.style == Style::Response; }),
                 1);
    }
}

void tst_SequenceLayout::compactCollapsesABurstAndExpands()
{
    WireCapture c;
    scriptSse(c, T0, 37);
    scriptWebSocket(c, T0, 37);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    const qsizetype full = l.itemCount();
    QCOMPARE(lane(l, TransportKind::Sse)->items.size(), size_t(11 + 37));
    l.setCompact(true);
    QCOMPARE(l.itemCount(), full - 2 * 36);
    for (TransportKind kind : { TransportKind::Sse, TransportKind::WebSocket }) {
        const auto &items = lane(l, kind)->items;
        const auto burst = std::find_if(items.begin(), items.end(), [](const SequenceItem &i) { return i.isBurst(); });
        QVERIFY(burst != items.end());
        QCOMPARE(burst->label, QStringLiteral("×37"));
        QCOMPARE(burst->count, 37);
        QCOMPARE(burst->endUs - burst->timeUs, 36 * 5 * Ms);
        QCOMPARE(burst->messageIds.size(), 37);
        QCOMPARE(std::count_if(items.begin(), items.end(), [](const SequenceItem &i) { return i.isBurst(); }), 1);
        // Every record of the burst is drawn by the burst's one item.
        QCOMPARE(l.itemForRecord(burst->lastSeq), &*burst);
    }
    // Expanding one burst: its 37 records come back, marked as one expanded burst; the other stays.
    const quint64 first =
            std::find_if(lane(l, TransportKind::Sse)->items.begin(), lane(l, TransportKind::Sse)->items.end(),
                         [](const SequenceItem &i) { return i.isBurst(); })
                    ->seq;
    l.toggleBurst(first);
    QVERIFY(l.isExpanded(first));
    QCOMPARE(l.itemCount(), full - 36);
    const auto &sse = lane(l, TransportKind::Sse)->items;
    QCOMPARE(std::count_if(sse.begin(), sse.end(), [&](const SequenceItem &i) { return i.burst == first; }), 37);
    // New records elsewhere keep it expanded; collapsing brings the ×37 back.
    c.mark(TransportKind::Sse, WireRecord::Kind::Note, QStringLiteral("switched"), T0 + 40 * Sec);
    l.setSnapshot(c.snapshot());
    QVERIFY(l.isExpanded(first));
    l.toggleBurst(first);
    QCOMPARE(l.itemCount(), full - 2 * 36 + 1);
    // The heartbeat, the retry and the two single events are never collapsed.
    l.setCompact(false);
    QCOMPARE(l.itemCount(), full + 1);
}

void tst_SequenceLayout::aSteadyStreamIsBurstsOfAtMostASecond()
{
    WireCapture c;
    scriptWebSocket(c, T0);
    const quint64 ws = c.snapshot().exchanges.back().id;
    // 20 frames a second for 5 s: never a gap, but five bursts, not one.
    for (int i = 0; i < 100; ++i)
        c.record(ws, wsFrame(WireDirection::ToClient, 1, "x", {}, QStringLiteral("text"), T0 + 60 * Sec + i * 50 * Ms));
    SequenceLayout l;
    l.setCompact(true);
    l.setSnapshot(c.snapshot());
    int bursts = 0;
    int frames = 0;
    for (const SequenceItem &i : l.lanes().front().items)
        if (i.isBurst()) {
            ++bursts;
            frames += i.count;
            QVERIFY(i.endUs - i.timeUs <= SequenceLayout::MaxBurstSpanUs);
        }
    QCOMPARE(frames, 100);
    QCOMPARE(bursts, 5);
}

void tst_SequenceLayout::followingAnIdHighlightsExactlyItsItems()
{
    WireCapture c;
    scriptLongPolling(c, T0);
    scriptSse(c, T0, 37);
    scriptWebSocket(c, T0, 37);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    QCOMPARE(l.highlightedCount(), 0);
    l.setFollowedId(41);
    QSet<quint64> expected;
    for (const WireRecord &r : c.snapshot().records)
        if (r.messageIds.contains(41))
            expected.insert(r.seq);
    QCOMPARE(expected.size(), 3); // one per lane
    QSet<quint64> highlighted;
    QSet<TransportKind> lanes;
    for (const SequenceLayout::Lane &lane : l.lanes())
        for (const SequenceItem &i : lane.items)
            if (i.highlighted) {
                highlighted.insert(i.seq);
                lanes.insert(lane.transport);
            }
    QCOMPARE(highlighted, expected);
    QCOMPARE(lanes.size(), 3);
    // #42: the poll's answer and the 202 of the publish that made it, the event, the frame.
    l.setFollowedId(42);
    QCOMPARE(l.highlightedCount(), 4);
    // A message inside a collapsed burst: the burst's one item per lane.
    l.setCompact(true);
    l.setFollowedId(120);
    QCOMPARE(l.highlightedCount(), 2);
    l.setFollowedId(0);
    QCOMPARE(l.highlightedCount(), 0);
}

void tst_SequenceLayout::theKeyboardWalksALaneArrowByArrow()
{
    WireCapture c;
    scriptWebSocket(c, T0, 37);
    scriptSse(c, T0);
    SequenceLayout l;
    l.setCompact(true);
    l.setSnapshot(c.snapshot());
    const auto &ws = lane(l, TransportKind::WebSocket)->items;
    QCOMPARE(l.neighbour(ws[0].seq, 1), ws[1].seq); // the upgrade, then its 101 (the span has no record)
    QCOMPARE(l.neighbour(ws[1].seq, 1), ws[3].seq);
    QCOMPARE(l.neighbour(ws[3].seq, -1), ws[1].seq);
    QCOMPARE(l.neighbour(ws[0].seq, -1), ws[0].seq); // stops at the top
    QCOMPARE(l.neighbour(ws.back().seq, 5), ws.back().seq);
    // A collapsed burst is one step, from any of its records.
    const auto burst = std::find_if(ws.begin(), ws.end(), [](const SequenceItem &i) { return i.isBurst(); });
    QCOMPARE(l.neighbour(burst->lastSeq, 1), (burst + 1)->seq);
    QCOMPARE(l.neighbour(0, 1), quint64(0));
    l.setFollowedId(42);
    QCOMPARE(l.firstHighlighted(), l.itemForRecord(l.firstHighlighted())->seq);
    QCOMPARE(l.itemForRecord(l.firstHighlighted())->timeUs, T0 + 26701 * Ms);
}

// Records of all lanes share one sequence: a burst's first..last range on one lane holds other
// lanes' records too, which must never be found in it.
void tst_SequenceLayout::interleavedBurstsFindTheirOwnRecords()
{
    WireCapture c;
    scriptSse(c, T0);
    const quint64 sse = c.snapshot().exchanges.back().id;
    scriptWebSocket(c, T0);
    const quint64 ws = c.snapshot().exchanges.front().id + 2; // the WebSocket's exchange
    QVERIFY(c.snapshot().exchange(ws) && c.snapshot().exchange(ws)->kind == WireExchange::Kind::WebSocket);
    QList<quint64> wsSeqs;
    for (int i = 0; i < 10; ++i) {
        const qint64 at = T0 + 60 * Sec + i * 5 * Ms;
        c.record(sse, sseRecord(WireRecord::Kind::Event, "data: x\n\n", QStringLiteral("event"), at));
        c.record(ws, wsFrame(WireDirection::ToClient, 1, "x", {}, QStringLiteral("text"), at + 1));
        wsSeqs.append(c.snapshot().records.back().seq);
    }
    SequenceLayout l;
    l.setCompact(true);
    l.setSnapshot(c.snapshot());
    for (quint64 seq : wsSeqs) {
        const SequenceItem *item = l.itemForRecord(seq);
        QVERIFY(item);
        QCOMPARE(item->transport, TransportKind::WebSocket);
        QCOMPARE(item->count, 10);
    }
    l.setCompact(false);
    QCOMPARE(l.itemForRecord(wsSeqs[4])->seq, wsSeqs[4]);
}

void tst_SequenceLayout::aBusyStreamStaysBoundedByTheRing()
{
    WireCapture c; // default limits
    const qint64 t0 = T0;
    scriptWebSocket(c, t0);
    const quint64 ws = c.snapshot().exchanges.back().id;
    scriptSse(c, t0);
    const quint64 sse = c.snapshot().exchanges.back().id;
    for (int i = 0; i < 100'000; ++i) {
        const qint64 at = t0 + 30 * Sec + i * 200;
        if (i % 3 == 0)
            c.record(sse,
                     sseRecord(WireRecord::Kind::Event, "id: 1\ndata: x\n\n", QStringLiteral("event"), at,
                               { quint64(i) }));
        else if (i % 3 == 1)
            c.record(ws, wsFrame(WireDirection::ToClient, 1, "x", {}, QStringLiteral("text"), at, { quint64(i) }));
        else if (i % 300 == 2)
            scriptPoll(c, TransportKind::LongPoll, at, 100, 1, { quint64(i) });
        else
            c.record(ws, wsFrame(WireDirection::ToServer, 1, "y", ClientMaskKey, QStringLiteral("text"), at));
    }
    const WireCapture::Snapshot s = c.snapshot();
    QVERIFY(s.droppedRecords > 0);
    SequenceLayout l;
    l.setSnapshot(s);
    const qsizetype bound = c.limits().records + c.limits().exchanges;
    QVERIFY2(l.itemCount() <= bound, qPrintable(QStringLiteral("%1 items").arg(l.itemCount())));
    l.setCompact(true);
    QVERIFY(l.itemCount() <= bound);
    l.setPixelsPerSecond(SequenceLayout::MaxPixelsPerSecond);
    QVERIFY(l.height() <= SequenceLayout::MaxHeight);
}

void tst_SequenceLayout::timeMapsToY()
{
    WireCapture c;
    scriptLongPolling(c, T0);
    SequenceLayout l;
    l.setPixelsPerSecond(100);
    l.setSnapshot(c.snapshot());
    QCOMPARE(l.originUs(), T0);
    QCOMPARE(l.y(T0), 0.0);
    QCOMPARE(l.y(T0 + 2 * Sec), 200.0);
    QCOMPARE(l.timeAt(200.0), T0 + 2 * Sec);
    l.setPixelsPerSecond(1e9);
    QCOMPARE(l.pixelsPerSecond(), SequenceLayout::MaxPixelsPerSecond);
    QVERIFY(l.height() > 0);
}

void tst_SequenceLayout::anOpenHoldReachesNowWhileLive()
{
    WireCapture c;
    scriptLongPolling(c, T0);
    SequenceLayout l;
    l.setSnapshot(c.snapshot());
    QVERIFY(l.hasOpenItems());
    const qint64 last = l.newestUs();
    QCOMPARE(l.lanes().front().items.back().endUs, last);
    // Live: the poll still held reaches now, and the diagram with it.
    l.setNowUs(last + 10 * Sec);
    QCOMPARE(l.lanes().front().items.back().endUs, last + 10 * Sec);
    QVERIFY(l.lanes().front().items.back().open);
    QCOMPARE(l.newestUs(), last + 10 * Sec);
    // History: a capture older than the live window is drawn to its last record.
    l.setNowUs(last + SequenceLayout::LiveWindowUs + 1);
    QCOMPARE(l.newestUs(), last);
    // Nothing open: nothing to stretch.
    WireCapture closed;
    scriptWebSocket(closed, T0);
    l.setSnapshot(closed.snapshot());
    QVERIFY(!l.hasOpenItems());
}

void tst_SequenceLayout::detailDecodesAMaskedFrame()
{
    WireCapture c;
    scriptWebSocket(c, T0);
    const WireCapture::Snapshot s = c.snapshot();
    const auto hello = std::find_if(s.records.begin(), s.records.end(),
                                    [](const WireRecord &r) { return r.masked && r.opcode == 1; });
    QVERIFY(hello != s.records.end());
    // RFC 6455 §5.7: a single-frame masked text message "Hello".
    QCOMPARE(hello->bytes, QByteArray::fromHex("818537fa213d7f9f4d5158"));
    const WireDetail d = WireDetail::ofRecord(s, *hello);
    QVERIFY2(d.facts.contains(QStringLiteral("mask key 37 fa 21 3d")), qPrintable(d.facts.join(u'|')));
    QVERIFY(d.facts.contains(QStringLiteral("FIN 1")));
    QVERIFY(d.facts.contains(QStringLiteral("opcode 0x1 (text)")));
    QVERIFY(d.facts.contains(QStringLiteral("MASK 1")));
    QVERIFY(d.facts.contains(QStringLiteral("payload length 5")));
    QCOMPARE(d.parts.size(), 4);
    QCOMPARE(d.parts[0].bytes, QByteArray::fromHex("8185"));
    QCOMPARE(d.parts[1].bytes, ClientMaskKey);
    QCOMPARE(d.parts[2].bytes, QByteArray::fromHex("7f9f4d5158"));
    QCOMPARE(d.parts[3].bytes, QByteArray("Hello"));
    // An HTTP answer: its head and its body apart.
    const auto upgrade = std::find_if(s.records.begin(), s.records.end(),
                                      [](const WireRecord &r) { return r.kind == WireRecord::Kind::ResponseHead; });
    const WireDetail h = WireDetail::ofRecord(s, *upgrade);
    QCOMPARE(h.parts.size(), 1);
    QVERIFY(h.parts[0].bytes.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
    QVERIFY(h.facts.contains(QStringLiteral("status 101")));
}

QTEST_GUILESS_MAIN(tst_SequenceLayout)
#include "tst_sequencelayout.moc"
