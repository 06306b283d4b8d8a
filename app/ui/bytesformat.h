// SPDX-License-Identifier: MIT
#pragma once

#include "transportstats.h"

#include <QList>
#include <QPalette>
#include <QString>

namespace rtlab {

// Exact bytes as HTML for a QTextBrowser, shared by the Bytes tab's ledger and the X-ray's detail
// pane: each part under its label and size, on a background tinted by its role (head, framing,
// payload) so the runs are told apart, and named so that colour is never the only cue.
class BytesFormat
{
public:
    // Binary (a frame header): hex. Text: as is, with CR and LF made visible.
    static QString bytes(const QByteArray &bytes, bool forceHex = false);
    static QString parts(const QList<WirePart> &parts, const QPalette &palette, const QList<int> &hexParts = {});
    static QString roleName(WirePart::Role role);
    static QColor roleColor(WirePart::Role role, const QPalette &palette);
    // The style sheet the HTML above expects (class c: a visible CR/LF).
    static QString styleSheet(const QPalette &palette);
    static QString bytesText(qint64 n); // "1 byte", "12 bytes"
};

} // namespace rtlab
