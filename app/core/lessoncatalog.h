// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>

namespace rtlab {

// The lessons: one for each benefit and drawback that the classic comparison of the three
// transports lists (docs/lessons.md), plus three about recovery. A lesson names its claim, what
// the claim predicts in measurable terms, and how to watch it; LessonRunner sets it up.
struct LessonInfo
{
    QString id;         // stable ASCII id: rtlab --lesson ID
    QString transport;  // "lp", "sse", "ws", or "all"
    QString claim;      // the textbook's words
    QString expected;   // what the figures must show for the claim to hold
    QString title;      // shown in the window
    QString text;       // what it sets up and where to watch (rich text)
    int durationS = 10; // a headless run's default (at least 5 s)
    // Empty when the lesson runs; otherwise why it cannot yet (the feature it waits for).
    QString unavailable;
};

class LessonCatalog
{
public:
    static const QList<LessonInfo> &all();
    static const LessonInfo *find(const QString &id);
    static QString transportLabel(const QString &key); // "lp" → "Long Polling", "all" → "All three"
    // The start page's card for a lesson: what the user will do, worded as an action ("See why
    // long polling costs requests"); the lesson's title for a lesson without one.
    static QString cardTitle(const QString &id);
};

} // namespace rtlab
