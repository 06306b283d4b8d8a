// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractButton>
#include <QColor>

namespace rtlab {

// A lesson on the start page: a button with the lesson's action-worded title and, below it, the
// transport, the claim and its length, or why it cannot run yet (then it is disabled). Reached
// with Tab, pressed with Space or Enter.
class LessonCard : public QAbstractButton
{
    Q_OBJECT
public:
    LessonCard(const QString &lessonId, const QString &title, const QString &detail, const QColor &stripe,
               QWidget *parent = nullptr);

    QString lessonId() const { return m_id; }
    QString detail() const { return m_detail; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void enterEvent(QEnterEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    QFont titleFont() const;
    QFont detailFont() const;
    QRect textRect(const QRect &card) const;

    QString m_id;
    QString m_detail;
    QColor m_stripe;
    bool m_hovered = false;
};

} // namespace rtlab
