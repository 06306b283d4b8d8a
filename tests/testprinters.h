// SPDX-License-Identifier: MIT
#pragma once
// QTest::toString overloads for the value classes, so QCOMPARE failures print readable values.

#include "sseparser.h"

#include <QTest>

#include <memory>

namespace rtlab {

// QCOMPARE on QList<SseEvent> prints the first differing element through this (found by ADL).
inline char *toString(const SseEvent &e)
{
    const auto pretty = [](const QString &s) { return QByteArray(std::unique_ptr<char[]>(QTest::toString(s)).get()); };
    return qstrdup("{type " + pretty(e.type) + ", data " + pretty(e.data) + ", lastEventId " + pretty(e.lastEventId)
                   + "}");
}

} // namespace rtlab
