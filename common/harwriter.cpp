// SPDX-License-Identifier: MIT
#include "harwriter.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QUrl>
#include <QUrlQuery>

#include <map>
#include <vector>

#ifndef RTLAB_VERSION
#define RTLAB_VERSION "0"
#endif

namespace rtlab {

namespace {

// A response body's text in an entry: at most this many bytes (the capture keeps less anyway).
constexpr qsizetype MaxContentText = 64 * 1024;

struct Head
{
    QString firstLine;
    QJsonArray headers; // [{name, value}] in wire order
    QString header(QStringView name) const
    {
        for (const QJsonValue &h : headers) {
            if (h[QLatin1String("name")].toString().compare(name, Qt::CaseInsensitive) == 0)
                return h[QLatin1String("value")].toString();
        }
        return {};
    }
};

Head parseHead(const QByteArray &head)
{
    Head h;
    const QList<QByteArray> lines = head.split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (line.endsWith('\r'))
            line.chop(1);
        if (i == 0) {
            h.firstLine = QString::fromLatin1(line);
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (line.isEmpty() || colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed();
        QString value = QString::fromUtf8(line.mid(colon + 1).trimmed());
        // A HAR file is passed around (attached to a bug report): the token it carried is not in it,
        // as browsers leave credentials out of their HAR exports. headersSize stays the exact one.
        if (name.compare("Authorization", Qt::CaseInsensitive) == 0)
            value = value.section(QLatin1Char(' '), 0, 0) + QStringLiteral(" REDACTED");
        h.headers.append(QJsonObject { { QLatin1String("name"), QString::fromLatin1(name) },
                                       { QLatin1String("value"), value } });
    }
    return h;
}

double ms(qint64 us)
{
    return double(us) / 1000.0;
}

QString isoTime(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC).toString(Qt::ISODateWithMs);
}

// "GET /poll HTTP/1.1" → HTTP/1.1; "HTTP/1.1 200 OK" → HTTP/1.1, 200, OK.
QString requestVersion(const QString &line)
{
    const QString v = line.section(QLatin1Char(' '), -1);
    return v.startsWith(QLatin1String("HTTP/")) ? v : QStringLiteral("HTTP/1.1");
}

QJsonObject request(const WireExchange &e)
{
    const Head head = parseHead(e.requestHead);
    const QUrl url(e.url);
    QJsonArray query;
    for (const auto &[name, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded))
        query.append(QJsonObject { { QLatin1String("name"), name }, { QLatin1String("value"), value } });
    bool lengthOk = false;
    const qint64 contentLength = head.header(u"Content-Length").toLongLong(&lengthOk);
    QJsonObject r {
        { QLatin1String("method"), QString::fromLatin1(e.method) },
        { QLatin1String("url"), e.url },
        { QLatin1String("httpVersion"), requestVersion(head.firstLine) },
        { QLatin1String("cookies"), QJsonArray {} },
        { QLatin1String("headers"), head.headers },
        { QLatin1String("queryString"), query },
        { QLatin1String("headersSize"), e.requestHead.size() },
        { QLatin1String("bodySize"), lengthOk ? contentLength : qint64(e.requestBody.size()) },
    };
    if (e.method == "POST" || e.method == "PUT" || e.method == "PATCH") {
        QString mime = head.header(u"Content-Type");
        r.insert(QLatin1String("postData"),
                 QJsonObject { { QLatin1String("mimeType"),
                                 mime.isEmpty() ? QStringLiteral("application/octet-stream") : mime },
                               { QLatin1String("params"), QJsonArray {} },
                               { QLatin1String("text"), QString::fromUtf8(e.requestBody) } });
    }
    return r;
}

QJsonObject response(const WireExchange &e, const WireRecord *answer)
{
    QJsonObject content { { QLatin1String("size"), e.responseBodySize },
                          { QLatin1String("mimeType"),
                            e.mimeType.isEmpty() ? QStringLiteral("x-unknown") : e.mimeType } };
    if (answer && !answer->data.isEmpty()) {
        content.insert(QLatin1String("text"), QString::fromUtf8(answer->data.left(MaxContentText)));
        if (answer->data.size() < e.responseBodySize)
            content.insert(QLatin1String("comment"),
                           QStringLiteral("the first %1 of %2 bytes").arg(answer->data.size()).arg(e.responseBodySize));
    }
    if (e.status == 0) {
        // No response came: as browsers write a failed request.
        QJsonObject r { { QLatin1String("status"), 0 },
                        { QLatin1String("statusText"), QString() },
                        { QLatin1String("httpVersion"), QString() },
                        { QLatin1String("cookies"), QJsonArray {} },
                        { QLatin1String("headers"), QJsonArray {} },
                        { QLatin1String("content"), content },
                        { QLatin1String("redirectURL"), QString() },
                        { QLatin1String("headersSize"), -1 },
                        { QLatin1String("bodySize"), -1 } };
        if (!e.endReason.isEmpty())
            r.insert(QLatin1String("_error"), e.endReason);
        return r;
    }
    const Head head = parseHead(e.responseHead);
    // "HTTP/1.1 200 OK"
    const QString version = head.firstLine.section(QLatin1Char(' '), 0, 0);
    const QString statusText = head.firstLine.section(QLatin1Char(' '), 2);
    return { { QLatin1String("status"), e.status },
             { QLatin1String("statusText"), statusText },
             { QLatin1String("httpVersion"), version },
             { QLatin1String("cookies"), QJsonArray {} },
             { QLatin1String("headers"), head.headers },
             { QLatin1String("content"), content },
             { QLatin1String("redirectURL"), head.header(u"Location") },
             { QLatin1String("headersSize"), e.responseHead.size() },
             { QLatin1String("bodySize"), e.responseBodySize } };
}

QString frameData(const WireRecord &r)
{
    switch (r.opcode) {
    case 1:
    case 9:
    case 10: return QString::fromUtf8(r.data);
    case 8: return QString::fromUtf8(r.data.mid(2)); // after the close code
    default: return QString::fromLatin1(r.data.toBase64());
    }
}

} // namespace

QJsonObject harFromCapture(const WireCapture::Snapshot &s)
{
    return harFromCapture(s, WireCapture::nowUs());
}

QJsonObject harFromCapture(const WireCapture::Snapshot &s, qint64 nowUs)
{
    // The records of each exchange, in order (one pass; exchanges are few next to records).
    std::map<quint64, std::vector<const WireRecord *>> byExchange;
    for (const WireRecord &r : s.records) {
        if (r.exchange != 0)
            byExchange[r.exchange].push_back(&r);
    }
    QJsonArray entries;
    for (const WireExchange &e : s.exchanges) {
        const auto found = byExchange.find(e.id);
        static const std::vector<const WireRecord *> none;
        const std::vector<const WireRecord *> &records = found != byExchange.end() ? found->second : none;
        const WireRecord *answer = nullptr;
        QJsonArray events;
        QJsonArray frames;
        for (const WireRecord *r : records) {
            if (r->kind == WireRecord::Kind::Response && !answer) {
                answer = r;
            } else if (r->kind == WireRecord::Kind::Event) {
                events.append(QJsonObject {
                        { QLatin1String("type"), r->eventType.isEmpty() ? QStringLiteral("message") : r->eventType },
                        { QLatin1String("time"), double(r->timeUs) / 1e6 },
                        { QLatin1String("id"), r->eventId },
                        { QLatin1String("data"), QString::fromUtf8(r->data) } });
            } else if (r->kind == WireRecord::Kind::Frame) {
                frames.append(QJsonObject { { QLatin1String("type"),
                                              r->direction == WireDirection::ToServer ? QStringLiteral("send")
                                                                                      : QStringLiteral("receive") },
                                            { QLatin1String("time"), double(r->timeUs) / 1e6 },
                                            { QLatin1String("opcode"), r->opcode },
                                            { QLatin1String("data"), frameData(*r) } });
            }
        }
        // Each phase from its own marks; a missing mark (never sent, no head yet) ends the phase
        // where the exchange ended, or now while it is open. None is negative.
        const qint64 start = e.startUs;
        const qint64 end = qMax(start, e.endUs >= 0 ? e.endUs : nowUs);
        const qint64 sent = qBound(start, e.sentUs >= 0 ? e.sentUs : end, end);
        const qint64 head = qBound(sent, e.headUs >= 0 ? e.headUs : end, end);
        const double send = ms(sent - start);
        const double wait = ms(head - sent);
        const double receive = ms(end - head);
        QJsonObject entry {
            { QLatin1String("startedDateTime"), isoTime(start) },
            { QLatin1String("time"), send + wait + receive },
            { QLatin1String("request"), request(e) },
            { QLatin1String("response"), response(e, answer) },
            { QLatin1String("cache"), QJsonObject {} },
            { QLatin1String("timings"),
              QJsonObject { { QLatin1String("blocked"), -1 },
                            { QLatin1String("dns"), -1 },
                            { QLatin1String("connect"), -1 },
                            { QLatin1String("send"), send },
                            { QLatin1String("wait"), wait },
                            { QLatin1String("receive"), receive },
                            { QLatin1String("ssl"), -1 } } },
            { QLatin1String("_transport"), transportKindLabel(e.transport) },
        };
        QStringList comment;
        if (e.endUs < 0)
            comment.append(QStringLiteral("still open when written"));
        if (!e.endReason.isEmpty())
            comment.append(QStringLiteral("ended: %1").arg(e.endReason));
        if (answer && answer->empty)
            comment.append(QStringLiteral("an empty answer: %1").arg(answer->label));
        if (!comment.isEmpty())
            entry.insert(QLatin1String("comment"), comment.join(QLatin1String("; ")));
        if (e.kind == WireExchange::Kind::EventStream || e.mimeType == u"text/event-stream")
            entry.insert(QLatin1String("_eventStreamMessages"), events);
        if (e.kind == WireExchange::Kind::WebSocket)
            entry.insert(QLatin1String("_webSocketMessages"), frames);
        entries.append(entry);
    }
    QJsonObject log { { QLatin1String("version"), QStringLiteral("1.2") },
                      { QLatin1String("creator"),
                        QJsonObject { { QLatin1String("name"), QStringLiteral("rtlab") },
                                      { QLatin1String("version"), QStringLiteral(RTLAB_VERSION) } } },
                      { QLatin1String("entries"), entries } };
    if (s.droppedExchanges > 0 || s.droppedRecords > 0) {
        log.insert(QLatin1String("comment"),
                   QStringLiteral("incomplete: the capture's rings were full and dropped the oldest %1 and %2")
                           .arg(s.droppedExchanges == 1 ? QStringLiteral("1 exchange")
                                                        : QStringLiteral("%1 exchanges").arg(s.droppedExchanges),
                                s.droppedRecords == 1 ? QStringLiteral("1 record")
                                                      : QStringLiteral("%1 records").arg(s.droppedRecords)));
    }
    return { { QLatin1String("log"), log } };
}

bool writeHar(const QString &path, const WireCapture::Snapshot &s, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(harFromCapture(s)).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace rtlab
