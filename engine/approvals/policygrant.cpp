#include "approvals/policygrant.h"

namespace Spool {

QString PolicyGrant::policyId() const
{
    return QStringLiteral("grant.") + id;
}

QJsonObject PolicyGrant::toJson() const
{
    auto optional = [](const auto &v, bool present) { return present ? QJsonValue(v) : QJsonValue(); };
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("policy_id"), policyId()},
        {QStringLiteral("principal"), principal},
        {QStringLiteral("tool"), tool},
        {QStringLiteral("constraints"), constraints},
        {QStringLiteral("policy"), policyText},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("created_by"), createdBy},
        {QStringLiteral("approval_id"), optional(sourceApprovalId, !sourceApprovalId.isEmpty())},
        {QStringLiteral("revoked_at"), optional(revokedAt, revokedAt != 0)},
        {QStringLiteral("revoked_by"), optional(revokedBy, revokedAt != 0)},
        {QStringLiteral("active"), isActive()},
    };
}

} // namespace Spool
