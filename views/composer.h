#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace Spool {

// Where the user writes. Enter sends, Shift+Enter starts a new line; while the session's run
// goes on, the button becomes Stop.
class Composer : public QWidget
{
    Q_OBJECT
public:
    explicit Composer(QWidget *parent = nullptr);

    QString text() const;
    void clear();
    void setRunning(bool running);
    bool isRunning() const { return m_running; }
    void setHint(const QString &hint);
    QPlainTextEdit *editor() const { return m_edit; }

signals:
    void submitted(const QString &text);
    void stopRequested();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void submit();

    QPlainTextEdit *m_edit = nullptr;
    QPushButton *m_button = nullptr;
    QLabel *m_hint = nullptr;
    bool m_running = false;
};

} // namespace Spool
