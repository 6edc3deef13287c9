#include "mcp/mcptoolinfo.h"

namespace Spool {

bool McpToolInfo::fromJson(const QJsonObject &o, McpToolInfo *out, QString *whyNot)
{
    const QString name = o.value(QLatin1String("name")).toString();
    if (name.isEmpty()) {
        *whyNot = QStringLiteral("a tool without a name");
        return false;
    }
    out->name = name;
    out->annotations = o.value(QLatin1String("annotations")).toObject();
    out->title = o.value(QLatin1String("title")).toString();
    if (out->title.isEmpty())
        out->title = out->annotations.value(QLatin1String("title")).toString();
    out->description = o.value(QLatin1String("description")).toString();
    out->inputSchema = o.value(QLatin1String("inputSchema")).toObject();
    if (out->inputSchema.isEmpty())
        out->inputSchema = QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
    out->outputSchema = o.value(QLatin1String("outputSchema")).toObject();
    out->raw = o;
    return true;
}

} // namespace Spool
