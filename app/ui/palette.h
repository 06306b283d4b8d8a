// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QColor>
#include <QPalette>

class QPainter;
class QPointF;

namespace rtlab {

// One colour per transport, the same in every view and on the browser page
// (resources/web/app.css --lp/--sse/--ws): Okabe–Ito colours, told apart with deuteranopia and
// protanopia, at least 3:1 against the chart background in light and dark palettes.
QColor transportColor(TransportKind kind, const QPalette &palette);
bool isDark(const QPalette &palette);

// So that no transport is told by colour alone: each also has its own line pattern and marker.
enum class MarkerShape { None, Circle, Square, Triangle, Diamond };
Qt::PenStyle transportPenStyle(TransportKind kind);
MarkerShape transportMarker(TransportKind kind);
// A filled marker centred on `at`, `size` across, in the painter's current brush.
void drawMarker(QPainter &painter, MarkerShape shape, const QPointF &at, qreal size);

} // namespace rtlab
