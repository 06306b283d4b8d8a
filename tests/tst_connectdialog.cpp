// SPDX-License-Identifier: MIT
// Server ▸ Connect with the nodes of a cluster: the first URL and the others one per line, each
// checked with an error that names its line, in the order the client will try them.
#include "appcontroller.h"
#include "connectdialog.h"

#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
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
    void aClusterIsKeptInTheSettings();
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

// The nodes go to the chat client as they are (the impairment relay stands in front of one server
// only), are saved, and come back at the next start.
void tst_ConnectDialog::aClusterIsKeptInTheSettings()
{
    QStandardPaths::setTestModeEnabled(true); // settings go to a test location
    QSettings().clear();
    const QList<QUrl> nodes { QUrl(QStringLiteral("http://127.0.0.1:1")), QUrl(QStringLiteral("http://127.0.0.1:2")) };
    {
        AppController controller;
        controller.connectTo(nodes);
        QCOMPARE(controller.serverUrls(), nodes);
        QCOMPARE(controller.serverUrl(), nodes.constFirst());
        QCOMPARE(controller.client()->serverUrls(), nodes);
        controller.saveSettings();
    }
    QCOMPARE(QSettings().value(QStringLiteral("serverUrl")).toUrl(), nodes.constFirst()); // what older versions read
    AppController again;
    again.start();
    QCOMPARE(again.serverUrls(), nodes);
    QCOMPARE(again.client()->serverUrls(), nodes);
    QSettings().clear();
}

QTEST_MAIN(tst_ConnectDialog)
#include "tst_connectdialog.moc"
