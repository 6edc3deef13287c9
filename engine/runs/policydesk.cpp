#include "runs/policydesk.h"

#include "agents/agents.h"
#include "approvals/approvaldesk.h"
#include "approvals/policygrant.h"
#include "policy/policyservice.h"
#include "runs/runorchestrator.h"
#include "sessions/sessiondesk.h"
#include "tools/tool.h"
#include "tools/toolregistry.h"

namespace Spool {

PolicyDesk::PolicyDesk(Areas areas, const QString &principal)
    : m_areas(areas), m_principal(principal)
{
}

QString PolicyDesk::folder() const
{
    return m_areas.policy.folder();
}

QList<PolicyProblem> PolicyDesk::problems() const
{
    return m_areas.policy.problems();
}

QList<PolicyProblem> PolicyDesk::reload()
{
    m_areas.policy.loadUserPolicies();
    m_areas.approvals.syncGrants(true);
    return problems();
}

QList<PolicyInfo> PolicyDesk::list() const
{
    return m_areas.policy.policies();
}

Result<PolicyExplanation> PolicyDesk::explain(const QString &tool, const QJsonObject &arguments,
                                              const QString &sessionIdOrKey)
{
    SessionInfo session; // without one: this process's principal, the default agent
    session.principal = m_principal;
    session.agent = Agent::defaultName();
    if (!sessionIdOrKey.isEmpty()) {
        auto found = m_areas.sessions.find(sessionIdOrKey);
        if (!found)
            return found.error();
        session = *found;
    }
    auto agent = m_areas.agents.get(session.agent);
    if (!agent)
        return agent.error();
    return explain(tool, arguments, session, *agent);
}

Result<QList<PolicyGrant>> PolicyDesk::grants(bool includeRevoked) const
{
    return m_areas.approvals.grants(includeRevoked);
}

Result<PolicyGrant> PolicyDesk::findGrant(const QString &idOrPrefix) const
{
    return m_areas.approvals.findGrant(idOrPrefix);
}

Result<PolicyGrant> PolicyDesk::revokeGrant(const QString &idOrPrefix, const QString &by)
{
    return m_areas.approvals.revokeGrant(idOrPrefix, by);
}

Result<PolicyExplanation> PolicyDesk::explain(const QString &toolName, const QJsonObject &arguments,
                                              const SessionInfo &session, const Agent &agent) const
{
    const Tool *tool = m_areas.tools.tool(toolName);
    if (!tool) {
        QStringList names;
        for (const ToolSpec &spec : m_areas.tools.specs())
            names.append(spec.name);
        return makeError(ErrorCode::NotFound, QStringLiteral("no tool named \"%1\" (tools: %2)")
                                                      .arg(toolName, names.join(QStringLiteral(", "))));
    }
    if (!agent.allowsTool(toolName) || !tool->spec().availableTo(agent.name))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the agent %1 may not call %2: such a call never reaches policy")
                                 .arg(agent.name, toolName));
    if (Status valid = m_areas.tools.validateArguments(toolName, arguments); !valid)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the call never reaches policy: %1").arg(valid.errorMessage()));

    const PolicyRequest request = RunOrchestrator::policyRequest(tool->spec(), arguments, session, agent);
    m_areas.approvals.syncGrantsIfJournalMoved(); // the same grants as a run would see
    PolicyExplanation e = m_areas.policy.explain(request);
    e.decision = RunOrchestrator::withApprovalMode(e.decision, agent);
    if (e.decision.effect == PolicyEffect::Ask && !session.id.isEmpty()) {
        if (const auto grant = m_areas.approvals.sessionGrant(session.id, toolName)) {
            e.decision.explanation += QStringLiteral(" In this session an earlier \"allow for this "
                                                     "session\" (approval %1) answers without asking.")
                                              .arg(grant->id);
        }
    }
    return e;
}

} // namespace Spool
