// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;

namespace rtlab {

class AppController;

// The chat: messages (a bounded model in a list view), a nickname and an input line. The user's
// own messages show at once with their delivery state; a failed one is sent again by a click.
class ChatView : public QWidget
{
    Q_OBJECT
public:
    explicit ChatView(AppController *controller, QWidget *parent = nullptr);
    QLineEdit *input() const { return m_input; }
    QListView *list() const { return m_list; }
    // Why the last message could not be sent (empty when it was).
    QLabel *sendError() const { return m_sendError; }

protected:
    void showEvent(QShowEvent *event) override;

private:
    void send();
    void retry(const QModelIndex &index);
    void followIfPinned();

    AppController *m_controller;
    QListView *m_list;
    QLineEdit *m_nickname;
    QLineEdit *m_input;
    QPushButton *m_send;
    QLabel *m_sendError;
    // Whether the view follows the newest message: true until the user scrolls up, and true again
    // once they scroll back to the end. Remembered, not measured on each insert: rows laid out in
    // batches, or while another tab is shown, grow the range after the insert.
    bool m_pinned = true;
};

} // namespace rtlab
