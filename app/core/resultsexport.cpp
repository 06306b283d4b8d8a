// SPDX-License-Identifier: MIT
#include "resultsexport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace rtlab {

QByteArray ResultsExport::csvField(const QString &text)
{
    QByteArray f = text.toUtf8();
    if (f.contains(',') || f.contains('"') || f.contains('\n') || f.contains('\r'))
        f = '"' + f.replace("\"", "\"\"") + '"';
    return f;
}

static QString scalar(const QJsonValue &v)
{
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 12);
    if (v.isString())
        return v.toString();
    if (v.isNull() || v.isUndefined())
        return {};
    return QString::fromUtf8(QJsonDocument(v.isObject() ? QJsonDocument(v.toObject()) : QJsonDocument(v.toArray()))
                                     .toJson(QJsonDocument::Compact));
}

static QByteArray line(const QStringList &fields)
{
    QByteArray out;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            out += ',';
        out += ResultsExport::csvField(fields[i]);
    }
    return out + "\r\n";
}

QByteArray ResultsExport::toCsv(const QJsonObject &exported)
{
    QByteArray out = line({ QStringLiteral("section"), QStringLiteral("lesson"), QStringLiteral("transport"),
                            QStringLiteral("claim"), QStringLiteral("expected"), QStringLiteral("holds"),
                            QStringLiteral("summary"), QStringLiteral("key"), QStringLiteral("value") });
    for (const QJsonValue &c : exported.value(QLatin1String("claims")).toArray()) {
        const QJsonObject o = c.toObject();
        const QStringList head { QStringLiteral("claim"),
                                 o.value(QLatin1String("lesson")).toString(),
                                 o.value(QLatin1String("transport")).toString(),
                                 o.value(QLatin1String("claim")).toString(),
                                 o.value(QLatin1String("expected")).toString(),
                                 scalar(o.value(QLatin1String("holds"))),
                                 o.value(QLatin1String("summary")).toString() };
        const QJsonObject measured = o.value(QLatin1String("measured")).toObject();
        for (auto it = measured.begin(); it != measured.end(); ++it)
            out += line(head + QStringList { it.key(), scalar(it.value()) });
    }
    const QJsonObject lanes = exported.value(QLatin1String("lanes")).toObject();
    for (auto lane = lanes.begin(); lane != lanes.end(); ++lane) {
        const QJsonObject o = lane.value().toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (it.value().isObject()) { // latencyMs: p50, p95, p99
                const QJsonObject sub = it.value().toObject();
                for (auto s = sub.begin(); s != sub.end(); ++s)
                    out += line({ QStringLiteral("lane"),
                                  {},
                                  lane.key(),
                                  {},
                                  {},
                                  {},
                                  {},
                                  it.key() + u'.' + s.key(),
                                  scalar(s.value()) });
            } else {
                out += line({ QStringLiteral("lane"), {}, lane.key(), {}, {}, {}, {}, it.key(), scalar(it.value()) });
            }
        }
    }
    return out;
}

} // namespace rtlab
