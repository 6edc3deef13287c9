#pragma once

#include <QLabel>

namespace Spool {

// A one-line label that gives way: it asks for its whole text's width but accepts much less,
// drawing the text cut short with an ellipsis (the whole text is in its tooltip and its
// accessible text). A long session title or model name can then never make the window wider.
class ElidedLabel : public QLabel
{
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget *parent = nullptr);

    // The text, also set as the tooltip when it is cut short.
    void setFullText(const QString &text);
    bool isElided() const;

    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateToolTip();
};

} // namespace Spool
