// SPDX-License-Identifier: MIT
// HttpRequestParser (server/http): pipelined requests fed whole, in the fuzzer's pieces and byte
// by byte give the same requests, the same error status and reason, and stop at the same byte.
// Flag 0x80: small limits (128-byte head, 64-byte body), so that 431 and 413 are reached.
#include "fuzzfeed.h"
#include "httprequestparser.h"

using namespace rtlab;
using namespace rtlab::fuzz;

static QByteArray transcript(const QList<QByteArrayView> &pieces, HttpRequestParser::Limits limits)
{
    HttpRequestParser parser(limits);
    QByteArray out;
    qsizetype offset = 0;
    for (QByteArrayView piece : pieces) {
        while (!piece.isEmpty()) {
            const qsizetype n = parser.feed(piece);
            if (n < 0 || n > piece.size())
                fail("feed() returned more than it was given");
            offset += n;
            piece = piece.sliced(n);
            if (parser.state() == HttpRequestParser::State::Error) {
                out += "error " + QByteArray::number(parser.errorStatus()) + ' ' + parser.errorString().toUtf8()
                        + " at " + QByteArray::number(offset) + '\n';
                return out;
            }
            if (parser.state() != HttpRequestParser::State::Complete) {
                if (!piece.isEmpty())
                    fail("feed() stopped inside a request");
                break;
            }
            const HttpRequest r = parser.takeRequest();
            out += "request " + r.method + ' ' + shown(r.target) + ' ' + shown(r.path) + " ?"
                    + r.query.query(QUrl::FullyEncoded).toUtf8() + " HTTP/" + QByteArray::number(r.versionMajor) + '.'
                    + QByteArray::number(r.versionMinor) + " keepAlive " + QByteArray::number(r.keepAlive) + " upgrade "
                    + QByteArray::number(r.upgrade) + " ends at " + QByteArray::number(offset) + '\n';
            for (const auto &[name, value] : r.headers)
                out += "  " + shown(name) + ": " + shown(value) + '\n';
            out += "  body " + shown(r.body) + '\n';
            if (r.upgrade)
                return out + "upgraded\n"; // what follows is another protocol
        }
    }
    out += "state " + QByteArray::number(int(parser.state())) + " headComplete "
            + QByteArray::number(parser.headComplete()) + '\n';
    return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzInput in = splitInput(data, size);
    HttpRequestParser::Limits limits;
    if (in.flags & 0x80)
        limits = { 128, 64 };
    compareFeedings(in, [&](const QList<QByteArrayView> &pieces) { return transcript(pieces, limits); });
    return 0;
}
