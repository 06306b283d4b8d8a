// SPDX-License-Identifier: MIT
#pragma once

#include "sequencelayout.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTextBrowser;
class QTimer;
class QToolButton;

namespace rtlab {

class SequenceCanvas;
class WireCapture;

// The protocol X-ray: the textbook's sequence diagrams drawn live from the capture the lanes
// write, one column per transport that has records. Click an arrow, a hold or a stream for its
// exact bytes. Reads the capture only while shown and not paused (about ten times a second, and
// only when its revision moved); holds one snapshot, so its memory is bounded by the capture's
// rings.
class XRayView : public QWidget
{
    Q_OBJECT
public:
    explicit XRayView(std::shared_ptr<WireCapture> capture, QWidget *parent = nullptr);

    SequenceLayout &layoutModel() { return m_layout; }
    SequenceCanvas *canvas() const { return m_canvas; }
    QTextBrowser *detail() const { return m_detail; }

    // Reads the capture now if it moved (the timer does this while shown and not paused).
    void refresh();
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Whether the view reads the capture on its timer: only while shown and not paused.
    bool isPolling() const;
    void setCompact(bool on);
    void setFollowedId(quint64 id);
    void zoom(int steps, int anchorY = -1);
    // Shows this record's exact bytes in the detail pane (and selects it).
    void showRecord(quint64 seq);

    // The whole diagram as it is drawn. False with *error set when the file could not be written.
    bool exportSvg(const QString &path, QString *error) const;
    bool exportPng(const QString &path, QString *error) const;

signals:
    void harExportRequested();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void onItemClicked(const SequenceItem &item);
    void showDetail(const QString &html);
    void updateStatus();
    void updateTimer();
    void exportPicture();

    std::shared_ptr<WireCapture> m_capture;
    SequenceLayout m_layout;
    quint64 m_revision = 0;
    bool m_read = false;
    bool m_paused = false;
    QTimer *m_timer;
    SequenceCanvas *m_canvas;
    QTextBrowser *m_detail;
    QPushButton *m_pause;
    QCheckBox *m_compact;
    QSpinBox *m_follow;
    QLabel *m_scale;
    QLabel *m_status;
};

} // namespace rtlab
