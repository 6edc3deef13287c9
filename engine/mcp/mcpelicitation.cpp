#include "mcp/mcpelicitation.h"

namespace Spool {

QJsonObject McpElicitation::withDefaults(const QJsonObject &schema, const QJsonObject &content)
{
    QJsonObject out = content;
    const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it) {
        const QJsonObject field = it.value().toObject();
        if (!out.contains(it.key()) && field.contains(QLatin1String("default")))
            out.insert(it.key(), field.value(QLatin1String("default")));
    }
    return out;
}

QString McpElicitation::actionName(Action action)
{
    switch (action) {
    case Action::Accept: return QStringLiteral("accept");
    case Action::Decline: return QStringLiteral("decline");
    case Action::Cancel: break;
    }
    return QStringLiteral("cancel");
}

} // namespace Spool
