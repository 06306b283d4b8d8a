// SPDX-License-Identifier: MIT
#pragma once

#include <QFrame>

class QLabel;

namespace rtlab {

class LessonRunner;

// Presenter view: the running lesson's title and text, large, above the tabs, so that a class
// can read what is being shown. Visible while enabled and a lesson runs.
class PresenterBanner : public QFrame
{
    Q_OBJECT
public:
    explicit PresenterBanner(LessonRunner *runner, QWidget *parent = nullptr);

    void setPresenterEnabled(bool enabled);
    bool presenterEnabled() const { return m_enabled; }
    QLabel *titleLabel() const { return m_title; }
    QLabel *textLabel() const { return m_text; }

private:
    void refresh();
    void updateFonts();

protected:
    void changeEvent(QEvent *event) override;

private:
    LessonRunner *m_runner;
    QLabel *m_title;
    QLabel *m_text;
    bool m_enabled = false;
};

} // namespace rtlab
