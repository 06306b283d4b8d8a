#pragma once

#include <QWidget>

class QLineEdit;
class QListView;
class QPushButton;

namespace rtlab {

class AppController;

// The chat: messages (a bounded model in a list view), a nickname and an input line.
class ChatView : public QWidget
{
    Q_OBJECT
public:
    explicit ChatView(AppController *controller, QWidget *parent = nullptr);
    QLineEdit *input() const { return m_input; }
    QListView *list() const { return m_list; }

private:
    void send();

    AppController *m_controller;
    QListView *m_list;
    QLineEdit *m_nickname;
    QLineEdit *m_input;
    QPushButton *m_send;
};

} // namespace rtlab
