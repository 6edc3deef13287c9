#pragma once

#include "agents/agent.h"
#include "core/result.h"
#include "policy/policydecision.h"
#include "sessions/sessioninfo.h"

#include <QJsonObject>

namespace Spool {

class ApprovalDesk;
class PolicyService;
class ToolRegistry;

// `spool policy explain`: what the policy would answer for one tool call, asked exactly as a
// run asks it (the same checks first, the same request, the same grants, the agent's approval
// mode), with every policy's part.
class PolicyExplainer
{
public:
    PolicyExplainer(const ToolRegistry &tools, const PolicyService &policy, ApprovalDesk &approvals);

    // `session` may be a bare one holding only the principal (no session, no workspace).
    Result<PolicyExplanation> explain(const QString &tool, const QJsonObject &arguments,
                                      const SessionInfo &session, const Agent &agent) const;

private:
    const ToolRegistry &m_tools;
    const PolicyService &m_policy;
    ApprovalDesk &m_approvals;
};

} // namespace Spool
