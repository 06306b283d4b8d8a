// SPDX-License-Identifier: MIT
#include "wirecapture.h"

#include <QTest>

using namespace rtlab;

// The capture's own rules: ids, timings, and the bounded rings.
class tst_WireCapture : public QObject
{
    Q_OBJECT
private slots:
    void aPollIsARequestAndOneAnswer()
    {
        WireCapture c;
        const quint64 id = c.beginExchange(TransportKind::LongPoll, WireExchange::Kind::Poll, "GET",
                                           QStringLiteral("http://127.0.0.1:1/poll?after=3&timeout=25"),
                                           "GET /poll?after=3&timeout=25 HTTP/1.1\r\nHost: x\r\n\r\n");
        c.requestSent(id, 1000);
        c.responseHead(id, 200, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n", false,
                       26000);
        c.finishResponse(id, QStringLiteral("200: no message"), R"({"messages":[]})", true, {}, 26001);
        const WireCapture::Snapshot s = c.snapshot();
        QCOMPARE(s.exchanges.size(), size_t(1));
        QCOMPARE(s.records.size(), size_t(2));
        const WireExchange &e = s.exchanges.front();
        QCOMPARE(e.status, 200);
        QCOMPARE(e.mimeType, QStringLiteral("application/json"));
        QCOMPARE(e.headUs - e.sentUs, qint64(25000)); // the hold
        QCOMPARE(s.records.front().kind, WireRecord::Kind::Request);
        QCOMPARE(s.records.front().label, QStringLiteral("GET /poll?after=3&timeout=25 HTTP/1.1"));
        QCOMPARE(s.records.back().kind, WireRecord::Kind::Response);
        QVERIFY(s.records.back().empty);
        QCOMPARE(s.records.back().timeUs, qint64(26000)); // drawn when the head came
        QVERIFY(s.exchange(id));
        QVERIFY(!s.exchange(id + 1));
    }

    void theRingsAreBoundedAndSayWhatTheyDropped()
    {
        WireCapture c({ /*records*/ 10, /*exchanges*/ 4, /*bytesPerRecord*/ 8 });
        const quint64 stream = c.beginExchange(TransportKind::Sse, WireExchange::Kind::EventStream, "GET",
                                               QStringLiteral("http://h/events"), "GET /events HTTP/1.1\r\n\r\n");
        for (int i = 0; i < 100; ++i) {
            const quint64 id = c.beginExchange(TransportKind::LongPoll, WireExchange::Kind::Poll, "GET",
                                               QStringLiteral("http://h/poll"), "GET /poll HTTP/1.1\r\n\r\n");
            c.finishResponse(id, QStringLiteral("200"), QByteArray(100, 'x'), false, { quint64(i) });
        }
        const WireCapture::Snapshot s = c.snapshot();
        QCOMPARE(s.records.size(), size_t(10));
        QCOMPARE(s.exchanges.size(), size_t(4));
        QCOMPARE(s.droppedRecords, qint64(1 + 200 - 10));
        QCOMPARE(s.droppedExchanges, qint64(101 - 4));
        QVERIFY2(s.exchange(stream), "the open stream keeps its entry while ended polls go");
        for (const WireRecord &r : s.records) {
            QVERIFY(r.bytes.size() <= 8);
            QVERIFY(r.data.size() <= 8);
        }
        QCOMPARE(s.records.back().size, qint64(100)); // no head came: the body alone
        c.clear();
        QVERIFY(c.snapshot().records.empty());
    }

    void revisionMovesOnEveryChange()
    {
        WireCapture c;
        const quint64 before = c.revision();
        c.mark(TransportKind::WebSocket, WireRecord::Kind::Fault, QStringLiteral("relay: cut"));
        QVERIFY(c.revision() > before);
        QCOMPARE(c.snapshot().records.front().exchange, quint64(0));
    }
};

QTEST_GUILESS_MAIN(tst_WireCapture)
#include "tst_wirecapture.moc"
