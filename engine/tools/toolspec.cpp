#include "tools/toolspec.h"

#include <QJsonArray>

namespace Spool {

QString toolRiskName(ToolRisk risk)
{
    switch (risk) {
    case ToolRisk::Low: return QStringLiteral("low");
    case ToolRisk::Medium: return QStringLiteral("medium");
    case ToolRisk::High: return QStringLiteral("high");
    }
    return QString();
}

QJsonObject ToolSpec::toJson() const
{
    QJsonObject o{
        {QStringLiteral("name"), name},
        {QStringLiteral("description"), description},
        {QStringLiteral("parameters"), parameters},
        {QStringLiteral("capabilities"), QJsonArray::fromStringList(capabilities)},
        {QStringLiteral("risk"), toolRiskName(risk)},
        {QStringLiteral("requires_approval"), requiresApproval},
    };
    if (!server.isEmpty()) {
        o.insert(QStringLiteral("server"), server);
        o.insert(QStringLiteral("server_tool"), serverTool);
        o.insert(QStringLiteral("protocol_version"), protocolVersion);
        o.insert(QStringLiteral("annotations"), annotations);
        if (!title.isEmpty())
            o.insert(QStringLiteral("title"), title);
    }
    if (!agents.isEmpty())
        o.insert(QStringLiteral("agents"), QJsonArray::fromStringList(agents));
    return o;
}

} // namespace Spool
