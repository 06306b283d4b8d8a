#include "ledgerview.h"

#include "appcontroller.h"
#include "palette.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStringDecoder>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rtlab {

LedgerView::LedgerView(AppController *app, QWidget *parent) : QWidget(parent), m_app(app)
{
    m_hint = new QLabel(tr("For one message, the bytes each transport put on the wire. Subscribe all three "
                           "(Compare) and publish a message: the three lanes show what carried it."),
                        this);
    m_hint->setWordWrap(true);
    auto *probe = new QPushButton(tr("Publish one message and show its bytes"), this);
    connect(probe, &QPushButton::clicked, this, [this] {
        m_app->setCompareEnabled(true);
        m_app->sendChat(tr("ledger probe"));
    });
    auto *top = new QHBoxLayout;
    top->addWidget(m_hint, 1);
    top->addWidget(probe);
    auto *lanes = new QHBoxLayout;
    for (int i = 0; i < 3; ++i) {
        m_lanes[size_t(i)] = new QTextBrowser(this);
        m_lanes[size_t(i)]->setAccessibleName(transportKindLabel(TransportKind(i)));
        lanes->addWidget(m_lanes[size_t(i)], 1);
    }
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(lanes, 1);
    connect(app, &AppController::refreshed, this, [this] {
        if (isVisible())
            refresh();
    });
}

QString LedgerView::renderBytes(const QByteArray &bytes)
{
    // Binary (a WebSocket frame header): hex. Text: as is, with CR and LF made visible.
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString text = utf8(bytes);
    bool binary = utf8.hasError();
    for (char c : bytes)
        binary = binary || (uchar(c) < 0x20 && c != '\r' && c != '\n' && c != '\t');
    if (binary)
        return QString::fromLatin1(bytes.toHex(' '));
    QString out;
    for (QChar c : text) {
        if (c == u'\r')
            out += QStringLiteral("<span class=c>\\r</span>");
        else if (c == u'\n')
            out += QStringLiteral("<span class=c>\\n</span><br>");
        else
            out += QString(c).toHtmlEscaped();
    }
    return out;
}

void LedgerView::refresh()
{
    for (int i = 0; i < 3; ++i) {
        const TransportKind kind = TransportKind(i);
        QTextBrowser *view = m_lanes[size_t(i)];
        const std::optional<AppController::LaneSnapshot> lane = m_app->laneSnapshot(kind);
        const QString color = transportColor(kind, palette()).name();
        QString html = QStringLiteral("<style>.c{color:%1} pre{white-space:pre-wrap}</style><h3 style='color:%2'>%3</h3>")
                               .arg(palette().color(QPalette::PlaceholderText).name(), color, transportKindLabel(kind));
        if (!lane || lane->stats.lastWire.isEmpty()) {
            view->setHtml(html + tr("<p>No message seen yet.</p>"));
            view->setProperty("rtlabHtml", QString());
            continue;
        }
        const auto &parts = lane->stats.lastWire;
        qint64 total = 0;
        for (const auto &[label, bytes] : parts)
            total += bytes.size();
        html += tr("<p><b>%1 bytes</b> carried the last message:</p>").arg(total);
        for (const auto &[label, bytes] : parts) {
            html += QStringLiteral("<p><b>%1</b> — %2 bytes</p><pre>%3</pre>")
                            .arg(label.toHtmlEscaped())
                            .arg(bytes.size())
                            .arg(renderBytes(bytes.left(4096)));
        }
        // Only when it changed, so that reading (and scrolling) is not disturbed four times a second.
        if (view->property("rtlabHtml").toString() != html) {
            view->setProperty("rtlabHtml", html);
            view->setHtml(html);
        }
    }
}

} // namespace rtlab
