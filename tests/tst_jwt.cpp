// SPDX-License-Identifier: MIT
// The JWT verifier (server/auth/jwt.h): every way a token is refused, and the RFC 7515 vector.
#include "jwt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace rtlab;

Q_DECLARE_METATYPE(rtlab::Jwt::Error)

namespace {

const QByteArray key = "0123456789abcdef0123456789abcdef";
constexpr qint64 now = 1700000000;

QJsonObject hs256Header()
{
    return { { QStringLiteral("alg"), QStringLiteral("HS256") }, { QStringLiteral("typ"), QStringLiteral("JWT") } };
}

QJsonObject claims(const QString &sub = QStringLiteral("ann"))
{
    return { { QStringLiteral("sub"), sub }, { QStringLiteral("exp"), now + 3600 } };
}

// The object with one member set, or removed when the value is {} (null) or undefined.
QJsonObject with(QJsonObject o, const QString &name, const QJsonValue &value)
{
    if (value.isUndefined() || value.isNull())
        o.remove(name);
    else
        o.insert(name, value);
    return o;
}

QByteArray b64(const QByteArray &bytes)
{
    return Jwt::encodeBase64Url(bytes);
}

QByteArray b64(const QJsonObject &o)
{
    return b64(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QByteArray signedToken(const QJsonObject &payload, const QJsonObject &header = hs256Header())
{
    return Jwt::signPayload(header, payload, key);
}

} // namespace

class tst_Jwt : public QObject
{
    Q_OBJECT
private slots:
    void verify_data();
    void verify();
    void permissions_data();
    void permissions();
    void rfc7515AppendixA1();
    void signRoundTrip();
    void base64Url_data();
    void base64Url();
};

void tst_Jwt::verify_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<Jwt::Error>("error");
    QTest::addColumn<QString>("why"); // a part of the reason, for the refused rows

    using E = Jwt::Error;
    const QByteArray valid = signedToken(claims());
    QTest::newRow("valid") << valid << E::None << QString();
    QTest::newRow("valid, no exp") << signedToken(with(claims(), QStringLiteral("exp"), {})) << E::None << QString();
    QTest::newRow("valid, fractional exp")
            << signedToken(with(claims(), QStringLiteral("exp"), now + 0.5)) << E::None << QString();
    QTest::newRow("expired 29 s ago: in the leeway")
            << signedToken(with(claims(), QStringLiteral("exp"), now - 29)) << E::None << QString();
    QTest::newRow("expired 30 s ago") << signedToken(with(claims(), QStringLiteral("exp"), now - 30)) << E::Expired
                                      << QStringLiteral("expired");
    QTest::newRow("expired long ago") << signedToken(with(claims(), QStringLiteral("exp"), 1)) << E::Expired
                                      << QStringLiteral("expired");
    QTest::newRow("nbf in 30 s: in the leeway")
            << signedToken(with(claims(), QStringLiteral("nbf"), now + 30)) << E::None << QString();
    QTest::newRow("nbf in 31 s: not yet valid") << signedToken(with(claims(), QStringLiteral("nbf"), now + 31))
                                                << E::NotYetValid << QStringLiteral("not valid yet");
    QTest::newRow("signed with another key")
            << Jwt::signPayload(hs256Header(), claims(), "another key, 32 bytes long......") << E::BadSignature
            << QStringLiteral("bad signature");
    {
        // The payload swapped for another sender's, the signature kept.
        const QList<QByteArray> parts = valid.split('.');
        QTest::newRow("payload altered") << parts[0] + '.' + b64(claims(QStringLiteral("bob"))) + '.' + parts[2]
                                         << E::BadSignature << QStringLiteral("bad signature");
        QTest::newRow("signature truncated") << parts[0] + '.' + parts[1] + '.' + parts[2].first(40) << E::BadSignature
                                             << QStringLiteral("bad signature");
        QTest::newRow("signature empty") << parts[0] + '.' + parts[1] + '.' << E::BadSignature
                                         << QStringLiteral("bad signature");
    }
    const QJsonObject none { { QStringLiteral("alg"), QStringLiteral("none") } };
    QTest::newRow("alg none, no signature")
            << b64(none) + '.' + b64(claims()) + '.' << E::Algorithm << QStringLiteral("algorithm none not accepted");
    QTest::newRow("alg none, a signature")
            << Jwt::signPayload(none, claims(), key) << E::Algorithm << QStringLiteral("algorithm none");
    QTest::newRow("alg HS512") << signedToken(claims(),
                                              with(hs256Header(), QStringLiteral("alg"), QStringLiteral("HS512")))
                               << E::Algorithm << QStringLiteral("HS512");
    // An RS256 token whose "signature" is an HMAC made with the public key as the secret: the
    // classic alg switch. The key says HS256, so RS256 is refused before any MAC is computed.
    QTest::newRow("alg RS256") << signedToken(claims(),
                                              with(hs256Header(), QStringLiteral("alg"), QStringLiteral("RS256")))
                               << E::Algorithm << QStringLiteral("RS256");
    QTest::newRow("alg hs256 (case)") << signedToken(
            claims(), with(hs256Header(), QStringLiteral("alg"), QStringLiteral("hs256")))
                                      << E::Algorithm << QStringLiteral("hs256");
    QTest::newRow("alg missing") << signedToken(claims(), with(hs256Header(), QStringLiteral("alg"), {}))
                                 << E::Algorithm << QStringLiteral("(none given)");
    QTest::newRow("crit header") << signedToken(
            claims(), with(hs256Header(), QStringLiteral("crit"), QJsonArray { QStringLiteral("exp") }))
                                 << E::Malformed << QStringLiteral("crit");
    QTest::newRow("empty") << QByteArray() << E::Malformed << QStringLiteral("three");
    QTest::newRow("two parts") << valid.left(valid.lastIndexOf('.')) << E::Malformed << QStringLiteral("three");
    QTest::newRow("four parts") << valid + ".AAAA" << E::Malformed << QStringLiteral("three");
    QTest::newRow("padding in the header") << b64(hs256Header()) + "=." + valid.sliced(valid.indexOf('.') + 1)
                                           << E::Malformed << QStringLiteral("header");
    QTest::newRow("standard base64 '+' in the signature")
            << valid.left(valid.lastIndexOf('.') + 1) + "+" + valid.sliced(valid.lastIndexOf('.') + 2) << E::Malformed
            << QStringLiteral("signature");
    QTest::newRow("header not JSON") << Jwt::encodeBase64Url("{alg:HS256}") + '.' + valid.sliced(valid.indexOf('.') + 1)
                                     << E::Malformed << QStringLiteral("header");
    {
        const QByteArray input = b64(hs256Header()) + '.' + b64(QByteArray("[\"ann\"]"));
        QTest::newRow("payload a JSON array")
                << input + '.' + b64(Jwt::hs256(input, key)) << E::Malformed << QStringLiteral("payload");
        const QByteArray garbage = b64(hs256Header()) + '.' + b64(QByteArray("{\"sub\":\"ann\""));
        QTest::newRow("payload truncated JSON")
                << garbage + '.' + b64(Jwt::hs256(garbage, key)) << E::Malformed << QStringLiteral("payload");
    }
    QTest::newRow("longer than 4096 bytes") << signedToken(with(claims(), QStringLiteral("pad"), QString(4096, u'x')))
                                            << E::Malformed << QStringLiteral("longer");
    QTest::newRow("sub missing") << signedToken(with(claims(), QStringLiteral("sub"), {})) << E::BadClaims
                                 << QStringLiteral("sub missing");
    QTest::newRow("sub empty") << signedToken(claims(QStringLiteral("  "))) << E::BadClaims
                               << QStringLiteral("sub missing");
    QTest::newRow("sub a number") << signedToken(with(claims(), QStringLiteral("sub"), 7)) << E::BadClaims
                                  << QStringLiteral("sub missing");
    QTest::newRow("sub longer than a from")
            << signedToken(claims(QString(65, u'a'))) << E::BadClaims << QStringLiteral("longer than 64");
    QTest::newRow("exp a string") << signedToken(with(claims(), QStringLiteral("exp"), QStringLiteral("tomorrow")))
                                  << E::BadClaims << QStringLiteral("exp and nbf");
    QTest::newRow("rtlab a string") << signedToken(with(claims(), QStringLiteral("rtlab"), QStringLiteral("publish")))
                                    << E::BadClaims << QStringLiteral("rtlab");
    QTest::newRow("rtlab with a number") << signedToken(with(claims(), QStringLiteral("rtlab"), QJsonArray { 1 }))
                                         << E::BadClaims << QStringLiteral("rtlab");
}

void tst_Jwt::verify()
{
    QFETCH(QByteArray, token);
    QFETCH(Jwt::Error, error);
    QFETCH(QString, why);
    Jwt::Error got = Jwt::Error::None;
    QString reason;
    const std::optional<TokenClaims> claims = Jwt::verify(token, key, now, &got, &reason);
    QCOMPARE(got, error);
    QCOMPARE(claims.has_value(), error == Jwt::Error::None);
    if (claims)
        QCOMPARE(claims->sub, QStringLiteral("ann"));
    else
        QVERIFY2(reason.contains(why), qPrintable(reason));
}

void tst_Jwt::permissions_data()
{
    QTest::addColumn<QJsonValue>("rtlab");
    QTest::addColumn<int>("permissions");
    const int sub = permissionBit(Permission::Subscribe);
    const int pub = permissionBit(Permission::Publish);
    const int stats = permissionBit(Permission::Stats);
    QTest::newRow("absent: subscribe and publish") << QJsonValue(QJsonValue::Undefined) << (sub | pub);
    QTest::newRow("empty: nothing") << QJsonValue(QJsonArray {}) << 0;
    QTest::newRow("stats only") << QJsonValue(QJsonArray { QStringLiteral("stats") }) << stats;
    QTest::newRow("all three") << QJsonValue(
            QJsonArray { QStringLiteral("subscribe"), QStringLiteral("publish"), QStringLiteral("stats") })
                               << (sub | pub | stats);
    // Decided: an unknown name is ignored, not refused (docs/protocol.md): it grants nothing here.
    QTest::newRow("an unknown name ignored")
            << QJsonValue(QJsonArray { QStringLiteral("subscribe"), QStringLiteral("admin") }) << sub;
}

void tst_Jwt::permissions()
{
    QFETCH(QJsonValue, rtlab);
    QFETCH(int, permissions);
    const std::optional<TokenClaims> claims =
            Jwt::verify(signedToken(with(::claims(), QStringLiteral("rtlab"), rtlab)), key, now);
    QVERIFY(claims);
    QCOMPARE(int(claims->permissions), permissions);
}

// RFC 7515 appendix A.1: the HS256 example, signature and all. Its payload has no sub, so the
// verifier accepts the signature and then refuses the claims.
void tst_Jwt::rfc7515AppendixA1()
{
    const QByteArray token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const std::optional<QByteArray> rfcKey = Jwt::decodeBase64Url(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    QVERIFY(rfcKey);
    const qsizetype dot2 = token.lastIndexOf('.');
    QCOMPARE(Jwt::encodeBase64Url(Jwt::hs256(token.first(dot2), *rfcKey)), token.sliced(dot2 + 1));
    Jwt::Error error = Jwt::Error::None;
    QString why;
    QVERIFY(!Jwt::verify(token, *rfcKey, 1300819380 - 60, &error, &why));
    QCOMPARE(error, Jwt::Error::BadClaims);
    QCOMPARE(why, QStringLiteral("sub missing"));
    // And after its exp (1300819380) plus the leeway: expired, before any claim is read.
    QVERIFY(!Jwt::verify(token, *rfcKey, 1300819380 + 30, &error));
    QCOMPARE(error, Jwt::Error::Expired);
    QVERIFY(!Jwt::verify(token, "not the key, but 32 bytes long..", 1300819380 - 60, &error));
    QCOMPARE(error, Jwt::Error::BadSignature);
}

void tst_Jwt::signRoundTrip()
{
    TokenClaims in;
    in.sub = QStringLiteral("Ann Müller");
    in.exp = now + 60;
    in.permissions = permissionBit(Permission::Publish) | permissionBit(Permission::Stats);
    const QByteArray token = Jwt::sign(in, key);
    const std::optional<TokenClaims> out = Jwt::verify(token, key, now);
    QVERIFY(out);
    QCOMPARE(out->sub, in.sub);
    QCOMPARE(out->exp, in.exp);
    QCOMPARE(out->nbf, std::nullopt);
    QCOMPARE(out->permissions, in.permissions);
}

void tst_Jwt::base64Url_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray() << true << QByteArray();
    QTest::newRow("one byte") << QByteArray("YQ") << true << QByteArray("a");
    QTest::newRow("url alphabet") << QByteArray("-_8") << true << QByteArray("\xfb\xff", 2);
    QTest::newRow("padded") << QByteArray("YQ==") << false << QByteArray();
    QTest::newRow("standard alphabet") << QByteArray("+/8") << false << QByteArray();
    QTest::newRow("length 4n+1") << QByteArray("YWJjZ") << false << QByteArray();
    QTest::newRow("stray bits") << QByteArray("YR") << false << QByteArray();
    QTest::newRow("space") << QByteArray("Y Q") << false << QByteArray();
}

void tst_Jwt::base64Url()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(QByteArray, bytes);
    const std::optional<QByteArray> decoded = Jwt::decodeBase64Url(text);
    QCOMPARE(decoded.has_value(), valid);
    if (decoded)
        QCOMPARE(*decoded, bytes);
}

QTEST_APPLESS_MAIN(tst_Jwt)
#include "tst_jwt.moc"
