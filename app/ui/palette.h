#pragma once

#include "connectionevent.h"

#include <QColor>
#include <QPalette>

namespace rtlab {

// One colour per transport, the same in every view, readable on light and dark palettes.
QColor transportColor(TransportKind kind, const QPalette &palette);
bool isDark(const QPalette &palette);

} // namespace rtlab
