#include "policy/basicpolicyengine.h"

namespace Spool {

PolicyDecision BasicPolicyEngine::decide(const PolicyRequest &request) const
{
    PolicyDecision d;
    if (request.toolRequiresApproval) {
        d.effect = PolicyEffect::Ask;
        d.determining = {QStringLiteral("basic.requires-approval")};
        d.explanation = QStringLiteral("The tool %1 is marked as needing approval.").arg(request.tool);
    } else {
        d.effect = PolicyEffect::Allow;
        d.determining = {QStringLiteral("basic.allow")};
        d.explanation = QStringLiteral("The tool %1 runs without approval.").arg(request.tool);
    }
    return d;
}

} // namespace Spool
