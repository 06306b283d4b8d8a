#pragma once

#include <QWidget>

#include <array>

class QLabel;
class QTextBrowser;

namespace rtlab {

class AppController;

// The byte ledger: for the latest message, the bytes each transport put on the wire, part by
// part — request and response heads, SSE fields, poll envelopes, WebSocket frame headers.
class LedgerView : public QWidget
{
    Q_OBJECT
public:
    explicit LedgerView(AppController *app, QWidget *parent = nullptr);
    void refresh();

    static QString renderBytes(const QByteArray &bytes); // HTML, CR/LF made visible

private:
    AppController *m_app;
    QLabel *m_hint;
    std::array<QTextBrowser *, 3> m_lanes {};
};

} // namespace rtlab
