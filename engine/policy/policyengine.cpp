#include "policy/policyengine.h"

#include <QJsonArray>

namespace Spool {

QString policyEffectName(PolicyEffect effect)
{
    switch (effect) {
    case PolicyEffect::Allow: return QStringLiteral("allow");
    case PolicyEffect::Deny: return QStringLiteral("deny");
    case PolicyEffect::Ask: return QStringLiteral("ask");
    }
    return QString();
}

QJsonObject PolicyRequest::toJson() const
{
    return QJsonObject{
        {QStringLiteral("principal"), principal},
        {QStringLiteral("tool"), tool},
        {QStringLiteral("arguments"), arguments},
        {QStringLiteral("capabilities"), QJsonArray::fromStringList(capabilities)},
        {QStringLiteral("risk"), risk},
        {QStringLiteral("requires_approval"), toolRequiresApproval},
        {QStringLiteral("session"), sessionId},
        {QStringLiteral("agent"), agent},
        {QStringLiteral("workspace"), workspace},
    };
}

QJsonObject PolicyDecision::toJson(const QString &callId) const
{
    return QJsonObject{
        {QStringLiteral("call_id"), callId},
        {QStringLiteral("decision"), policyEffectName(effect)},
        {QStringLiteral("determining_policies"), QJsonArray::fromStringList(determining)},
        {QStringLiteral("erroring_policies"), QJsonArray::fromStringList(erroring)},
        {QStringLiteral("explanation"), explanation},
    };
}

} // namespace Spool
