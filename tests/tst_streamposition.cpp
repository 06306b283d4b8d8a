// SPDX-License-Identifier: MIT
// The one rule for what an incoming message is to a client at a position in the log: next,
// duplicate, gap or reset, and where the position is after it.
#include "streamposition.h"

#include <QTest>

using namespace rtlab;

Q_DECLARE_METATYPE(rtlab::Message)
Q_DECLARE_METATYPE(rtlab::StreamPosition)
Q_DECLARE_METATYPE(rtlab::StreamPosition::Arrival)

namespace {

StreamPosition at(const QString &epoch, quint64 lastId)
{
    return { epoch, lastId };
}

Message message(MessageType type, const QString &epoch, quint64 id, quint64 cursor)
{
    Message m;
    m.type = type;
    m.epoch = epoch;
    m.id = id;
    m.cursor = cursor;
    return m;
}

Message chat(const QString &epoch, quint64 id)
{
    return message(MessageType::Chat, epoch, id, 0);
}

Message reset(const QString &epoch, quint64 cursor)
{
    return message(MessageType::Reset, epoch, 0, cursor);
}

} // namespace

class tst_StreamPosition : public QObject
{
    Q_OBJECT
private slots:
    void advance_data();
    void advance();
    void cursorMovesForwardOnly_data();
    void cursorMovesForwardOnly();
};

void tst_StreamPosition::advance_data()
{
    using A = StreamPosition::Arrival;
    QTest::addColumn<StreamPosition>("from");
    QTest::addColumn<Message>("message");
    QTest::addColumn<A>("arrival");
    QTest::addColumn<StreamPosition>("after");

    const QString e = QStringLiteral("e1");
    const QString f = QStringLiteral("e2");
    QTest::newRow("fresh client: anything is next") << StreamPosition {} << chat(e, 7) << A::Next << at(e, 7);
    QTest::newRow("the id after the last") << at(e, 4) << chat(e, 5) << A::Next << at(e, 5);
    QTest::newRow("the last id again") << at(e, 5) << chat(e, 5) << A::Duplicate << at(e, 5);
    QTest::newRow("an older id") << at(e, 5) << chat(e, 2) << A::Duplicate << at(e, 5);
    QTest::newRow("an id skipped") << at(e, 5) << chat(e, 7) << A::Gap << at(e, 7);
    QTest::newRow("a new epoch without a reset") << at(e, 5) << chat(f, 1) << A::Gap << at(f, 1);
    QTest::newRow("an id without an epoch, then an epoch")
            << StreamPosition { QString(), 5 } << chat(e, 9) << A::Next << at(e, 9);
    QTest::newRow("a reset to a new epoch") << at(e, 5) << reset(f, 0) << A::Reset << at(f, 0);
    QTest::newRow("a reset ahead in the same epoch") << at(e, 5) << reset(e, 40) << A::Reset << at(e, 40);
    QTest::newRow("a reset to where we are") << at(e, 40) << reset(e, 40) << A::Duplicate << at(e, 40);
    QTest::newRow("a reset behind us") << at(e, 41) << reset(e, 40) << A::Duplicate << at(e, 41);
    QTest::newRow("a reset to a fresh client") << StreamPosition {} << reset(e, 3) << A::Reset << at(e, 3);
}

void tst_StreamPosition::advance()
{
    QFETCH(StreamPosition, from);
    QFETCH(Message, message);
    QFETCH(StreamPosition::Arrival, arrival);
    QFETCH(StreamPosition, after);

    QCOMPARE(from.classify(message), arrival);
    StreamPosition p = from;
    QCOMPARE(p.advance(message), arrival);
    QCOMPARE(p, after);
}

void tst_StreamPosition::cursorMovesForwardOnly_data()
{
    QTest::addColumn<StreamPosition>("from");
    QTest::addColumn<QString>("epoch");
    QTest::addColumn<quint64>("cursor");
    QTest::addColumn<StreamPosition>("after");

    const QString e = QStringLiteral("e1");
    QTest::newRow("first answer") << StreamPosition {} << e << quint64(9) << at(e, 9);
    QTest::newRow("forward") << at(e, 9) << e << quint64(12) << at(e, 12);
    QTest::newRow("an empty answer keeps it") << at(e, 9) << e << quint64(9) << at(e, 9);
    QTest::newRow("a late answer never moves it back") << at(e, 9) << e << quint64(4) << at(e, 9);
    QTest::newRow("another epoch moves it anywhere")
            << at(e, 9) << QStringLiteral("e2") << quint64(2) << at(QStringLiteral("e2"), 2);
}

void tst_StreamPosition::cursorMovesForwardOnly()
{
    QFETCH(StreamPosition, from);
    QFETCH(QString, epoch);
    QFETCH(quint64, cursor);
    QFETCH(StreamPosition, after);

    from.advanceToCursor(epoch, cursor);
    QCOMPARE(from, after);
}

QTEST_APPLESS_MAIN(tst_StreamPosition)
#include "tst_streamposition.moc"
