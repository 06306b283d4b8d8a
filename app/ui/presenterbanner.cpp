// SPDX-License-Identifier: MIT
#include "presenterbanner.h"

#include "lessoncatalog.h"
#include "lessonrunner.h"

#include <QEvent>
#include <QLabel>
#include <QVBoxLayout>

namespace rtlab {

PresenterBanner::PresenterBanner(LessonRunner *runner, QWidget *parent) : QFrame(parent), m_runner(runner)
{
    setObjectName(QStringLiteral("presenterBanner"));
    setFrameShape(QFrame::StyledPanel);
    setBackgroundRole(QPalette::AlternateBase);
    setAutoFillBackground(true);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("presenterTitle"));
    m_title->setWordWrap(true);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("presenterText"));
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    // Long lesson texts wrap; they never widen the window.
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_text->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 6);
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    updateFonts();
    connect(runner, &LessonRunner::stateChanged, this, &PresenterBanner::refresh);
    connect(runner, &LessonRunner::finished, this, &PresenterBanner::refresh);
    refresh();
}

void PresenterBanner::setPresenterEnabled(bool enabled)
{
    m_enabled = enabled;
    refresh();
}

void PresenterBanner::changeEvent(QEvent *event)
{
    // The zoom changes the application font: the banner's sizes follow it.
    if (event->type() == QEvent::FontChange || event->type() == QEvent::ApplicationFontChange)
        updateFonts();
    QFrame::changeEvent(event);
}

void PresenterBanner::updateFonts()
{
    // Relative to the (zoomed) font, set on the labels: the banner's own font stays the
    // application's, so this does not run again for its own change.
    QFont title = font();
    title.setPointSizeF(title.pointSizeF() * 1.8);
    title.setBold(true);
    m_title->setFont(title);
    QFont text = font();
    text.setPointSizeF(text.pointSizeF() * 1.3);
    m_text->setFont(text);
}

void PresenterBanner::refresh()
{
    const LessonInfo *lesson =
            m_runner->state() != LessonRunner::State::Idle ? LessonCatalog::find(m_runner->currentLesson()) : nullptr;
    if (lesson) {
        m_title->setText(lesson->title);
        m_text->setText(lesson->text);
    }
    setVisible(m_enabled && lesson);
}

} // namespace rtlab
