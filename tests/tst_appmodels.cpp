// The desktop client's item models, checked by QAbstractItemModelTester while they grow,
// batch and drop their oldest rows.
#include "chatmodel.h"
#include "eventlogmodel.h"
#include "timeseries.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace rtlab;

class tst_AppModels : public QObject
{
    Q_OBJECT
private slots:
    void chatModelBatchesAndStaysBounded();
    void chatModelBurstLargerThanCapacity();
    void chatModelOutgoingRowIsReplacedWhenDelivered();
    void eventLogModel();
    void timeSeriesIsBounded();
};

static ChatModel::Row row(quint64 id)
{
    ChatModel::Row r;
    r.id = id;
    r.from = QStringLiteral("ann");
    r.text = QStringLiteral("message %1").arg(id);
    r.ts = 1000 * qint64(id);
    r.via = TransportKind::Sse;
    r.latencyUs = 250;
    return r;
}

void tst_AppModels::chatModelBatchesAndStaysBounded()
{
    ChatModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    for (quint64 i = 1; i <= 60; ++i)
        model.append(row(i));
    QCOMPARE(model.rowCount(), 0); // buffered until the flush
    model.flush();
    QCOMPARE(model.rowCount(), 60);
    QCOMPARE(inserts.count(), 1); // one insert for the whole batch
    for (quint64 i = 61; i <= 250; ++i)
        model.append(row(i));
    model.flush();
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.index(0).data(ChatModel::IdRole).toULongLong(), 151u);
    QCOMPARE(model.index(99).data(ChatModel::IdRole).toULongLong(), 250u);
    QCOMPARE(model.index(99).data(ChatModel::TextRole).toString(), QStringLiteral("message 250"));
    QCOMPARE(model.index(99).data(ChatModel::TransportRole).toInt(), int(TransportKind::Sse));
    QCOMPARE(model.index(99).data(Qt::DisplayRole).toString(), QStringLiteral("ann: message 250"));
    // The timer flushes by itself.
    model.append(row(251));
    QTRY_COMPARE(model.index(99).data(ChatModel::IdRole).toULongLong(), 251u);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void tst_AppModels::chatModelBurstLargerThanCapacity()
{
    ChatModel model(10);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (quint64 i = 1; i <= 5; ++i)
        model.append(row(i));
    model.flush();
    for (quint64 i = 6; i <= 1000; ++i)
        model.append(row(i));
    model.flush();
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.index(0).data(ChatModel::IdRole).toULongLong(), 991u);
}

// Our own message shows at once below the delivered rows, and its delivered row takes its place.
void tst_AppModels::chatModelOutgoingRowIsReplacedWhenDelivered()
{
    ChatModel model(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.append(row(1));
    model.flush();
    ChatModel::Row mine;
    mine.from = QStringLiteral("me");
    mine.text = QStringLiteral("mine");
    mine.own = true;
    mine.clientMsgId = QStringLiteral("p-1");
    mine.delivery = Outbox::State::Queued;
    model.addOutgoing(mine);
    QCOMPARE(model.rowCount(), 2); // at once, not batched
    QCOMPARE(model.outgoingCount(), 1);
    QCOMPARE(model.index(1).data(ChatModel::DeliveryTextRole).toString(), QStringLiteral("queued until connected"));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setDelivery(QStringLiteral("p-1"), Outbox::State::Sent);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.index(1).data(ChatModel::DeliveryTextRole).toString(), QStringLiteral("sending…"));

    // Others' messages arrive above it.
    model.append(row(2));
    model.flush();
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(1).data(ChatModel::IdRole).toULongLong(), 2u);
    QCOMPARE(model.index(2).data(ChatModel::ClientMsgIdRole).toString(), QStringLiteral("p-1"));

    model.setDelivery(QStringLiteral("p-1"), Outbox::State::Failed, QStringLiteral("timed out"));
    QCOMPARE(Outbox::State(model.index(2).data(ChatModel::DeliveryRole).toInt()), Outbox::State::Failed);
    QVERIFY(model.index(2).data(ChatModel::DeliveryTextRole).toString().contains(QLatin1String("timed out")));
    model.setDelivery(QStringLiteral("p-1"), Outbox::State::Sent);

    // It comes back: one row, the delivered one, in log order.
    ChatModel::Row back = row(3);
    back.from = QStringLiteral("me");
    back.text = QStringLiteral("mine");
    back.clientMsgId = QStringLiteral("p-1");
    model.append(back);
    model.append(row(4));
    model.flush();
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.outgoingCount(), 0);
    QCOMPARE(model.index(2).data(ChatModel::IdRole).toULongLong(), 3u);
    QCOMPARE(model.index(2).data(ChatModel::TextRole).toString(), QStringLiteral("mine"));
    QVERIFY(model.index(2).data(ChatModel::DeliveryTextRole).toString().isEmpty());
    QCOMPARE(model.index(3).data(ChatModel::IdRole).toULongLong(), 4u);
}

void tst_AppModels::eventLogModel()
{
    EventLogModel model(50);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int i = 0; i < 120; ++i) {
        ConnectionEvent e;
        e.timeMs = 1000 + i;
        e.transport = TransportKind(i % 3);
        e.type = i % 2 ? ConnectionEvent::Type::RetryScheduled : ConnectionEvent::Type::Opened;
        e.delayMs = 500;
        model.append(e, QStringLiteral("client"));
    }
    model.flush();
    QCOMPARE(model.rowCount(), 50);
    QCOMPARE(model.columnCount(), int(EventLogModel::ColumnCount));
    const QModelIndex last = model.index(49, EventLogModel::EventColumn);
    QCOMPARE(last.data().toString(), QStringLiteral("retry"));
    QCOMPARE(model.index(49, EventLogModel::DetailColumn).data().toString(), QStringLiteral("in 500 ms"));
    QCOMPARE(model.index(49, 0).data(EventLogModel::TimeMsRole).toLongLong(), 1119);
    QCOMPARE(model.headerData(EventLogModel::TransportColumn, Qt::Horizontal).toString(), QStringLiteral("Transport"));
}

void tst_AppModels::timeSeriesIsBounded()
{
    TimeSeries s(QStringLiteral("x"), 5);
    for (int i = 0; i < 12; ++i)
        s.append(i * 100, i);
    QCOMPARE(qsizetype(s.points().size()), 5);
    QCOMPARE(s.points().front().value, 7.0);
    QCOMPARE(s.last(), 11.0);
    QCOMPARE(s.maxSince(950), 11.0);
    QCOMPARE(s.maxSince(2000), 0.0);
}

QTEST_GUILESS_MAIN(tst_AppModels)
#include "tst_appmodels.moc"
