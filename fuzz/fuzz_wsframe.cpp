// SPDX-License-Identifier: MIT
// WsFrameParser (common/), in both roles: frames fed whole, in the fuzzer's pieces and byte by byte
// give the same frames, messages and error; and the frames returned are, byte for byte, the start
// of the input (WsFrame::bytes() gives back what crossed the wire). Flag 0x80: small limits
// (a 256-byte frame, a 512-byte message), so that 1009 is reached.
#include "fuzzfeed.h"
#include "wsframeparser.h"

using namespace rtlab;
using namespace rtlab::fuzz;

static QByteArray transcript(const QList<QByteArrayView> &pieces, WsFrameParser::Role role,
                             WsFrameParser::Limits limits, QByteArray *wire)
{
    WsFrameParser parser(role, limits);
    QByteArray out;
    wire->clear();
    for (QByteArrayView piece : pieces) {
        parser.feed(piece);
        while (const auto frame = parser.next()) {
            *wire += frame->bytes();
            out += "frame fin " + QByteArray::number(frame->fin) + " rsv " + QByteArray::number(frame->rsv) + " opcode "
                    + QByteArray::number(frame->opcode) + " masked " + QByteArray::number(frame->masked) + " key "
                    + frame->maskKey.toHex() + " length " + QByteArray::number(frame->payloadLength) + " header "
                    + frame->header.toHex() + " payload " + shown(frame->payload) + '\n';
            if (const auto message = parser.takeMessage())
                out += "message " + QByteArray::number(message->opcode) + " frames "
                        + QByteArray::number(message->frames) + ' ' + shown(message->data) + '\n';
        }
    }
    out += "error " + QByteArray::number(int(parser.error())) + " close " + QByteArray::number(parser.closeCode());
    // After an error the parser ignores what it is fed: what it holds then depends on the cuts.
    if (parser.error() == WsFrameParser::Error::None)
        out += " buffered " + QByteArray::number(parser.buffered()) + " in message "
                + QByteArray::number(parser.inMessage());
    return out + '\n';
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzInput in = splitInput(data, size);
    WsFrameParser::Limits limits;
    if (in.flags & 0x80)
        limits = { 256, 512 };
    for (const auto role : { WsFrameParser::Role::Client, WsFrameParser::Role::Server }) {
        QByteArray wire;
        compareFeedings(in,
                        [&](const QList<QByteArrayView> &pieces) { return transcript(pieces, role, limits, &wire); });
        if (!in.data.startsWith(wire))
            fail("the frames' bytes are not the input they were parsed from");
    }
    return 0;
}
