// SPDX-License-Identifier: MIT
#pragma once

#include "lessoncatalog.h"

#include <QWidget>

class QPushButton;
class QScrollArea;

namespace rtlab {

class LessonCard;

// The first screen: the three textbook sequence diagrams with a sentence each, a card per lesson
// (under its transport's diagram) that starts it, the guided tour and a way straight to the chat.
// It only shows and forwards: the window starts what it asks for.
class StartPage : public QWidget
{
    Q_OBJECT
public:
    explicit StartPage(QWidget *parent = nullptr);
    // With these lessons instead of the catalog's (tests).
    explicit StartPage(const QList<LessonInfo> &lessons, QWidget *parent = nullptr);

    LessonCard *card(const QString &lessonId) const;
    QList<LessonCard *> cards() const { return m_cards; }
    QPushButton *tourButton() const { return m_tour; }
    QPushButton *chatButton() const { return m_chat; }
    QScrollArea *scrollArea() const { return m_scroll; }

signals:
    void lessonRequested(const QString &lessonId);
    void tourRequested();
    void chatRequested();

private:
    LessonCard *makeCard(const LessonInfo &lesson, QWidget *parent);

    QList<LessonCard *> m_cards;
    QPushButton *m_tour;
    QPushButton *m_chat;
    QScrollArea *m_scroll;
};

} // namespace rtlab
