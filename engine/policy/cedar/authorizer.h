#pragma once

#include "policy/cedar/entitystore.h"
#include "policy/cedar/evaluator.h"
#include "policy/cedar/policyset.h"
#include "policy/cedar/request.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Spool::Cedar {

// Cedar's authorization: every policy is evaluated; the request is allowed when at least one
// permit is satisfied and no forbid is (default deny, forbid overrides permit). A policy that
// errors counts as neither: it is skipped, and reported.
class Authorizer
{
public:
    enum class Decision { Allow, Deny };

    struct PolicyError
    {
        QString policyId;
        QString message;
    };

    struct Response
    {
        Decision decision = Decision::Deny;
        // The satisfied permits when allowed; the satisfied forbids when denied (empty when
        // nothing permitted the request).
        QStringList determining;
        QList<PolicyError> errors;

        QStringList erroringPolicies() const;
    };

    // One policy's result, for explanations.
    struct PolicyResult
    {
        const Policy *policy = nullptr;
        Evaluator::Outcome outcome = Evaluator::Outcome::NotSatisfied;
        QString error;
    };

    static Response isAuthorized(const Request &request, const EntityStore &entities,
                                 const PolicySet &policies);
    // Every policy's outcome, in the set's order.
    static QList<PolicyResult> evaluateEach(const Request &request, const EntityStore &entities,
                                            const PolicySet &policies);
    // The decision those outcomes amount to.
    static Response decide(const QList<PolicyResult> &results);
};

} // namespace Spool::Cedar
