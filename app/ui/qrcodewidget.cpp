// SPDX-License-Identifier: MIT
#include "qrcodewidget.h"

#include <QPainter>

namespace rtlab {

QrCodeWidget::QrCodeWidget(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("qrCode"));
    // Large enough to scan from the back of a room on a projector: at least 6 px a module for a
    // typical URL (version 2-3: 25-29 modules and the quiet zone).
    setMinimumSize(240, 240);
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void QrCodeWidget::setCode(const QrCode &code)
{
    m_code = code;
    setToolTip(code.isNull() ? QString() : tr("QR code: %n module(s) across", "", code.size()));
    update();
}

QSize QrCodeWidget::sizeHint() const
{
    return { 360, 360 };
}

QImage QrCodeWidget::toImage(int modulePixels) const
{
    if (m_code.isNull() || modulePixels < 1)
        return {};
    const int n = m_code.size();
    QImage image(n * modulePixels, n * modulePixels, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
            if (m_code.isDark(x, y))
                p.fillRect(x * modulePixels, y * modulePixels, modulePixels, modulePixels, Qt::black);
    return image;
}

void QrCodeWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (m_code.isNull())
        return;
    const int n = m_code.size();
    const int module = qMax(1, qMin(width(), height()) / n);
    const int side = module * n;
    p.drawImage(QPoint((width() - side) / 2, (height() - side) / 2), toImage(module));
}

} // namespace rtlab
