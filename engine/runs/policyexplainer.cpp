#include "runs/policyexplainer.h"

#include "approvals/approvaldesk.h"
#include "policy/policyservice.h"
#include "runs/runorchestrator.h"
#include "tools/tool.h"
#include "tools/toolregistry.h"

namespace Spool {

PolicyExplainer::PolicyExplainer(const ToolRegistry &tools, const PolicyService &policy,
                                 ApprovalDesk &approvals)
    : m_tools(tools), m_policy(policy), m_approvals(approvals)
{
}

Result<PolicyExplanation> PolicyExplainer::explain(const QString &toolName,
                                                   const QJsonObject &arguments,
                                                   const SessionInfo &session,
                                                   const Agent &agent) const
{
    const Tool *tool = m_tools.tool(toolName);
    if (!tool) {
        QStringList names;
        for (const ToolSpec &spec : m_tools.specs())
            names.append(spec.name);
        return makeError(ErrorCode::NotFound, QStringLiteral("no tool named \"%1\" (tools: %2)")
                                                      .arg(toolName, names.join(QStringLiteral(", "))));
    }
    if (!agent.allowsTool(toolName) || !tool->spec().availableTo(agent.name))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the agent %1 may not call %2: such a call never reaches policy")
                                 .arg(agent.name, toolName));
    if (Status valid = m_tools.validateArguments(toolName, arguments); !valid)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the call never reaches policy: %1").arg(valid.errorMessage()));

    const PolicyRequest request = RunOrchestrator::policyRequest(tool->spec(), arguments, session, agent);
    m_approvals.syncGrantsIfJournalMoved(); // the same grants as a run would see
    PolicyExplanation e = m_policy.explain(request);
    e.decision = RunOrchestrator::withApprovalMode(e.decision, agent);
    if (e.decision.effect == PolicyEffect::Ask && !session.id.isEmpty()) {
        if (const auto grant = m_approvals.sessionGrant(session.id, toolName)) {
            e.decision.explanation += QStringLiteral(" In this session an earlier \"allow for this "
                                                     "session\" (approval %1) answers without asking.")
                                              .arg(grant->id);
        }
    }
    return e;
}

} // namespace Spool
