// SPDX-License-Identifier: MIT
#include "fittinglabel.h"

#include <QEvent>
#include <QTextDocument>

#include <cmath>

namespace rtlab {

FittingLabel::FittingLabel(QWidget *parent) : QLabel(parent)
{
    setTextFormat(Qt::RichText);
    // Whatever room the bar has left is ours, down to the short form.
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void FittingLabel::setTexts(const QString &full, const QString &compact)
{
    if (full == m_full && compact == m_compact)
        return;
    m_full = full;
    m_compact = compact;
    choose();
}

void FittingLabel::setExplanation(const QString &text)
{
    m_explanation = text;
    choose();
}

// The width a one-line rich text needs in this label.
static int textWidth(const QLabel *label, const QString &html)
{
    QTextDocument doc;
    doc.setDefaultFont(label->font());
    doc.setDocumentMargin(0);
    doc.setHtml(html);
    const QMargins m = label->contentsMargins();
    return int(std::ceil(doc.idealWidth())) + 2 * label->margin() + m.left() + m.right() + 2;
}

int FittingLabel::fullWidth() const
{
    return textWidth(this, m_full);
}

void FittingLabel::choose()
{
    const bool compact = !m_compact.isEmpty() && fullWidth() > width();
    m_compactShown = compact;
    const QString shown = compact ? m_compact : m_full;
    if (text() != shown)
        setText(shown);
    QTextDocument plain;
    plain.setHtml(m_full);
    const QString tip =
            compact ? plain.toPlainText().trimmed() + QStringLiteral("\n\n") + m_explanation : m_explanation;
    if (toolTip() != tip)
        setToolTip(tip);
}

QSize FittingLabel::sizeHint() const
{
    // The short form's size: a toolbar gives an expanding widget its hint and the rest, so the
    // label is never hidden for want of the full width, and shows it when there is room.
    const QSize label = QLabel::sizeHint();
    return { textWidth(this, m_compact.isEmpty() ? m_full : m_compact), label.height() };
}

QSize FittingLabel::minimumSizeHint() const
{
    return sizeHint();
}

void FittingLabel::resizeEvent(QResizeEvent *event)
{
    QLabel::resizeEvent(event);
    choose();
}

void FittingLabel::changeEvent(QEvent *event)
{
    QLabel::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        choose();
}

} // namespace rtlab
