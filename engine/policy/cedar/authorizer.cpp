#include "policy/cedar/authorizer.h"

namespace Spool::Cedar {

QStringList Authorizer::Response::erroringPolicies() const
{
    QStringList ids;
    ids.reserve(errors.size());
    for (const PolicyError &e : errors)
        ids.append(e.policyId);
    return ids;
}

QList<Authorizer::PolicyResult> Authorizer::evaluateEach(const Request &request,
                                                         const EntityStore &entities,
                                                         const PolicySet &policies)
{
    QList<PolicyResult> results;
    results.reserve(policies.size());
    Evaluator evaluator(request, entities);
    for (const Policy &p : policies.policies()) {
        PolicyResult r;
        r.policy = &p;
        r.outcome = evaluator.evaluate(p, &r.error);
        results.append(r);
    }
    return results;
}

Authorizer::Response Authorizer::decide(const QList<PolicyResult> &results)
{
    Response response;
    QStringList permits;
    QStringList forbids;
    for (const PolicyResult &r : results) {
        switch (r.outcome) {
        case Evaluator::Outcome::Satisfied:
            (r.policy->effect() == Policy::Effect::Permit ? permits : forbids).append(r.policy->id());
            break;
        case Evaluator::Outcome::Error:
            response.errors.append(PolicyError{r.policy->id(), r.error});
            break;
        case Evaluator::Outcome::NotSatisfied:
            break;
        }
    }
    if (forbids.isEmpty() && !permits.isEmpty()) {
        response.decision = Decision::Allow;
        response.determining = permits;
    } else {
        response.decision = Decision::Deny;
        response.determining = forbids;
    }
    return response;
}

Authorizer::Response Authorizer::isAuthorized(const Request &request, const EntityStore &entities,
                                              const PolicySet &policies)
{
    return decide(evaluateEach(request, entities, policies));
}

} // namespace Spool::Cedar
