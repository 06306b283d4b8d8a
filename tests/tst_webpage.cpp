// SPDX-License-Identifier: MIT
// The browser page (resources/web) as the server serves it: compiled-in files, their types and the
// headers that keep message text from ever running as code. Its behaviour in a real browser is
// tests/browser/.
#include "testsupport.h"

#include <QRegularExpression>

using namespace rtlab;
using namespace rtlab::test;

class tst_WebPage : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void servesPageFiles_data();
    void servesPageFiles();
    void refusesOtherPaths_data();
    void refusesOtherPaths();
    void headAnswersWithoutBody();
    void pageHasNoInlineCode();
    void everyFileThePageNamesIsServed();
    void nicknameLimitIsTheServers();

private:
    std::unique_ptr<Server> m_server;
};

void tst_WebPage::init()
{
    m_server = startServer(quietConfig());
}

void tst_WebPage::cleanup()
{
    m_server.reset();
}

void tst_WebPage::servesPageFiles_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("bodyContains");
    QTest::newRow("/ is index.html") << QByteArray("/") << QByteArray("text/html; charset=utf-8")
                                     << QByteArray("<script src=\"app.js\"");
    QTest::newRow("index.html by name") << QByteArray("/index.html") << QByteArray("text/html; charset=utf-8")
                                        << QByteArray("<!doctype html>");
    QTest::newRow("app.js") << QByteArray("/app.js") << QByteArray("text/javascript; charset=utf-8")
                            << QByteArray("EventSource");
    QTest::newRow("app.css") << QByteArray("/app.css") << QByteArray("text/css; charset=utf-8")
                             << QByteArray("prefers-color-scheme");
    QTest::newRow("favicon.svg") << QByteArray("/favicon.svg") << QByteArray("image/svg+xml") << QByteArray("<svg");
    QTest::newRow("query ignored") << QByteArray("/app.js?v=2") << QByteArray("text/javascript; charset=utf-8")
                                   << QByteArray("EventSource");
}

void tst_WebPage::servesPageFiles()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, bodyContains);
    const RawResponse r = request(m_server->port(), "GET", target);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), contentType);
    QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
    QCOMPARE(r.header("cache-control"), QByteArray("no-cache"));
    const QByteArray policy = r.header("content-security-policy");
    for (const char *directive : { "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                                   "base-uri 'none'", "frame-ancestors 'none'" })
        QVERIFY2(policy.contains(directive), directive);
    QVERIFY2(!policy.contains("unsafe-"), policy.constData());
    QVERIFY2(r.body.contains(bodyContains), r.body.left(200).constData());
}

void tst_WebPage::refusesOtherPaths_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::newRow("unknown file") << QByteArray("GET") << QByteArray("/nope.js") << 404;
    QTest::newRow("unknown type") << QByteArray("GET") << QByteArray("/app.txt") << 404;
    QTest::newRow("no extension") << QByteArray("GET") << QByteArray("/app") << 404;
    QTest::newRow("the resource folder's own path") << QByteArray("GET") << QByteArray("/web/app.js") << 404;
    QTest::newRow("dot-dot, percent-encoded") << QByteArray("GET") << QByteArray("/%2E%2E/web/app.js") << 404;
    QTest::newRow("encoded slash") << QByteArray("GET") << QByteArray("/x%2F..%2Fapp.js") << 404;
    QTest::newRow("hidden name") << QByteArray("GET") << QByteArray("/.app.js") << 404;
    QTest::newRow("POST to the page") << QByteArray("POST") << QByteArray("/") << 405;
    QTest::newRow("POST to a file") << QByteArray("POST") << QByteArray("/app.js") << 405;
}

void tst_WebPage::refusesOtherPaths()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    const RawResponse r = request(m_server->port(), method, target, method == "POST" ? QByteArray("{}") : QByteArray());
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), QByteArray("application/json"));
    QVERIFY(r.header("content-security-policy").isEmpty());
}

void tst_WebPage::headAnswersWithoutBody()
{
    const qsizetype length = request(m_server->port(), "GET", "/").body.size();
    QVERIFY(length > 0);
    RawHttp http(m_server->port());
    QVERIFY(http.connected());
    http.send("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    // HEAD names the length of the page but sends none of it: the next answer follows the head at once.
    QByteArray raw;
    QVERIFY(QTest::qWaitFor(
            [&] {
                raw += http.socket().readAll();
                return raw.contains("\"status\":\"ok\"");
            },
            WaitMs));
    const qsizetype headEnd = raw.indexOf("\r\n\r\n");
    QVERIFY(headEnd > 0);
    QVERIFY(raw.left(headEnd).contains("Content-Length: " + QByteArray::number(length)));
    QVERIFY2(raw.mid(headEnd + 4).startsWith("HTTP/1.1 200 OK"), raw.constData());
}

// The policy allows no inline code: every script and style must be a file of its own.
void tst_WebPage::pageHasNoInlineCode()
{
    const QString page = QString::fromUtf8(request(m_server->port(), "GET", "/").body);
    QVERIFY(!page.isEmpty());
    QVERIFY(!page.contains(QRegularExpression(QStringLiteral("<script(?![^>]*\\bsrc=)"))));
    QVERIFY(!page.contains(QLatin1String("<style")));
    QVERIFY(!page.contains(QRegularExpression(QStringLiteral("\\sstyle=|\\son[a-z]+="))));
    QVERIFY(!page.contains(QLatin1String("javascript:")));
}

void tst_WebPage::everyFileThePageNamesIsServed()
{
    const QString page = QString::fromUtf8(request(m_server->port(), "GET", "/").body);
    const QRegularExpression reference(QStringLiteral("\\s(?:src|href)=\"([^\"]+)\""));
    int files = 0;
    for (const QRegularExpressionMatch &m : reference.globalMatch(page)) {
        const QString target = m.captured(1);
        if (target.startsWith(u'/') && !target.contains(u'.'))
            continue; // a link to a resource of the server (/stats), not a file of the page
        const RawResponse r = request(m_server->port(), "GET", "/" + target.toUtf8());
        QVERIFY2(r.status == 200, qPrintable(target));
        ++files;
    }
    QCOMPARE(files, 3); // app.css, app.js, favicon.svg
}

// The page cannot include the C++ constant: this holds its maxlength to the limit the server checks.
void tst_WebPage::nicknameLimitIsTheServers()
{
    const QString page = QString::fromUtf8(request(m_server->port(), "GET", "/").body);
    const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("<input id=\"nick\"[^>]*\\smaxlength=\"(\\d+)\"")).match(page);
    QVERIFY2(m.hasMatch(), "the nickname input has no maxlength");
    QCOMPARE(m.captured(1).toLongLong(), qint64(PublishLimits::DefaultMaxFromChars));
}

QTEST_GUILESS_MAIN(tst_WebPage)
#include "tst_webpage.moc"
