#pragma once

#include "providers/chatmessage.h"

#include <QList>
#include <QWidget>

class QHBoxLayout;
class QImage;
class QLabel;
class QMimeData;
class QPlainTextEdit;
class QPushButton;
class QToolButton;

namespace Spool {

// Where the user writes. Enter sends, Shift+Enter starts a new line; while the session's run
// goes on, the button becomes Stop. Files come in through the attach button, drag and drop, or
// pasting (images from the clipboard); each shows as a chip that removes it before sending.
// Images are scaled down here (ImagePreparer), before they reach the engine.
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

    QList<Attachment> attachments() const { return m_attachments; }
    void setAttachments(const QList<Attachment> &attachments);
    // Adds files (their bytes read now); a file that cannot be read is said in the hint.
    void attachFiles(const QStringList &paths);
    void attachImage(const QImage &image, const QString &name);
    // Files or an image from a drop or a paste; false when there is nothing to attach.
    bool attachFromMime(const QMimeData *mime);
    void setImageMaxEdge(int pixels) { m_imageMaxEdge = pixels; }

signals:
    // attachments() holds what goes with the text.
    void submitted(const QString &text);
    void stopRequested();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void submit();
    void chooseFiles();
    void updateChips();

    QPlainTextEdit *m_edit = nullptr;
    QPushButton *m_button = nullptr;
    QToolButton *m_attach = nullptr;
    QWidget *m_chips = nullptr;
    QHBoxLayout *m_chipLayout = nullptr;
    QList<Attachment> m_attachments;
    int m_imageMaxEdge = 2048;
    QLabel *m_hint = nullptr;
    bool m_running = false;
};

} // namespace Spool
