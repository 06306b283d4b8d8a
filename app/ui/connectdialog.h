// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QUrl>

class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace rtlab {

// Server ▸ Connect: the URL of an rtlab server and, for one started with --auth-key, a token
// (docs/protocol.md, "Authentication"). The token is kept in memory for this window only and is
// never written to the settings, which the dialog says; the URL is remembered as before. For a
// cluster, the other nodes of the same log go below, one per line: the client moves to the next
// when one fails (RealtimeClient::setServerUrls).
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    void setUrl(const QUrl &url);
    // The first in the URL field, the others one per line below it.
    void setUrls(const QList<QUrl> &urls);
    void setToken(const QByteArray &token);
    // What was accepted: an http(s) URL with a host, and the token (trimmed; empty: none).
    QUrl url() const;
    // Every server, the URL field's first, in the order the client tries them.
    QList<QUrl> urls() const;
    QByteArray token() const;

    void accept() override;

private:
    QLineEdit *m_url;
    QPlainTextEdit *m_more;
    QLineEdit *m_token;
    QLabel *m_error;
};

} // namespace rtlab
