#include "mcp/mcpcontentblock.h"

namespace Spool {

McpContentBlock McpContentBlock::fromJson(const QJsonObject &o)
{
    McpContentBlock b;
    b.raw = o;
    const QString type = o.value(QLatin1String("type")).toString();
    b.mimeType = o.value(QLatin1String("mimeType")).toString();
    if (type == QLatin1String("text")) {
        b.type = Type::Text;
        b.text = o.value(QLatin1String("text")).toString();
    } else if (type == QLatin1String("image") || type == QLatin1String("audio")) {
        b.type = type == QLatin1String("image") ? Type::Image : Type::Audio;
        b.data = o.value(QLatin1String("data")).toString().toLatin1();
    } else if (type == QLatin1String("resource")) {
        b.type = Type::Resource;
        const QJsonObject r = o.value(QLatin1String("resource")).toObject();
        b.uri = r.value(QLatin1String("uri")).toString();
        b.mimeType = r.value(QLatin1String("mimeType")).toString();
        b.text = r.value(QLatin1String("text")).toString();
        b.data = r.value(QLatin1String("blob")).toString().toLatin1();
    } else if (type == QLatin1String("resource_link")) {
        b.type = Type::ResourceLink;
        b.uri = o.value(QLatin1String("uri")).toString();
        b.name = o.value(QLatin1String("name")).toString();
        b.description = o.value(QLatin1String("description")).toString();
    }
    return b;
}

QString McpContentBlock::typeName(Type type)
{
    switch (type) {
    case Type::Text: return QStringLiteral("text");
    case Type::Image: return QStringLiteral("image");
    case Type::Audio: return QStringLiteral("audio");
    case Type::Resource: return QStringLiteral("resource");
    case Type::ResourceLink: return QStringLiteral("resource_link");
    case Type::Unknown: break;
    }
    return QStringLiteral("unknown");
}

} // namespace Spool
