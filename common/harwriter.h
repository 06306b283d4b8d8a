// SPDX-License-Identifier: MIT
#pragma once

#include "wirecapture.h"

#include <QJsonObject>
#include <QString>

namespace rtlab {

// The capture as an HTTP Archive (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/), the
// format browsers' developer tools import: one entry per exchange, in the order they started.
//
//  - A poll or a publish: its request and response as they crossed the wire (headers parsed from
//    the exact heads, headersSize their exact size); timings.send is until the request's last
//    byte was written, timings.wait until the response head came (a long poll's hold),
//    timings.receive until the response ended. blocked, dns and connect are -1 (not measured).
//  - An SSE stream: its GET /events, the 200 with mimeType text/event-stream, and its events as
//    _eventStreamMessages [{type, time, id, data}] (time: seconds since the epoch, as Chromium
//    writes them).
//  - A WebSocket: its upgrade (101) and its frames as _webSocketMessages [{type "send"|"receive",
//    time, opcode, data}] (a text, close, ping or pong frame's payload as text, a binary one in
//    base64).
//  - An exchange still open: its times up to `nowUs`.
// When the capture's rings dropped anything, log.comment says how many.
QJsonObject harFromCapture(const WireCapture::Snapshot &s);
QJsonObject harFromCapture(const WireCapture::Snapshot &s, qint64 nowUs);

// Writes the HAR to `path`, atomically (a reader never sees half a file; an existing file stays
// as it was when writing fails). False with *error set when it could not.
bool writeHar(const QString &path, const WireCapture::Snapshot &s, QString *error);

} // namespace rtlab
