// SPDX-License-Identifier: MIT
#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace rtlab {

class GuidedTour;

// The guided tour's narration, a bar above the tabs while the tour runs (not modal: every tab
// stays usable): step k of n and what the step just did, where to look, and Back / Next / End.
class TourPanel : public QFrame
{
    Q_OBJECT
public:
    explicit TourPanel(GuidedTour *tour, QWidget *parent = nullptr);

    QLabel *didLabel() const { return m_did; }
    QLabel *lookLabel() const { return m_look; }
    QPushButton *backButton() const { return m_back; }
    QPushButton *nextButton() const { return m_next; }
    QPushButton *endButton() const { return m_end; }

private:
    void showStep(int index);

    GuidedTour *m_tour;
    QLabel *m_did;
    QLabel *m_look;
    QPushButton *m_back;
    QPushButton *m_next;
    QPushButton *m_end;
};

} // namespace rtlab
