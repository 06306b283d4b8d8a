// SPDX-License-Identifier: MIT
#pragma once

#include <QLabel>

namespace rtlab {

// A label for a crowded bar: it shows its full (rich) text when that fits and a short form when
// it does not, never asking for more room than the short form (so a toolbar never pushes it out
// of sight behind its extension button). The tooltip then carries the full text.
class FittingLabel : public QLabel
{
    Q_OBJECT
public:
    explicit FittingLabel(QWidget *parent = nullptr);

    void setTexts(const QString &full, const QString &compact);
    // Said in the tooltip under the full text, whichever form is shown.
    void setExplanation(const QString &text);
    bool showsCompact() const { return m_compactShown; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void choose();
    int fullWidth() const;

    QString m_full;
    QString m_compact;
    QString m_explanation;
    bool m_compactShown = false;
};

} // namespace rtlab
