// SPDX-License-Identifier: MIT
#include "connectdialog.h"

#include "bearertoken.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace rtlab {

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_url(new QLineEdit(this)), m_more(new QPlainTextEdit(this)), m_token(new QLineEdit(this)),
      m_error(new QLabel(this))
{
    // A short title (window managers cut long ones on a narrow dialog), the rest in the labels.
    setWindowTitle(tr("Connect"));
    m_url->setObjectName(QStringLiteral("url"));
    m_url->setPlaceholderText(QStringLiteral("http://HOST:PORT"));
    m_more->setObjectName(QStringLiteral("moreUrls"));
    m_more->setPlaceholderText(tr("only for a cluster: the other nodes of the same log, one per line"));
    m_more->setTabChangesFocus(true);
    m_more->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_more->setToolTip(tr("When a server fails, the client moves to the next one in this order "
                          "(and round again), resuming where it was: the nodes share one log."));
    // Room for three lines: a cluster of a few nodes shows whole.
    m_more->setFixedHeight(m_more->fontMetrics().lineSpacing() * 3 + 2 * m_more->frameWidth()
                           + int(m_more->document()->documentMargin() * 2));
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
    // Red as the Classroom panel's errors (BrightText is white on a light palette: unreadable).
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("&URL of an rtlab server:"), m_url);
    form->addRow(tr("&Other nodes (optional):"), m_more);
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

void ConnectDialog::setUrls(const QList<QUrl> &urls)
{
    m_url->setText(urls.isEmpty() ? QString() : urls.constFirst().toString());
    QStringList more;
    for (qsizetype i = 1; i < urls.size(); ++i)
        more.append(urls.at(i).toString());
    m_more->setPlainText(more.join(QLatin1Char('\n')));
}

void ConnectDialog::setToken(const QByteArray &token)
{
    m_token->setText(QString::fromUtf8(token));
}

QUrl ConnectDialog::url() const
{
    return QUrl::fromUserInput(m_url->text().trimmed());
}

static QStringList otherLines(const QPlainTextEdit *edit)
{
    QStringList lines;
    for (const QString &line : edit->toPlainText().split(QLatin1Char('\n')))
        lines.append(line.trimmed());
    return lines;
}

QList<QUrl> ConnectDialog::urls() const
{
    QList<QUrl> all { url() };
    for (const QString &line : otherLines(m_more))
        if (!line.isEmpty())
            all.append(QUrl::fromUserInput(line));
    return all;
}

QByteArray ConnectDialog::token() const
{
    return m_token->text().trimmed().toUtf8();
}

void ConnectDialog::accept()
{
    const auto isServer = [](const QUrl &u) {
        return u.isValid() && (u.scheme() == u"http" || u.scheme() == u"https") && !u.host().isEmpty();
    };
    QString error;
    if (!isServer(url()))
        error = tr("Expected http://HOST:PORT, got “%1”.").arg(m_url->text());
    // Each other node on its line, named by its line number: a list is easy to get wrong in one place.
    QList<QUrl> seen { url() };
    const QStringList lines = otherLines(m_more);
    for (qsizetype i = 0; i < lines.size() && error.isEmpty(); ++i) {
        if (lines.at(i).isEmpty())
            continue;
        const QUrl u = QUrl::fromUserInput(lines.at(i));
        if (!isServer(u))
            error = tr("Other nodes, line %1: expected http://HOST:PORT, got “%2”.").arg(i + 1).arg(lines.at(i));
        else if (seen.contains(u))
            error = tr("Other nodes, line %1: %2 is already in the list.").arg(i + 1).arg(u.toString());
        seen.append(u);
    }
    // It goes into a header line as it is: printable ASCII, no spaces (a JWT is base64url and dots).
    if (!token().isEmpty() && !BearerToken::isValid(token()))
        error = tr("A token is printable ASCII with no spaces (three base64url parts joined by dots).");
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    if (error.isEmpty())
        QDialog::accept();
}

} // namespace rtlab
