#include "attachments/attachmentintake.h"

#include "core/attachmentlimits.h"
#include "providers/attachmentkind.h"

#include <QCryptographicHash>
#include <QMimeDatabase>

namespace Spool {

QString AttachmentIntake::sha256Of(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

QString AttachmentIntake::sizeText(qint64 bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KB").arg(double(bytes) / 1024, 0, 'f', 1);
    return QStringLiteral("%1 MB").arg(double(bytes) / (1024 * 1024), 0, 'f', 1);
}

QString AttachmentIntake::mimeOf(const QByteArray &data, const QString &name)
{
    const QMimeDatabase db;
    const QMimeType byContent = db.mimeTypeForData(data);
    if (byContent.inherits(QStringLiteral("text/plain"))) {
        // Text carries no magic: the extension tells Markdown from C++ from JSON, as long as
        // it also names a kind of text.
        const QMimeType byName = db.mimeTypeForFile(name, QMimeDatabase::MatchExtension);
        if (byName.isValid() && byName.inherits(QStringLiteral("text/plain")))
            return byName.name();
        return QStringLiteral("text/plain");
    }
    return byContent.name();
}

Result<QList<Attachment>> AttachmentIntake::accept(const QList<Attachment> &attachments,
                                                   const AttachmentLimits &limits)
{
    QList<Attachment> out;
    qint64 total = 0;
    for (Attachment a : attachments) {
        if (a.name.trimmed().isEmpty())
            a.name = QStringLiteral("attachment-%1").arg(out.size() + 1);
        a.bytes = a.data.size();
        if (a.bytes == 0)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("%1 is empty; there is nothing to attach").arg(a.name));
        if (a.bytes > limits.maxFileBytes)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("%1 is %2, over the limit of %3 per file "
                                            "(attachments/max_file_bytes in spool.conf)")
                                     .arg(a.name, sizeText(a.bytes),
                                          sizeText(limits.maxFileBytes)));
        total += a.bytes;
        a.mime = mimeOf(a.data, a.name);
        if (!isImageAttachment(a) && !isPdfAttachment(a) && !isTextAttachment(a))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("%1 is %2: models can be sent PNG, JPEG, GIF and WebP "
                                            "images, PDF documents and text files")
                                     .arg(a.name, a.mime));
        a.sha256 = sha256Of(a.data);
        out.append(a);
    }
    if (total > limits.maxMessageBytes)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the attachments come to %1, over the limit of %2 per message "
                                        "(attachments/max_message_bytes in spool.conf)")
                                 .arg(sizeText(total), sizeText(limits.maxMessageBytes)));
    return out;
}

} // namespace Spool
