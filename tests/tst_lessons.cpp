// SPDX-License-Identifier: MIT
// Every lesson, run headless as a teacher's script would (rtlab --lesson ID --export FILE), from a
// fresh bundled server: it must run, write the documented export, and its counts and bytes must
// point the way its claim says. Latency directions are exported and shown, never asserted here
// (a shared machine's timing is not the transport's); docs/benchmarks.md measures them.
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

class tst_Lessons : public QObject
{
    Q_OBJECT
private slots:
    void listIsStableAscii();
    void badArgumentsExitTwo_data();
    void badArgumentsExitTwo();
    void lessonRunsAndPointsTheClaimsWay_data();
    void lessonRunsAndPointsTheClaimsWay();

private:
    static int run(const QStringList &args, QByteArray *out = nullptr, int timeoutMs = 30000);
};

using Check = std::function<void(const QJsonObject &measured, const QJsonObject &lanes)>;
Q_DECLARE_METATYPE(Check)

int tst_Lessons::run(const QStringList &args, QByteArray *out, int timeoutMs)
{
    QProcess p;
    p.setProgram(QStringLiteral(RTLAB_BINARY));
    p.setArguments(args);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (out)
        *out = p.readAllStandardOutput();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
}

static const QStringList &expectedLessons()
{
    static const QStringList ids {
        QStringLiteral("lp-simple"),
        QStringLiteral("lp-fallback"),
        QStringLiteral("lp-vs-polling"),
        QStringLiteral("lp-resource"),
        QStringLiteral("lp-hold-timeouts"),
        QStringLiteral("lp-latency"),
        QStringLiteral("ws-low-overhead"),
        QStringLiteral("ws-bidirectional"),
        QStringLiteral("ws-many-connections"),
        QStringLiteral("ws-complex"),
        QStringLiteral("ws-blocked"),
        QStringLiteral("ws-security"),
        QStringLiteral("sse-efficient"),
        QStringLiteral("sse-plain-http"),
        QStringLiteral("sse-server-loop"),
        QStringLiteral("sse-one-way"),
        QStringLiteral("sse-connection-limit"),
        QStringLiteral("sse-reconnect"),
        QStringLiteral("proxy-idle-kill"),
        QStringLiteral("server-restart"),
        QStringLiteral("durable-restart"),
        QStringLiteral("scale-out"),
    };
    return ids;
}

void tst_Lessons::listIsStableAscii()
{
    QByteArray out;
    QCOMPARE(run({ QStringLiteral("--list-lessons") }, &out), 0);
    const QStringList ids = QString::fromLatin1(out).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(ids, expectedLessons());
    for (const QString &id : ids)
        for (QChar c : id)
            QVERIFY2(c.isLower() || c.isDigit() || c == u'-', qPrintable(id));
}

void tst_Lessons::badArgumentsExitTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("unknown lesson") << QStringList { QStringLiteral("--lesson"), QStringLiteral("no-such"),
                                                     QStringLiteral("--export"), QStringLiteral("/tmp/x.json") };
    QTest::newRow("no export file") << QStringList { QStringLiteral("--lesson"), QStringLiteral("lp-simple") };
    QTest::newRow("duration too short") << QStringList { QStringLiteral("--lesson"),   QStringLiteral("lp-simple"),
                                                         QStringLiteral("--duration"), QStringLiteral("2"),
                                                         QStringLiteral("--export"),   QStringLiteral("/tmp/x.json") };
    QTest::newRow("duration not a number")
            << QStringList { QStringLiteral("--lesson"), QStringLiteral("lp-simple"), QStringLiteral("--duration"),
                             QStringLiteral("ten"),      QStringLiteral("--export"),  QStringLiteral("/tmp/x.json") };
    QTest::newRow("unknown option") << QStringList { QStringLiteral("--list-lessons"), QStringLiteral("--frobnicate") };
}

void tst_Lessons::badArgumentsExitTwo()
{
    QFETCH(QStringList, args);
    QCOMPARE(run(args), 2);
}

static qint64 num(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isDouble())
        qWarning("measured has no number %s", key);
    return v.toInteger(-1);
}

void tst_Lessons::lessonRunsAndPointsTheClaimsWay_data()
{
    QTest::addColumn<QString>("lesson");
    QTest::addColumn<bool>("assertHolds");
    QTest::addColumn<Check>("check");
    auto lane = [](const QJsonObject &lanes, const char *key) { return lanes.value(QLatin1String(key)).toObject(); };
    auto bytes = [lane](const QJsonObject &lanes, const char *key) {
        return lane(lanes, key).value(QLatin1String("bytesPerMessage")).toDouble();
    };

    QTest::newRow("lp-simple") << QStringLiteral("lp-simple") << true
                               << Check([](const QJsonObject &m, const QJsonObject &) {
                                      QVERIFY(num(m, "messages") > 0);
                                      QVERIFY(num(m, "httpRequests") >= num(m, "messages") / 2);
                                  });
    QTest::newRow("lp-fallback") << QStringLiteral("lp-fallback") << true
                                 << Check([](const QJsonObject &m, const QJsonObject &) {
                                        QVERIFY(num(m, "refusedUpgrades") > 0);
                                        QVERIFY(num(m, "refusedStreams") > 0);
                                        QCOMPARE(m.value(QLatin1String("chatTransport")).toString(),
                                                 QStringLiteral("lp"));
                                        QVERIFY(num(m, "messagesAfterFallback") > 0);
                                    });
    // Latency is exported, not asserted (see the top); the requests per message are counts.
    QTest::newRow("lp-vs-polling") << QStringLiteral("lp-vs-polling") << false
                                   << Check([](const QJsonObject &m, const QJsonObject &) {
                                          QCOMPARE(num(m, "pollIntervalMs"), 1000);
                                          QVERIFY(num(m, "messagesLp") > 0 && num(m, "messagesPoll") > 0);
                                          QVERIFY(num(m, "idlePolls") > 0);
                                          QVERIFY(m.value(QLatin1String("requestsPerMessageLp")).toDouble()
                                                  < m.value(QLatin1String("requestsPerMessagePoll")).toDouble());
                                          for (const char *key : { "p50MsLp", "p95MsLp", "p50MsPoll", "p95MsPoll" })
                                              QVERIFY2(m.contains(QLatin1String(key)), key);
                                      });
    QTest::newRow("lp-resource") << QStringLiteral("lp-resource") << true
                                 << Check([](const QJsonObject &m, const QJsonObject &) {
                                        QVERIFY(m.value(QLatin1String("requestsPerSecLp")).toDouble()
                                                > m.value(QLatin1String("requestsPerSecSse")).toDouble());
                                        QVERIFY(m.value(QLatin1String("requestsPerSecLp")).toDouble()
                                                > m.value(QLatin1String("requestsPerSecWs")).toDouble());
                                        QVERIFY(m.value(QLatin1String("idleLp_requestsPerSecPerClient")).toDouble()
                                                > m.value(QLatin1String("idleWs_requestsPerSecPerClient")).toDouble());
                                        // The request that opened a stream or socket is not one "after it
                                        // opened": the claim says none, and the figures must say 0.
                                        QCOMPARE(num(m, "requestsAfterOpenSse"), 0);
                                        QCOMPARE(num(m, "requestsAfterOpenWs"), 0);
                                        QVERIFY(num(m, "requestsAfterOpenLp") > 0);
                                        QCOMPARE(m.value(QLatin1String("requestsPerSecSse")).toDouble(-1), 0.0);
                                        QCOMPARE(m.value(QLatin1String("requestsPerSecWs")).toDouble(-1), 0.0);
                                    });
    QTest::newRow("lp-hold-timeouts") << QStringLiteral("lp-hold-timeouts") << true
                                      << Check([](const QJsonObject &m, const QJsonObject &) {
                                             QVERIFY(num(m, "holdTimeouts") > 0);
                                             QVERIFY(num(m, "httpRequests") > num(m, "messages"));
                                         });
    QTest::newRow("lp-latency") << QStringLiteral("lp-latency") << false
                                << Check([](const QJsonObject &m, const QJsonObject &) {
                                       QCOMPARE(num(m, "addedLatencyMsEachWay"), 50);
                                       QVERIFY(m.contains(QLatin1String("p50MsLp"))
                                               && m.contains(QLatin1String("p50MsWs")));
                                   });
    QTest::newRow("ws-low-overhead") << QStringLiteral("ws-low-overhead") << true
                                     << Check([bytes](const QJsonObject &, const QJsonObject &l) {
                                            QVERIFY(bytes(l, "ws") > 0);
                                            QVERIFY(bytes(l, "ws") < bytes(l, "sse"));
                                            QVERIFY(bytes(l, "sse") < bytes(l, "lp"));
                                        });
    QTest::newRow("ws-bidirectional") << QStringLiteral("ws-bidirectional") << true
                                      << Check([](const QJsonObject &m, const QJsonObject &) {
                                             QVERIFY(num(m, "publishes_ws") > 0);
                                             QCOMPARE(num(m, "postRequests_ws"), 0);
                                             QCOMPARE(num(m, "postRequests_sse"), num(m, "publishes_sse"));
                                             QCOMPARE(num(m, "postRequests_lp"), num(m, "publishes_lp"));
                                             QVERIFY(num(m, "publishes_sse") > 0 && num(m, "publishes_lp") > 0);
                                         });
    QTest::newRow("ws-many-connections") << QStringLiteral("ws-many-connections") << true
                                         << Check([](const QJsonObject &m, const QJsonObject &) {
                                                QVERIFY(num(m, "clients") > 0);
                                                QVERIFY(m.value(QLatin1String("fdsPerClient")).toDouble() >= 0.9);
                                            });
    QTest::newRow("ws-complex")
            << QStringLiteral("ws-complex") << true << Check([](const QJsonObject &m, const QJsonObject &) {
                   // The handshake: the accept is SHA-1 of the key and RFC 6455's GUID, in base64.
                   QVERIFY(num(m, "upgrades") >= 1);
                   QCOMPARE(num(m, "acceptsVerified"), num(m, "upgrades"));
                   const QByteArray key = m.value(QLatin1String("handshakeKey")).toString().toLatin1();
                   QCOMPARE(key.size(), 24);
                   QCOMPARE(m.value(QLatin1String("handshakeAccept")).toString().toLatin1(),
                            QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                                     QCryptographicHash::Sha1)
                                    .toBase64());
                   // Masking: every frame we sent (a publish, pongs, a close at least), none of the server's.
                   QVERIFY(num(m, "clientFrames") >= 3);
                   QCOMPARE(num(m, "maskedClientFrames"), num(m, "clientFrames"));
                   QVERIFY(num(m, "distinctMaskKeys") >= num(m, "clientFrames") - 1);
                   QVERIFY(!m.value(QLatin1String("maskKeys")).toArray().isEmpty());
                   QVERIFY(num(m, "serverFrames") > 0);
                   QCOMPARE(num(m, "maskedServerFrames"), 0);
                   QVERIFY(num(m, "pingPongPairs") >= 1);
                   // The close handshake: ours (1000) and the server's answer.
                   const QJsonArray codes = m.value(QLatin1String("closeCodes")).toArray();
                   QVERIFY(codes.size() >= 2);
                   QVERIFY(codes.contains(1000));
                   // Header lengths: the server's 2-byte headers, ours 4 bytes longer for the mask key.
                   const QJsonArray lengths = m.value(QLatin1String("frameHeaderLengths")).toArray();
                   QVERIFY(lengths.contains(2) && lengths.contains(6));
                   QCOMPARE(num(m, "frames_lp_sse"), 0);
                   QVERIFY(num(m, "plainHttpRequests_lp") > 0 && num(m, "plainHttpRequests_sse") > 0);
               });
    QTest::newRow("ws-blocked") << QStringLiteral("ws-blocked") << true
                                << Check([](const QJsonObject &m, const QJsonObject &) {
                                       QVERIFY(num(m, "refusedUpgrades") > 0);
                                       QCOMPARE(m.value(QLatin1String("chatTransport")).toString(),
                                                QStringLiteral("sse"));
                                   });
    QTest::newRow("ws-security") << QStringLiteral("ws-security") << true
                                 << Check([](const QJsonObject &m, const QJsonObject &) {
                                        QCOMPARE(num(m, "tried"), 3);
                                        QCOMPARE(num(m, "refused"), 3);
                                        QCOMPARE(num(m, "accepted"), 0);
                                        // The token row, against the lesson's own server with a key.
                                        QVERIFY2(!m.contains(QLatin1String("tokenError")),
                                                 qPrintable(m.value(QLatin1String("tokenError")).toString()));
                                        QCOMPARE(num(m, "tokenForeignOriginStatus"), 403);
                                        QCOMPARE(num(m, "tokenSameOriginStatus"), 101);
                                        QCOMPARE(m.value(QLatin1String("forgedFromArrivedAs")).toString(),
                                                 QStringLiteral("ann"));
                                        QVERIFY(m.value(QLatin1String("queryTokenLogLine"))
                                                        .toString()
                                                        .contains(QLatin1String("access_token=REDACTED")));
                                        QCOMPARE(m.value(QLatin1String("rawTokenInLog")).toBool(), false);
                                        const QString cookie = m.value(QLatin1String("setCookie")).toString();
                                        QVERIFY2(cookie.contains(QLatin1String("; HttpOnly"))
                                                         && cookie.contains(QLatin1String("; SameSite=Strict")),
                                                 qPrintable(cookie));
                                    });
    QTest::newRow("sse-efficient") << QStringLiteral("sse-efficient") << true
                                   << Check([](const QJsonObject &m, const QJsonObject &) {
                                          QVERIFY(num(m, "heartbeats") > 0);
                                          QCOMPARE(num(m, "payloadBytes"), 0);
                                      });
    QTest::newRow("sse-plain-http") << QStringLiteral("sse-plain-http") << true
                                    << Check([](const QJsonObject &m, const QJsonObject &) {
                                           QVERIFY(num(m, "messages") > 0);
                                           QCOMPARE(num(m, "gaps"), 0);
                                       });
    QTest::newRow("sse-server-loop") << QStringLiteral("sse-server-loop") << true
                                     << Check([](const QJsonObject &m, const QJsonObject &) {
                                            QVERIFY(num(m, "messages") > 0);
                                            QCOMPARE(num(m, "streamRequests"), 1 + num(m, "reconnects"));
                                        });
    QTest::newRow("sse-one-way") << QStringLiteral("sse-one-way") << true
                                 << Check([](const QJsonObject &m, const QJsonObject &) {
                                        QVERIFY(num(m, "publishes_sse") > 0);
                                        QCOMPARE(num(m, "postRequests_sse"), num(m, "publishes_sse"));
                                    });
    QTest::newRow("sse-connection-limit")
            << QStringLiteral("sse-connection-limit") << true << Check([](const QJsonObject &m, const QJsonObject &) {
                   QCOMPARE(num(m, "streamsTried"), 7);
                   QCOMPARE(num(m, "streamsOpened"), 6);
               });
    QTest::newRow("sse-reconnect") << QStringLiteral("sse-reconnect") << true
                                   << Check([](const QJsonObject &m, const QJsonObject &) {
                                          QVERIFY(num(m, "reconnects") > 0);
                                          QCOMPARE(num(m, "gaps"), 0);
                                      });
    QTest::newRow("proxy-idle-kill") << QStringLiteral("proxy-idle-kill") << true
                                     << Check([](const QJsonObject &m, const QJsonObject &) {
                                            QVERIFY(num(m, "idleKills") > 0);
                                            QCOMPARE(num(m, "gaps"), 0);
                                        });
    QTest::newRow("server-restart") << QStringLiteral("server-restart") << true
                                    << Check([](const QJsonObject &m, const QJsonObject &) {
                                           QVERIFY(num(m, "resets_lp") > 0 && num(m, "resets_sse") > 0
                                                   && num(m, "resets_ws") > 0);
                                           QCOMPARE(num(m, "gaps"), 0);
                                       });
    // Both crashes measured in the run: memory resets with the loss unknown; SQLite resumes every
    // lane in its epoch with no reset and no gap.
    QTest::newRow("durable-restart") << QStringLiteral("durable-restart") << true
                                     << Check([](const QJsonObject &m, const QJsonObject &) {
                                            QVERIFY2(!m.contains(QLatin1String("storeError")),
                                                     qPrintable(m.value(QLatin1String("storeError")).toString()));
                                            for (const char *lane : { "lp", "sse", "ws" }) {
                                                const auto key = [lane](const char *figure) {
                                                    return QByteArray(figure) + lane;
                                                };
                                                QVERIFY2(num(m, key("memoryResets_")) > 0, lane);
                                                QVERIFY2(num(m, key("memoryLostUnknown_")) > 0, lane);
                                                QCOMPARE(num(m, key("sqliteResets_")), 0);
                                                QCOMPARE(num(m, key("sqliteGaps_")), 0);
                                                QVERIFY2(m.value(QLatin1String(key("sqliteSameEpoch_"))).toBool(),
                                                         lane);
                                                QVERIFY2(num(m, key("sqliteMessagesAfter_")) > 0, lane);
                                            }
                                            QCOMPARE(num(m, "gaps"), 0);
                                        });
    // Two nodes on the lesson's own Redis: node A killed -9, then Redis. The lanes that were on A
    // moved to B; every lane resumed after Redis; every acknowledged publish arrived once on every
    // lane; publishes during the outage were answered 503.
    QTest::newRow("scale-out") << QStringLiteral("scale-out") << true
                               << Check([](const QJsonObject &m, const QJsonObject &) {
                                      QVERIFY2(!m.contains(QLatin1String("clusterError")),
                                               qPrintable(m.value(QLatin1String("clusterError")).toString()));
                                      QVERIFY(num(m, "nodeKills") >= 1);
                                      QVERIFY(num(m, "redisKills") >= 1);
                                      QVERIFY(num(m, "acknowledged") > 0);
                                      QVERIFY(num(m, "answered503WhileRedisDown") > 0);
                                      QCOMPARE(num(m, "answered503WithRedisUp"), 0);
                                      for (const char *lane : { "lp", "sse", "ws" }) {
                                          const auto key = [lane](const char *figure) {
                                              return QByteArray(figure) + lane;
                                          };
                                          QVERIFY2(num(m, key("received_")) > 0, lane);
                                          QCOMPARE(num(m, key("lost_")), 0);
                                          QCOMPARE(num(m, key("duplicated_")), 0);
                                          QCOMPARE(num(m, key("resets_")), 0);
                                          QCOMPARE(num(m, key("gaps_")), 0);
                                          QVERIFY2(num(m, key("redisResumeMs_")) >= 0, lane);
                                      }
                                      // Long Polling and WebSocket started on A, the node killed.
                                      for (const char *lane : { "lp", "ws" }) {
                                          const QByteArray key = QByteArray("node_") + lane;
                                          QCOMPARE(m.value(QLatin1String(key)).toString(), QStringLiteral("B"));
                                          QVERIFY2(num(m, (QByteArray("failoverMs_") + lane).constData()) >= 0, lane);
                                      }
                                      QCOMPARE(num(m, "lost"), 0);
                                      QCOMPARE(num(m, "duplicated"), 0);
                                  });
}

void tst_Lessons::lessonRunsAndPointsTheClaimsWay()
{
    QFETCH(QString, lesson);
    QFETCH(bool, assertHolds);
    QFETCH(Check, check);
    if (lesson == u"scale-out" && QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty()
        && QStandardPaths::findExecutable(QStringLiteral("redis-server"), { QStringLiteral("/usr/sbin") }).isEmpty())
        QSKIP("redis-server is not installed (dev.sh installs it): scale-out needs it");
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("out.json"));
    QCOMPARE(run({ QStringLiteral("--lesson"), lesson, QStringLiteral("--export"), file }, nullptr, 180000), 0);
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(o.value(QLatin1String("format")).toInt(), 1);
    QCOMPARE(o.value(QLatin1String("lesson")).toString(), lesson);
    const QJsonArray claims = o.value(QLatin1String("claims")).toArray();
    QCOMPARE(claims.size(), 1);
    const QJsonObject claim = claims.first().toObject();
    for (const char *key : { "transport", "claim", "expected", "holds", "measured" })
        QVERIFY2(claim.contains(QLatin1String(key)), key);
    const QJsonObject lanes = o.value(QLatin1String("lanes")).toObject();
    // The three real-time transports, or long polling beside short polling for the lesson that
    // compares them.
    const QStringList expectedLanes = lesson == u"lp-vs-polling"
            ? QStringList { QStringLiteral("lp"), QStringLiteral("poll") }
            : QStringList { QStringLiteral("lp"), QStringLiteral("sse"), QStringLiteral("ws") };
    QCOMPARE(lanes.keys(), expectedLanes);
    for (const QJsonValue &v : lanes) {
        const QJsonObject l = v.toObject();
        for (const char *key :
             { "messages", "httpRequests", "bytesPerMessage", "latencyMs", "holdTimeouts", "reconnects" })
            QVERIFY2(l.contains(QLatin1String(key)), key);
    }
    const QJsonObject measured = claim.value(QLatin1String("measured")).toObject();
    check(measured, lanes);
    if (QTest::currentTestFailed())
        qWarning("%s", QJsonDocument(claim).toJson().constData());
    if (assertHolds)
        QVERIFY2(claim.value(QLatin1String("holds")).toBool(),
                 qPrintable(claim.value(QLatin1String("summary")).toString()));
}

QTEST_GUILESS_MAIN(tst_Lessons)
#include "tst_lessons.moc"
