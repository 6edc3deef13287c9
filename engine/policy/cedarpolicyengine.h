#pragma once

#include "policy/policyengine.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace Spool {

namespace Cedar {
struct Request;
}

// Decides tool calls with Cedar policies (SPEC §6).
//
// A tool call becomes the Cedar request
//   principal  User::"<request.principal>"
//   action     Action::"tool.execute"
//   resource   Tool::"<request.tool>"
//   context    { arguments, capabilities, risk, requiresApproval, session, agent, workspace }
// (resources/policies/default.cedar documents each field) and is evaluated with Cedar's
// semantics: default deny, forbid overrides permit, an erroring policy is skipped. On top:
// - when the permits that match all carry `@ask`, the decision is Ask (a matching permit
//   without `@ask` allows at once, so a user's narrow permit can waive a default @ask);
// - a forbid that errors denies.
// Policy ids are the `@id("...")` annotation when present, else `<file>:policyN` (N counts
// the file's policies from 0). The texts of `@ask("...")` and `@reason("...")` go into the
// decision's explanation.
//
// Policies come from the built-in defaults and from the user's folder. Problems found on load
// (syntax, an unknown action, entity type or context attribute, wrong arguments to a
// function, `@ask` on a forbid, a duplicate id) are returned with file, line and column and
// kept in problems(); the file with problems is not loaded, and while any remain, every
// decision is Deny (fail closed: a forbid with a typo must not silently vanish).
//
// decide() and explain() are const and safe to call from any thread; the load functions are
// not, and must not run concurrently with them.
class CedarPolicyEngine : public PolicyEngine
{
public:
    enum class Defaults { BuiltIn, None };

    // BuiltIn loads resources/policies/default.cedar (embedded as :/policies/default.cedar).
    explicit CedarPolicyEngine(Defaults defaults = Defaults::BuiltIn);
    ~CedarPolicyEngine() override;
    CedarPolicyEngine(const CedarPolicyEngine &) = delete;
    CedarPolicyEngine &operator=(const CedarPolicyEngine &) = delete;

    // Replaces the user policies with every `*.cedar` file in `folder`, in name order. A
    // missing folder means no user policies; one that cannot be listed, or a file that cannot
    // be read, is a problem. Returns the problems found (empty when every file loaded); they
    // also replace the previous user problems in problems().
    QList<PolicyProblem> loadUserPolicies(const QString &folder);

    // Adds policies from text, as if from a file named `fileName` (generated grants, tests).
    // Returns the problems; on problems nothing of the text is added, and they join problems().
    QList<PolicyProblem> addPolicies(const QString &text, const QString &fileName);
    // Replaces everything added with addPolicies() (policies and problems) by these sources,
    // checked one by one as addPolicies() would, in one rebuild. Returns the problems.
    QList<PolicyProblem> replaceAddedPolicies(const QList<PolicySource> &sources);

    // Checks a policy text as loading would, without loading it.
    static QList<PolicyProblem> validate(const QString &text, const QString &fileName);

    // Problems of the loaded files; non-empty means every decision is Deny.
    QList<PolicyProblem> problems() const;
    QStringList policyIds() const;
    // The loaded policies: defaults, user files, added; in that order.
    QList<PolicyInfo> policies() const;

    QString name() const override { return QStringLiteral("cedar"); }
    PolicyDecision decide(const PolicyRequest &request) const override;
    // The decision with every policy's outcome.
    PolicyExplanation explain(const PolicyRequest &request) const;

    // The Cedar request a tool call becomes (see the class comment).
    static Cedar::Request cedarRequest(const PolicyRequest &request);
    // A Cedar expression equal to what cedarRequest() makes of one argument value (for
    // generated policies that match arguments exactly).
    static QString argumentLiteral(const QJsonValue &value);

private:
    struct Loaded;
    struct State;
    std::unique_ptr<State> d;
};

} // namespace Spool
