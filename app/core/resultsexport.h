// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>

namespace rtlab {

// The claims table and the lanes' figures as a spreadsheet opens them: the same export that
// LessonRunner::exportJson writes (docs/lessons.md), flattened to CSV (RFC 4180: CRLF lines,
// fields with commas, quotes or line breaks quoted, quotes doubled).
class ResultsExport
{
public:
    static QByteArray toCsv(const QJsonObject &exported);
    static QByteArray csvField(const QString &text);
};

} // namespace rtlab
