// SPDX-License-Identifier: MIT
#pragma once

#include "transportstats.h"
#include "wirecapture.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace rtlab {

// What the X-ray's detail pane shows for one record or one exchange: a title, the facts decoded
// from the bytes (a WebSocket frame's FIN, opcode, MASK, length and mask key; an exchange's
// status and timings), and the exact bytes in wire order, part by part, each with its role
// (head, framing, payload), as the Bytes tab shows a message's parts.
struct WireDetail
{
    QString title;
    QStringList facts;
    QList<WirePart> parts;
    // Indices of the parts best read as hex whatever they hold (a frame's header, its mask key,
    // a masked payload), even when the bytes happen to be printable.
    QList<int> hexParts;

    // The detail of a record (with its exchange's facts, when the snapshot still has it).
    static WireDetail ofRecord(const WireCapture::Snapshot &snapshot, const WireRecord &record);
    // The detail of an exchange: its request and response heads, its timings.
    static WireDetail ofExchange(const WireExchange &exchange);
};

} // namespace rtlab
