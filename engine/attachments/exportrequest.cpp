#include "attachments/exportrequest.h"

namespace Spool {

QString ExportRequest::formatName(Format format)
{
    return format == Format::Markdown ? QStringLiteral("md") : QStringLiteral("json");
}

bool ExportRequest::parseFormat(const QString &name, Format *format)
{
    if (name == QLatin1String("md") || name == QLatin1String("markdown")) {
        *format = Format::Markdown;
        return true;
    }
    if (name == QLatin1String("json")) {
        *format = Format::Json;
        return true;
    }
    return false;
}

} // namespace Spool
