#pragma once

#include "core/result.h"
#include "policy/cedar/entitystore.h"
#include "policy/cedar/expr.h"
#include "policy/cedar/policy.h"
#include "policy/cedar/request.h"

#include <QString>

#include <vector>

namespace Spool::Cedar {

// Evaluates policies and expressions for one request, with Cedar's semantics
// (https://docs.cedarpolicy.com/policies/syntax-operators.html): `&&`, `||` and `if` short-
// circuit; operators applied to the wrong types, arithmetic that overflows 64 bits, a missing
// attribute or tag, or a failing extension function are errors, which make the policy
// "erroring" rather than satisfied or not.
//
// Holds references to the request and the entities: both must outlive the evaluator. Cheap to
// construct; make one per request.
class Evaluator
{
public:
    Evaluator(const Request &request, const EntityStore &entities);

    enum class Outcome { Satisfied, NotSatisfied, Error };

    // The scope, then each condition in order (stopping at the first unmet one). On Error,
    // `error` (when given) receives a message naming the place in the policy.
    Outcome evaluate(const Policy &policy, QString *error = nullptr);

    Result<Value> evaluate(const Expr &expr);

    // Applies an extension function to evaluated arguments (receiver first for methods).
    // Returns false with `error` set on a type error, a bad argument or an overflow.
    static bool applyFunction(Expr::Function function, const std::vector<Value> &args,
                              Value &result, QString &error);

private:
    bool eval(const Expr &e, Value &out);
    bool evalOperand(const Expr &e, size_t i, Value &out) { return eval(*e.operands[i], out); }
    bool scopeMatches(const Policy::Scope &scope, const EntityUid &uid) const;
    bool fail(const Expr &at, const QString &message);
    bool typeError(const Expr &at, const QString &what, Value::Type expected, const Value &got);
    bool hasAttribute(const Expr &at, const Value &target, const QString &name, bool &has);
    bool getAttribute(const Expr &at, const Value &target, const QString &name, Value &out);

    const Request &m_request;
    const EntityStore &m_entities;
    Value m_principal;
    Value m_action;
    Value m_resource;
    QString m_error;
};

} // namespace Spool::Cedar
