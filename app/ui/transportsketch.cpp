// SPDX-License-Identifier: MIT
#include "transportsketch.h"

#include "palette.h"

#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace rtlab {

namespace {

enum class Dir { Up, Down }; // Up: client → server; Down: server → client

struct Arrow
{
    double at; // 0..1 down the time axis, where it leaves
    Dir dir;
    QString label;
};

struct Bar
{
    double from, to; // a span on the server's lifeline (a held request, an open stream)
    QString label;
};

} // namespace

TransportSketch::TransportSketch(TransportKind kind, QWidget *parent) : QWidget(parent), m_kind(kind)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setAccessibleName(tr("%1 sequence diagram").arg(transportKindLabel(kind)));
}

QSize TransportSketch::sizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.averageCharWidth() * 36, fm.height() * 9 };
}

QSize TransportSketch::minimumSizeHint() const
{
    const QFontMetrics fm(font());
    return { fm.averageCharWidth() * 22, fm.height() * 9 };
}

static void drawArrow(QPainter &p, QPointF from, QPointF to, qreal head)
{
    p.drawLine(from, to);
    const QLineF line(to, from);
    const qreal angle = std::atan2(-line.dy(), line.dx());
    QPainterPath tip;
    tip.moveTo(to);
    tip.lineTo(to + QPointF(std::cos(angle + 0.45) * head, -std::sin(angle + 0.45) * head));
    tip.lineTo(to + QPointF(std::cos(angle - 0.45) * head, -std::sin(angle - 0.45) * head));
    tip.closeSubpath();
    p.fillPath(tip, p.pen().color());
}

void TransportSketch::paintEvent(QPaintEvent *)
{
    QList<Arrow> arrows;
    QList<Bar> bars;
    switch (m_kind) {
    case TransportKind::LongPoll:
        arrows = { { 0.02, Dir::Up, tr("GET /poll") },
                   { 0.32, Dir::Down, tr("200 + messages") },
                   { 0.50, Dir::Up, tr("GET /poll, at once") },
                   { 0.84, Dir::Down, tr("200 + messages") } };
        bars = { { 0.08, 0.32, tr("held") }, { 0.56, 0.84, tr("held") } };
        break;
    case TransportKind::Poll:
        // Traditional polling: asked and answered at once, again after the interval.
        arrows = { { 0.02, Dir::Up, tr("GET /poll") },
                   { 0.10, Dir::Down, tr("200, empty") },
                   { 0.50, Dir::Up, tr("GET /poll, 1 s later") },
                   { 0.58, Dir::Down, tr("200 + messages") } };
        break;
    case TransportKind::Sse:
        arrows = { { 0.02, Dir::Up, tr("GET /events") },
                   { 0.20, Dir::Down, tr("200 text/event-stream") },
                   { 0.42, Dir::Down, tr("event") },
                   { 0.60, Dir::Down, tr("event") },
                   { 0.78, Dir::Down, tr("event") } };
        bars = { { 0.08, 1.0, QString() } }; // one response that never ends
        break;
    case TransportKind::WebSocket:
        arrows = { { 0.02, Dir::Up, tr("GET /ws  Upgrade: websocket") },
                   { 0.20, Dir::Down, tr("101 Switching Protocols") },
                   { 0.44, Dir::Down, tr("frame") },
                   { 0.62, Dir::Up, tr("frame (masked)") },
                   { 0.80, Dir::Down, tr("frame") } };
        bars = { { 0.28, 1.0, QString() } };
        break;
    }

    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    const QColor ink = pal.color(QPalette::WindowText);
    const QColor colour = transportColor(m_kind, pal);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    const QFontMetrics fm(small);
    p.setFont(small);

    // The two lifelines, named at the top.
    const qreal w = width(), h = height();
    const qreal margin = fm.averageCharWidth() * 4.0;
    const qreal client = margin, server = w - margin;
    const qreal top = fm.height() + 6, bottom = h - 4;
    p.setPen(ink);
    p.drawText(QRectF(0, 0, margin * 2, fm.height()), Qt::AlignCenter, tr("client"));
    p.drawText(QRectF(w - margin * 2, 0, margin * 2, fm.height()), Qt::AlignCenter, tr("server"));
    QPen lifeline(pal.color(QPalette::Mid), 1.0, Qt::DashLine);
    p.setPen(lifeline);
    p.drawLine(QPointF(client, top), QPointF(client, bottom));
    p.drawLine(QPointF(server, top), QPointF(server, bottom));

    const auto y = [&](double t) { return top + 4 + t * (bottom - top - 8); };
    // Held requests and open streams: a bar on the server's lifeline.
    QColor barFill = colour;
    barFill.setAlphaF(0.35);
    for (const Bar &b : std::as_const(bars)) {
        const QRectF r(server - 4, y(b.from), 8, y(b.to) - y(b.from));
        p.fillRect(r, barFill);
        p.setPen(QPen(colour, 1.0));
        p.drawRect(r);
        if (!b.label.isEmpty()) {
            // Beside the bar, between the arrows that open and close it.
            QFont italic = small;
            italic.setItalic(true);
            p.setFont(italic);
            p.setPen(ink);
            p.drawText(QRectF(server - 10 - margin * 3, r.center().y() - fm.height() / 2.0, margin * 3, fm.height()),
                       Qt::AlignRight | Qt::AlignVCenter, b.label);
            p.setFont(small);
        }
    }
    // The arrows slope down a little: each takes time to cross.
    const qreal slope = (bottom - top) * 0.05;
    const qreal span = server - client - 12;
    for (const Arrow &a : std::as_const(arrows)) {
        const qreal y0 = y(a.at);
        const QPointF from = a.dir == Dir::Up ? QPointF(client, y0) : QPointF(server - 4, y0);
        const QPointF to = a.dir == Dir::Up ? QPointF(server - 5, y0 + slope) : QPointF(client + 1, y0 + slope);
        p.setPen(QPen(colour, 1.6));
        drawArrow(p, from, to, fm.height() * 0.45);
        p.setPen(ink);
        const QRectF label(client + 6, (from.y() + to.y()) / 2 - fm.height() - 1, span, fm.height());
        p.drawText(label, Qt::AlignCenter, fm.elidedText(a.label, Qt::ElideRight, int(span)));
    }
}

} // namespace rtlab
