// SPDX-License-Identifier: MIT
#pragma once
// The one way every incremental parser's test feeds its input: whole, in every two-piece split
// (empty pieces at either end included), and one byte at a time. A parser is fed by reads that
// may end anywhere, so the way the bytes were cut must never change what it makes of them; a
// failure names the cut that broke it.

#include <QByteArrayView>
#include <QList>
#include <QString>

#include <type_traits>
#include <utility>

namespace rtlab::test {

// One way of cutting an input into the pieces a parser is fed, one feed() per piece.
struct Feeding
{
    enum class Kind { Whole, TwoPieces, ByteAtATime };
    Kind kind = Kind::Whole;
    qsizetype cut = 0; // TwoPieces: the size of the first piece
    QList<QByteArrayView> pieces;

    // For a failure message: "whole", "in two pieces, cut at byte 7", "one byte at a time".
    QString name() const
    {
        switch (kind) {
        case Kind::Whole: return QStringLiteral("whole");
        case Kind::TwoPieces: return QStringLiteral("in two pieces, cut at byte %1").arg(cut);
        case Kind::ByteAtATime: return QStringLiteral("one byte at a time");
        }
        return {};
    }
};

// Which feedings: all of them (every cut bounded by cutIsTried for long inputs), or whole and one
// byte at a time only.
enum class Splits { All, WholeAndBytes };

// Inputs up to this size are cut at every byte; longer ones at the cuts cutIsTried keeps.
inline constexpr qsizetype EveryCutUpTo = 4096;

// Whether the two-piece feeding cut at `cut` is tried. Every cut of a long input costs a whole
// parse each, quadratic: a 64 KiB body's 64 Ki cuts took 1.4 s here and over 300 s under ASan, so
// the sanitizer run had to leave such tests out. A parser can only tell two cuts apart by what
// lies around them: the cuts kept are every one within EdgeBytes of either end (the request or
// status line and the head, the start of a short body, the end of the input: Content-Length's
// last byte, a chunked body's last chunk), every one within LineMargin of a CR or LF (the end of
// each header line, of the head, and each chunk-size line with its CRLFs: where a parser changes
// state), and every SampleStride-th in between. What is left out is a cut inside a long run of
// body or header bytes far from any line end, where the parser is only copying bytes: the sampled
// cuts there (a prime stride, so never aligned with a power-of-two buffer) and the one-byte-at-a-
// time feeding still cut such runs, so a parser that mishandled a cut in one would still fail.
// Applied in every build, so the test is the same with and without sanitizers.
inline bool cutIsTried(QByteArrayView input, qsizetype cut)
{
    constexpr qsizetype EdgeBytes = 512;
    constexpr qsizetype LineMargin = 8;
    constexpr qsizetype SampleStride = 1021;
    if (input.size() <= EveryCutUpTo || cut < EdgeBytes || cut > input.size() - EdgeBytes || cut % SampleStride == 0)
        return true;
    const QByteArrayView around = input.sliced(cut - LineMargin, 2 * LineMargin);
    return around.contains('\r') || around.contains('\n');
}

// Calls visit(const Feeding &) for each feeding of input, in order: whole, every two-piece split
// (cut 0 to input.size(); for inputs over EveryCutUpTo, the cuts cutIsTried keeps), one byte at a
// time. Stops as soon as visit returns false; returns
// whether every visit returned true. The pieces view input: it must outlive the call.
template<typename Visit>
bool forEachFeeding(QByteArrayView input, Visit visit, Splits splits = Splits::All)
{
    Feeding feeding;
    feeding.pieces = { input };
    if (!visit(std::as_const(feeding)))
        return false;
    if (splits == Splits::All) {
        feeding.kind = Feeding::Kind::TwoPieces;
        for (qsizetype cut = 0; cut <= input.size(); ++cut) {
            if (!cutIsTried(input, cut))
                continue;
            feeding.cut = cut;
            feeding.pieces = { input.first(cut), input.sliced(cut) };
            if (!visit(std::as_const(feeding)))
                return false;
        }
    }
    feeding.kind = Feeding::Kind::ByteAtATime;
    feeding.cut = 0;
    feeding.pieces.clear();
    feeding.pieces.reserve(input.size());
    for (qsizetype i = 0; i < input.size(); ++i)
        feeding.pieces.append(input.sliced(i, 1));
    return visit(std::as_const(feeding));
}

// Parses input every way with parse(const QList<QByteArrayView> &pieces) and compares each result
// with the whole one through differ(whole, other), which returns an empty string when they agree
// and says what differs otherwise (differ(whole, whole) may report a contract the parser broke
// while fed whole). Returns the result of the whole feed; *disagreement names the first feeding
// that said otherwise ("in two pieces, cut at byte 7: status 200 vs 404"), or is empty.
template<typename Parse, typename Differ>
auto parseEveryWay(QByteArrayView input, Parse parse, Differ differ, QString *disagreement, Splits splits = Splits::All)
{
    const auto whole = parse(QList<QByteArrayView> { input });
    disagreement->clear();
    forEachFeeding(
            input,
            [&](const Feeding &feeding) {
                const QString diff =
                        differ(whole, feeding.kind == Feeding::Kind::Whole ? whole : parse(feeding.pieces));
                if (diff.isEmpty())
                    return true;
                *disagreement = (feeding.kind == Feeding::Kind::Whole ? QStringLiteral("fed whole") : feeding.name())
                        + QStringLiteral(": ") + diff;
                return false;
            },
            splits);
    return whole;
}

// parseEveryWay for results that compare with ==: the whole result when every feeding agrees;
// otherwise a warning naming the first feeding that differed and a default-constructed result.
template<typename Parse>
auto sameEveryWay(QByteArrayView input, Parse parse, Splits splits = Splits::All)
{
    QString disagreement;
    const auto whole = parseEveryWay(
            input, parse,
            [](const auto &a, const auto &b) { return a == b ? QString() : QStringLiteral("a different result"); },
            &disagreement, splits);
    if (disagreement.isEmpty())
        return whole;
    qWarning("%s", qPrintable(disagreement));
    return std::remove_cvref_t<decltype(whole)> {};
}

} // namespace rtlab::test
