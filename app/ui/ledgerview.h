// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"
#include "transportstats.h"

#include <QWidget>

#include <array>
#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;

namespace rtlab {

class AppController;
class LedgerFollower;

// The byte ledger: for one message, the bytes each transport put on the wire to carry it,
// part by part (request and response heads, SSE fields, poll envelopes, WebSocket frame
// headers), and apart from them each lane's once-per-connection set-up. The message is the
// latest, one chosen by id, or the one just published; Pause freezes the view.
class LedgerView : public QWidget
{
    Q_OBJECT
public:
    explicit LedgerView(AppController *app, QWidget *parent = nullptr);
    void refresh();
    LedgerFollower *follower() { return m_follower; }

    static QString renderBytes(const QByteArray &bytes); // HTML, CR/LF made visible

private:
    void refreshChoices();
    void choose(const QString &text);

    AppController *m_app;
    std::array<std::optional<TransportStats>, TransportKindCount> m_copies;
    LedgerFollower *m_follower;
    QLabel *m_hint;
    QLabel *m_status;
    QComboBox *m_choice;
    QPushButton *m_pause;
    std::array<QTextBrowser *, TransportKindCount> m_lanes {};
    std::array<QLabel *, TransportKindCount> m_averages {}; // changes with every message: kept out of the browsers
};

} // namespace rtlab
