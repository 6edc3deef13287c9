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
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("description"), description},
        {QStringLiteral("parameters"), parameters},
        {QStringLiteral("capabilities"), QJsonArray::fromStringList(capabilities)},
        {QStringLiteral("risk"), toolRiskName(risk)},
        {QStringLiteral("requires_approval"), requiresApproval},
    };
}

} // namespace Spool
