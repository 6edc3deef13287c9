#include "attachmentviewer.h"

#include "messageboxes.h"
#include "providers/attachmentkind.h"
#include "providers/chatmessage.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QPixmap>
#include <QScrollArea>
#include <QStandardPaths>
#include <QUrl>
#include <QVBoxLayout>

namespace Spool {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("Spool::AttachmentViewer", text);
}
} // namespace

void openAttachment(QWidget *parent, const Attachment &a)
{
    QImage image;
    if (isImageAttachment(a) && image.loadFromData(a.data)) {
        auto *dialog = new QDialog(parent);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle(tr("%1 \u2014 %2 \u00d7 %3").arg(a.name).arg(image.width()).arg(image.height()));
        auto *label = new QLabel;
        label->setPixmap(QPixmap::fromImage(image));
        label->setAccessibleName(a.name);
        auto *scroll = new QScrollArea(dialog);
        scroll->setWidget(label);
        auto *layout = new QVBoxLayout(dialog);
        layout->setContentsMargins(0, 0, 0, 0);
        layout->addWidget(scroll);
        dialog->resize(qMin(image.width() + 24, 1200), qMin(image.height() + 24, 900));
        dialog->show();
        return;
    }
    const QString folder = QDir(QStandardPaths::writableLocation(QStandardPaths::TempLocation))
                                   .filePath(QStringLiteral("spool-attachments/") + a.sha256.left(16));
    QDir().mkpath(folder);
    QFile out(QDir(folder).filePath(QFileInfo(a.name).fileName()));
    if (!out.open(QIODevice::WriteOnly) || out.write(a.data) != a.data.size()) {
        showWarning(parent, tr("Cannot open %1").arg(a.name), out.errorString());
        return;
    }
    out.close();
    QDesktopServices::openUrl(QUrl::fromLocalFile(out.fileName()));
}

} // namespace Spool
