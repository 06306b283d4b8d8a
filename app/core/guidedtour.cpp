// SPDX-License-Identifier: MIT
#include "guidedtour.h"

#include "appcontroller.h"
#include "lessoncatalog.h"
#include "lessonrunner.h"

#include <memory>
#include <optional>

namespace rtlab {

GuidedTour::GuidedTour(Script script, QObject *parent) : QObject(parent), m_script(std::move(script)) { }

void GuidedTour::start()
{
    if (m_script.steps.isEmpty())
        return;
    if (m_current < 0) {
        if (m_script.save)
            m_script.save();
        m_current = 0; // running before the first step acts: a step may look at isRunning()
        emit started();
    }
    enter(0);
}

bool GuidedTour::next()
{
    if (!canGoNext())
        return false;
    enter(m_current + 1);
    return true;
}

bool GuidedTour::back()
{
    if (!canGoBack())
        return false;
    enter(m_current - 1);
    return true;
}

void GuidedTour::end()
{
    if (m_current < 0)
        return;
    m_current = -1;
    if (m_script.restore)
        m_script.restore();
    emit ended();
}

void GuidedTour::enter(int index)
{
    m_current = index;
    const Step &s = m_script.steps.at(index);
    if (s.enter)
        s.enter();
    emit stepEntered(index);
}

// The Lab's row that shows Auto's fallback, as the claims table words it.
static QString blockedClaim()
{
    const LessonInfo *l = LessonCatalog::find(QStringLiteral("ws-blocked"));
    return l ? l->claim : QString();
}

GuidedTour::Script GuidedTour::transportScript(AppController *app, LessonRunner *lessons)
{
    using M = RealtimeClient::Mode;
    struct Saved
    {
        M mode = M::WebSocket;
        bool compare = false;
    };
    auto saved = std::make_shared<Saved>();
    // The whole state of a step, so that Back re-enters it from wherever the user was.
    const auto state = [app, saved](M mode, std::optional<bool> compare) {
        return [app, saved, mode, compare] {
            // A step that turns compare on shows a lane per transport, as its narration says,
            // also after a lesson left compare on with only the lanes its claim needed.
            bool fewer = false;
            for (int i = 0; i < TransportKindCount; ++i)
                fewer = fewer || !app->laneRuns(TransportKind(i));
            if (compare.value_or(false) && app->compareEnabled() && fewer)
                app->restartLanes();
            else
                app->setCompareEnabled(compare.value_or(saved->compare));
            app->setMode(mode);
        };
    };
    Script s;
    s.save = [app, lessons, saved] {
        // A lesson sets up its own transport and faults and puts them back when it ends: the tour
        // would fight it.
        if (lessons)
            lessons->stop();
        saved->mode = app->mode();
        saved->compare = app->compareEnabled();
    };
    s.restore = [app, saved] {
        app->setCompareEnabled(saved->compare);
        app->setMode(saved->mode);
    };
    s.steps = {
        { tr("Long Polling"),
          tr("I switched the chat client to Long Polling: it sends GET /poll, the server holds that request until "
             "it has a message, answers, and the client asks again at once: one request per delivery."),
          tr("Dashboard → Long polls held by the server: your client's request waiting on the server. The toolbar "
             "now says “open via Long Polling”."),
          QStringLiteral("dashboard"), state(M::LongPoll, std::nullopt) },
        { tr("Server-Sent Events"),
          tr("I switched to SSE: one GET /events request whose response never ends; the server writes each message "
             "into it as an event. The new stream opened from the last id before the old transport closed."),
          tr("Dashboard → Server connections by transport: the SSE line went up, Long Polling's down. The "
             "toolbar's continuity stays at 0 gaps and 0 duplicates."),
          QStringLiteral("dashboard"), state(M::Sse, std::nullopt) },
        { tr("WebSocket"),
          tr("I switched to WebSocket: one HTTP request was upgraded (101 Switching Protocols), and messages now "
             "travel on that connection as small frames, in both directions."),
          tr("Timeline → the WebSocket row opened before the SSE row closed (make before break); the log below "
             "lists the switch."),
          QStringLiteral("timeline"), state(M::WebSocket, std::nullopt) },
        { tr("Every transport side by side"),
          tr("I turned on Compare: one more client per transport, each in its own lane, now receives the same "
             "messages; Short Polling, the traditional baseline, asks once a second."),
          tr("Compare → HTTP requests: Long Polling's climbs with every message and Short Polling's every second, "
             "while SSE and WebSocket stay at one per connection; bytes per message shows what each one costs on "
             "the wire."),
          QStringLiteral("compare"), state(M::WebSocket, true) },
        { tr("A server restart"),
          tr("I restarted the bundled server: a new process, a new log, a new epoch. Every client reconnected with "
             "its last id, and the server told each one that it cannot know what they missed."),
          tr("Chat → the row from “server” announcing the new epoch; the toolbar's reset count went up by one. "
             "A restart is announced, never a silent gap."),
          QStringLiteral("chat"),
          [app, enterState = state(M::WebSocket, true)] {
              enterState();
              app->restartServer();
          } },
        { tr("Auto"),
          tr("I set the chat client to Auto: it takes WebSocket, and falls back to SSE, then Long Polling, when a "
             "transport is blocked on the way."),
          tr("The toolbar: “Auto: open via WebSocket”. Then the Lab: every claim of the comparison with a Run lesson "
             "button that sets it up; the row “%1” shows the fallback.")
                  .arg(blockedClaim()),
          QStringLiteral("lab"), state(M::Auto, true) },
    };
    return s;
}

} // namespace rtlab
