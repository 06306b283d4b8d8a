// SPDX-License-Identifier: MIT
#pragma once
// The differential every fuzz target runs: an incremental parser is fed the same bytes whole, in
// the pieces the fuzzer chose, and one byte at a time, and must make the same of them each way (a
// read may end anywhere). A target turns what its parser made of the pieces into a transcript
// (every request, event, frame and error, in order); two transcripts that differ abort with both
// printed, so libFuzzer keeps the input as a crash and prints where it wrote it.
//
// Input layout: byte 0's low three bits say how many cuts (0-7) follow as 16-bit little-endian
// offsets (taken modulo the data's length + 1); its high bits are the target's own (a role, a
// limit). The data is the rest. A seed is one header byte 0x00 and a unit test's input.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace rtlab::fuzz {

struct FuzzInput
{
    quint8 flags = 0; // byte 0 without the cut count
    QByteArrayView data;
    QList<QList<QByteArrayView>> feedings; // whole, the fuzzer's cuts, one byte at a time
};

inline FuzzInput splitInput(const uint8_t *bytes, size_t size)
{
    FuzzInput in;
    const int cuts = size > 0 ? bytes[0] & 0x07 : 0;
    in.flags = size > 0 ? bytes[0] & 0xf8 : 0;
    size_t pos = size > 0 ? 1 : 0;
    QList<size_t> raw;
    for (int i = 0; i < cuts && pos + 2 <= size; ++i, pos += 2)
        raw.append(size_t(bytes[pos]) | size_t(bytes[pos + 1]) << 8);
    in.data = QByteArrayView(reinterpret_cast<const char *>(bytes) + pos, qsizetype(size - pos));
    const size_t length = size_t(in.data.size());
    QList<qsizetype> at;
    for (size_t r : raw)
        at.append(qsizetype(r % (length + 1)));
    std::sort(at.begin(), at.end());

    in.feedings.append({ in.data });
    QList<QByteArrayView> pieces;
    qsizetype from = 0;
    for (qsizetype cut : at) {
        pieces.append(in.data.sliced(from, cut - from));
        from = cut;
    }
    pieces.append(in.data.sliced(from));
    in.feedings.append(pieces);
    QList<QByteArrayView> bytewise;
    for (qsizetype i = 0; i < in.data.size(); ++i)
        bytewise.append(in.data.sliced(i, 1));
    in.feedings.append(bytewise);
    return in;
}

// Aborts when a feeding's transcript differs from the whole input's.
template<typename Run>
void compareFeedings(const FuzzInput &in, Run run)
{
    const QByteArray whole = run(in.feedings.first());
    for (qsizetype i = 1; i < in.feedings.size(); ++i) {
        const QByteArray other = run(in.feedings[i]);
        if (other != whole) {
            std::fprintf(stderr, "fed whole:\n%s\n\nfed %s (%lld pieces):\n%s\n", whole.constData(),
                         i == 1 ? "in the fuzzer's pieces" : "one byte at a time",
                         static_cast<long long>(in.feedings[i].size()), other.constData());
            std::abort();
        }
    }
}

// For a transcript: bytes as C-escaped text, so that a difference prints readably.
inline QByteArray shown(QByteArrayView bytes)
{
    QByteArray out;
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f && c != '\\')
            out += c;
        else
            out += "\\x" + QByteArray::number(u, 16).rightJustified(2, '0');
    }
    return out;
}

// Fails the run with a reason (a broken invariant that is not a difference between feedings).
[[noreturn]] inline void fail(const char *why)
{
    std::fprintf(stderr, "%s\n", why);
    std::abort();
}

} // namespace rtlab::fuzz
