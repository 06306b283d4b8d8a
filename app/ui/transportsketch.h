// SPDX-License-Identifier: MIT
#pragma once

#include "connectionevent.h"

#include <QWidget>

namespace rtlab {

// The textbook's sequence diagram of one transport, drawn once, small and static: client
// lifeline left, server right, time downward. Long polling: request, held, response, request
// again. SSE: one request, then a stream of events. WebSocket: the upgrade handshake, then
// frames both ways. (The X-ray draws the real ones from the wire.)
class TransportSketch : public QWidget
{
    Q_OBJECT
public:
    explicit TransportSketch(TransportKind kind, QWidget *parent = nullptr);

    TransportKind kind() const { return m_kind; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    TransportKind m_kind;
};

} // namespace rtlab
