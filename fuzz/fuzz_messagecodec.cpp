// SPDX-License-Identifier: MIT
// MessageCodec (common/), not incremental, so its differential is the round trip: a publish the
// codec accepts, encoded again and decoded, is the same publish; a message it decodes, encoded
// again, decodes and encodes to the same bytes. Flag 0x80: a 16-byte text limit, so that 413 is reached.
#include "fuzzfeed.h"
#include "messagecodec.h"

using namespace rtlab;
using namespace rtlab::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzInput in = splitInput(data, size);
    PublishLimits limits;
    if (in.flags & 0x80)
        limits.maxTextBytes = 16;
    PublishRequest request;
    QString why;
    const auto error = MessageCodec::decodePublish(in.data, limits, &request, &why);
    if (error == MessageCodec::Error::None) {
        const QByteArray again = MessageCodec::encodePublish(request);
        PublishRequest decoded;
        if (MessageCodec::decodePublish(again, limits, &decoded, &why) != MessageCodec::Error::None)
            fail(qPrintable(QStringLiteral("an accepted publish, encoded again, is refused: ") + why + u'\n'
                            + QString::fromUtf8(shown(again))));
        if (decoded.from != request.from || decoded.text != request.text || decoded.clientTs != request.clientTs
            || decoded.clientMsgId != request.clientMsgId)
            fail(qPrintable(QStringLiteral("a publish changed in its round trip: ") + QString::fromUtf8(shown(again))));
    } else if (why.isEmpty()) {
        fail("a refused publish without a reason");
    }
    if (const auto message = MessageCodec::decode(in.data)) {
        // Compared as encoded: decode() keeps fields its type does not use (a reset with a "from"),
        // which encode() leaves out, so the wire form is what must survive the round trip.
        const QByteArray again = MessageCodec::encode(*message);
        const auto decoded = MessageCodec::decode(again);
        if (!decoded || MessageCodec::encode(*decoded) != again)
            fail(qPrintable(QStringLiteral("a message changed in its round trip: ") + QString::fromUtf8(shown(again))));
    }
    return 0;
}
