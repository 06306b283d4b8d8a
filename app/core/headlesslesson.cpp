// SPDX-License-Identifier: MIT
#include "headlesslesson.h"

#include "appcontroller.h"
#include "labcontroller.h"
#include "lessoncatalog.h"
#include "lessonrunner.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>

#include <cstdio>

namespace rtlab {

static constexpr int ServerStartMs = 20000;

HeadlessLesson::HeadlessLesson(QString lesson, int durationS, QString exportPath, QObject *parent)
    : QObject(parent), m_lesson(std::move(lesson)), m_durationS(durationS), m_exportPath(std::move(exportPath))
{
}

HeadlessLesson::~HeadlessLesson() = default;

int HeadlessLesson::listLessons()
{
    for (const LessonInfo &l : LessonCatalog::all())
        if (l.unavailable.isEmpty())
            std::printf("%s\n", qPrintable(l.id));
    std::fflush(stdout);
    return 0;
}

void HeadlessLesson::start(const QString &serverProgram, const QString &benchProgram)
{
    m_app = std::make_unique<AppController>();
    if (!serverProgram.isEmpty())
        m_app->server()->setProgram(serverProgram);
    m_lab = std::make_unique<LabController>(m_app.get());
    if (!benchProgram.isEmpty())
        m_lab->idleMeter()->setProgram(benchProgram);
    LessonRunner *runner = m_lab->lessons();
    connect(runner, &LessonRunner::failed, this, [this](const QString &why) { finish(1, why); });
    connect(runner, &LessonRunner::finished, this, [this] { finish(0); });
    // Results are kept when a lesson ends, so the export is written after it has put back
    // what it changed: from its kept result, measured before that.
    connect(m_app->server(), &ServerProcess::errorOccurred, this, [this](const QString &why) {
        if (!m_started)
            finish(1, QStringLiteral("the bundled server did not start: %1").arg(why));
    });
    connect(m_app.get(), &AppController::serverUrlChanged, this, [this, runner] {
        if (std::exchange(m_started, true))
            return;
        std::fprintf(stderr, "rtlab: lesson %s for %d s\n", qPrintable(m_lesson),
                     m_durationS > 0 ? m_durationS : LessonCatalog::find(m_lesson)->durationS);
        if (!runner->start(m_lesson, m_durationS))
            finish(1, runner->errorString());
    });
    QTimer::singleShot(ServerStartMs, this, [this] {
        if (!m_started)
            finish(1, QStringLiteral("the bundled server did not start within %1 s").arg(ServerStartMs / 1000));
    });
    m_app->startFresh();
}

void HeadlessLesson::finish(int code, const QString &message)
{
    if (std::exchange(m_done, true))
        return;
    if (code == 0) {
        const QJsonObject out = m_lab->lessons()->exportJson(m_lesson);
        QSaveFile f(m_exportPath);
        if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(out).toJson(QJsonDocument::Indented)) < 0
            || !f.commit()) {
            code = 1;
            std::fprintf(stderr, "rtlab: cannot write %s: %s\n", qPrintable(m_exportPath), qPrintable(f.errorString()));
        } else {
            std::fprintf(stderr, "rtlab: wrote %s\n", qPrintable(m_exportPath));
        }
    } else {
        std::fprintf(stderr, "rtlab: the lesson could not run: %s\n", qPrintable(message));
    }
    QCoreApplication::exit(code);
}

} // namespace rtlab
