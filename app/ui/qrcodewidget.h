// SPDX-License-Identifier: MIT
#pragma once

#include "qrcode.h"

#include <QWidget>

namespace rtlab {

// Draws a QrCode: dark modules black on white (whatever the palette: scanners need that
// contrast), square, as large as the widget allows, each module a whole number of pixels so
// that a projector does not blur the edges.
class QrCodeWidget : public QWidget
{
    Q_OBJECT
public:
    explicit QrCodeWidget(QWidget *parent = nullptr);

    void setCode(const QrCode &code);
    const QrCode &code() const { return m_code; }
    // The code at `modulePixels` pixels per module, quiet zone included (a null image for none).
    QImage toImage(int modulePixels) const;

    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override { return width; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QrCode m_code;
};

} // namespace rtlab
