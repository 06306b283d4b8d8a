#include "timelineview.h"

#include "appcontroller.h"
#include "palette.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPainterPath>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace rtlab {

TimelineWidget::TimelineWidget(EventLogModel *model, QWidget *parent) : QWidget(parent), m_model(model)
{
    setAccessibleName(tr("Connection timeline"));
}

void TimelineWidget::setWindowMs(qint64 ms)
{
    m_windowMs = ms;
    update();
}

static QColor eventColor(ConnectionEvent::Type t, const QPalette &pal)
{
    using T = ConnectionEvent::Type;
    const bool dark = isDark(pal);
    switch (t) {
    case T::Opened: return dark ? QColor(0x5c, 0xc8, 0x8a) : QColor(0x1b, 0x8a, 0x4b);
    case T::Closed:
    case T::DeadPeer:
    case T::GaveUp:
    case T::Error: return dark ? QColor(0xff, 0x6b, 0x6b) : QColor(0xc6, 0x28, 0x28);
    case T::RetryScheduled: return dark ? QColor(0xf2, 0xa6, 0x3b) : QColor(0xc2, 0x6a, 0x00);
    case T::Reset: return dark ? QColor(0xd0, 0x8c, 0xff) : QColor(0x7b, 0x1f, 0xa2);
    case T::Switched:
    case T::FellBack: return pal.color(QPalette::Highlight);
    default: return pal.color(QPalette::PlaceholderText);
    }
}

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    const int labelW = fm.horizontalAdvance(QStringLiteral("Long Polling")) + 16;
    const int legendH = fm.height() + 6;
    const QRectF area(labelW, legendH, width() - labelW - 10, height() - legendH - fm.height() - 6);
    const qreal rowH = area.height() / TransportKindCount;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 from = now - m_windowMs;
    auto xOf = [&](qint64 t) { return area.left() + area.width() * double(t - from) / double(m_windowMs); };
    auto yOf = [&](TransportKind k) { return area.top() + rowH * (int(k) + 0.5); };

    // Rows and time marks.
    for (int i = 0; i < TransportKindCount; ++i) {
        const TransportKind k = TransportKind(i);
        p.setPen(transportColor(k, pal));
        p.drawText(QRectF(4, area.top() + rowH * i, labelW - 8, rowH), Qt::AlignVCenter | Qt::AlignLeft,
                   transportKindLabel(k));
        QColor line = pal.color(QPalette::Mid);
        line.setAlpha(80);
        p.setPen(line);
        p.drawLine(QPointF(area.left(), yOf(k)), QPointF(area.right(), yOf(k)));
    }
    p.setPen(pal.color(QPalette::PlaceholderText));
    const qint64 step = m_windowMs <= 60000 ? 10000 : 60000;
    for (qint64 s = 0; s <= m_windowMs; s += step) {
        const qreal x = area.right() - area.width() * double(s) / double(m_windowMs);
        p.drawText(QRectF(x - 30, area.bottom() + 2, 60, fm.height()), Qt::AlignHCenter,
                   s == 0 ? tr("now") : QStringLiteral("-%1 s").arg(s / 1000));
    }

    // Legend.
    using T = ConnectionEvent::Type;
    qreal lx = labelW;
    for (T t : { T::Opened, T::Closed, T::RetryScheduled, T::Reset, T::Switched, T::Heartbeat, T::HoldTimeout }) {
        p.setBrush(eventColor(t, pal));
        p.setPen(Qt::NoPen);
        p.drawEllipse(QPointF(lx + 5, fm.height() / 2.0 + 2), 4, 4);
        p.setPen(pal.color(QPalette::Text));
        const QString name = ConnectionEvent::typeName(t);
        p.drawText(QPointF(lx + 12, fm.ascent() + 1), name);
        lx += 22 + fm.horizontalAdvance(name);
    }

    // Events, newest last; only those in the window. The model is bounded, so this is too.
    p.setClipRect(area.adjusted(-6, -6, 6, 6));
    const auto &rows = m_model->rows();
    for (auto it = rows.rbegin(); it != rows.rend() && it->event.timeMs >= from; ++it) {
        const ConnectionEvent &e = it->event;
        const qreal x = xOf(e.timeMs);
        const qreal y = yOf(e.transport);
        const QColor c = eventColor(e.type, pal);
        const bool lane = it->source != u"client";
        if (lane)
            continue; // the timeline shows the chat client; lanes are in the log
        switch (e.type) {
        case T::Switched:
        case T::FellBack:
            p.setPen(QPen(c, 2, Qt::DashLine));
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
            break;
        case T::RetryScheduled:
            p.setPen(QPen(c, 3));
            p.drawLine(QPointF(x, y), QPointF(xOf(e.timeMs + e.delayMs), y));
            break;
        case T::Heartbeat:
        case T::HoldTimeout:
            p.setPen(QPen(c, 1));
            p.drawLine(QPointF(x, y - 5), QPointF(x, y + 5));
            break;
        case T::Connecting:
            break;
        case T::Reset: {
            // Above the row, so that the "opened" it comes with does not hide it.
            QPainterPath diamond;
            diamond.moveTo(x, y - 16);
            diamond.lineTo(x + 6, y - 10);
            diamond.lineTo(x, y - 4);
            diamond.lineTo(x - 6, y - 10);
            diamond.closeSubpath();
            p.setPen(Qt::NoPen);
            p.fillPath(diamond, c);
            break;
        }
        default:
            p.setPen(Qt::NoPen);
            p.setBrush(c);
            p.drawEllipse(QPointF(x, y), 5, 5);
        }
    }
}

TimelineView::TimelineView(AppController *controller, QWidget *parent) : QWidget(parent)
{
    m_timeline = new TimelineWidget(controller->events(), this);
    m_window = new QComboBox(this);
    m_window->addItem(tr("last 30 s"), 30000);
    m_window->addItem(tr("last minute"), 60000);
    m_window->addItem(tr("last 5 minutes"), 300000);
    m_window->setCurrentIndex(1);
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this] { m_timeline->setWindowMs(m_window->currentData().toLongLong()); });
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter the log (transport, event, detail)…"));
    m_filter->setClearButtonEnabled(true);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(controller->events());
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setColumnWidth(EventLogModel::TimeColumn, fontMetrics().horizontalAdvance(QStringLiteral("00:00:00.000__")));
    connect(m_proxy, &QAbstractItemModel::rowsInserted, m_table, [this] {
        if (m_filter->text().isEmpty())
            m_table->scrollToBottom();
    });
    auto *filterLabel = new QLabel(tr("&Log:"), this);
    filterLabel->setBuddy(m_filter);
    auto *row = new QHBoxLayout;
    row->addWidget(filterLabel);
    row->addWidget(m_filter, 1);
    row->addWidget(m_window);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_timeline, 2);
    layout->addLayout(row);
    layout->addWidget(m_table, 3);
    connect(controller, &AppController::refreshed, m_timeline, [this] {
        if (m_timeline->isVisible())
            m_timeline->update();
    });
}

} // namespace rtlab
