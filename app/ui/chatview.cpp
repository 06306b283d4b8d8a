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
        if (option.state & QStyle::State_Selected)
            p->fillRect(option.rect, pal.color(QPalette::Highlight).lighter(isDark(pal) ? 60 : 170));
        else if (type == MessageType::Reset)
            p->fillRect(option.rect, isDark(pal) ? QColor(0x4a, 0x3a, 0x10) : QColor(0xff, 0xf1, 0xc9));
        const QFontMetrics fm(option.font);
        QFont bold = option.font;
        bold.setBold(true);
        p->setFont(bold);
        p->setPen(pal.color(QPalette::Text));
        const QString from = index.data(ChatModel::FromRole).toString();
        p->drawText(r.topLeft() + QPoint(0, fm.ascent()), from);
        int x = r.left() + QFontMetrics(bold).horizontalAdvance(from) + 10;
        p->setFont(option.font);
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
        p->drawText(QRect(r.left(), r.top() + fm.height() + 2, r.width(), r.height() - fm.height()),
                    Qt::TextWordWrap, index.data(ChatModel::TextRole).toString().left(4000));
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
    // Follow the newest message unless the user scrolled up to read.
    connect(controller->chat(), &QAbstractItemModel::rowsInserted, this, [this] {
        QScrollBar *bar = m_list->verticalScrollBar();
        if (bar->value() >= bar->maximum() - 4)
            QMetaObject::invokeMethod(m_list, &QListView::scrollToBottom, Qt::QueuedConnection);
    });

    m_nickname = new QLineEdit(controller->nickname(), this);
    m_nickname->setMaxLength(64);
    m_nickname->setMaximumWidth(160);
    m_nickname->setAccessibleName(tr("Nickname"));
    connect(m_nickname, &QLineEdit::editingFinished, this, [this] { m_controller->setNickname(m_nickname->text()); });
    connect(controller, &AppController::nicknameChanged, m_nickname, &QLineEdit::setText);

    m_input = new QLineEdit(this);
    m_input->setPlaceholderText(tr("Type a message and press Enter"));
    m_input->setMaxLength(16 * 1024);
    m_input->setAccessibleName(tr("Message"));
    connect(m_input, &QLineEdit::returnPressed, this, &ChatView::send);
    m_send = new QPushButton(tr("&Send"), this);
    connect(m_send, &QPushButton::clicked, this, &ChatView::send);

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
}

void ChatView::send()
{
    m_controller->setNickname(m_nickname->text());
    if (m_controller->sendChat(m_input->text()))
        m_input->clear();
}

} // namespace rtlab
