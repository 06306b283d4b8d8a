#pragma once

#include <QMainWindow>

class QActionGroup;
class QLabel;
class QTabWidget;

namespace rtlab {

class AppController;
class ChatView;
class CompareView;
class LabController;
class LabView;

// The rtlab window: a transport toggle in the toolbar, chat / dashboard / compare / timeline
// tabs, the bundled server's state in the status bar.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(AppController *controller, QWidget *parent = nullptr);

    QTabWidget *tabs() const { return m_tabs; }
    ChatView *chatView() const { return m_chat; }
    CompareView *compareView() const { return m_compare; }
    LabView *labView() const { return m_labView; }
    LabController *lab() const { return m_lab; }
    QActionGroup *transportActions() const { return m_transports; }
    QLabel *continuityLabel() const { return m_continuity; }
    void showTab(const QString &name); // "chat", "dashboard", "compare", "timeline", "lab"
    // The claims and lanes (.json, .csv) or the current tab (.png), by the file's suffix.
    bool writeResults(const QString &path);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void refreshStatus();
    void connectToUrl();
    void exportResults();

    AppController *m_controller;
    QTabWidget *m_tabs;
    ChatView *m_chat;
    CompareView *m_compare;
    LabController *m_lab;
    LabView *m_labView;
    QActionGroup *m_transports;
    QLabel *m_continuity;
    QLabel *m_active;
    QLabel *m_serverStatus;
    QLabel *m_clientStatus;
};

} // namespace rtlab
