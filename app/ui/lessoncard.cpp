// SPDX-License-Identifier: MIT
#include "lessoncard.h"

#include <QKeyEvent>
#include <QPainter>
#include <QPainterPath>

namespace rtlab {

static constexpr int Stripe = 5;
static constexpr int Pad = 8;

LessonCard::LessonCard(const QString &lessonId, const QString &title, const QString &detail, const QColor &stripe,
                       QWidget *parent)
    : QAbstractButton(parent), m_id(lessonId), m_detail(detail), m_stripe(stripe)
{
    setText(title);
    setObjectName(QStringLiteral("lessonCard-%1").arg(lessonId));
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::PointingHandCursor);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setAccessibleName(title);
    setAccessibleDescription(detail);
}

QFont LessonCard::titleFont() const
{
    QFont f = font();
    f.setBold(true);
    return f;
}

QFont LessonCard::detailFont() const
{
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.9);
    return f;
}

QRect LessonCard::textRect(const QRect &card) const
{
    return card.adjusted(Stripe + Pad, Pad, -Pad, -Pad);
}

int LessonCard::heightForWidth(int width) const
{
    const int w = qMax(40, width - Stripe - 2 * Pad);
    const QRect title = QFontMetrics(titleFont()).boundingRect(QRect(0, 0, w, 10000), Qt::TextWordWrap, text());
    const QRect detail = QFontMetrics(detailFont()).boundingRect(QRect(0, 0, w, 10000), Qt::TextWordWrap, m_detail);
    return title.height() + 3 + detail.height() + 2 * Pad;
}

QSize LessonCard::sizeHint() const
{
    const int w = QFontMetrics(font()).averageCharWidth() * 34;
    return { w, heightForWidth(w) };
}

QSize LessonCard::minimumSizeHint() const
{
    // As low as a card gets (its title and detail on a line each), not as high as it is at its
    // narrowest: a layout adds up its items' minimum heights and a scroll area keeps at least that
    // much page (three columns of cards wrapped at 18 characters made a page twice the screen,
    // empty below the cards). The height a card gets comes from heightForWidth() at its width.
    const int w = QFontMetrics(font()).averageCharWidth() * 18;
    return { w, heightForWidth(QWIDGETSIZE_MAX / 2) };
}

void LessonCard::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    const bool enabled = isEnabled();
    const QRectF card = QRectF(rect()).adjusted(1, 1, -1, -1);
    QPainterPath shape;
    shape.addRoundedRect(card, 5, 5);
    QColor fill = pal.color(QPalette::Base);
    if (enabled && (isDown() || m_hovered))
        fill = pal.color(QPalette::AlternateBase);
    p.fillPath(shape, fill);
    // The transport's colour down the left edge (faded when the lesson cannot run).
    p.save();
    p.setClipPath(shape);
    QColor stripe = m_stripe;
    if (!enabled)
        stripe.setAlphaF(0.35);
    p.fillRect(QRectF(card.left(), card.top(), Stripe, card.height()), stripe);
    p.restore();
    const bool focused = hasFocus();
    QPen border(focused ? pal.color(QPalette::Highlight)
                        : pal.color(enabled && m_hovered ? QPalette::Dark : QPalette::Mid));
    border.setWidthF(focused ? 2.0 : 1.0);
    p.setPen(border);
    p.setBrush(Qt::NoBrush);
    p.drawPath(shape);

    const QRect r = textRect(rect());
    const QPalette::ColorGroup group = enabled ? QPalette::Active : QPalette::Disabled;
    p.setFont(titleFont());
    p.setPen(pal.color(group, QPalette::Text));
    QRect used;
    p.drawText(r, Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, text(), &used);
    p.setFont(detailFont());
    p.setPen(pal.color(group, enabled ? QPalette::PlaceholderText : QPalette::Text));
    p.drawText(r.adjusted(0, used.height() + 3, 0, 0), Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, m_detail);
}

void LessonCard::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        if (isEnabled())
            click();
        return;
    }
    QAbstractButton::keyPressEvent(event);
}

void LessonCard::enterEvent(QEnterEvent *event)
{
    m_hovered = true;
    update();
    QAbstractButton::enterEvent(event);
}

void LessonCard::leaveEvent(QEvent *event)
{
    m_hovered = false;
    update();
    QAbstractButton::leaveEvent(event);
}

} // namespace rtlab
