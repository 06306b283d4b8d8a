// SPDX-License-Identifier: MIT
// SseParser (common/): an event stream fed whole, in the fuzzer's pieces and byte by byte gives the
// same events, last event ID, retry, comments and error. Flag 0x80: 64-byte lines at most.
#include "fuzzfeed.h"
#include "sseparser.h"

using namespace rtlab;
using namespace rtlab::fuzz;

static QByteArray transcript(const QList<QByteArrayView> &pieces, qsizetype maxLine)
{
    SseParser parser(maxLine);
    QByteArray out;
    auto take = [&] {
        for (const SseEvent &e : parser.takeEvents())
            out += "event " + shown(e.type.toUtf8()) + " id " + shown(e.lastEventId.toUtf8()) + " data "
                    + shown(e.data.toUtf8()) + '\n';
    };
    for (QByteArrayView piece : pieces) {
        parser.feed(piece);
        take();
    }
    parser.finish();
    take();
    out += "lastEventId " + shown(parser.lastEventId().toUtf8()) + " retry "
            + (parser.retry() ? QByteArray::number(*parser.retry()) : QByteArray("none")) + " comments "
            + QByteArray::number(parser.commentCount()) + " error " + QByteArray::number(int(parser.error())) + '\n';
    return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzInput in = splitInput(data, size);
    const qsizetype maxLine = in.flags & 0x80 ? 64 : 1024 * 1024;
    compareFeedings(in, [&](const QList<QByteArrayView> &pieces) { return transcript(pieces, maxLine); });
    return 0;
}
