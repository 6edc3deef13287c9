#include "core/attachmentlimits.h"

#include <QSettings>

namespace Spool {

AttachmentLimits AttachmentLimits::load(const QString &settingsPath)
{
    AttachmentLimits limits;
    if (settingsPath.isEmpty())
        return limits;
    const QSettings s(settingsPath, QSettings::IniFormat);
    limits.maxFileBytes = qMax<qint64>(1, s.value(QStringLiteral("attachments/max_file_bytes"),
                                                  limits.maxFileBytes).toLongLong());
    limits.maxMessageBytes = qMax<qint64>(1, s.value(QStringLiteral("attachments/max_message_bytes"),
                                                     limits.maxMessageBytes).toLongLong());
    limits.imageMaxEdge = qMax(16, s.value(QStringLiteral("attachments/image_max_edge"),
                                           limits.imageMaxEdge).toInt());
    return limits;
}

} // namespace Spool
