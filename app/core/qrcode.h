// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <vector>

namespace rtlab {

// A QR code (ISO/IEC 18004) as a matrix of modules, encoded by libqrencode. A value class free of
// any drawing: the widgets paint dark modules as squares. The matrix includes the quiet zone
// (four light modules on every side, which scanners need to find the code).
class QrCode
{
public:
    enum class Error { None, Empty, TooLong, EncoderFailed };
    static constexpr int QuietZone = 4;
    // A URL is far below this; a QR code of version 40 holds at most 2,953 bytes.
    static constexpr int MaxBytes = 2048;

    QrCode() = default;
    // Encodes UTF-8 text, error correction level M (15 % of the code may be lost to a projector's
    // glare or a bad angle). On failure the code is empty and error() says why.
    static QrCode encode(const QByteArray &utf8);

    bool isNull() const { return m_size == 0; }
    Error error() const { return m_error; }
    QString errorString() const;
    int version() const { return m_version; }
    // Modules per side of the symbol itself (21 for version 1, +4 per version).
    int symbolSize() const { return m_size; }
    // Modules per side including the quiet zone: the matrix to draw.
    int size() const { return m_size == 0 ? 0 : m_size + 2 * QuietZone; }
    // Whether the module at (x, y) of the matrix (quiet zone included, 0-based) is dark. Outside
    // the matrix: false (light).
    bool isDark(int x, int y) const;

private:
    std::vector<bool> m_modules; // the symbol only, row by row
    int m_size = 0;
    int m_version = 0;
    Error m_error = Error::None;
};

} // namespace rtlab
