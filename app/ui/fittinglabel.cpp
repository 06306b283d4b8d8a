#include "fittinglabel.h"

#include <QEvent>
#include <QTextDocument>

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

int FittingLabel::fullWidth() const
{
    QTextDocument doc;
    doc.setDefaultFont(font());
    doc.setDocumentMargin(0);
    doc.setHtml(m_full);
    return int(doc.idealWidth()) + 2 * margin() + contentsMargins().left() + contentsMargins().right() + 2;
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
    const QString tip = compact ? plain.toPlainText().trimmed() + QStringLiteral("\n\n") + m_explanation : m_explanation;
    if (toolTip() != tip)
        setToolTip(tip);
}

QSize FittingLabel::sizeHint() const
{
    // The full text's size when there is room: a toolbar gives an expanding widget its hint and
    // the rest; it never hides the label for want of the full width.
    QLabel probe;
    probe.setFont(font());
    probe.setTextFormat(Qt::RichText);
    probe.setText(m_compact.isEmpty() ? m_full : m_compact);
    return probe.sizeHint();
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
