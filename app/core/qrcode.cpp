// SPDX-License-Identifier: MIT
#include "qrcode.h"

#include <QCoreApplication>

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace rtlab {

QrCode QrCode::encode(const QByteArray &utf8)
{
    QrCode code;
    if (utf8.isEmpty()) {
        code.m_error = Error::Empty;
        return code;
    }
    if (utf8.size() > MaxBytes) {
        code.m_error = Error::TooLong;
        return code;
    }
    // Byte mode for all of it: a URL keeps its case and any UTF-8 as it is.
    const std::unique_ptr<QRcode, decltype(&QRcode_free)> raw(
            QRcode_encodeData(int(utf8.size()), reinterpret_cast<const unsigned char *>(utf8.constData()), 0,
                              QR_ECLEVEL_M),
            &QRcode_free);
    if (!raw || raw->width <= 0) {
        code.m_error = errno == ERANGE ? Error::TooLong : Error::EncoderFailed;
        return code;
    }
    code.m_size = raw->width;
    code.m_version = raw->version;
    code.m_modules.resize(size_t(raw->width) * size_t(raw->width));
    // libqrencode: one byte per module, bit 0 set for a dark one.
    for (size_t i = 0; i < code.m_modules.size(); ++i)
        code.m_modules[i] = raw->data[i] & 1;
    return code;
}

bool QrCode::isDark(int x, int y) const
{
    const int sx = x - QuietZone;
    const int sy = y - QuietZone;
    if (sx < 0 || sy < 0 || sx >= m_size || sy >= m_size)
        return false;
    return m_modules[size_t(sy) * size_t(m_size) + size_t(sx)];
}

QString QrCode::errorString() const
{
    switch (m_error) {
    case Error::None: return {};
    case Error::Empty: return QCoreApplication::translate("QrCode", "nothing to encode");
    case Error::TooLong: return QCoreApplication::translate("QrCode", "too long for a QR code");
    case Error::EncoderFailed: return QCoreApplication::translate("QrCode", "the QR encoder failed");
    }
    return {};
}

} // namespace rtlab
