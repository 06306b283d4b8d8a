// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;
class QTableView;
class QTextBrowser;

namespace rtlab {

class AppController;
class LabController;

// The lab: the fault panel (the impairment relay's controls), the lessons, the idle-cost
// meter, and the claims table with a live measurement and a "set it up" button per row.
class LabView : public QWidget
{
    Q_OBJECT
public:
    LabView(AppController *app, LabController *lab, QWidget *parent = nullptr);
    QTableView *claimsView() const { return m_claims; }
    // What a claim's Run lesson button does: shows the lesson's text and starts it. False (with a
    // notice from the lab) when it cannot run.
    bool runLesson(const QString &id);

private:
    void applyFaults();
    void refreshRelay();
    void refreshLesson();
    void resizeClaimRows();

    AppController *m_app;
    LabController *m_lab;
    QSpinBox *m_latency;
    QSpinBox *m_jitter;
    QSpinBox *m_bandwidth;
    QSpinBox *m_idleKill;
    QSpinBox *m_buffer;
    QCheckBox *m_refuse;
    QCheckBox *m_refuseStreams;
    QSpinBox *m_downFor;
    QLabel *m_relayStatus;
    QComboBox *m_lesson;
    QTextBrowser *m_lessonText;
    QLabel *m_lessonStatus;
    QString m_lastNotice; // how the last lesson ended (or why it could not start)
    QComboBox *m_idleTransport;
    QSpinBox *m_idleClients;
    QLabel *m_idleResult;
    QTableView *m_claims;
};

} // namespace rtlab
