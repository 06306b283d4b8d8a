// SPDX-License-Identifier: MIT
#include "clirunner.h"

#include "bearertoken.h"
#include "harwriter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>

namespace rtlab {

bool CliRunner::parse(const QStringList &arguments, Options *o, QString *error, bool *exitNow)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
            "rtlab-cli: a headless rtlab client. Prints each message it receives as one JSON line on stdout, "
            "in order, and connection events as JSON lines on stderr."));
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    const QCommandLineOption url({ QStringLiteral("url") },
                                 QStringLiteral("The rtlab server, http://HOST:PORT (with --raw: any SSE http(s):// or "
                                                "WebSocket ws(s):// URL). Repeat it for the nodes of a cluster "
                                                "(--url A --url B ...): when one fails the client moves to the "
                                                "next, in that order, resuming where it was."),
                                 QStringLiteral("url"));
    const QCommandLineOption transport({ QStringLiteral("transport") },
                                       QStringLiteral("lp (long polling), sse, ws, poll (traditional short polling: "
                                                      "a GET /poll answered at once, every --poll-interval) or auto "
                                                      "(default; never poll; with --raw taken from the URL's scheme)."),
                                       QStringLiteral("transport"));
    const QCommandLineOption after({ QStringLiteral("after") },
                                   QStringLiteral("Resume after this message id (new messages only if absent)."),
                                   QStringLiteral("id"));
    const QCommandLineOption epoch({ QStringLiteral("epoch") },
                                   QStringLiteral("The epoch of --after (as the server named it)."),
                                   QStringLiteral("epoch"));
    const QCommandLineOption count({ QStringLiteral("count") }, QStringLiteral("Exit after N messages."),
                                   QStringLiteral("N"));
    const QCommandLineOption duration({ QStringLiteral("duration") }, QStringLiteral("Exit after S seconds."),
                                      QStringLiteral("S"));
    const QCommandLineOption send({ QStringLiteral("send") },
                                  QStringLiteral("Publish TEXT once connected (and, without --count or --duration, "
                                                 "exit when it comes back)."),
                                  QStringLiteral("text"));
    const QCommandLineOption from({ QStringLiteral("from") }, QStringLiteral("Sender name for --send."),
                                  QStringLiteral("name"), QStringLiteral("rtlab-cli"));
    const QCommandLineOption cycle({ QStringLiteral("cycle") },
                                   QStringLiteral("Switch transport on a timer through this list, e.g. lp,sse,ws."),
                                   QStringLiteral("list"));
    const QCommandLineOption cycleEvery({ QStringLiteral("cycle-every") },
                                        QStringLiteral("Milliseconds between --cycle switches (default 1000)."),
                                        QStringLiteral("ms"), QStringLiteral("1000"));
    const QCommandLineOption raw({ QStringLiteral("raw") },
                                 QStringLiteral("Read any SSE or WebSocket endpoint: print SSE events as "
                                                "{\"event\",\"id\",\"data\"} and WebSocket messages as {\"data\"}."));
    const QCommandLineOption stats({ QStringLiteral("stats") },
                                   QStringLiteral("At exit, print the statistics as one JSON object {\"stats\":...}. "
                                                  "messagesPerSec is null unless the run lasted at least 1 s and "
                                                  "carried at least 2 messages (a rate over less means nothing)."));
    const QCommandLineOption only({ QStringLiteral("only") },
                                  QStringLiteral("Print only these message types, e.g. chat,reset."),
                                  QStringLiteral("types"));
    const QCommandLineOption policy({ QStringLiteral("reconnect") },
                                    QStringLiteral("Reconnect policy: default, signalr or none."),
                                    QStringLiteral("policy"), QStringLiteral("default"));
    const QCommandLineOption heartbeat({ QStringLiteral("heartbeat") },
                                       QStringLiteral("The server's heartbeat in seconds (a dead peer is one silent "
                                                      "for two; default 15)."),
                                       QStringLiteral("S"), QStringLiteral("15"));
    const QCommandLineOption connectTimeout({ QStringLiteral("connect-timeout") },
                                            QStringLiteral("Give up if not connected within S seconds (default 10)."),
                                            QStringLiteral("S"), QStringLiteral("10"));
    const QCommandLineOption har(
            { QStringLiteral("har") },
            QStringLiteral("Record every HTTP exchange, SSE event and WebSocket frame, and write them "
                           "to FILE as a HAR 1.2 archive (for browser developer tools) when the run "
                           "ends: --count, --duration, Ctrl-C (SIGINT) or SIGTERM."),
            QStringLiteral("file"));
    p.addOptions({ url, transport, after, epoch, count, duration, send, from, cycle, cycleEvery, raw, stats, only,
                   policy, heartbeat, connectTimeout, har });
    const QCommandLineOption pollInterval({ QStringLiteral("poll-interval") },
                                          QStringLiteral("Short polling (--transport poll): milliseconds from one "
                                                         "poll to the next (default 1000)."),
                                          QStringLiteral("ms"), QStringLiteral("1000"));
    p.addOption(pollInterval);
    const QCommandLineOption token({ QStringLiteral("token") },
                                   QStringLiteral("A token for a server with --auth-key, sent as Authorization: "
                                                  "Bearer on every request. It shows in `ps`: prefer --token-file."),
                                   QStringLiteral("token"));
    const QCommandLineOption tokenFile({ QStringLiteral("token-file") },
                                       QStringLiteral("Read the token from FILE (its first line; - for stdin), so "
                                                      "that it stays out of the process list."),
                                       QStringLiteral("file"));
    p.addOptions({ token, tokenFile });

    auto fail = [&](const QString &why) {
        *error = why;
        return false;
    };
    if (!p.parse(arguments))
        return fail(p.errorText());
    if (p.isSet(help) || p.isSet(version)) {
        std::fputs(qPrintable(p.isSet(help)
                                      ? p.helpText()
                                      : QStringLiteral("rtlab-cli %1\n").arg(QCoreApplication::applicationVersion())),
                   stdout);
        *exitNow = true;
        return true;
    }
    if (!p.isSet(url))
        return fail(QStringLiteral("--url is required"));
    o->raw = p.isSet(raw);
    const QStringList urlValues = p.values(url);
    if (o->raw && urlValues.size() > 1)
        return fail(QStringLiteral("--raw reads one --url"));
    o->urls.clear();
    for (const QString &value : urlValues) {
        const QUrl u(value);
        if (!u.isValid() || u.host().isEmpty())
            return fail(QStringLiteral("--url: not a URL: %1").arg(value));
        if (!o->raw && u.scheme() != u"http" && u.scheme() != u"https")
            return fail(QStringLiteral("--url: an rtlab server is http:// or https://, got %1").arg(value));
        if (o->urls.contains(u))
            return fail(QStringLiteral("--url: %1 is given twice").arg(value));
        o->urls.append(u);
    }
    o->url = o->urls.constFirst();
    const QString scheme = o->url.scheme();
    if (p.isSet(transport)) {
        if (!RealtimeClient::modeFromKey(p.value(transport), &o->mode))
            return fail(
                    QStringLiteral("--transport: expected lp, sse, ws, poll or auto, got %1").arg(p.value(transport)));
    } else if (o->raw) {
        o->mode = scheme.startsWith(u"ws") ? RealtimeClient::Mode::WebSocket : RealtimeClient::Mode::Sse;
    }
    if (o->raw && o->mode != RealtimeClient::Mode::Sse && o->mode != RealtimeClient::Mode::WebSocket)
        return fail(QStringLiteral("--raw reads SSE or WebSocket endpoints"));
    bool ok = true;
    if (p.isSet(after)) {
        o->after.lastId = p.value(after).toULongLong(&ok);
        if (!ok)
            return fail(QStringLiteral("--after: expected a message id, got %1").arg(p.value(after)));
        o->after.epoch = p.value(epoch);
    }
    if (p.isSet(count)) {
        o->count = p.value(count).toLongLong(&ok);
        if (!ok || o->count < 1)
            return fail(QStringLiteral("--count: expected a number >= 1"));
    }
    if (p.isSet(duration)) {
        o->durationS = p.value(duration).toDouble(&ok);
        if (!ok || !std::isfinite(o->durationS) || o->durationS <= 0)
            return fail(QStringLiteral("--duration: expected seconds > 0"));
    }
    o->connectTimeoutS = p.value(connectTimeout).toDouble(&ok);
    if (!ok || o->connectTimeoutS <= 0)
        return fail(QStringLiteral("--connect-timeout: expected seconds > 0"));
    o->send = p.value(send);
    o->from = p.value(from);
    if (p.isSet(cycle)) {
        for (const QString &key : p.value(cycle).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            RealtimeClient::Mode m;
            if (!RealtimeClient::modeFromKey(key.trimmed(), &m) || m == RealtimeClient::Mode::Auto)
                return fail(QStringLiteral("--cycle: expected a list of lp, sse, ws, poll, got %1").arg(key));
            o->cycle.append(m);
        }
        o->cycleEveryMs = p.value(cycleEvery).toInt(&ok);
        if (!ok || o->cycleEveryMs < 10)
            return fail(QStringLiteral("--cycle-every: expected milliseconds >= 10"));
        if (!p.isSet(transport) && !o->cycle.isEmpty())
            o->mode = o->cycle.constFirst();
    }
    o->stats = p.isSet(stats);
    for (const QString &t : p.value(only).split(QLatin1Char(','), Qt::SkipEmptyParts))
        o->onlyTypes.insert(t.trimmed());
    const auto preset = ReconnectPolicy::presetFromName(p.value(policy));
    if (!preset)
        return fail(QStringLiteral("--reconnect: expected default, signalr or none"));
    o->policy = ReconnectPolicy::preset(*preset);
    const double hb = p.value(heartbeat).toDouble(&ok);
    if (!ok || hb <= 0)
        return fail(QStringLiteral("--heartbeat: expected seconds > 0"));
    o->heartbeatMs = qint64(std::llround(hb * 1000));
    if (p.isSet(har)) {
        // Checked now, not after a long run: the directory must be there to write into.
        o->harPath = p.value(har);
        const QFileInfo info(o->harPath);
        if (o->harPath.isEmpty() || info.isDir())
            return fail(QStringLiteral("--har: expected a file name, got %1").arg(o->harPath));
        if (!info.absoluteDir().exists())
            return fail(QStringLiteral("--har: no such directory: %1").arg(info.absolutePath()));
    }
    if (p.isSet(token) && p.isSet(tokenFile))
        return fail(QStringLiteral("--token and --token-file: give one of them"));
    if (p.isSet(token)) {
        o->token = p.value(token).toUtf8().trimmed();
        if (!BearerToken::isValid(o->token))
            return fail(QStringLiteral("--token: a token is printable ASCII with no spaces, and not empty"));
    }
    QString why;
    if (p.isSet(tokenFile) && !BearerToken::readFile(p.value(tokenFile), &o->token, &why))
        return fail(QStringLiteral("--token-file: %1").arg(why));
    o->pollIntervalMs = p.value(pollInterval).toLongLong(&ok);
    if (!ok || o->pollIntervalMs < 10 || o->pollIntervalMs > 3600 * 1000)
        return fail(QStringLiteral("--poll-interval: expected milliseconds from 10 to 3600000"));
    return true;
}

CliRunner::CliRunner(const Options &options, QObject *parent) : QObject(parent), m_options(options)
{
    if (!options.harPath.isEmpty()) {
        m_capture = std::make_shared<WireCapture>();
        m_client.setWireCapture(m_capture);
    }
    m_client.setServerUrls(options.urls.isEmpty() ? QList<QUrl> { options.url } : options.urls);
    m_client.setReconnectPolicy(options.policy);
    m_client.setHeartbeatMs(options.heartbeatMs);
    m_client.setPollIntervalMs(options.pollIntervalMs);
    m_client.setToken(options.token);
    connect(&m_client, &RealtimeClient::messageReceived, this, &CliRunner::onMessage);
    connect(&m_client, &RealtimeClient::eventOccurred, this, &CliRunner::onEvent);
    // --send: a message the server refused (its token or permission, or a bad message) is the run's
    // failure, said in words, not a wait for --duration.
    connect(&m_client, &RealtimeClient::publishStateChanged, this,
            [this](const QString &clientMsgId, Outbox::State state) {
                if (state != Outbox::State::Failed)
                    return;
                const Outbox::Item *item = m_client.outbox().find(clientMsgId);
                finish(1, QStringLiteral("--send: %1").arg(item ? item->errorString : QStringLiteral("not sent")));
            });
    m_durationTimer.setSingleShot(true);
    connect(&m_durationTimer, &QTimer::timeout, this, [this] {
        if (!m_everOpened)
            finish(1,
                   QStringLiteral("could not connect to %1%2")
                           .arg(urlsText(),
                                m_lastFailure.isEmpty() ? QString() : QStringLiteral(": ") + m_lastFailure));
        else
            finish(0);
    });
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        finish(1,
               QStringLiteral("could not connect to %1 within %2 s%3")
                       .arg(urlsText())
                       .arg(m_options.connectTimeoutS)
                       .arg(m_lastFailure.isEmpty() ? QString()
                                                    : QStringLiteral(" (last attempt: %1)").arg(m_lastFailure)));
    });
    connect(&m_cycleTimer, &QTimer::timeout, this, [this] {
        m_cycleIndex = (m_cycleIndex + 1) % int(m_options.cycle.size());
        m_client.switchTo(m_options.cycle.at(m_cycleIndex));
    });
}

QString CliRunner::urlsText() const
{
    if (m_options.urls.size() < 2)
        return m_options.url.toString();
    QStringList all;
    for (const QUrl &u : m_options.urls)
        all.append(u.toString());
    return all.join(QLatin1String(", "));
}

void CliRunner::start()
{
    m_elapsed.start();
    if (m_options.durationS > 0)
        m_durationTimer.start(int(std::llround(m_options.durationS * 1000)));
    m_connectTimer.start(int(std::llround(m_options.connectTimeoutS * 1000)));
    if (m_options.raw) {
        startRaw();
        return;
    }
    m_client.start(m_options.mode, m_options.after);
    if (!m_options.cycle.isEmpty())
        m_cycleTimer.start(m_options.cycleEveryMs);
}

void CliRunner::stop()
{
    finish(0);
}

void CliRunner::startRaw()
{
    ClientTransport::Options o;
    o.rawUrl = m_options.url;
    o.policy = m_options.policy;
    o.heartbeatMs = m_options.mode == RealtimeClient::Mode::Sse ? 0 : m_options.heartbeatMs;
    o.capture = m_capture;
    o.token = m_options.token;
    const TransportKind kind =
            m_options.mode == RealtimeClient::Mode::Sse ? TransportKind::Sse : TransportKind::WebSocket;
    m_raw = ClientTransport::create(kind, o, this);
    connect(m_raw, &ClientTransport::eventOccurred, this, &CliRunner::onEvent);
    connect(m_raw, &ClientTransport::rawReceived, this, [this](const QJsonObject &object) {
        printLine(stdout, object);
        if (m_options.count > 0 && ++m_printed >= m_options.count)
            finish(0);
    });
    m_raw->start();
}

void CliRunner::printLine(FILE *stream, const QJsonObject &object)
{
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stream);
    std::fflush(stream);
}

void CliRunner::onEvent(const ConnectionEvent &e)
{
    QJsonObject o;
    o.insert(QLatin1String("event"), ConnectionEvent::typeName(e.type));
    o.insert(QLatin1String("transport"), transportKindKey(e.transport));
    o.insert(QLatin1String("time"), e.timeMs);
    if (!e.detail.isEmpty())
        o.insert(QLatin1String("detail"), e.detail);
    if (e.type == ConnectionEvent::Type::RetryScheduled)
        o.insert(QLatin1String("delayMs"), e.delayMs);
    if (e.type == ConnectionEvent::Type::Reset)
        o.insert(QLatin1String("lost"), e.lost);
    if (e.closeCode)
        o.insert(QLatin1String("closeCode"), e.closeCode);
    if (e.httpStatus)
        o.insert(QLatin1String("httpStatus"), e.httpStatus);
    if (e.type == ConnectionEvent::Type::FellBack)
        o.insert(QLatin1String("blocked"), e.blocked);
    if (e.unauthorized)
        o.insert(QLatin1String("unauthorized"), true);
    printLine(stderr, o);
    if (e.type == ConnectionEvent::Type::Closed && !m_everOpened) {
        m_lastFailure = e.detail;
        m_lastFailure.remove(QRegularExpression(QStringLiteral("^could not connect: ")));
        // --raw on a URL that answers, but not with a stream (a web page): say what it is and where
        // the streams are, instead of retrying until the connect timeout.
        if (m_raw && e.httpStatus >= 200 && e.httpStatus < 300) {
            finish(1, notAStreamHint(e.detail));
            return;
        }
    }
    if (e.type == ConnectionEvent::Type::Opened) {
        m_everOpened = true;
        m_connectTimer.stop();
        if (!m_options.send.isEmpty() && !m_sent) {
            m_sent = true;
            m_client.publish(m_options.from, m_options.send);
        }
    }
    // Finished when the transport that delivers gave up (not a switch or a probe that failed).
    const bool closed = m_raw ? m_raw->state() == ClientTransport::State::Closed
                              : m_client.state() == ClientTransport::State::Closed;
    if (e.type == ConnectionEvent::Type::GaveUp && closed && e.unauthorized) {
        finish(1, e.detail); // "token expired — get a new one": retrying would not help
        return;
    }
    if (e.type == ConnectionEvent::Type::GaveUp && closed) {
        // A connection that never opened has no close code to report: say why it failed.
        const QString why = m_lastFailure.isEmpty() ? e.detail : m_lastFailure;
        finish(m_everOpened ? 0 : 1, m_everOpened ? QString() : QStringLiteral("could not connect: %1").arg(why));
    }
}

QString CliRunner::notAStreamHint(const QString &answered) const
{
    // The transports' text is "the server answered text/html, not an event stream (...)" or
    // "the server answered HTTP 200 OK instead of upgrading to WebSocket (...)".
    QString what = answered;
    const qsizetype paren = what.indexOf(QLatin1String(" ("));
    if (paren > 0)
        what.truncate(paren);
    const QUrl &u = m_options.url;
    const QString host = u.host().contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(u.host()) : u.host();
    const bool tls = u.scheme() == u"https" || u.scheme() == u"wss";
    const int port = u.port(tls ? 443 : 80);
    const QString authority = (u.port() < 0) ? host : QStringLiteral("%1:%2").arg(host).arg(port);
    return QStringLiteral("%1: try %2://%3/events (SSE) or %4://%3/ws")
            .arg(what, tls ? QStringLiteral("https") : QStringLiteral("http"), authority,
                 tls ? QStringLiteral("wss") : QStringLiteral("ws"));
}

void CliRunner::onMessage(const Message &m, TransportKind)
{
    if (m_done)
        return;
    const QString type = messageTypeName(m.type);
    const bool own = m.type == MessageType::Chat && m_sent && m.from == m_options.from && m.text == m_options.send
            && m.clientTs.isDouble();
    if (m_options.onlyTypes.isEmpty() || m_options.onlyTypes.contains(type)) {
        printLine(stdout, MessageCodec::toJsonObject(m));
        ++m_printed;
    }
    if (m_options.count > 0 && m_printed >= m_options.count) {
        finish(0);
        return;
    }
    if (own && m_options.count < 0 && m_options.durationS < 0)
        finish(0);
}

void CliRunner::finish(int code, const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    if (!why.isEmpty())
        std::fprintf(stderr, "rtlab-cli: %s\n", qPrintable(why));
    if (m_options.stats) {
        const qint64 elapsed = m_elapsed.elapsed();
        QJsonObject transports;
        for (int i = 0; i < TransportKindCount; ++i) {
            const TransportKind k = TransportKind(i);
            const TransportStats &s = m_raw && m_raw->kind() == k ? m_raw->stats() : m_client.stats(k);
            if (s.opens > 0 || s.httpRequests > 0) {
                QJsonObject t = transportStatsToJson(s, elapsed);
                // A rate needs a window: one message over 4 ms is not "250 messages per second".
                t.insert(QLatin1String("messagesPerSec"),
                         elapsed >= 1000 && s.messages >= 2
                                 ? QJsonValue(std::round(double(s.messages) * 10000.0 / double(elapsed)) / 10)
                                 : QJsonValue(QJsonValue::Null));
                transports.insert(transportKindKey(k), t);
            }
        }
        const RealtimeClient::Continuity &c = m_client.continuity();
        QJsonObject continuity;
        continuity.insert(QLatin1String("delivered"), c.delivered);
        continuity.insert(QLatin1String("gaps"), c.gaps);
        continuity.insert(QLatin1String("duplicates"), c.duplicates);
        continuity.insert(QLatin1String("droppedDuplicates"), c.dropped);
        continuity.insert(QLatin1String("resets"), c.resets);
        QJsonObject stats;
        stats.insert(QLatin1String("elapsedMs"), elapsed);
        stats.insert(QLatin1String("transports"), transports);
        stats.insert(QLatin1String("continuity"), continuity);
        stats.insert(QLatin1String("clockOffsetUs"), m_client.clock().offsetUs());
        QJsonObject wrapper;
        wrapper.insert(QLatin1String("stats"), stats);
        printLine(stdout, wrapper);
    }
    m_cycleTimer.stop();
    m_client.stop();
    if (m_raw)
        m_raw->stop();
    if (m_capture) {
        // After the stop: every exchange still open has ended ("closed by the client").
        QString error;
        if (!writeHar(m_options.harPath, m_capture->snapshot(), &error)) {
            std::fprintf(stderr, "rtlab-cli: --har: %s\n", qPrintable(error));
            code = code ? code : 1;
        }
    }
    emit finished(code);
}

} // namespace rtlab
