#include "composer.h"

#include "imagepreparer.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace Spool {

namespace {

// The editor hands dropped and pasted files and images to the composer; text stays text.
class ComposerEdit : public QPlainTextEdit
{
public:
    ComposerEdit(std::function<bool(const QMimeData *)> attach, QWidget *parent)
        : QPlainTextEdit(parent), m_attach(std::move(attach))
    {
    }

protected:
    bool canInsertFromMimeData(const QMimeData *source) const override
    {
        return source->hasImage() || hasLocalFiles(source) || QPlainTextEdit::canInsertFromMimeData(source);
    }
    void insertFromMimeData(const QMimeData *source) override
    {
        if ((source->hasImage() || hasLocalFiles(source)) && m_attach(source))
            return;
        QPlainTextEdit::insertFromMimeData(source);
    }

private:
    static bool hasLocalFiles(const QMimeData *source)
    {
        const QList<QUrl> urls = source->urls();
        return std::any_of(urls.cbegin(), urls.cend(), [](const QUrl &u) { return u.isLocalFile(); });
    }

    std::function<bool(const QMimeData *)> m_attach;
};

} // namespace

Composer::Composer(QWidget *parent) : QWidget(parent)
{
    m_edit = new ComposerEdit([this](const QMimeData *mime) { return attachFromMime(mime); }, this);
    m_edit->setPlaceholderText(tr("Message the agent \u2014 Enter to send, Shift+Enter for a new line"));
    m_edit->setAccessibleName(tr("Message"));
    m_edit->setTabChangesFocus(true);
    m_edit->setMaximumHeight(96);
    m_edit->setMinimumHeight(52);
    m_edit->installEventFilter(this);

    m_button = new QPushButton(tr("Send"), this);
    m_button->setAccessibleName(tr("Send message"));
    m_button->setToolTip(tr("Send (Enter)"));
    m_button->setMinimumWidth(80);
    connect(m_button, &QPushButton::clicked, this, [this] {
        if (m_running)
            emit stopRequested();
        else
            submit();
    });

    m_attach = new QToolButton(this);
    m_attach->setText(tr("Attach\u2026"));
    m_attach->setAccessibleName(tr("Attach files"));
    m_attach->setToolTip(tr("Attach images, PDFs or text files (or drop them here, or paste an image)"));
    connect(m_attach, &QToolButton::clicked, this, &Composer::chooseFiles);

    m_chips = new QWidget(this);
    m_chips->setAccessibleName(tr("Attachments"));
    m_chipLayout = new QHBoxLayout(m_chips);
    m_chipLayout->setContentsMargins(0, 0, 0, 0);
    m_chips->hide();

    m_hint = new QLabel(this);
    m_hint->setAccessibleName(tr("Composer status"));
    m_hint->setForegroundRole(QPalette::PlaceholderText);

    auto *row = new QHBoxLayout;
    row->addWidget(m_edit, 1);
    auto *buttons = new QVBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_attach);
    buttons->addWidget(m_button);
    row->addLayout(buttons);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 8);
    layout->addWidget(m_chips);
    layout->addLayout(row);
    layout->addWidget(m_hint);
}

QString Composer::text() const
{
    return m_edit->toPlainText();
}

void Composer::clear()
{
    m_edit->clear();
    setAttachments({});
}

void Composer::setAttachments(const QList<Attachment> &attachments)
{
    m_attachments = attachments;
    updateChips();
}

void Composer::chooseFiles()
{
    const QStringList paths = QFileDialog::getOpenFileNames(
            this, tr("Attach Files"), QString(),
            tr("Images, PDFs and text (*.png *.jpg *.jpeg *.gif *.webp *.bmp *.pdf *.txt *.md *.json *.csv "
               "*.log *.xml *.yaml *.yml *.c *.cpp *.h *.py *.js *.ts *.rs *.go *.java *.sh);;All files (*)"));
    attachFiles(paths);
}

void Composer::attachFiles(const QStringList &paths)
{
    QStringList problems;
    for (const QString &path : paths) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            problems.append(tr("%1: %2").arg(QFileInfo(path).fileName(), file.errorString()));
            continue;
        }
        m_attachments.append(ImagePreparer::attachment(QFileInfo(path).fileName(), file.readAll(), m_imageMaxEdge));
    }
    updateChips();
    if (!problems.isEmpty())
        setHint(tr("Cannot attach %1").arg(problems.join(QStringLiteral("; "))));
}

void Composer::attachImage(const QImage &image, const QString &name)
{
    const ImagePreparer::Outcome o = ImagePreparer::prepare(image, m_imageMaxEdge);
    if (o.data.isEmpty())
        return;
    Attachment a;
    a.name = name + (o.mime == QLatin1String("image/png") ? QStringLiteral(".png") : QStringLiteral(".jpg"));
    a.mime = o.mime;
    a.data = o.data;
    a.bytes = o.data.size();
    m_attachments.append(a);
    updateChips();
}

bool Composer::attachFromMime(const QMimeData *mime)
{
    QStringList files;
    for (const QUrl &url : mime->urls()) {
        if (url.isLocalFile())
            files.append(url.toLocalFile());
    }
    if (!files.isEmpty()) {
        attachFiles(files);
        return true;
    }
    if (mime->hasImage()) {
        const QImage image = qvariant_cast<QImage>(mime->imageData());
        if (image.isNull())
            return false;
        attachImage(image, tr("pasted-image-%1").arg(m_attachments.size() + 1));
        return true;
    }
    return false;
}

void Composer::updateChips()
{
    // Later, not now: the chip being clicked may be one of them.
    while (QLayoutItem *item = m_chipLayout->takeAt(0)) {
        if (QWidget *w = item->widget()) {
            w->hide();
            w->deleteLater();
        }
        delete item;
    }
    for (int i = 0; i < m_attachments.size(); ++i) {
        const Attachment &a = m_attachments.at(i);
        auto *chip = new QToolButton(m_chips);
        const QString size = QLocale().formattedDataSize(a.data.size());
        chip->setText(QStringLiteral("%1 \u00b7 %2  \u2715").arg(a.name, size));
        chip->setToolTip(tr("Remove %1 from the message").arg(a.name));
        chip->setAccessibleName(tr("Attachment %1, %2; activate to remove").arg(a.name, size));
        chip->setAutoRaise(false);
        connect(chip, &QToolButton::clicked, this, [this, i] {
            if (i < m_attachments.size())
                m_attachments.removeAt(i);
            updateChips();
        });
        m_chipLayout->addWidget(chip);
        chip->show();
    }
    m_chipLayout->addStretch(1);
    m_chips->setVisible(!m_attachments.isEmpty());
}

void Composer::setHint(const QString &hint)
{
    m_hint->setText(hint);
}

void Composer::setRunning(bool running)
{
    m_running = running;
    m_button->setText(running ? tr("Stop") : tr("Send"));
    m_button->setAccessibleName(running ? tr("Stop the run") : tr("Send message"));
    m_button->setToolTip(running ? tr("Stop the run (Esc)") : tr("Send (Enter)"));
}

void Composer::submit()
{
    const QString message = m_edit->toPlainText();
    if ((message.trimmed().isEmpty() && m_attachments.isEmpty()) || m_running)
        return;
    emit submitted(message);
}

bool Composer::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter)
            && !(key->modifiers() & Qt::ShiftModifier)) {
            submit();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace Spool
