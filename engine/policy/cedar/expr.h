#pragma once

#include "policy/cedar/likepattern.h"
#include "policy/cedar/value.h"

#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace Spool::Cedar {

// A node of a parsed Cedar expression. The parser builds the tree once; the evaluator walks it
// for every request, so the node keeps what evaluation needs ready: literal values (constant
// sets and records are folded into one), compiled `like` patterns, attribute paths.
struct Expr
{
    enum class Kind : quint8 {
        Literal,       // value
        Variable,      // variable
        If,            // operands: condition, then, else
        And,           // operands: left, right (short-circuit)
        Or,            // operands: left, right (short-circuit)
        Not,           // operands: operand
        Negate,        // operands: operand
        Add,           // operands: left, right (likewise for the binary kinds below)
        Subtract,
        Multiply,
        Equal,
        NotEqual,
        Less,
        LessEqual,
        Greater,
        GreaterEqual,
        In,
        Contains,      // operands: set, element
        ContainsAll,
        ContainsAny,
        IsEmpty,       // operands: set
        HasTag,        // operands: entity, tag
        GetTag,
        Has,           // operands: target; path: one name, or several for `e has a.b.c`
        GetAttribute,  // operands: target; name
        Like,          // operands: target; pattern
        Is,            // operands: target; name = entity type
        IsIn,          // operands: target, ancestor; name = entity type (`x is T in y`)
        SetLiteral,    // operands: elements
        RecordLiteral, // operands: values; keys: their names
        Call,          // operands: arguments (receiver first for methods); function
    };

    enum class Variable : quint8 { Principal, Action, Resource, Context };

    // Extension functions and methods (Cedar's `decimal`, `ipaddr` and `datetime` extensions).
    enum class Function : quint8 {
        Decimal,
        LessThan,
        LessThanOrEqual,
        GreaterThan,
        GreaterThanOrEqual,
        Ip,
        IsIpv4,
        IsIpv6,
        IsLoopback,
        IsMulticast,
        IsInRange,
        Datetime,
        Duration,
        Offset,
        DurationSince,
        ToDate,
        ToTime,
        ToMilliseconds,
        ToSeconds,
        ToMinutes,
        ToHours,
        ToDays,
    };

    Kind kind = Kind::Literal;
    Variable variable = Variable::Principal;
    Function function = Function::Decimal;
    Value value;
    QString name;
    QStringList path;
    QStringList keys;
    std::shared_ptr<const LikePattern> pattern;
    std::vector<std::unique_ptr<Expr>> operands;
    int line = 0;
    int column = 0;

    // Cedar source form (fully parenthesised), used by explanations and tests.
    QString toString() const;

    // Cedar's extension functions, from one table (expr.cpp): the parser, the JSON reader and
    // the evaluator all ask it.
    static QString functionName(Function f);
    // How many arguments the function takes, counting a method's receiver.
    static int functionArity(Function f);
    // Called as `value.f(...)` rather than `f(...)`.
    static bool isMethod(Function f);
    // The extension function or method of that name.
    static std::optional<Function> functionNamed(QStringView name);
    static QString variableName(Variable v);
};

using ExprPtr = std::unique_ptr<Expr>;

} // namespace Spool::Cedar
