// SPDX-License-Identifier: MIT
#include "palette.h"

#include <QPainter>
#include <QPainterPath>

namespace rtlab {

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor transportColor(TransportKind kind, const QPalette &palette)
{
    // Light: vermillion, bluish green, blue. Dark: orange and sky blue take the place of the
    // vermillion and the blue, which are too dark there. Keep in step with app.css. Short polling,
    // which the browser page does not have, is reddish purple in both (the same colour-blind-safe set).
    const bool dark = isDark(palette);
    switch (kind) {
    case TransportKind::LongPoll: return dark ? QColor(0xe6, 0x9f, 0x00) : QColor(0xd5, 0x5e, 0x00);
    case TransportKind::Sse: return QColor(0x00, 0x9e, 0x73);
    case TransportKind::WebSocket: return dark ? QColor(0x56, 0xb4, 0xe9) : QColor(0x00, 0x72, 0xb2);
    case TransportKind::Poll: return QColor(0xcc, 0x79, 0xa7);
    }
    return palette.color(QPalette::Text);
}

Qt::PenStyle transportPenStyle(TransportKind kind)
{
    switch (kind) {
    case TransportKind::LongPoll: return Qt::DashLine;
    case TransportKind::Sse: return Qt::DotLine;
    case TransportKind::WebSocket: return Qt::SolidLine;
    case TransportKind::Poll: return Qt::DashDotLine;
    }
    return Qt::SolidLine;
}

MarkerShape transportMarker(TransportKind kind)
{
    switch (kind) {
    case TransportKind::LongPoll: return MarkerShape::Square;
    case TransportKind::Sse: return MarkerShape::Triangle;
    case TransportKind::WebSocket: return MarkerShape::Circle;
    case TransportKind::Poll: return MarkerShape::Diamond;
    }
    return MarkerShape::None;
}

void drawMarker(QPainter &painter, MarkerShape shape, const QPointF &at, qreal size)
{
    const qreal h = size / 2.0;
    painter.save();
    painter.setPen(Qt::NoPen);
    switch (shape) {
    case MarkerShape::None: break;
    case MarkerShape::Circle: painter.drawEllipse(at, h, h); break;
    case MarkerShape::Square: painter.drawRect(QRectF(at.x() - h * 0.9, at.y() - h * 0.9, h * 1.8, h * 1.8)); break;
    case MarkerShape::Triangle: {
        QPainterPath path;
        path.moveTo(at.x(), at.y() - h);
        path.lineTo(at.x() + h, at.y() + h * 0.8);
        path.lineTo(at.x() - h, at.y() + h * 0.8);
        path.closeSubpath();
        painter.drawPath(path);
        break;
    }
    case MarkerShape::Diamond: {
        QPainterPath path;
        path.moveTo(at.x(), at.y() - h);
        path.lineTo(at.x() + h, at.y());
        path.lineTo(at.x(), at.y() + h);
        path.lineTo(at.x() - h, at.y());
        path.closeSubpath();
        painter.drawPath(path);
        break;
    }
    }
    painter.restore();
}

} // namespace rtlab
