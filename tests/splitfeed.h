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

// Which feedings: all of them, or (for inputs of many KiB, where every cut would be quadratic)
// whole and one byte at a time only.
enum class Splits { All, WholeAndBytes };

// Calls visit(const Feeding &) for each feeding of input, in order: whole, every two-piece split
// (cut 0 to input.size()), one byte at a time. Stops as soon as visit returns false; returns
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
