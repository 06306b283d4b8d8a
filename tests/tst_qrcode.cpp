// SPDX-License-Identifier: MIT
// Unit tests: QrCode, the join URL's QR code (libqrencode) as a module matrix.
#include "qrcode.h"

#include <QTest>

using namespace rtlab;

class tst_QrCode : public QObject
{
    Q_OBJECT
private slots:
    void knownUrl();
    void finderPatterns();
    void quietZone();
    void timingPatterns();
    void errors();
};

// The finder pattern at symbol coordinates (ox, oy): a 7×7 dark ring, a light ring, a 3×3 dark
// centre, and a light separator around it inside the symbol.
static bool finderAt(const QrCode &c, int ox, int oy)
{
    const int q = QrCode::QuietZone;
    for (int y = -1; y <= 7; ++y) {
        for (int x = -1; x <= 7; ++x) {
            const int sx = ox + x;
            const int sy = oy + y;
            if (sx < 0 || sy < 0 || sx >= c.symbolSize() || sy >= c.symbolSize())
                continue; // the separator lies outside the symbol on the outer sides
            const bool ring = x == 0 || x == 6 || y == 0 || y == 6;
            const bool centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
            const bool inside = x >= 0 && x <= 6 && y >= 0 && y <= 6;
            const bool expectDark = inside && (ring || centre);
            if (c.isDark(sx + q, sy + q) != expectDark)
                return false;
        }
    }
    return true;
}

void tst_QrCode::knownUrl()
{
    // 25 bytes in byte mode at level M: version 2 (it holds up to 26), 25 modules across.
    const QrCode c = QrCode::encode("http://192.168.1.20:8080/");
    QVERIFY(!c.isNull());
    QCOMPARE(c.error(), QrCode::Error::None);
    QCOMPARE(c.version(), 2);
    QCOMPARE(c.symbolSize(), 17 + 4 * c.version());
    QCOMPARE(c.size(), c.symbolSize() + 2 * QrCode::QuietZone);
    // The same text, the same code.
    const QrCode again = QrCode::encode("http://192.168.1.20:8080/");
    for (int y = 0; y < c.size(); ++y)
        for (int x = 0; x < c.size(); ++x)
            QCOMPARE(again.isDark(x, y), c.isDark(x, y));
    // A longer URL takes a larger version.
    QVERIFY(QrCode::encode("http://192.168.100.200:65535/a-much-longer-path/for-a-larger-code").version() > 2);
}

void tst_QrCode::finderPatterns()
{
    const QrCode c = QrCode::encode("http://10.0.0.7:8080/");
    const int n = c.symbolSize();
    QVERIFY(finderAt(c, 0, 0));
    QVERIFY(finderAt(c, n - 7, 0));
    QVERIFY(finderAt(c, 0, n - 7));
    // No fourth one: the bottom-right corner is data (a scanner tells the orientation by it).
    QVERIFY(!finderAt(c, n - 7, n - 7));
}

void tst_QrCode::quietZone()
{
    const QrCode c = QrCode::encode("http://10.0.0.7:8080/");
    const int q = QrCode::QuietZone;
    for (int y = 0; y < c.size(); ++y) {
        for (int x = 0; x < c.size(); ++x) {
            const bool inZone = x < q || y < q || x >= c.size() - q || y >= c.size() - q;
            if (inZone)
                QVERIFY2(!c.isDark(x, y), qPrintable(QStringLiteral("(%1,%2)").arg(x).arg(y)));
        }
    }
    // The symbol's corner is dark, right inside the zone.
    QVERIFY(c.isDark(q, q));
    QVERIFY(!c.isDark(-1, 0));
    QVERIFY(!c.isDark(c.size(), 0));
}

void tst_QrCode::timingPatterns()
{
    const QrCode c = QrCode::encode("http://10.0.0.7:8080/");
    const int q = QrCode::QuietZone;
    for (int i = 8; i < c.symbolSize() - 8; ++i) {
        QCOMPARE(c.isDark(i + q, 6 + q), i % 2 == 0);
        QCOMPARE(c.isDark(6 + q, i + q), i % 2 == 0);
    }
}

void tst_QrCode::errors()
{
    QCOMPARE(QrCode::encode({}).error(), QrCode::Error::Empty);
    QVERIFY(QrCode::encode({}).isNull());
    QCOMPARE(QrCode::encode({}).size(), 0);
    const QrCode tooLong = QrCode::encode(QByteArray(QrCode::MaxBytes + 1, 'a'));
    QCOMPARE(tooLong.error(), QrCode::Error::TooLong);
    QVERIFY(!tooLong.errorString().isEmpty());
}

QTEST_GUILESS_MAIN(tst_QrCode)
#include "tst_qrcode.moc"
