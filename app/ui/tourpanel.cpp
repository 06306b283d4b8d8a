// SPDX-License-Identifier: MIT
#include "tourpanel.h"

#include "guidedtour.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace rtlab {

TourPanel::TourPanel(GuidedTour *tour, QWidget *parent) : QFrame(parent), m_tour(tour)
{
    setObjectName(QStringLiteral("tourPanel"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    {
        // The window's colour with a tenth of the highlight: set apart from the tabs, in light and
        // dark palettes alike.
        QPalette pal = palette();
        const QColor w = pal.color(QPalette::Window), h = pal.color(QPalette::Highlight);
        pal.setColor(QPalette::Window,
                     QColor::fromRgbF(w.redF() * 0.88f + h.redF() * 0.12f, w.greenF() * 0.88f + h.greenF() * 0.12f,
                                      w.blueF() * 0.88f + h.blueF() * 0.12f));
        setPalette(pal);
    }
    m_did = new QLabel(this);
    m_look = new QLabel(this);
    for (QLabel *l : { m_did, m_look }) {
        l->setWordWrap(true);
        l->setTextFormat(Qt::RichText);
        // Long sentences wrap; they never widen the window.
        l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    }
    // Back and Next on Alt+← and Alt+→, as in a browser (letters would clash with the tabs' own).
    m_back = new QPushButton(tr("◀ Back"), this);
    m_back->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    m_back->setToolTip(tr("The step before, again (Alt+←)"));
    m_next = new QPushButton(tr("Next ▶"), this);
    m_end = new QPushButton(tr("&End tour"), this);
    m_end->setToolTip(tr("Stop here: your transport and the Compare setting go back to what they were"));
    connect(m_back, &QPushButton::clicked, tour, &GuidedTour::back);
    connect(m_next, &QPushButton::clicked, tour, [this] {
        if (!m_tour->next())
            m_tour->end(); // the last step's button says Finish
    });
    connect(m_end, &QPushButton::clicked, tour, &GuidedTour::end);
    connect(tour, &GuidedTour::stepEntered, this, &TourPanel::showStep);
    connect(tour, &GuidedTour::ended, this, &QWidget::hide);

    // Compact (two lines of text, one row of buttons), so that the tabs under it keep their room
    // on a small screen.
    auto *text = new QVBoxLayout;
    text->setSpacing(1);
    text->addWidget(m_did);
    text->addWidget(m_look);
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    buttons->addWidget(m_back);
    buttons->addWidget(m_next);
    buttons->addWidget(m_end);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 3, 6, 3);
    layout->addLayout(text, 1);
    layout->addLayout(buttons);
    layout->setAlignment(buttons, Qt::AlignVCenter);
    hide();
}

void TourPanel::showStep(int index)
{
    const GuidedTour::Step &s = m_tour->step(index);
    setAccessibleName(tr("Guided tour, step %1 of %2: %3").arg(index + 1).arg(m_tour->count()).arg(s.title));
    m_did->setText(tr("<b>Tour %1/%2 · %3</b> — %4")
                           .arg(index + 1)
                           .arg(m_tour->count())
                           .arg(s.title.toHtmlEscaped(), s.did.toHtmlEscaped()));
    m_look->setText(tr("<b>Look at</b>: %1").arg(s.look.toHtmlEscaped()));
    m_back->setEnabled(m_tour->canGoBack());
    m_next->setText(m_tour->canGoNext() ? tr("Next ▶") : tr("Finish"));
    m_next->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right)); // setText() cleared it
    m_next->setToolTip(m_tour->canGoNext() ? tr("Do the next step (Alt+→)")
                                           : tr("End the tour and put back what it changed (Alt+→)"));
    QFrame::show();
    m_next->setFocus(); // Enter or Space goes on
}

} // namespace rtlab
