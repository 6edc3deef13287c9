#pragma once

#include "policy/cedar/diagnostic.h"
#include "policy/cedar/expr.h"
#include "policy/cedar/policy.h"

#include <QList>
#include <QString>

namespace Spool::Cedar {

// Parses Cedar policy text (https://docs.cedarpolicy.com/policies/syntax-grammar.html):
// annotations, effects, every scope form (`==`, `in`, `is`, `is ... in`, `action in [...]`),
// when / unless conditions, and the whole expression language with its operators, literals,
// entity references, sets, records, methods and extension functions.
//
// Errors carry the line and column of the offending token. After an error the parser skips
// to the next `;` and carries on, so one pass reports a problem in each broken policy.
class PolicyParser
{
public:
    struct Parsed
    {
        QList<Policy> policies; // ids policy0, policy1, ... in source order
        Diagnostics errors;
        bool ok() const { return errors.isEmpty(); }
    };

    static Parsed parse(const QString &text, const QString &fileName = QString());

    // One expression, as found inside `when { ... }`; nullptr with `errors` set on failure.
    static ExprPtr parseExpression(const QString &text, Diagnostics *errors);
};

} // namespace Spool::Cedar
