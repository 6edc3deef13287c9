#pragma once

#include "core/result.h"
#include "policy/policydecision.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace Spool {

struct PolicyGrant; // approvals/policygrant.h: the approvals' value

// The policy as the user sees it (SPEC §6; Engine::policies()): the built-in defaults, the
// user's `*.cedar` files in folder(), and the "always" grants approvals left.
class Policies
{
public:
    virtual ~Policies() = default;

    virtual QString folder() const = 0;
    // Problems of the loaded policies (file, line, column). Non-empty means every tool call is
    // denied until they are fixed.
    virtual QList<PolicyProblem> problems() const = 0;
    // Reads the folder again (and the grants); returns the problems.
    virtual QList<PolicyProblem> reload() = 0;
    virtual QList<PolicyInfo> list() const = 0;
    // What the policy would answer for this call, asked exactly as a run asks it, with every
    // policy's part. Without a session: this process's principal, the default agent.
    virtual Result<PolicyExplanation> explain(const QString &tool, const QJsonObject &arguments,
                                              const QString &sessionIdOrKey = {}) = 0;
    // "Always" grants, newest first.
    virtual Result<QList<PolicyGrant>> grants(bool includeRevoked = false) const = 0;
    virtual Result<PolicyGrant> findGrant(const QString &idOrPrefix) const = 0;
    // Revokes a grant (at once in this process; other processes notice within a poll).
    virtual Result<PolicyGrant> revokeGrant(const QString &idOrPrefix, const QString &by) = 0;
};

} // namespace Spool
