// SPDX-License-Identifier: MIT
// The client's outbox on a clock the test moves by hand: order, limits, the retry rules.
#include "outbox.h"

#include <QSignalSpy>
#include <QTest>

using namespace rtlab;

class tst_Outbox : public QObject
{
    Q_OBJECT
private slots:
    void idsArePrefixedAndUnique();
    void sentInOrderAndLeavesWhenDelivered();
    void refusesOverTheLimitAndBadMessages();
    void requeuedAfterABackOffWithoutOvertaking();
    void failsAfterTheAttemptLimit();
    void failsAfterTheAgeLimitAndRetries();
    void refusalFailsAtOnce();
    void requeueSentIsDueAtOnce();
};

struct FakeClockOutbox
{
    explicit FakeClockOutbox(Outbox::Limits limits = {}) : outbox(limits, QStringLiteral("p"), [this] { return nowMs; })
    {
    }
    qint64 nowMs = 1000000;
    Outbox outbox;
};

static QStringList idsOf(const QList<Outbox::Item> &items)
{
    QStringList out;
    for (const Outbox::Item &i : items)
        out.append(i.clientMsgId);
    return out;
}

void tst_Outbox::idsArePrefixedAndUnique()
{
    Outbox a;
    Outbox b;
    QVERIFY(a.idPrefix() != b.idPrefix()); // random per outbox
    const QString first = a.add(QStringLiteral("ann"), QStringLiteral("one"));
    const QString second = a.add(QStringLiteral("ann"), QStringLiteral("two"));
    QVERIFY(!first.isEmpty());
    QVERIFY(first != second);
    QVERIFY(first.size() <= PublishLimits::MaxClientMsgIdChars);
    QVERIFY(a.isOwn(first));
    QVERIFY(!b.isOwn(first));
    QVERIFY(!a.isOwn(QString()));
    QVERIFY(!a.isOwn(a.idPrefix()));
    // The request carries it, so the server and the stream see it.
    QCOMPARE(a.find(first)->request.clientMsgId, first);
    QCOMPARE(a.find(first)->request.text, QStringLiteral("one"));
    // Even a long prefix leaves room for the counter within the wire limit.
    Outbox longPrefix({}, QString(100, u'x'), [] { return qint64(0); });
    const QString id = longPrefix.add(QStringLiteral("ann"), QStringLiteral("hi"));
    QVERIFY(!id.isEmpty());
    QVERIFY(id.size() <= PublishLimits::MaxClientMsgIdChars);
}

void tst_Outbox::sentInOrderAndLeavesWhenDelivered()
{
    FakeClockOutbox f;
    QSignalSpy states(&f.outbox, &Outbox::stateChanged);
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    const QString b = f.outbox.add(QStringLiteral("ann"), QStringLiteral("b"));
    QCOMPARE(f.outbox.count(Outbox::State::Queued), 2);
    QCOMPARE(idsOf(f.outbox.takeDue()), (QStringList { a, b }));
    QCOMPARE(f.outbox.count(Outbox::State::Sent), 2);
    QCOMPARE(f.outbox.find(a)->attempts, 1);
    QVERIFY(f.outbox.takeDue().isEmpty()); // nothing is sent twice without a failure
    QVERIFY(f.outbox.markDelivered(b));
    QVERIFY(!f.outbox.markDelivered(b));
    QVERIFY(f.outbox.markDelivered(a));
    QCOMPARE(f.outbox.size(), 0);
    QCOMPARE(states.size(), 6); // Queued ×2, Sent ×2, Delivered ×2
    QCOMPARE(states.last().at(1).value<Outbox::State>(), Outbox::State::Delivered);
}

void tst_Outbox::refusesOverTheLimitAndBadMessages()
{
    Outbox::Limits limits;
    limits.maxItems = 3;
    FakeClockOutbox f(limits);
    for (int i = 0; i < 3; ++i)
        QVERIFY(!f.outbox.add(QStringLiteral("ann"), QString::number(i)).isEmpty());
    QVERIFY(f.outbox.add(QStringLiteral("ann"), QStringLiteral("one too many")).isEmpty());
    QCOMPARE(f.outbox.error(), Outbox::Error::Full);
    QVERIFY(f.outbox.errorString().contains(QLatin1String("3 messages")));
    QCOMPARE(f.outbox.size(), 3); // nothing already queued is lost

    // Room again once one is delivered.
    const QList<Outbox::Item> sent = f.outbox.takeDue();
    QVERIFY(f.outbox.markDelivered(sent.first().clientMsgId));
    QVERIFY(!f.outbox.add(QStringLiteral("ann"), QStringLiteral("fits")).isEmpty());
    QCOMPARE(f.outbox.error(), Outbox::Error::None);

    // What the server would refuse is refused now, with its reason.
    FakeClockOutbox g;
    QVERIFY(g.outbox.add(QStringLiteral("ann"), QString(16 * 1024 + 1, u'x')).isEmpty());
    QCOMPARE(g.outbox.error(), Outbox::Error::Invalid);
    QVERIFY(g.outbox.errorString().contains(QLatin1String("text")));
    QVERIFY(g.outbox.add(QString(65, u'f'), QStringLiteral("hi")).isEmpty());
    QVERIFY(g.outbox.add(QStringLiteral("ann"), QString()).isEmpty());
    QCOMPARE(g.outbox.size(), 0);
}

void tst_Outbox::requeuedAfterABackOffWithoutOvertaking()
{
    FakeClockOutbox f;
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    QCOMPARE(f.outbox.takeDue().size(), 1);
    f.outbox.requeue(a, QStringLiteral("POST failed"));
    QCOMPARE(f.outbox.find(a)->state, Outbox::State::Queued);
    QCOMPARE(f.outbox.find(a)->errorString, QStringLiteral("POST failed"));
    const QString b = f.outbox.add(QStringLiteral("ann"), QStringLiteral("b"));
    // a waits for its back-off, and b, published after it, waits behind it.
    QVERIFY(f.outbox.takeDue().isEmpty());
    QCOMPARE(f.outbox.nextDueMs(), f.nowMs + f.outbox.limits().firstBackoffMs);
    f.nowMs += f.outbox.limits().firstBackoffMs;
    QCOMPARE(idsOf(f.outbox.takeDue()), (QStringList { a, b }));
    QCOMPARE(f.outbox.find(a)->attempts, 2);
    // The back-off doubles.
    f.outbox.requeue(a, QStringLiteral("again"));
    QCOMPARE(f.outbox.nextDueMs(), f.nowMs + 2 * f.outbox.limits().firstBackoffMs);
    // Only a Sent message is requeued (a late failure report of a delivered one changes nothing).
    QVERIFY(f.outbox.markDelivered(b));
    f.outbox.requeue(b, QStringLiteral("late"));
    QVERIFY(!f.outbox.find(b));
}

void tst_Outbox::failsAfterTheAttemptLimit()
{
    Outbox::Limits limits;
    limits.maxAttempts = 3;
    FakeClockOutbox f(limits);
    QSignalSpy states(&f.outbox, &Outbox::stateChanged);
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    for (int attempt = 1; attempt <= 3; ++attempt) {
        f.nowMs += 60000;
        QCOMPARE(f.outbox.takeDue().size(), 1);
        QCOMPARE(f.outbox.find(a)->attempts, attempt);
        f.outbox.requeue(a, QStringLiteral("connection refused"));
    }
    QCOMPARE(f.outbox.find(a)->state, Outbox::State::Failed);
    QVERIFY(f.outbox.find(a)->errorString.contains(QLatin1String("3 attempts")));
    QVERIFY(f.outbox.find(a)->errorString.contains(QLatin1String("connection refused")));
    QCOMPARE(states.last().at(1).value<Outbox::State>(), Outbox::State::Failed);
    f.nowMs += 60000;
    QVERIFY(f.outbox.takeDue().isEmpty()); // failed stays failed until retried
    QVERIFY(f.outbox.retry(a));
    QCOMPARE(f.outbox.find(a)->attempts, 0);
    QCOMPARE(f.outbox.takeDue().size(), 1);
}

void tst_Outbox::failsAfterTheAgeLimitAndRetries()
{
    FakeClockOutbox f;
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    f.nowMs += f.outbox.limits().maxAgeMs;
    QCOMPARE(f.outbox.expire(), 0); // exactly the limit: still waiting
    const QString b = f.outbox.add(QStringLiteral("ann"), QStringLiteral("b"));
    f.nowMs += 1;
    QCOMPARE(f.outbox.expire(), 1);
    QCOMPARE(f.outbox.find(a)->state, Outbox::State::Failed);
    QVERIFY(f.outbox.find(a)->errorString.contains(QLatin1String("120 seconds")));
    QCOMPARE(f.outbox.find(b)->state, Outbox::State::Queued);
    QCOMPARE(f.outbox.expire(), 0);
    // A failed message does not hold back the ones after it.
    QCOMPARE(idsOf(f.outbox.takeDue()), QStringList { b });
    QVERIFY(!f.outbox.retry(b)); // not failed
    QVERIFY(f.outbox.retry(a));
    QCOMPARE(f.outbox.find(a)->state, Outbox::State::Queued);
    QCOMPARE(idsOf(f.outbox.takeDue()), QStringList { a });
    QVERIFY(!f.outbox.retry(QStringLiteral("p-unknown")));
}

void tst_Outbox::refusalFailsAtOnce()
{
    FakeClockOutbox f;
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    f.outbox.takeDue();
    f.outbox.fail(a, QStringLiteral("publish refused: HTTP 413"));
    QCOMPARE(f.outbox.find(a)->state, Outbox::State::Failed);
    QCOMPARE(f.outbox.find(a)->errorString, QStringLiteral("publish refused: HTTP 413"));
    QCOMPARE(f.outbox.size(), 1); // kept, so that the user sees it and can retry
}

void tst_Outbox::requeueSentIsDueAtOnce()
{
    FakeClockOutbox f;
    const QString a = f.outbox.add(QStringLiteral("ann"), QStringLiteral("a"));
    const QString b = f.outbox.add(QStringLiteral("ann"), QStringLiteral("b"));
    f.outbox.takeDue();
    QVERIFY(f.outbox.markDelivered(a));
    f.outbox.requeueSent(QStringLiteral("the connection was lost"));
    QCOMPARE(f.outbox.find(b)->state, Outbox::State::Queued);
    QCOMPARE(idsOf(f.outbox.takeDue()), QStringList { b });
    QCOMPARE(f.outbox.find(b)->attempts, 2);
}

QTEST_GUILESS_MAIN(tst_Outbox)
#include "tst_outbox.moc"
