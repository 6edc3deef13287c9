#pragma once

#include <QWidget>

class QBoxLayout;

namespace Spool {

class ElidedLabel;
class SessionBar;

// The header over the conversation: the session's title, and its bar (tokens, folder, model).
// Side by side when the title keeps room for a few words next to the bar; otherwise the bar
// goes under the title, so a narrow window cuts neither the title nor the pickers.
class SessionHeader : public QWidget
{
    Q_OBJECT
public:
    SessionHeader(ElidedLabel *title, SessionBar *bar, QWidget *parent = nullptr);

    bool isStacked() const;

protected:
    bool event(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void arrange();

    ElidedLabel *m_title;
    SessionBar *m_bar;
    QBoxLayout *m_layout = nullptr;
};

} // namespace Spool
