// SPDX-License-Identifier: MIT
// The desktop client's item models, checked by QAbstractItemModelTester while they grow,
// batch and drop their oldest rows; and its settings, as the bundled server's arguments.
#include "appcontroller.h"
#include "chatmodel.h"
#include "claimsmodel.h"
#include "eventlogmodel.h"
#include "ledgerfollower.h"
#include "timeseries.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace rtlab;

class tst_AppModels : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void keepHistoryIsOffByDefault();
    void keepHistoryStartsTheServerOnSqlite();
    void chatModelBatchesAndStaysBounded();
    void chatModelBurstLargerThanCapacity();
    void chatModelOutgoingRowIsReplacedWhenDelivered();
    void eventLogModel();
    void timeSeriesIsBounded();
    void ledgerFollowerKeepsTheChosenMessage();
    void ledgerFollowerFindsThePublishedMessage();
    void ledgerFollowerPauseFreezes();
    void aRunningLessonsVerdictIsProvisional();
};

void tst_AppModels::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings and the history go to a test location
}

// A stand-in for rtlab-server that refuses to start, as the real one does when its store will not
// open: the store's error line when given --store, another line without.
static QString refusingServer(const QTemporaryDir &dir)
{
    const QString path = dir.filePath(QStringLiteral("rtlab-server"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write("#!/bin/sh\n"
            "for a in \"$@\"; do\n"
            "  case \"$a\" in sqlite:*) echo \"rtlab-server: --store $a: unable to open database file\" >&2; exit 1;; "
            "esac\n"
            "done\n"
            "echo 'rtlab-server: not a real server' >&2\n"
            "exit 1\n");
    f.close();
    f.setPermissions(f.permissions() | QFile::ExeOwner);
    return path;
}

// A restart is a lesson: without the setting the bundled server gets no --store (memory).
void tst_AppModels::keepHistoryIsOffByDefault()
{
    QSettings().clear();
    QTemporaryDir dir;
    AppController app;
    app.server()->setProgram(refusingServer(dir));
    app.start();
    QVERIFY(!app.keepHistory());
    QCOMPARE(app.server()->runningArguments(), QStringList());
    QTRY_COMPARE_WITH_TIMEOUT(app.server()->state(), ServerProcess::State::Failed, 10000);
}

// Settings → "Keep history across restarts": the bundled server keeps its log in SQLite in the
// user's data directory; a history that will not open is reported in the server's words, and
// turning the setting off starts the server again on memory.
void tst_AppModels::keepHistoryStartsTheServerOnSqlite()
{
    QSettings().clear();
    QSettings().setValue(QStringLiteral("server/keepHistory"), true);
    QTemporaryDir dir;
    const QString history = AppController::historyPath();
    QVERIFY(history.startsWith(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)));
    QVERIFY(history.endsWith(QLatin1String("/history.db")));
    QDir(QFileInfo(history).absolutePath()).removeRecursively();
    AppController app;
    app.server()->setProgram(refusingServer(dir));
    QSignalSpy failed(&app, &AppController::historyStoreFailed);
    app.start();
    QVERIFY(app.keepHistory());
    const QStringList store { QStringLiteral("--store"), QStringLiteral("sqlite:") + history };
    QCOMPARE(app.server()->runningArguments(), store);
    QVERIFY(QFileInfo(QFileInfo(history).absolutePath()).isDir()); // created for the server
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.first().first().toString(),
             QStringLiteral("rtlab-server: --store sqlite:%1: unable to open database file").arg(history));

    // "Go on with memory": the setting off, saved, and the server started again without a store.
    QSignalSpy errors(&app, &AppController::errorOccurred);
    QVERIFY(app.setKeepHistory(false));
    QCOMPARE(app.server()->runningArguments(), QStringList());
    QCOMPARE(QSettings().value(QStringLiteral("server/keepHistory")).toBool(), false);
    QVERIFY(errors.wait(10000));
    QCOMPARE(errors.last().first().toString(), QStringLiteral("rtlab-server: not a real server"));
    QCOMPARE(failed.size(), 1);          // not the history's failure
    QVERIFY(!app.setKeepHistory(false)); // no change: no restart
}

// While its lesson runs, a claim's verdict is the figures so far, never the lesson's result.
void tst_AppModels::aRunningLessonsVerdictIsProvisional()
{
    QCOMPARE(ClaimsModel::verdict(true, true), QStringLiteral("✓ so far"));
    QCOMPARE(ClaimsModel::verdict(false, true), QStringLiteral("✗ so far"));
    QCOMPARE(ClaimsModel::verdict(std::nullopt, true), QStringLiteral("… measuring"));
    QCOMPARE(ClaimsModel::verdict(true, false), QStringLiteral("✓ holds"));
    QCOMPARE(ClaimsModel::verdict(false, false), QStringLiteral("✗ not on this machine"));
}

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

// Every lane's figures, filled by hand: ticks and chats, each with a one-part ledger.
struct Lanes
{
    std::array<TransportStats, TransportKindCount> stats;
    std::array<bool, TransportKindCount> subscribed = [] {
        std::array<bool, TransportKindCount> all;
        all.fill(true);
        return all;
    }();
    LedgerFollower::LaneStats accessor()
    {
        return [this](TransportKind k) { return subscribed[size_t(k)] ? &stats[size_t(k)] : nullptr; };
    }
    void arrive(TransportKind k, quint64 id, MessageType type = MessageType::Tick, qint64 clientTs = -1)
    {
        Message m;
        m.id = id;
        m.epoch = QStringLiteral("e");
        m.type = type;
        m.from = type == MessageType::Chat ? QStringLiteral("me") : QString();
        m.text = type == MessageType::Chat ? QStringLiteral("ledger probe") : QString();
        if (clientTs >= 0)
            m.clientTs = QJsonValue(clientTs);
        stats[size_t(k)].recordWire(
                WireLedger::of(m, { { WirePart::Role::Payload, QStringLiteral("payload"), QByteArray::number(id) } }));
    }
    void arriveEverywhere(quint64 id, MessageType type = MessageType::Tick, qint64 clientTs = -1)
    {
        for (int i = 0; i < TransportKindCount; ++i)
            arrive(TransportKind(i), id, type, clientTs);
    }
};

static std::optional<quint64> shownId(const LedgerFollower &f, TransportKind k)
{
    const auto &l = f.lane(k).ledger;
    return l ? std::optional<quint64>(l->id) : std::nullopt;
}

void tst_AppModels::ledgerFollowerKeepsTheChosenMessage()
{
    Lanes lanes;
    LedgerFollower f(lanes.accessor());
    for (quint64 id = 1; id <= 10; ++id)
        lanes.arriveEverywhere(id);
    f.update();
    QCOMPARE(f.mode(), LedgerFollower::Mode::Latest);
    QCOMPARE(shownId(f, TransportKind::Sse), 10u);
    const QList<LedgerFollower::Entry> recent = f.recent(4);
    QCOMPARE(recent.size(), 4);
    QCOMPARE(recent.first().id, 10u); // newest first, each id once across the lanes
    QCOMPARE(recent.last().id, 7u);

    f.followId(5);
    QCOMPARE(f.followedId(), 5u);
    // Ticks keep coming, more than a lane keeps: the chosen message stays on screen.
    for (quint64 id = 11; id <= 10 + 2 * TransportStats::MaxLedgers; ++id) {
        lanes.arriveEverywhere(id);
        f.update();
    }
    QVERIFY(!lanes.stats[0].ledgerFor(5));
    for (int i = 0; i < TransportKindCount; ++i)
        QCOMPARE(shownId(f, TransportKind(i)), 5u);
    // A message a lane never had: nothing for it.
    f.followId(100000);
    QCOMPARE(shownId(f, TransportKind::WebSocket), std::nullopt);
    QCOMPARE(f.lane(TransportKind::WebSocket).newestKept, 10u + 2 * TransportStats::MaxLedgers);
    QCOMPARE(f.lane(TransportKind::WebSocket).oldestKept, 11u + TransportStats::MaxLedgers);
    f.followLatest();
    QCOMPARE(shownId(f, TransportKind::WebSocket), 10u + 2 * TransportStats::MaxLedgers);
    // A lane not subscribed shows nothing.
    lanes.subscribed[0] = false;
    f.update();
    QVERIFY(!f.lane(TransportKind::LongPoll).subscribed);
    QCOMPARE(shownId(f, TransportKind::LongPoll), std::nullopt);
}

void tst_AppModels::ledgerFollowerFindsThePublishedMessage()
{
    Lanes lanes;
    LedgerFollower f(lanes.accessor());
    const qint64 earlier = nowMicros() - 1000;
    lanes.arriveEverywhere(1, MessageType::Chat, earlier); // our previous message: not this one
    qint64 stamp = -1;
    // The publish stamps the message with the clock during the call, as RealtimeClient does.
    QVERIFY(f.publishAndFollow([&] {
        stamp = nowMicros();
        return true;
    }));
    QCOMPARE(f.mode(), LedgerFollower::Mode::Published);
    QCOMPARE(f.followedId(), std::nullopt);
    lanes.arriveEverywhere(2); // a tick before it
    f.update();
    QCOMPARE(f.followedId(), std::nullopt);
    QCOMPARE(shownId(f, TransportKind::Sse), std::nullopt);
    // Back on SSE first; the others later, with ticks in between (5/s in the app).
    lanes.arrive(TransportKind::Sse, 3, MessageType::Chat, stamp);
    lanes.arriveEverywhere(4);
    f.update();
    QCOMPARE(f.followedId(), 3u);
    QCOMPARE(shownId(f, TransportKind::Sse), 3u);
    QCOMPARE(shownId(f, TransportKind::WebSocket), std::nullopt);
    lanes.arrive(TransportKind::WebSocket, 3, MessageType::Chat, stamp);
    lanes.arrive(TransportKind::LongPoll, 3, MessageType::Chat, stamp);
    lanes.arrive(TransportKind::Poll, 3, MessageType::Chat, stamp);
    for (quint64 id = 5; id <= 20; ++id)
        lanes.arriveEverywhere(id);
    f.update();
    for (int i = 0; i < TransportKindCount; ++i)
        QCOMPARE(shownId(f, TransportKind(i)), 3u);
    const QList<LedgerFollower::Entry> recent = f.recent(100);
    const auto own = std::find_if(recent.begin(), recent.end(), [](const LedgerFollower::Entry &e) { return e.own; });
    QVERIFY(own != recent.end());
    QCOMPARE(own->id, 3u);
    QCOMPARE(std::count_if(recent.begin(), recent.end(), [](const LedgerFollower::Entry &e) { return e.own; }), 1);
    // A publish that failed follows nothing new.
    QVERIFY(!f.publishAndFollow([] { return false; }));
    QCOMPARE(f.followedId(), 3u);
}

void tst_AppModels::ledgerFollowerPauseFreezes()
{
    Lanes lanes;
    LedgerFollower f(lanes.accessor());
    lanes.arriveEverywhere(1);
    f.update();
    f.setPaused(true);
    lanes.arriveEverywhere(2);
    lanes.stats[1].messages = 2;
    f.update();
    QCOMPARE(shownId(f, TransportKind::Sse), 1u);
    QCOMPARE(f.lane(TransportKind::Sse).cost.messages, 0); // the figures wait too
    // Choosing is the user's act: it shows at once, and stays paused.
    f.followId(2);
    QCOMPARE(shownId(f, TransportKind::Sse), 2u);
    QVERIFY(f.isPaused());
    f.followLatest();
    lanes.arriveEverywhere(3);
    f.update();
    QCOMPARE(shownId(f, TransportKind::Sse), 2u);
    f.setPaused(false);
    QCOMPARE(shownId(f, TransportKind::Sse), 3u);
}

QTEST_GUILESS_MAIN(tst_AppModels)
#include "tst_appmodels.moc"
