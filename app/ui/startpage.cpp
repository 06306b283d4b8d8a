// SPDX-License-Identifier: MIT
#include "startpage.h"

#include "lessoncard.h"
#include "lessonrunner.h"
#include "palette.h"
#include "transportsketch.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <array>

namespace rtlab {

StartPage::StartPage(QWidget *parent) : StartPage(LessonCatalog::all(), parent) { }

StartPage::StartPage(const QList<LessonInfo> &lessons, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("startPage"));
    // The header stays put; the diagrams and the cards scroll below it, so that the page fits a
    // 1280×720 screen at a 1.5 scale factor.
    auto *title = new QLabel(tr("Three ways for a server to push messages to a client"), this);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setBold(true);
    title->setFont(big);
    title->setWordWrap(true);
    auto *intro = new QLabel(tr("Pick a lesson below: it sets everything up, says where to look, and puts it all "
                                "back when it ends."),
                             this);
    intro->setToolTip(tr("Help → Start page brings you back here"));
    intro->setWordWrap(true);
    m_tour = new QPushButton(tr("Take the &guided tour"), this);
    m_tour->setToolTip(tr("Through the transports one step at a time: each step says what it did and where to "
                          "look, and waits for Next"));
    m_tour->setDefault(true);
    m_chat = new QPushButton(tr("&Just chat"), this);
    m_chat->setToolTip(tr("Go to the chat"));
    connect(m_tour, &QPushButton::clicked, this, &StartPage::tourRequested);
    connect(m_chat, &QPushButton::clicked, this, &StartPage::chatRequested);
    auto *headerText = new QVBoxLayout;
    headerText->addWidget(title);
    headerText->addWidget(intro);
    auto *header = new QHBoxLayout;
    header->addLayout(headerText, 1);
    header->addWidget(m_tour, 0, Qt::AlignVCenter);
    header->addWidget(m_chat, 0, Qt::AlignVCenter);

    auto *content = new QWidget;
    content->setObjectName(QStringLiteral("startPageContent"));
    auto *grid = new QGridLayout(content);
    grid->setHorizontalSpacing(16);
    grid->setVerticalSpacing(6);
    const std::array<std::pair<TransportKind, QString>, 3> transports { {
            { TransportKind::LongPoll,
              tr("<b>Long polling</b>: the client asks, the server holds the request until it has a message and "
                 "answers, and the client asks again: one request per delivery.") },
            { TransportKind::Sse,
              tr("<b>Server-Sent Events</b>: one request, and a response that never ends: the server writes each "
                 "message into it as an event, one way only.") },
            { TransportKind::WebSocket,
              tr("<b>WebSocket</b>: one HTTP request is upgraded into a two-way connection; small frames then "
                 "travel both ways.") },
    } };
    QStringList columnKeys;
    for (int col = 0; col < int(transports.size()); ++col) {
        const TransportKind kind = transports[size_t(col)].first;
        auto *heading = new QLabel(QStringLiteral("<b><span style='color:%1'>%2</span></b>")
                                           .arg(transportColor(kind, palette()).name(), transportKindLabel(kind)),
                                   content);
        auto *sketch = new TransportSketch(kind, content);
        auto *sentence = new QLabel(transports[size_t(col)].second, content);
        sentence->setWordWrap(true);
        sentence->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        auto *cards = new QVBoxLayout;
        cards->setSpacing(6);
        for (const LessonInfo &l : lessons)
            if (l.transport == transportKindKey(kind))
                cards->addWidget(makeCard(l, content));
        cards->addStretch(1);
        columnKeys << transportKindKey(kind);
        grid->addWidget(heading, 0, col);
        grid->addWidget(sketch, 1, col);
        grid->addWidget(sentence, 2, col);
        grid->addLayout(cards, 3, col);
        grid->setColumnStretch(col, 1);
    }
    // Lessons about all three (or any other): a row of their own under the columns.
    auto *allHeading = new QLabel(tr("<b>All three</b>"), content);
    auto *all = new QGridLayout;
    all->setSpacing(6);
    int n = 0;
    for (const LessonInfo &l : lessons)
        if (!columnKeys.contains(l.transport)) {
            all->addWidget(makeCard(l, content), n / 3, n % 3);
            ++n;
        }
    for (int col = 0; col < 3; ++col)
        all->setColumnStretch(col, 1);
    if (n > 0) {
        grid->addWidget(allHeading, 4, 0, 1, 3);
        grid->addLayout(all, 5, 0, 1, 3);
    } else {
        allHeading->hide();
    }
    grid->setRowStretch(6, 1);
    grid->setRowMinimumHeight(4, 0);

    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(content);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 4);
    layout->addLayout(header);
    layout->addWidget(m_scroll, 1);

    // Tab order: the tour, the chat, then the cards column by column (their order of creation).
    setTabOrder(m_tour, m_chat);
    QWidget *previous = m_chat;
    for (LessonCard *c : std::as_const(m_cards)) {
        setTabOrder(previous, c);
        previous = c;
    }
}

LessonCard *StartPage::makeCard(const LessonInfo &lesson, QWidget *parent)
{
    const bool runs = lesson.unavailable.isEmpty();
    TransportKind kind = TransportKind::WebSocket;
    const bool one = transportKindFromKey(lesson.transport, &kind);
    const QColor stripe = one ? transportColor(kind, palette()) : palette().color(QPalette::Mid);
    const QString detail = runs ? tr("“%1” · about %2 s").arg(lesson.claim).arg(LessonRunner::plannedSeconds(lesson))
                                : tr("Not yet: %1").arg(lesson.unavailable);
    const QString title = LessonCatalog::cardTitle(lesson.id);
    auto *card = new LessonCard(lesson.id, title.isEmpty() ? lesson.title : title, detail, stripe, parent);
    card->setEnabled(runs);
    card->setToolTip(runs ? tr("%1 — starts the lesson in the Lab tab").arg(lesson.title) : detail);
    const QString id = lesson.id;
    connect(card, &LessonCard::clicked, this, [this, id] { emit lessonRequested(id); });
    m_cards.append(card);
    return card;
}

LessonCard *StartPage::card(const QString &lessonId) const
{
    for (LessonCard *c : m_cards)
        if (c->lessonId() == lessonId)
            return c;
    return nullptr;
}

} // namespace rtlab
