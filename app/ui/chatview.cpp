// SPDX-License-Identifier: MIT
#include "chatview.h"

#include "appcontroller.h"
#include "palette.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPainter>
#include <QPushButton>
#include <QScrollBar>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

namespace rtlab {

namespace {

// Two lines per message: who, when, which transport delivered it and its latency; then the text.
class MessageDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const QFontMetrics fm(option.font);
        const int width = qMax(100, option.rect.width() > 0 ? option.rect.width() - 24 : 600);
        const QRect text = fm.boundingRect(QRect(0, 0, width, 10000), Qt::TextWordWrap,
                                           index.data(ChatModel::TextRole).toString().left(4000));
        return { width, fm.height() + text.height() + 12 };
    }

    void paint(QPainter *p, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const QPalette &pal = option.palette;
        const QRect r = option.rect.adjusted(8, 3, -8, -3);
        const auto type = MessageType(index.data(ChatModel::TypeRole).toInt());
        const QString delivery = index.data(ChatModel::DeliveryTextRole).toString();
        const auto state = Outbox::State(index.data(ChatModel::DeliveryRole).toInt());
        if (option.state & QStyle::State_Selected)
            p->fillRect(option.rect, pal.color(QPalette::Highlight).lighter(isDark(pal) ? 60 : 170));
        else if (type == MessageType::Reset)
            p->fillRect(option.rect, isDark(pal) ? QColor(0x4a, 0x3a, 0x10) : QColor(0xff, 0xf1, 0xc9));
        else if (state == Outbox::State::Failed)
            p->fillRect(option.rect, isDark(pal) ? QColor(0x4a, 0x1c, 0x1c) : QColor(0xfd, 0xe2, 0xe2));
        const QFontMetrics fm(option.font);
        QFont bold = option.font;
        bold.setBold(true);
        p->setFont(bold);
        p->setPen(pal.color(QPalette::Text));
        const QString from = index.data(ChatModel::FromRole).toString();
        p->drawText(r.topLeft() + QPoint(0, fm.ascent()), from);
        int x = r.left() + QFontMetrics(bold).horizontalAdvance(from) + 10;
        p->setFont(option.font);
        if (!delivery.isEmpty()) {
            // Not delivered yet: its state instead of the server's time, transport and latency.
            QFont italic = option.font;
            italic.setItalic(true);
            p->setFont(italic);
            p->setPen(state == Outbox::State::Failed ? QColor(0xc6, 0x28, 0x28) : pal.color(QPalette::PlaceholderText));
            p->drawText(QRect(x, r.top(), r.right() - x, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                        QFontMetrics(italic).elidedText(delivery, Qt::ElideRight, r.right() - x));
            p->setFont(option.font);
            p->setPen(pal.color(QPalette::Text));
            p->drawText(QRect(r.left(), r.top() + fm.height() + 2, r.width(), r.height() - fm.height()),
                        Qt::TextWordWrap, index.data(ChatModel::TextRole).toString().left(4000));
            return;
        }
        p->setPen(pal.color(QPalette::PlaceholderText));
        const QString time = QDateTime::fromMSecsSinceEpoch(index.data(ChatModel::TimeRole).toLongLong() / 1000)
                                     .toString(QStringLiteral("HH:mm:ss.zzz"));
        p->drawText(QPoint(x, r.top() + fm.ascent()), time);
        x += fm.horizontalAdvance(time) + 10;
        const auto via = TransportKind(index.data(ChatModel::TransportRole).toInt());
        const QString badge = transportKindLabel(via);
        const QRect badgeRect(x, r.top() + 1, fm.horizontalAdvance(badge) + 10, fm.height() - 2);
        p->setRenderHint(QPainter::Antialiasing);
        p->setBrush(transportColor(via, pal));
        p->setPen(Qt::NoPen);
        p->drawRoundedRect(badgeRect, 4, 4);
        p->setPen(Qt::white);
        p->drawText(badgeRect, Qt::AlignCenter, badge);
        x = badgeRect.right() + 10;
        const qint64 latency = index.data(ChatModel::LatencyRole).toLongLong();
        if (latency >= 0) {
            p->setPen(pal.color(QPalette::PlaceholderText));
            p->drawText(QPoint(x, r.top() + fm.ascent()), tr("%1 ms").arg(double(latency) / 1000.0, 0, 'f', 2));
        }
        p->setPen(pal.color(QPalette::Text));
        p->drawText(QRect(r.left(), r.top() + fm.height() + 2, r.width(), r.height() - fm.height()), Qt::TextWordWrap,
                    index.data(ChatModel::TextRole).toString().left(4000));
    }

    static QString tr(const char *s) { return QCoreApplication::translate("MessageDelegate", s); }
};

} // namespace

ChatView::ChatView(AppController *controller, QWidget *parent) : QWidget(parent), m_controller(controller)
{
    m_list = new QListView(this);
    m_list->setModel(controller->chat());
    m_list->setItemDelegate(new MessageDelegate(m_list));
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setWordWrap(true);
    m_list->setLayoutMode(QListView::Batched);
    m_list->setBatchSize(200);
    m_list->setAccessibleName(tr("Messages"));
    // Follow the newest message unless the user scrolled up to read (see m_pinned).
    QScrollBar *bar = m_list->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, [this, bar](int value) {
        if (m_list->isVisible())
            m_pinned = value >= bar->maximum() - 4;
    });
    connect(bar, &QScrollBar::rangeChanged, this, &ChatView::followIfPinned);
    connect(controller->chat(), &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_pinned)
            QMetaObject::invokeMethod(this, &ChatView::followIfPinned, Qt::QueuedConnection);
    });
    // A failed message of our own: a click (or Enter on it) sends it again.
    connect(m_list, &QListView::clicked, this, &ChatView::retry);
    connect(m_list, &QListView::activated, this, &ChatView::retry);

    m_nickname = new QLineEdit(controller->nickname(), this);
    m_nickname->setMaxLength(int(PublishLimits::DefaultMaxFromChars));
    m_nickname->setMaximumWidth(160);
    m_nickname->setAccessibleName(tr("Nickname"));
    connect(m_nickname, &QLineEdit::editingFinished, this, [this] { m_controller->setNickname(m_nickname->text()); });
    connect(controller, &AppController::nicknameChanged, m_nickname, &QLineEdit::setText);

    m_input = new QLineEdit(this);
    m_input->setPlaceholderText(tr("Type a message and press Enter"));
    m_input->setMaxLength(16 * 1024);
    m_input->setAccessibleName(tr("Message"));
    connect(m_input, &QLineEdit::returnPressed, this, &ChatView::send);
    m_send = new QPushButton(tr("Send"), this);
    connect(m_send, &QPushButton::clicked, this, &ChatView::send);
    m_sendError = new QLabel(this);
    m_sendError->setWordWrap(true);
    m_sendError->setStyleSheet(QStringLiteral("color: #c62828"));
    m_sendError->hide();
    connect(m_input, &QLineEdit::textEdited, m_sendError, &QLabel::hide);

    auto *nickLabel = new QLabel(tr("&Nickname:"), this);
    nickLabel->setBuddy(m_nickname);
    auto *row = new QHBoxLayout;
    row->addWidget(nickLabel);
    row->addWidget(m_nickname);
    row->addWidget(m_input, 1);
    row->addWidget(m_send);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list, 1);
    layout->addLayout(row);
    layout->addWidget(m_sendError);
}

void ChatView::send()
{
    m_controller->setNickname(m_nickname->text());
    QString why;
    if (m_controller->sendChat(m_input->text(), &why)) {
        // Safely in the outbox: the row above shows what happens to it.
        m_input->clear();
        m_sendError->hide();
        m_pinned = true; // your own message: show it
        followIfPinned();
    } else if (!why.isEmpty()) {
        // Refused: the text stays, and the user is told why.
        m_sendError->setText(tr("Not sent: %1").arg(why));
        m_sendError->show();
    }
}

void ChatView::retry(const QModelIndex &index)
{
    if (Outbox::State(index.data(ChatModel::DeliveryRole).toInt()) == Outbox::State::Failed)
        m_controller->retryChat(index.data(ChatModel::ClientMsgIdRole).toString());
}

void ChatView::followIfPinned()
{
    if (m_pinned)
        m_list->scrollToBottom();
}

void ChatView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Rows that arrived while another tab was shown are laid out now: go on following them.
    if (m_pinned)
        QMetaObject::invokeMethod(this, &ChatView::followIfPinned, Qt::QueuedConnection);
}

} // namespace rtlab
