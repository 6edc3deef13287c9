#pragma once

#include "policy/policydecision.h"

#include <QList>
#include <QString>

#include <memory>

namespace Spool {

class CedarPolicyEngine;

// The engine's tool policy (SPEC §6): the built-in defaults, the user's `*.cedar` files in the
// policy folder, and the generated permits of "always" grants, in one CedarPolicyEngine.
// Problems in the user's files are kept and shown; while any remain, every call is denied.
class PolicyService
{
public:
    // `configDir` holds the policy folder ("<configDir>/policies"); empty means no user policies.
    explicit PolicyService(const QString &configDir);
    ~PolicyService();

    QString folder() const;
    // (Re)reads the user's policies; creates the folder, with a README, on first use.
    QList<PolicyProblem> loadUserPolicies();
    // Replaces the grants' permits (ApprovalDesk keeps them in step with the journal).
    void replaceGrants(const QList<PolicySource> &grants);

    QList<PolicyProblem> problems() const;
    QList<PolicyInfo> policies() const;
    int policyCount() const;
    QString engineName() const;

    PolicyDecision decide(const PolicyRequest &request) const;
    PolicyExplanation explain(const PolicyRequest &request) const;

private:
    QString m_folder;
    std::unique_ptr<CedarPolicyEngine> m_engine;
};

} // namespace Spool
