// SPDX-License-Identifier: MIT
// Server ▸ Connect with the nodes of a cluster: the first URL and the others one per line, each
// checked with an error that names its line, in the order the client will try them.
#include "connectdialog.h"

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTest>

using namespace rtlab;

class tst_ConnectDialog : public QObject
{
    Q_OBJECT
private slots:
    void theOtherNodesFollowTheFirst();
    void eachLineIsChecked_data();
    void eachLineIsChecked();
    void setUrlsFillsBothFields();
};

static void fill(ConnectDialog &d, const QString &first, const QString &others)
{
    d.findChild<QLineEdit *>(QStringLiteral("url"))->setText(first);
    d.findChild<QPlainTextEdit *>(QStringLiteral("moreUrls"))->setPlainText(others);
}

void tst_ConnectDialog::theOtherNodesFollowTheFirst()
{
    ConnectDialog d;
    fill(d, QStringLiteral("http://127.0.0.1:8001"),
         QStringLiteral("  http://127.0.0.1:8002\n\nhttp://node-c:8003 \n"));
    d.accept();
    QCOMPARE(d.result(), int(QDialog::Accepted));
    QCOMPARE(
            d.urls(),
            (QList<QUrl> { QUrl(QStringLiteral("http://127.0.0.1:8001")), QUrl(QStringLiteral("http://127.0.0.1:8002")),
                           QUrl(QStringLiteral("http://node-c:8003")) }));
    QCOMPARE(d.url(), QUrl(QStringLiteral("http://127.0.0.1:8001")));
}

void tst_ConnectDialog::eachLineIsChecked_data()
{
    QTest::addColumn<QString>("others");
    QTest::addColumn<QString>("error");
    QTest::newRow("not http")
            << QStringLiteral("http://127.0.0.1:8002\nws://127.0.0.1:8003/ws")
            << QStringLiteral("Other nodes, line 2: expected http://HOST:PORT, got “ws://127.0.0.1:8003/ws”.");
    QTest::newRow("the first again") << QStringLiteral("http://127.0.0.1:8001")
                                     << QStringLiteral(
                                                "Other nodes, line 1: http://127.0.0.1:8001 is already in the list.");
    QTest::newRow("twice") << QStringLiteral("http://b:1\nhttp://b:1")
                           << QStringLiteral("Other nodes, line 2: http://b:1 is already in the list.");
}

void tst_ConnectDialog::eachLineIsChecked()
{
    QFETCH(QString, others);
    QFETCH(QString, error);
    ConnectDialog d;
    fill(d, QStringLiteral("http://127.0.0.1:8001"), others);
    d.accept();
    QCOMPARE(d.result(), int(QDialog::Rejected)); // still open
    auto *shown = d.findChild<QLabel *>(QStringLiteral("error"));
    QCOMPARE(shown->text(), error);
    QVERIFY(!shown->isHidden());
}

void tst_ConnectDialog::setUrlsFillsBothFields()
{
    ConnectDialog d;
    d.setUrls({ QUrl(QStringLiteral("http://a:1")), QUrl(QStringLiteral("http://b:2")),
                QUrl(QStringLiteral("http://c:3")) });
    QCOMPARE(d.findChild<QLineEdit *>(QStringLiteral("url"))->text(), QStringLiteral("http://a:1"));
    QCOMPARE(d.findChild<QPlainTextEdit *>(QStringLiteral("moreUrls"))->toPlainText(),
             QStringLiteral("http://b:2\nhttp://c:3"));
    d.accept();
    QCOMPARE(d.urls().size(), 3);
}

QTEST_MAIN(tst_ConnectDialog)
#include "tst_connectdialog.moc"
