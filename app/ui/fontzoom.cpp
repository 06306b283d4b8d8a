// SPDX-License-Identifier: MIT
#include "fontzoom.h"

#include <QApplication>
#include <QSettings>
#include <QWidget>

#include <cmath>

namespace rtlab {

FontZoom::FontZoom(QObject *parent) : QObject(parent), m_base(QApplication::font())
{
    const int saved = QSettings().value(QStringLiteral("view/zoom"), 0).toInt();
    if (saved != 0)
        setStep(saved);
}

double FontZoom::pointSizeAt(double basePointSize, int step)
{
    return std::round(basePointSize * std::pow(StepFactor, step) * 4.0) / 4.0;
}

double FontZoom::factor() const
{
    return std::pow(StepFactor, m_step);
}

void FontZoom::setStep(int step)
{
    step = qBound(MinStep, step, MaxStep);
    if (step == m_step)
        return;
    m_step = step;
    apply();
    QSettings().setValue(QStringLiteral("view/zoom"), m_step);
    emit stepChanged(m_step);
}

void FontZoom::apply()
{
    QFont f = m_base;
    if (m_base.pointSizeF() > 0)
        f.setPointSizeF(pointSizeAt(m_base.pointSizeF(), m_step));
    else
        f.setPixelSize(qMax(6, int(std::lround(m_base.pixelSize() * factor()))));
    // Every widget that has not set a font of its own follows (QEvent::ApplicationFontChange,
    // posted). A style sheet that names a font property (font-weight…) fixed the widget's whole
    // font when it was applied: once the change has reached the widgets (queued after it), such
    // sheets are applied again, on the new font.
    QApplication::setFont(f);
    QMetaObject::invokeMethod(
            this,
            [] {
                const QWidgetList widgets = QApplication::allWidgets();
                for (QWidget *w : widgets) {
                    const QString sheet = w->styleSheet();
                    if (!sheet.contains(u"font"))
                        continue;
                    w->setStyleSheet(QString());
                    w->setStyleSheet(sheet);
                }
            },
            Qt::QueuedConnection);
}

} // namespace rtlab
