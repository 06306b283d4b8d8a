// SPDX-License-Identifier: MIT
#include "timelineview.h"

#include "appcontroller.h"
#include "palette.h"

#include <QComboBox>
#include <QDateTime>
#include <QEvent>
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

// Okabe–Ito colours, and a shape of its own for each kind of event (filled dot opened, cross
// closed, bar retry, diamond reset, dashed line switched, tick heartbeat): told apart without
// colour too.
static QColor eventColor(ConnectionEvent::Type t, const QPalette &pal)
{
    using T = ConnectionEvent::Type;
    const bool dark = isDark(pal);
    switch (t) {
    case T::Opened: return QColor(0x00, 0x9e, 0x73);
    case T::Closed:
    case T::DeadPeer:
    case T::GaveUp:
    case T::Error: return dark ? QColor(0xff, 0x7b, 0x5c) : QColor(0xd5, 0x5e, 0x00);
    case T::RetryScheduled: return dark ? QColor(0xe6, 0x9f, 0x00) : QColor(0xa8, 0x6e, 0x00);
    case T::Reset: return dark ? QColor(0xcc, 0x79, 0xa7) : QColor(0xa0, 0x3f, 0x7a);
    case T::Switched:
    case T::FellBack: return pal.color(QPalette::Highlight);
    default: return pal.color(QPalette::PlaceholderText);
    }
}

// One event's mark at (x, y); `spanTo` is where a retry's bar ends, `top`/`bottom` bound a
// switch's line.
static void drawEvent(QPainter &p, ConnectionEvent::Type type, const QColor &c, qreal x, qreal y, qreal spanTo,
                      qreal top, qreal bottom)
{
    using T = ConnectionEvent::Type;
    p.save();
    p.setBrush(Qt::NoBrush);
    switch (type) {
    case T::Switched:
    case T::FellBack:
        p.setPen(QPen(c, 2, Qt::DashLine));
        p.drawLine(QPointF(x, top), QPointF(x, bottom));
        break;
    case T::RetryScheduled:
        p.setPen(QPen(c, 3));
        p.drawLine(QPointF(x, y), QPointF(spanTo, y));
        p.drawLine(QPointF(x, y - 4), QPointF(x, y + 4));
        break;
    case T::Heartbeat:
    case T::HoldTimeout:
        p.setPen(QPen(c, 1));
        p.drawLine(QPointF(x, y - 5), QPointF(x, y + 5));
        break;
    case T::Connecting: break;
    case T::Reset: {
        QPainterPath diamond;
        diamond.moveTo(x, y - 6);
        diamond.lineTo(x + 6, y);
        diamond.lineTo(x, y + 6);
        diamond.lineTo(x - 6, y);
        diamond.closeSubpath();
        p.setPen(Qt::NoPen);
        p.fillPath(diamond, c);
        break;
    }
    case T::Closed:
    case T::DeadPeer:
    case T::GaveUp:
    case T::Error:
        p.setPen(QPen(c, 2.2, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(QPointF(x - 4, y - 4), QPointF(x + 4, y + 4));
        p.drawLine(QPointF(x - 4, y + 4), QPointF(x + 4, y - 4));
        break;
    default:
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawEllipse(QPointF(x, y), 5, 5);
    }
    p.restore();
}

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm(font());
    int labelW = 0; // the widest transport's name, so that none is cut
    for (int i = 0; i < TransportKindCount; ++i)
        labelW = qMax(labelW, fm.horizontalAdvance(transportKindLabel(TransportKind(i))) + 16);
    // The legend flows into as many rows as the width needs, the rows below it.
    using T = ConnectionEvent::Type;
    struct LegendItem
    {
        T type;
        QString name;
        QPointF at;
    };
    QList<LegendItem> legend;
    qreal lx = labelW;
    qreal ly = 2;
    for (T t : { T::Opened, T::Closed, T::RetryScheduled, T::Reset, T::Switched, T::Heartbeat, T::HoldTimeout }) {
        const QString name = ConnectionEvent::typeName(t);
        const qreal w = 28 + fm.horizontalAdvance(name);
        if (lx > labelW && lx + w > width()) {
            lx = labelW;
            ly += fm.height() + 2;
        }
        legend.append({ t, name, QPointF(lx, ly) });
        lx += w;
    }
    const int legendH = int(ly) + fm.height() + 6;
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
        if (s == 0) // right-aligned, so that it is not cut off at the edge
            p.drawText(QRectF(x - 60, area.bottom() + 2, 64, fm.height()), Qt::AlignRight, tr("now"));
        else
            p.drawText(QRectF(x - 30, area.bottom() + 2, 60, fm.height()), Qt::AlignHCenter,
                       QStringLiteral("-%1 s").arg(s / 1000));
    }

    // Legend: each kind's own mark, as on the rows.
    for (const LegendItem &item : legend) {
        const qreal mid = item.at.y() + fm.height() / 2.0;
        drawEvent(p, item.type, eventColor(item.type, pal), item.at.x() + 6, mid, item.at.x() + 14, mid - 6, mid + 6);
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QPointF(item.at.x() + 18, item.at.y() + fm.ascent()), item.name);
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
        // A reset sits above the row, so that the "opened" it comes with does not hide it.
        drawEvent(p, e.type, c, x, e.type == T::Reset ? y - 10 : y, xOf(e.timeMs + e.delayMs), area.top(),
                  area.bottom());
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
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    fitLogToFont();
    connect(m_proxy, &QAbstractItemModel::rowsInserted, m_table, [this] {
        if (m_filter->text().isEmpty())
            m_table->scrollToBottom();
    });
    auto *filterLabel = new QLabel(tr("Lo&g:"), this);
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

void TimelineView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::ApplicationFontChange)
        fitLogToFont();
}

void TimelineView::fitLogToFont()
{
    const QFontMetrics fm(m_table->font());
    m_table->verticalHeader()->setDefaultSectionSize(fm.height() + 4);
    m_table->setColumnWidth(EventLogModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000__")));
}

} // namespace rtlab
