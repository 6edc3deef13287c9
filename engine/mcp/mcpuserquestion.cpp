#include "mcp/mcpuserquestion.h"

namespace Spool {

QJsonObject McpUserQuestion::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("server"), server},
                  {QStringLiteral("message"), message},
                  {QStringLiteral("mode"), mode},
                  {QStringLiteral("asked_at"), askedAt}};
    if (!runId.isEmpty())
        o.insert(QStringLiteral("run_id"), runId);
    if (!callId.isEmpty())
        o.insert(QStringLiteral("call_id"), callId);
    if (!tool.isEmpty())
        o.insert(QStringLiteral("tool"), tool);
    if (mode == QLatin1String("url"))
        o.insert(QStringLiteral("url"), url);
    else
        o.insert(QStringLiteral("schema"), schema);
    if (!action.isEmpty()) {
        o.insert(QStringLiteral("action"), action);
        if (action == QLatin1String("accept") && mode == QLatin1String("form"))
            o.insert(QStringLiteral("content"), content);
        o.insert(QStringLiteral("answered_by"), answeredBy);
    }
    return o;
}

} // namespace Spool
