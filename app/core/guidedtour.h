// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <functional>

namespace rtlab {

class AppController;
class LessonRunner;

// A guided tour as a list of steps that the user walks through at their own pace: each step does
// something (switches the transport, restarts the server…) when it is entered, says what it just
// did and where to look, and then waits. Nothing advances it but next() and back(); end() puts
// back what the tour changed. The model knows no widgets: a panel shows the current step and
// forwards the buttons.
class GuidedTour : public QObject
{
    Q_OBJECT
public:
    struct Step
    {
        QString title; // short: "Long Polling"
        QString did;   // what entering the step just did, in the first person
        QString look;  // where to look: the tab and the row or figure that shows it
        QString tab;   // the tab that shows it (MainWindow::showTab's names); empty: stay
        // Performs the step. Runs each time the step is entered, forwards or back, so it sets
        // the whole state the step needs (not a change relative to the previous step).
        std::function<void()> enter;
    };
    struct Script
    {
        QList<Step> steps;
        std::function<void()> save;    // at start(): remember what the steps will change
        std::function<void()> restore; // at end(): put it back
    };

    explicit GuidedTour(Script script, QObject *parent = nullptr);

    // The transports tour: Long Polling, SSE, WebSocket, the three side by side, a server restart,
    // Auto. It stops a running lesson when it starts; end() restores the chat client's transport
    // and the compare lanes as they were.
    static Script transportScript(AppController *app, LessonRunner *lessons);

    int count() const { return int(m_script.steps.size()); }
    const Step &step(int index) const { return m_script.steps.at(index); }
    bool isRunning() const { return m_current >= 0; }
    // The step shown, -1 when the tour is not running.
    int current() const { return m_current; }
    bool canGoBack() const { return m_current > 0; }
    bool canGoNext() const { return m_current >= 0 && m_current + 1 < count(); }

public slots:
    // Saves what the tour changes and enters the first step (from the first step again when it
    // is already running).
    void start();
    // Enters the next step; false (nothing done) at the last step or when not running.
    bool next();
    // Enters the previous step again; false at the first step or when not running.
    bool back();
    // Restores what the tour changed; nothing when it is not running.
    void end();

signals:
    void started();
    void stepEntered(int index);
    void ended();

private:
    void enter(int index);

    Script m_script;
    int m_current = -1;
};

} // namespace rtlab
