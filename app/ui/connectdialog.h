// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QUrl>

class QLabel;
class QLineEdit;

namespace rtlab {

// Server ▸ Connect: the URL of an rtlab server and, for one started with --auth-key, a token
// (docs/protocol.md, "Authentication"). The token is kept in memory for this window only and is
// never written to the settings, which the dialog says; the URL is remembered as before.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    void setUrl(const QUrl &url);
    void setToken(const QByteArray &token);
    // What was accepted: an http(s) URL with a host, and the token (trimmed; empty: none).
    QUrl url() const;
    QByteArray token() const;

    void accept() override;

private:
    QLineEdit *m_url;
    QLineEdit *m_token;
    QLabel *m_error;
};

} // namespace rtlab
