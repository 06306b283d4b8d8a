// SPDX-License-Identifier: MIT
#include "wiredetail.h"

#include <QCoreApplication>
#include <QDateTime>

namespace rtlab {

static QString tr(const char *text)
{
    return QCoreApplication::translate("rtlab::WireDetail", text);
}

static QString hex(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex(' '));
}

static QString timeText(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000).toString(QStringLiteral("HH:mm:ss.zzz"));
}

static QString opcodeName(int opcode)
{
    switch (opcode) {
    case 0: return tr("continuation");
    case 1: return tr("text");
    case 2: return tr("binary");
    case 8: return tr("close");
    case 9: return tr("ping");
    case 10: return tr("pong");
    default: return tr("reserved");
    }
}

// An HTTP message as head and body parts, split where the head ends.
static void addHttp(QList<WirePart> &parts, const QByteArray &bytes, const QString &headLabel)
{
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    const QByteArray head = end < 0 ? bytes : bytes.left(end + 4);
    const QByteArray body = end < 0 ? QByteArray() : bytes.mid(end + 4);
    parts.append({ WirePart::Role::Header, headLabel, head });
    if (!body.isEmpty())
        parts.append({ WirePart::Role::Payload, tr("body"), body });
}

// An SSE block line by line: data lines are the payload, the other fields framing.
static void addSse(QList<WirePart> &parts, const QByteArray &bytes)
{
    qsizetype from = 0;
    while (from < bytes.size()) {
        qsizetype nl = bytes.indexOf('\n', from);
        if (nl < 0)
            nl = bytes.size() - 1;
        const QByteArray line = bytes.mid(from, nl - from + 1);
        const bool data = line.startsWith("data:");
        const QByteArray name = line.trimmed().isEmpty() ? QByteArray("(end of block)")
                : line.startsWith(':')                   ? QByteArray("comment")
                                                         : line.left(qMax<qsizetype>(0, line.indexOf(':')));
        parts.append({ data ? WirePart::Role::Payload : WirePart::Role::Framing, QString::fromLatin1(name), line });
        from = nl + 1;
    }
}

static void addFrame(WireDetail &d, const WireRecord &r)
{
    const QByteArray &b = r.bytes;
    // Decoded from the bytes themselves when the header is there; the record's fields otherwise.
    bool fin = r.fin;
    int opcode = r.opcode;
    bool masked = r.masked;
    qint64 length = r.data.size();
    QByteArray key = r.maskKey;
    int headerLength = r.headerLength;
    if (b.size() >= 2) {
        fin = uchar(b[0]) & 0x80;
        opcode = uchar(b[0]) & 0x0f;
        masked = uchar(b[1]) & 0x80;
        length = uchar(b[1]) & 0x7f;
        int at = 2;
        if (length == 126 && b.size() >= 4) {
            length = (uchar(b[2]) << 8) | uchar(b[3]);
            at = 4;
        } else if (length == 127 && b.size() >= 10) {
            length = 0;
            for (int i = 2; i < 10; ++i)
                length = (length << 8) | uchar(b[i]);
            at = 10;
        }
        if (masked && b.size() >= at + 4) {
            key = b.mid(at, 4);
            at += 4;
        }
        if (headerLength <= 0)
            headerLength = qMin<int>(at, int(b.size()));
    }
    d.facts.append(tr("FIN %1").arg(fin ? 1 : 0));
    d.facts.append(tr("opcode 0x%1 (%2)").arg(opcode, 0, 16).arg(opcodeName(opcode)));
    d.facts.append(tr("MASK %1").arg(masked ? 1 : 0));
    d.facts.append(tr("payload length %1").arg(length));
    if (masked)
        d.facts.append(tr("mask key %1").arg(hex(key)));
    if (r.closeCode)
        d.facts.append(tr("close code %1").arg(r.closeCode));
    const QByteArray header = b.left(headerLength);
    const QByteArray payload = b.mid(headerLength);
    auto add = [&d](WirePart::Role role, const QString &label, const QByteArray &bytes, bool asHex) {
        if (asHex)
            d.hexParts.append(int(d.parts.size()));
        d.parts.append({ role, label, bytes });
    };
    // A text frame's payload reads as text; any other (binary, a close code, a ping's) as hex.
    const bool textPayload = opcode == 1 || opcode == 0;
    if (masked && header.size() >= 4) {
        add(WirePart::Role::Framing, tr("frame header"), header.left(header.size() - 4), true);
        add(WirePart::Role::Framing, tr("mask key"), header.right(4), true);
    } else {
        add(WirePart::Role::Framing, tr("frame header"), header, true);
    }
    if (masked) {
        add(WirePart::Role::Payload, tr("payload as sent (masked)"), payload, true);
        add(WirePart::Role::Payload, tr("payload unmasked"), r.data, !textPayload);
    } else if (!payload.isEmpty() || !r.data.isEmpty()) {
        add(WirePart::Role::Payload, tr("payload"), payload.isEmpty() ? r.data : payload, !textPayload);
    }
}

static void addExchangeFacts(QStringList &facts, const WireExchange &e)
{
    facts.append(tr("exchange #%1: %2 %3").arg(e.id).arg(QString::fromLatin1(e.method), e.url));
    if (e.status)
        facts.append(tr("status %1").arg(e.status));
    if (e.sentUs >= 0 && e.headUs >= 0)
        facts.append(tr("waited %1 ms for the response head").arg(double(e.headUs - e.sentUs) / 1000, 0, 'f', 1));
    if (e.endUs >= 0 && e.startUs >= 0)
        facts.append(tr("lasted %1 ms").arg(double(e.endUs - e.startUs) / 1000, 0, 'f', 1));
    else
        facts.append(tr("still open"));
    if (!e.endReason.isEmpty())
        facts.append(tr("ended: %1").arg(e.endReason));
}

WireDetail WireDetail::ofRecord(const WireCapture::Snapshot &snapshot, const WireRecord &r)
{
    WireDetail d;
    const QString arrow = r.direction == WireDirection::ToServer ? QStringLiteral("→ ")
            : r.direction == WireDirection::ToClient             ? QStringLiteral("← ")
                                                                 : QString();
    d.title = arrow + r.label;
    d.facts.append(tr("record #%1 at %2, %3 bytes on the wire").arg(r.seq).arg(timeText(r.timeUs)).arg(r.size));
    if (r.bytes.size() < r.size)
        d.facts.append(tr("first %1 bytes kept").arg(r.bytes.size()));
    if (!r.messageIds.isEmpty()) {
        QStringList ids;
        for (quint64 id : r.messageIds)
            ids.append(QStringLiteral("#%1").arg(id));
        d.facts.append(tr("messages %1").arg(ids.join(QStringLiteral(", "))));
    }
    if (r.kind == WireRecord::Kind::Response && r.empty)
        d.facts.append(tr("empty answer: no message"));
    switch (r.kind) {
    case WireRecord::Kind::Request: addHttp(d.parts, r.bytes, tr("request line and headers")); break;
    case WireRecord::Kind::ResponseHead: addHttp(d.parts, r.bytes, tr("status line and headers")); break;
    case WireRecord::Kind::Response: addHttp(d.parts, r.bytes, tr("status line and headers")); break;
    case WireRecord::Kind::Event:
    case WireRecord::Kind::Comment:
    case WireRecord::Kind::Retry:
        if (!r.eventId.isEmpty())
            d.facts.append(tr("id: %1").arg(r.eventId));
        if (!r.eventType.isEmpty())
            d.facts.append(tr("event: %1").arg(r.eventType));
        addSse(d.parts, r.bytes);
        break;
    case WireRecord::Kind::Frame: addFrame(d, r); break;
    case WireRecord::Kind::Ended:
    case WireRecord::Kind::Fault:
    case WireRecord::Kind::Note:
        if (!r.bytes.isEmpty())
            d.parts.append({ WirePart::Role::Payload, tr("bytes"), r.bytes });
        break;
    }
    if (const WireExchange *e = r.exchange ? snapshot.exchange(r.exchange) : nullptr)
        addExchangeFacts(d.facts, *e);
    return d;
}

WireDetail WireDetail::ofExchange(const WireExchange &e)
{
    WireDetail d;
    d.title = QStringLiteral("%1 %2").arg(QString::fromLatin1(e.method), e.url);
    addExchangeFacts(d.facts, e);
    if (!e.requestHead.isEmpty())
        d.parts.append({ WirePart::Role::Header, tr("request line and headers"), e.requestHead });
    if (!e.requestBody.isEmpty())
        d.parts.append({ WirePart::Role::Payload, tr("request body"), e.requestBody });
    if (!e.responseHead.isEmpty())
        d.parts.append({ WirePart::Role::Header, tr("status line and headers"), e.responseHead });
    return d;
}

} // namespace rtlab
