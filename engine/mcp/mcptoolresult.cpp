#include "mcp/mcptoolresult.h"

#include <QJsonArray>
#include <QStringList>

namespace Spool {

QString McpToolResult::text() const
{
    QStringList parts;
    for (const McpContentBlock &b : content) {
        if (b.type == McpContentBlock::Type::Text)
            parts.append(b.text);
    }
    return parts.join(QLatin1Char('\n'));
}

McpToolResult McpToolResult::fromJson(const QJsonObject &result)
{
    McpToolResult r;
    r.raw = result;
    const QJsonArray content = result.value(QLatin1String("content")).toArray();
    r.content.reserve(content.size());
    for (const QJsonValue &v : content)
        r.content.append(McpContentBlock::fromJson(v.toObject()));
    const QJsonValue structured = result.value(QLatin1String("structuredContent"));
    r.hasStructuredContent = structured.isObject();
    r.structuredContent = structured.toObject();
    r.isError = result.value(QLatin1String("isError")).toBool();
    return r;
}

} // namespace Spool
