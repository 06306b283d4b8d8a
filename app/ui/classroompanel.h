// SPDX-License-Identifier: MIT
#pragma once

#include "listenaddress.h"

#include <QDialog>
#include <QHostAddress>
#include <QUrl>

class QLabel;
class QLineEdit;
class QPushButton;

namespace rtlab {

class AppController;
class QrCodeWidget;

// Classroom mode: where the bundled server listens (a setting, checked as it is typed), and
// where students join: the URL of the browser page on this machine's LAN address, as text and
// as a QR code large enough to scan from a projector, with the other addresses and the rtlab
// command line beside it.
class ClassroomPanel : public QDialog
{
    Q_OBJECT
public:
    explicit ClassroomPanel(AppController *controller, QWidget *parent = nullptr);

    // Shows the join URL for a server listening at `running` (invalid: not running), with the
    // machine's LAN addresses `lan` (for "every interface"). The panel calls it itself whenever
    // the server starts or stops.
    void showAddress(const ListenAddress &running, const QList<QHostAddress> &lan);
    QUrl joinUrl() const { return m_joinUrl; }

    QLineEdit *listenEdit() const { return m_listen; }
    QLabel *listenError() const { return m_listenError; }
    QPushButton *applyButton() const { return m_apply; }
    QLabel *joinUrlLabel() const { return m_url; }
    QrCodeWidget *qrCode() const { return m_qr; }

private:
    void refresh();
    void validate();
    void apply();

    AppController *m_controller;
    QLineEdit *m_listen;
    QLabel *m_listenError;
    QPushButton *m_apply;
    QLabel *m_status;
    QLabel *m_url;
    QLabel *m_others;
    QLabel *m_cli;
    QrCodeWidget *m_qr;
    QUrl m_joinUrl;
};

} // namespace rtlab
