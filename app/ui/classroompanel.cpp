// SPDX-License-Identifier: MIT
#include "classroompanel.h"

#include "appcontroller.h"
#include "classroom.h"
#include "qrcodewidget.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rtlab {

static QString errorStyle()
{
    return QStringLiteral("color: #b00020;");
}

ClassroomPanel::ClassroomPanel(AppController *controller, QWidget *parent) : QDialog(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("classroomPanel"));
    setWindowTitle(tr("Classroom"));

    m_listen = new QLineEdit(this);
    m_listen->setObjectName(QStringLiteral("listenAddress"));
    m_listen->setPlaceholderText(tr("e.g. 0.0.0.0:8080 (every interface) — empty: this machine only"));
    m_listen->setText(controller->listenAddress().toString());
    m_listen->setToolTip(tr("Where the bundled server listens: HOST:PORT. 0.0.0.0 or [::] is every interface, so "
                            "that students' machines can join. Empty: loopback on a free port."));
    m_apply = new QPushButton(tr("&Listen"), this);
    m_listenError = new QLabel(this);
    m_listenError->setObjectName(QStringLiteral("listenError"));
    m_listenError->setStyleSheet(errorStyle());
    m_listenError->setWordWrap(true);
    m_listenError->hide();
    connect(m_listen, &QLineEdit::textChanged, this, &ClassroomPanel::validate);
    connect(m_listen, &QLineEdit::returnPressed, this, &ClassroomPanel::apply);
    connect(m_apply, &QPushButton::clicked, this, &ClassroomPanel::apply);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_url = new QLabel(this);
    m_url->setObjectName(QStringLiteral("joinUrl"));
    m_url->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_url->setWordWrap(true);
    QFont big = m_url->font();
    big.setPointSizeF(big.pointSizeF() * 2.0);
    big.setBold(true);
    m_url->setFont(big);
    m_others = new QLabel(this);
    m_others->setWordWrap(true);
    m_others->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_cli = new QLabel(this);
    m_cli->setWordWrap(true);
    m_cli->setTextFormat(Qt::RichText);
    m_cli->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_qr = new QrCodeWidget(this);

    auto *listenRow = new QHBoxLayout;
    listenRow->addWidget(new QLabel(tr("Listen on:"), this));
    listenRow->addWidget(m_listen, 1);
    listenRow->addWidget(m_apply);
    auto *text = new QVBoxLayout;
    text->addLayout(listenRow);
    text->addWidget(m_listenError);
    text->addWidget(m_status);
    text->addSpacing(12);
    text->addWidget(m_url);
    text->addWidget(m_cli);
    text->addWidget(m_others);
    text->addStretch(1);
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(m_qr, 3);
    layout->addLayout(text, 2);

    connect(controller->server(), &ServerProcess::stateChanged, this, &ClassroomPanel::refresh);
    connect(controller, &AppController::listenAddressChanged, this, [this](const ListenAddress &a) {
        if (ListenAddress::parse(m_listen->text()) != a)
            m_listen->setText(a.toString());
    });
    refresh();
    validate();
    resize(900, 480);
}

void ClassroomPanel::validate()
{
    QString why;
    const bool empty = m_listen->text().trimmed().isEmpty();
    const bool ok = empty || ListenAddress::parse(m_listen->text(), &why).isValid();
    m_listenError->setText(ok ? QString() : why);
    m_listenError->setVisible(!ok);
    m_apply->setEnabled(ok);
}

void ClassroomPanel::apply()
{
    validate();
    if (!m_apply->isEnabled())
        return; // the inline error says why; nothing already running changes
    m_controller->setListenAddress(ListenAddress::parse(m_listen->text()));
    if (!m_controller->usingBundledServer())
        m_controller->useBundledServer();
    refresh();
}

void ClassroomPanel::refresh()
{
    const ServerProcess *server = m_controller->server();
    if (!m_controller->usingBundledServer()) {
        m_status->setText(tr("Connected to another server (%1): students join there. “Listen” starts the bundled "
                             "server for the class.")
                                  .arg(m_controller->serverUrl().toString()));
        m_status->setStyleSheet(QString());
    } else if (server->state() == ServerProcess::State::Failed) {
        // The server's own words: a port in use is never silently swapped for another one.
        m_status->setText(tr("The bundled server failed: %1").arg(server->errorString()));
        m_status->setStyleSheet(errorStyle());
    } else if (server->state() == ServerProcess::State::Running) {
        m_status->setText(tr("The bundled server listens on %1.").arg(server->runningAddress().toString()));
        m_status->setStyleSheet(QString());
    } else {
        m_status->setText(tr("The bundled server is %1.").arg(ServerProcess::stateName(server->state())));
        m_status->setStyleSheet(QString());
    }
    const bool ours = m_controller->usingBundledServer() && server->state() == ServerProcess::State::Running;
    showAddress(ours ? server->runningAddress() : ListenAddress(), Classroom::lanAddresses());
}

void ClassroomPanel::showAddress(const ListenAddress &running, const QList<QHostAddress> &lan)
{
    const QList<QHostAddress> join = Classroom::joinAddresses(running, lan);
    if (join.isEmpty()) {
        m_joinUrl = QUrl();
        m_url->setText(!running.isValid()             ? tr("Not listening")
                               : running.isLoopback() ? tr("This machine only")
                                                      : tr("No network address found"));
        m_cli->setText(running.isValid() && running.isLoopback()
                               ? tr("The server listens on %1: students' machines cannot reach it. Listen on "
                                    "<b>0.0.0.0:%2</b> (every interface) to let them join.")
                                         .arg(running.toString().toHtmlEscaped())
                                         .arg(running.port())
                               : QString());
        m_others->clear();
        m_qr->setCode({});
        m_qr->hide(); // no empty square where the code would be
        return;
    }
    m_joinUrl = Classroom::joinUrl(join.first(), running.port());
    const QString url = m_joinUrl.toString();
    m_url->setText(url);
    QUrl server = m_joinUrl;
    server.setPath(QString());
    m_cli->setText(tr("Students open it in a browser, or run <code>rtlab --server %1</code>.")
                           .arg(server.toString().toHtmlEscaped()));
    QStringList others;
    for (qsizetype i = 1; i < join.size(); ++i)
        others << Classroom::joinUrl(join[i], running.port()).toString();
    m_others->setText(others.isEmpty() ? QString()
                                       : tr("Other addresses of this machine:\n%1").arg(others.join(u'\n')));
    m_qr->setCode(QrCode::encode(url.toUtf8()));
    m_qr->show();
}

} // namespace rtlab
