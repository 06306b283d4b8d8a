#include "palette.h"

namespace rtlab {

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor transportColor(TransportKind kind, const QPalette &palette)
{
    const bool dark = isDark(palette);
    switch (kind) {
    case TransportKind::LongPoll: return dark ? QColor(0xf2, 0xa6, 0x3b) : QColor(0xc2, 0x6a, 0x00);
    case TransportKind::Sse: return dark ? QColor(0x5c, 0xc8, 0x8a) : QColor(0x1b, 0x8a, 0x4b);
    case TransportKind::WebSocket: return dark ? QColor(0x6a, 0xa8, 0xff) : QColor(0x1f, 0x5f, 0xd1);
    }
    return palette.color(QPalette::Text);
}

} // namespace rtlab
