// SPDX-License-Identifier: MIT
#include "connectdialog.h"

#include "bearertoken.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace rtlab {

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_url(new QLineEdit(this)), m_token(new QLineEdit(this)), m_error(new QLabel(this))
{
    // A short title (window managers cut long ones on a narrow dialog), the rest in the labels.
    setWindowTitle(tr("Connect"));
    m_url->setObjectName(QStringLiteral("url"));
    m_url->setPlaceholderText(QStringLiteral("http://HOST:PORT"));
    m_token->setObjectName(QStringLiteral("token"));
    m_token->setPlaceholderText(tr("only for a server started with --auth-key"));
    // Shown as dots, like a password: a token is one (whoever holds it may post as its sub).
    m_token->setEchoMode(QLineEdit::Password);
    QAction *show =
            m_token->addAction(style()->standardIcon(QStyle::SP_FileDialogContentsView), QLineEdit::TrailingPosition);
    show->setToolTip(tr("Show the token"));
    show->setCheckable(true);
    connect(show, &QAction::toggled, m_token,
            [this](bool on) { m_token->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password); });

    auto *note = new QLabel(tr("The token is kept in memory for this window only: it is not saved to disk. "
                               "Get one with <tt>rtlab-server token --auth-key FILE --sub NAME</tt>."),
                            this);
    note->setObjectName(QStringLiteral("tokenNote"));
    note->setWordWrap(true);
    note->setTextFormat(Qt::RichText);
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setForegroundRole(QPalette::BrightText);
    m_error->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("&URL of an rtlab server:"), m_url);
    form->addRow(tr("&Token (optional):"), m_token);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    resize(qMax(sizeHint().width(), fontMetrics().horizontalAdvance(QLatin1Char('0')) * 60), sizeHint().height());
}

void ConnectDialog::setUrl(const QUrl &url)
{
    m_url->setText(url.toString());
}

void ConnectDialog::setToken(const QByteArray &token)
{
    m_token->setText(QString::fromUtf8(token));
}

QUrl ConnectDialog::url() const
{
    return QUrl::fromUserInput(m_url->text().trimmed());
}

QByteArray ConnectDialog::token() const
{
    return m_token->text().trimmed().toUtf8();
}

void ConnectDialog::accept()
{
    const QUrl u = url();
    QString error;
    if (!u.isValid() || (u.scheme() != u"http" && u.scheme() != u"https") || u.host().isEmpty())
        error = tr("Expected http://HOST:PORT, got “%1”.").arg(m_url->text());
    // It goes into a header line as it is: printable ASCII, no spaces (a JWT is base64url and dots).
    if (!token().isEmpty() && !BearerToken::isValid(token()))
        error = tr("A token is printable ASCII with no spaces (three base64url parts joined by dots).");
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    if (error.isEmpty())
        QDialog::accept();
}

} // namespace rtlab
