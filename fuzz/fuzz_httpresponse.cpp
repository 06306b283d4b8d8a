// SPDX-License-Identifier: MIT
// HttpResponseParser (common/): responses on one connection fed whole, in the fuzzer's pieces and
// byte by byte give the same statuses, headers, bodies, byte counts (head, body, framing: the byte
// ledger) and errors. Flag 0x80: the responses answer HEAD requests (no bodies).
#include "fuzzfeed.h"
#include "httpresponseparser.h"

using namespace rtlab;
using namespace rtlab::fuzz;

static QByteArray transcript(const QList<QByteArrayView> &pieces, bool head)
{
    HttpResponseParser parser;
    parser.reset(head);
    QByteArray out;
    QByteArray body;
    auto completed = [&] {
        body += parser.takeBody();
        out += "response " + QByteArray::number(parser.status()) + " keepAlive "
                + QByteArray::number(parser.keepAlive()) + " head " + QByteArray::number(parser.headBytes()) + " body "
                + QByteArray::number(parser.bodyBytes()) + " framing " + QByteArray::number(parser.framingBytes())
                + '\n';
        for (const auto &[name, value] : parser.headers())
            out += "  " + shown(name) + ": " + shown(value) + '\n';
        out += "  body " + shown(body) + '\n';
        body.clear();
    };
    for (QByteArrayView piece : pieces) {
        while (!piece.isEmpty()) {
            const qsizetype n = parser.feed(piece);
            if (n < 0 || n > piece.size())
                fail("feed() returned more than it was given");
            piece = piece.sliced(n);
            body += parser.takeBody();
            if (parser.state() == HttpResponseParser::State::Error)
                return out + "error " + parser.errorString().toUtf8() + '\n';
            if (parser.state() != HttpResponseParser::State::Complete) {
                if (!piece.isEmpty())
                    fail("feed() stopped inside a response");
                break;
            }
            completed();
            if (!parser.keepAlive())
                return out + "closes\n";
            parser.reset(head);
        }
    }
    parser.finish(); // the connection closed: a close-delimited body ends here
    if (parser.state() == HttpResponseParser::State::Complete)
        completed();
    else if (parser.state() == HttpResponseParser::State::Error)
        out += "error at the end " + parser.errorString().toUtf8() + '\n';
    return out + "state " + QByteArray::number(int(parser.state())) + '\n';
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const FuzzInput in = splitInput(data, size);
    const bool head = in.flags & 0x80;
    compareFeedings(in, [&](const QList<QByteArrayView> &pieces) { return transcript(pieces, head); });
    return 0;
}
