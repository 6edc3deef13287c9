#pragma once

#include "core/result.h"
#include "providers/chatmessage.h"

#include <QList>

namespace Spool {

struct AttachmentLimits;

// What the engine accepts as a message's attachments, before anything is stored: the type is
// read from the content (QMimeDatabase), not from the name; only what providers can be sent
// passes (PNG, JPEG, GIF and WebP images, PDF, text); each file and the message as a whole stay
// within the configured sizes. Images are scaled down by the front ends (ImagePreparer), which
// may use QtGui; the engine does not.
class AttachmentIntake
{
public:
    // The attachments with mime, bytes and sha256 filled in, or why they are refused.
    static Result<QList<Attachment>> accept(const QList<Attachment> &attachments,
                                            const AttachmentLimits &limits);
    // The type of `data` by its content; text refined by the name's extension.
    static QString mimeOf(const QByteArray &data, const QString &name);
    static QString sha256Of(const QByteArray &data);
    // "12.3 MB"
    static QString sizeText(qint64 bytes);
};

} // namespace Spool
