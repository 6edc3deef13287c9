#include "providers/attachmentkind.h"

#include <QMimeDatabase>

namespace Spool {

bool isImageAttachment(const Attachment &a)
{
    return a.mime == QLatin1String("image/png") || a.mime == QLatin1String("image/jpeg")
            || a.mime == QLatin1String("image/gif") || a.mime == QLatin1String("image/webp");
}

bool isPdfAttachment(const Attachment &a)
{
    return a.mime == QLatin1String("application/pdf");
}

bool isTextAttachment(const Attachment &a)
{
    if (a.mime.startsWith(QLatin1String("text/")))
        return true;
    return QMimeDatabase().mimeTypeForName(a.mime).inherits(QStringLiteral("text/plain"));
}

Attachment attachmentFromJson(const QJsonObject &json)
{
    Attachment a;
    a.name = json.value(QStringLiteral("name")).toString();
    a.mime = json.value(QStringLiteral("mime")).toString();
    a.bytes = json.value(QStringLiteral("bytes")).toInteger();
    a.sha256 = json.value(QStringLiteral("sha256")).toString();
    return a;
}

} // namespace Spool
