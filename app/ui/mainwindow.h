// SPDX-License-Identifier: MIT
#pragma once

#include <QMainWindow>

class QAction;
class QActionGroup;
class QFrame;
class QLabel;
class QMessageBox;
class QProcess;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QUrl;

namespace rtlab {

class AppController;
class ChatView;
class ClassroomPanel;
class FontZoom;
class PresenterBanner;
class CompareView;
class GuidedTour;
class LabController;
class LabView;
class StartPage;
class TourPanel;
class XRayView;

// The rtlab window: a transport toggle in the toolbar, chat / dashboard / compare / timeline
// tabs, the bundled server's state in the status bar.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(AppController *controller, QWidget *parent = nullptr);
    ~MainWindow() override;

    QTabWidget *tabs() const { return m_tabs; }
    XRayView *xray() const { return m_xray; }
    ChatView *chatView() const { return m_chat; }
    CompareView *compareView() const { return m_compare; }
    LabView *labView() const { return m_labView; }
    LabController *lab() const { return m_lab; }
    QActionGroup *transportActions() const { return m_transports; }
    QLabel *continuityLabel() const { return m_continuity; }
    // Above the tabs, on every tab: the relay faults that are on, with one click to clear them.
    QFrame *faultBanner() const { return m_faultBanner; }
    QLabel *faultBannerText() const { return m_faultText; }
    QPushButton *clearFaultsButton() const { return m_clearFaults; }
    QAction *startServerAction() const { return m_startServer; }
    QAction *stopServerAction() const { return m_stopServer; }
    QAction *keepHistoryAction() const { return m_keepHistory; } // Settings → Keep history across restarts
    void showTab(const QString &name); // "chat", "dashboard", "compare", "timeline", "lab", "bytes"
    // The start page (first launch, Help → Start page) in place of the tabs, and the guided tour.
    StartPage *startPage() const { return m_startPage; }
    bool isStartPageShown() const;
    void showStartPage();
    GuidedTour *tour() const { return m_tour; }
    TourPanel *tourPanel() const { return m_tourPanel; }
    // A lesson card's path: ends the tour, shows the Lab and runs the lesson as its Run button does.
    bool startLesson(const QString &id);
    // Opens the URL in the user's browser; when no browser can be started, says so in a dialog
    // that shows the URL to copy.
    void openInBrowser(const QUrl &url);
    int pendingBrowserLaunches() const { return int(m_browserLaunchers.size()); }
    // The claims and lanes (.json, .csv) or the current tab (.png), by the file's suffix.
    bool writeResults(const QString &path);
    // Writes what the X-ray captured as HAR 1.2; false (and the user told why) if it could not.
    bool exportHar(const QString &path);
    // Classroom mode and presenter view (View menu).
    ClassroomPanel *classroomPanel(); // created on first use
    void showClassroom();
    FontZoom *fontZoom() const { return m_zoom; }
    PresenterBanner *presenterBanner() const { return m_presenter; }
    QAction *presenterAction() const { return m_presenterAction; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void buildSettingsMenu();
    void askKeepHistory(bool keep);
    void offerMemory(const QString &why);
    void buildStartPageAndTour();
    void refreshStatus();
    void showNotice(const QString &text, int timeoutMs = 0);
    void connectToUrl();
    void refreshFaultBanner();
    void refreshServerActions();
    void fitToScreen();
    void showBrowserFailed(const QUrl &url, const QString &why);
    void exportResults();
    void buildClassroom();

    AppController *m_controller;
    QTabWidget *m_tabs;
    ChatView *m_chat;
    CompareView *m_compare;
    LabController *m_lab;
    LabView *m_labView;
    StartPage *m_startPage = nullptr;
    QStackedWidget *m_pages = nullptr; // the tabs, or the start page in their place
    GuidedTour *m_tour = nullptr;
    TourPanel *m_tourPanel = nullptr;
    int m_tabBeforeTour = -1; // where End takes the user back to; -1: the start page
    XRayView *m_xray;
    QActionGroup *m_transports;
    QLabel *m_continuity;
    QLabel *m_active;
    QLabel *m_serverStatus;
    QLabel *m_clientStatus;
    QFrame *m_faultBanner;
    QLabel *m_faultText;
    QPushButton *m_clearFaults;
    QAction *m_startServer = nullptr;
    QAction *m_stopServer = nullptr;
    QAction *m_keepHistory = nullptr;
    QMessageBox *m_browserFailed = nullptr;
    QList<QProcess *> m_browserLaunchers; // xdg-open runs, watched for failure; at most a few
    ClassroomPanel *m_classroom = nullptr;
    FontZoom *m_zoom = nullptr;
    PresenterBanner *m_presenter = nullptr;
    QAction *m_presenterAction = nullptr;
    bool m_classroomShown = false;
};

} // namespace rtlab
