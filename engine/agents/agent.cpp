#include "agents/agent.h"

#include <QJsonArray>

namespace Spool {

bool Agent::allowsTool(const QString &tool) const
{
    return toolAllowlist.isEmpty() || toolAllowlist.contains(tool);
}

QString Agent::approvalModeName(ApprovalMode mode)
{
    return mode == ApprovalMode::Ask ? QStringLiteral("ask") : QStringLiteral("policy");
}

QJsonObject Agent::toJson() const
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("system_prompt"), systemPrompt},
        {QStringLiteral("provider"), provider},
        {QStringLiteral("model"), model},
        {QStringLiteral("tool_allowlist"), QJsonArray::fromStringList(toolAllowlist)},
        {QStringLiteral("approval_mode"), approvalModeName(approvalMode)},
    };
}

Agent Agent::builtInDefault()
{
    Agent a;
    a.name = defaultName();
    a.systemPrompt = QStringLiteral(
            "You are a careful assistant working inside Spool. Use tools only when they help, "
            "and say what you did.");
    a.provider = QStringLiteral("deterministic");
    a.model = QStringLiteral("echo-1");
    return a;
}

} // namespace Spool
