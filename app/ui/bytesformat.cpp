// SPDX-License-Identifier: MIT
#include "bytesformat.h"

#include "palette.h"

#include <QCoreApplication>
#include <QStringDecoder>

namespace rtlab {

static QString tr(const char *text)
{
    return QCoreApplication::translate("rtlab::BytesFormat", text);
}

QString BytesFormat::bytes(const QByteArray &bytes, bool forceHex)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8(bytes);
    bool binary = forceHex || utf8.hasError();
    for (char c : bytes)
        binary = binary || (uchar(c) < 0x20 && c != '\r' && c != '\n' && c != '\t');
    if (binary)
        return QString::fromLatin1(bytes.toHex(' '));
    QString out;
    for (QChar c : text) {
        if (c == u'\r')
            out += QStringLiteral("<span class=c>\\r</span>");
        else if (c == u'\n')
            out += QStringLiteral("<span class=c>\\n</span><br>");
        else
            out += QString(c).toHtmlEscaped();
    }
    return out;
}

QString BytesFormat::bytesText(qint64 n)
{
    // Explicit singular and plural: the app loads no translations, so "%n byte(s)" would show as is.
    return n == 1 ? tr("1 byte") : tr("%1 bytes").arg(n);
}

QString BytesFormat::roleName(WirePart::Role role)
{
    switch (role) {
    case WirePart::Role::Header: return tr("head");
    case WirePart::Role::Framing: return tr("framing");
    case WirePart::Role::Payload: return tr("payload");
    }
    return {};
}

QColor BytesFormat::roleColor(WirePart::Role role, const QPalette &palette)
{
    // A light tint of an Okabe–Ito colour over the base: the text stays at full contrast.
    QColor tint;
    switch (role) {
    case WirePart::Role::Header: tint = QColor(0x56, 0xb4, 0xe9); break;
    case WirePart::Role::Framing: tint = QColor(0xe6, 0x9f, 0x00); break;
    case WirePart::Role::Payload: tint = QColor(0x00, 0x9e, 0x73); break;
    }
    const QColor base = palette.color(QPalette::Base);
    const qreal a = isDark(palette) ? 0.28 : 0.18;
    return QColor::fromRgbF(base.redF() * (1 - a) + tint.redF() * a, base.greenF() * (1 - a) + tint.greenF() * a,
                            base.blueF() * (1 - a) + tint.blueF() * a);
}

QString BytesFormat::styleSheet(const QPalette &palette)
{
    return QStringLiteral(".c{color:%1} pre{white-space:pre-wrap}")
            .arg(palette.color(QPalette::PlaceholderText).name());
}

QString BytesFormat::parts(const QList<WirePart> &parts, const QPalette &palette, const QList<int> &hexParts)
{
    QString html;
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const WirePart &p = parts[i];
        html += QStringLiteral("<p><b>%1</b> — %2 <i>(%3)</i></p>")
                        .arg(p.label.toHtmlEscaped(), bytesText(p.bytes.size()), roleName(p.role));
        html += QStringLiteral("<pre style='background-color:%1'>%2</pre>")
                        .arg(roleColor(p.role, palette).name(), bytes(p.bytes.left(4096), hexParts.contains(int(i))));
    }
    return html;
}

} // namespace rtlab
