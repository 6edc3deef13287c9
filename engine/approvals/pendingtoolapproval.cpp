#include "approvals/pendingtoolapproval.h"

namespace Spool {

QString approvalStatusName(ApprovalStatus status)
{
    switch (status) {
    case ApprovalStatus::Pending: return QStringLiteral("pending");
    case ApprovalStatus::Allow: return QStringLiteral("allow");
    case ApprovalStatus::Deny: return QStringLiteral("deny");
    case ApprovalStatus::Timeout: return QStringLiteral("timeout");
    case ApprovalStatus::Cancelled: return QStringLiteral("cancelled");
    }
    return QString();
}

std::optional<ApprovalStatus> parseApprovalStatus(const QString &name)
{
    for (ApprovalStatus s : {ApprovalStatus::Pending, ApprovalStatus::Allow, ApprovalStatus::Deny,
                             ApprovalStatus::Timeout, ApprovalStatus::Cancelled}) {
        if (approvalStatusName(s) == name)
            return s;
    }
    return std::nullopt;
}

QString approvalScopeName(ApprovalScope scope)
{
    switch (scope) {
    case ApprovalScope::Once: return QStringLiteral("once");
    case ApprovalScope::Session: return QStringLiteral("session");
    case ApprovalScope::Always: return QStringLiteral("always");
    }
    return QString();
}

std::optional<ApprovalScope> parseApprovalScope(const QString &name)
{
    for (ApprovalScope s : {ApprovalScope::Once, ApprovalScope::Session, ApprovalScope::Always}) {
        if (approvalScopeName(s) == name)
            return s;
    }
    return std::nullopt;
}

QJsonObject PendingToolApproval::toJson() const
{
    auto optional = [](qint64 v) { return v ? QJsonValue(v) : QJsonValue(); };
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("run_id"), runId},
        {QStringLiteral("session_id"), sessionId},
        {QStringLiteral("call_id"), callId},
        {QStringLiteral("tool"), tool},
        {QStringLiteral("arguments"), arguments},
        {QStringLiteral("risk"), risk},
        {QStringLiteral("explanation"), explanation},
        {QStringLiteral("preview"), preview},
        {QStringLiteral("status"), approvalStatusName(status)},
        {QStringLiteral("scope"), scope ? QJsonValue(approvalScopeName(*scope)) : QJsonValue()},
        {QStringLiteral("decided_by"), decidedBy.isEmpty() ? QJsonValue() : QJsonValue(decidedBy)},
        {QStringLiteral("reason"), reason},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("expires_at"), expiresAt},
        {QStringLiteral("decided_at"), optional(decidedAt)},
        {QStringLiteral("applied_at"), optional(appliedAt)},
        {QStringLiteral("grant_id"), grantId.isEmpty() ? QJsonValue() : QJsonValue(grantId)},
    };
}

} // namespace Spool
