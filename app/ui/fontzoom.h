// SPDX-License-Identifier: MIT
#pragma once

#include <QFont>
#include <QObject>

namespace rtlab {

// Presenter zoom: the application font, larger or smaller by steps, for every tab at once (the
// views draw in their widget's font). Remembered across launches.
class FontZoom : public QObject
{
    Q_OBJECT
public:
    static constexpr int MinStep = -3;
    static constexpr int MaxStep = 6;
    static constexpr double StepFactor = 1.15;

    // Takes the application font as it is now as step 0, then applies the saved step.
    explicit FontZoom(QObject *parent = nullptr);

    int step() const { return m_step; }
    double factor() const;
    QFont baseFont() const { return m_base; }
    // The point size at `step` for a base size, rounded to a quarter point.
    static double pointSizeAt(double basePointSize, int step);

    void setStep(int step);
    void zoomIn() { setStep(m_step + 1); }
    void zoomOut() { setStep(m_step - 1); }
    void reset() { setStep(0); }

signals:
    void stepChanged(int step);

private:
    void apply();

    QFont m_base;
    int m_step = 0;
};

} // namespace rtlab
