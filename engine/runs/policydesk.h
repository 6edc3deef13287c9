#pragma once

#include "agents/agent.h"
#include "core/result.h"
#include "policy/policies.h"
#include "sessions/sessioninfo.h"

#include <QJsonObject>

namespace Spool {

class Agents;
class ApprovalDesk;
class PolicyService;
class SessionDesk;
class ToolRegistry;

// The policy as the user sees it: the PolicyService's policies and problems, the grants the
// ApprovalDesk keeps, and `spool policy explain`: what the policy would answer for one tool
// call, asked exactly as a run asks it (the same checks first, the same request, the same
// grants, the agent's approval mode), with every policy's part.
class PolicyDesk : public Policies
{
public:
    struct Areas
    {
        PolicyService &policy;
        ApprovalDesk &approvals;
        const ToolRegistry &tools;
        const SessionDesk &sessions;
        const Agents &agents;
    };
    // `principal` is whom a call without a session is explained for: this process's.
    PolicyDesk(Areas areas, const QString &principal);

    QString folder() const override;
    QList<PolicyProblem> problems() const override;
    QList<PolicyProblem> reload() override;
    QList<PolicyInfo> list() const override;
    Result<PolicyExplanation> explain(const QString &tool, const QJsonObject &arguments,
                                      const QString &sessionIdOrKey = {}) override;
    Result<QList<PolicyGrant>> grants(bool includeRevoked = false) const override;
    Result<PolicyGrant> findGrant(const QString &idOrPrefix) const override;
    Result<PolicyGrant> revokeGrant(const QString &idOrPrefix, const QString &by) override;

    // `session` may be a bare one holding only the principal (no session, no workspace).
    Result<PolicyExplanation> explain(const QString &tool, const QJsonObject &arguments,
                                      const SessionInfo &session, const Agent &agent) const;

private:
    Areas m_areas;
    QString m_principal;
};

} // namespace Spool
