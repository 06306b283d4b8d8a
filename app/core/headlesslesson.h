// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>

#include <memory>

namespace rtlab {

class AppController;
class LabController;

// `rtlab --lesson ID [--duration S] --export FILE.json`: one lesson from a fresh bundled server,
// no window, its claims and lanes written to FILE. Exit codes: 0 the lesson ran (whether or not
// its claim held: the file says), 1 it could not run (the server did not start, the file could
// not be written), 2 bad arguments or an unknown lesson (checked before any of this starts).
class HeadlessLesson : public QObject
{
    Q_OBJECT
public:
    HeadlessLesson(QString lesson, int durationS, QString exportPath, QObject *parent = nullptr);
    ~HeadlessLesson() override;

    // Starts; the application's event loop then exits with the code above.
    void start(const QString &serverProgram = {}, const QString &benchProgram = {});

    // Prints the runnable lessons' ids, one per line; returns 0.
    static int listLessons();

private:
    void finish(int code, const QString &message = {});

    QString m_lesson;
    int m_durationS;
    QString m_exportPath;
    std::unique_ptr<AppController> m_app;
    std::unique_ptr<LabController> m_lab;
    bool m_started = false;
    bool m_done = false;
};

} // namespace rtlab
