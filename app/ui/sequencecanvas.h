// SPDX-License-Identifier: MIT
#pragma once

#include "sequencelayout.h"

#include <QAbstractScrollArea>

#include <optional>

class QPainter;

namespace rtlab {

// Draws a SequenceLayout: one column per lane side by side, the client lifeline on the left and
// the server's on the right of each, time downward, the lanes' names in a header that stays on
// top while the diagram scrolls. The same painting code draws on screen and into an export
// (SVG, PNG). Clicks and Ctrl+wheel are forwarded as signals; the canvas decides nothing.
class SequenceCanvas : public QAbstractScrollArea
{
    Q_OBJECT
public:
    explicit SequenceCanvas(SequenceLayout *layout, QWidget *parent = nullptr);

    // The layout changed (a new snapshot, compact, a followed id, the zoom): re-measure and repaint.
    // `keepBottom`: stay at the newest time if the view was there.
    void layoutChanged(bool keepBottom);
    // Zooms by `factor`, keeping the time under viewport y `anchorY` where it is.
    void zoomAround(double factor, int anchorY);

    // The selected item (drawn marked): its record (seq) or, for a bar or span, its exchange.
    void setSelection(quint64 seq, quint64 exchange);
    void clearSelection();
    quint64 selectedRecord() const { return m_selectedSeq; }

    // The whole diagram with its header, as large as it is, for an export.
    QSize fullSize() const;
    void renderAll(QPainter &painter, std::optional<QRect> contentClip = std::nullopt) const;

    // Where the item drawn for this record is, in viewport coordinates, after scrolling it into
    // view; nullopt when no item draws it. For tests, and for revealing a followed message.
    std::optional<QPoint> revealRecord(quint64 seq);
    // The item under a viewport position, if any.
    std::optional<SequenceItem> itemAt(QPoint viewportPos) const;

    int headerHeight() const;
    // What an item's label says on screen: a burst names what it holds ("×37 events").
    static QString displayLabel(const SequenceItem &item);

signals:
    void itemClicked(const rtlab::SequenceItem &item);
    void zoomRequested(int steps, int anchorY);
    // Up/Down: the previous or next arrow on the selected one's lane.
    void stepRequested(int step);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void mousePressEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool viewportEvent(QEvent *event) override;

private:
    struct Geometry
    {
        double x = 0; // the column's left edge
        double width = 0;
        double client = 0; // the client lifeline
        double server = 0; // the server lifeline
    };
    int gutterWidth() const;
    int contentWidth() const;
    int contentHeight() const;
    int columnWidth() const;
    Geometry column(int lane) const;
    double itemY(qint64 timeUs) const;
    QRectF itemRect(const SequenceItem &item, const Geometry &g) const;
    void updateScrollBars();
    void paintContent(QPainter &p, const QRectF &clip) const;
    void paintHeader(QPainter &p, double width) const;
    void paintItem(QPainter &p, const SequenceItem &item, const Geometry &g, bool drawLabel) const;
    void paintEmpty(QPainter &p, const QRect &area) const;

    SequenceLayout *m_layout;
    quint64 m_selectedSeq = 0;
    quint64 m_selectedExchange = 0;
};

} // namespace rtlab
