#include "policy/cedar/expr.h"

namespace Spool::Cedar {

namespace {

QString binary(const Expr &e, const char *op)
{
    return QLatin1Char('(') + e.operands[0]->toString() + QLatin1Char(' ') + QLatin1String(op)
           + QLatin1Char(' ') + e.operands[1]->toString() + QLatin1Char(')');
}

QString method(const Expr &e, const QString &name)
{
    QStringList args;
    for (size_t i = 1; i < e.operands.size(); ++i)
        args.append(e.operands[i]->toString());
    return e.operands[0]->toString() + QLatin1Char('.') + name + QLatin1Char('(')
           + args.join(QLatin1String(", ")) + QLatin1Char(')');
}

} // namespace

namespace {

struct FunctionInfo
{
    Expr::Function function;
    const char *name;
    bool method; // called as value.name(...)
    int arity;   // arguments, the receiver of a method included
};

// Cedar's extension functions and methods, in the order of Expr::Function.
constexpr FunctionInfo kFunctions[] = {
    {Expr::Function::Decimal, "decimal", false, 1},
    {Expr::Function::LessThan, "lessThan", true, 2},
    {Expr::Function::LessThanOrEqual, "lessThanOrEqual", true, 2},
    {Expr::Function::GreaterThan, "greaterThan", true, 2},
    {Expr::Function::GreaterThanOrEqual, "greaterThanOrEqual", true, 2},
    {Expr::Function::Ip, "ip", false, 1},
    {Expr::Function::IsIpv4, "isIpv4", true, 1},
    {Expr::Function::IsIpv6, "isIpv6", true, 1},
    {Expr::Function::IsLoopback, "isLoopback", true, 1},
    {Expr::Function::IsMulticast, "isMulticast", true, 1},
    {Expr::Function::IsInRange, "isInRange", true, 2},
    {Expr::Function::Datetime, "datetime", false, 1},
    {Expr::Function::Duration, "duration", false, 1},
    {Expr::Function::Offset, "offset", true, 2},
    {Expr::Function::DurationSince, "durationSince", true, 2},
    {Expr::Function::ToDate, "toDate", true, 1},
    {Expr::Function::ToTime, "toTime", true, 1},
    {Expr::Function::ToMilliseconds, "toMilliseconds", true, 1},
    {Expr::Function::ToSeconds, "toSeconds", true, 1},
    {Expr::Function::ToMinutes, "toMinutes", true, 1},
    {Expr::Function::ToHours, "toHours", true, 1},
    {Expr::Function::ToDays, "toDays", true, 1},
};

const FunctionInfo &info(Expr::Function f)
{
    const auto &entry = kFunctions[size_t(f)];
    Q_ASSERT(entry.function == f);
    return entry;
}

} // namespace

QString Expr::functionName(Function f)
{
    return QLatin1String(info(f).name);
}

bool Expr::isMethod(Function f)
{
    return info(f).method;
}

int Expr::functionArity(Function f)
{
    return info(f).arity;
}

std::optional<Expr::Function> Expr::functionNamed(QStringView name)
{
    for (const FunctionInfo &f : kFunctions) {
        if (name == QLatin1String(f.name))
            return f.function;
    }
    return std::nullopt;
}

QString Expr::variableName(Variable v)
{
    switch (v) {
    case Variable::Principal: return QStringLiteral("principal");
    case Variable::Action: return QStringLiteral("action");
    case Variable::Resource: return QStringLiteral("resource");
    case Variable::Context: return QStringLiteral("context");
    }
    return QString();
}

QString Expr::toString() const
{
    switch (kind) {
    case Kind::Literal: return value.toString();
    case Kind::Variable: return variableName(variable);
    case Kind::If:
        return QStringLiteral("(if %1 then %2 else %3)")
                .arg(operands[0]->toString(), operands[1]->toString(), operands[2]->toString());
    case Kind::And: return binary(*this, "&&");
    case Kind::Or: return binary(*this, "||");
    case Kind::Not: return QStringLiteral("(!%1)").arg(operands[0]->toString());
    case Kind::Negate: {
        // `-0` and `-5` read back as literals (how -9223372036854775808 is written), and 0 has
        // no sign to keep: a negated number keeps its parentheses so it reads back negated.
        const Expr &operand = *operands[0];
        const bool number = operand.kind == Kind::Literal && operand.value.is(Value::Type::Long);
        return (number ? QStringLiteral("(-(%1))") : QStringLiteral("(-%1)")).arg(operand.toString());
    }
    case Kind::Add: return binary(*this, "+");
    case Kind::Subtract: return binary(*this, "-");
    case Kind::Multiply: return binary(*this, "*");
    case Kind::Equal: return binary(*this, "==");
    case Kind::NotEqual: return binary(*this, "!=");
    case Kind::Less: return binary(*this, "<");
    case Kind::LessEqual: return binary(*this, "<=");
    case Kind::Greater: return binary(*this, ">");
    case Kind::GreaterEqual: return binary(*this, ">=");
    case Kind::In: return binary(*this, "in");
    case Kind::Contains: return method(*this, QStringLiteral("contains"));
    case Kind::ContainsAll: return method(*this, QStringLiteral("containsAll"));
    case Kind::ContainsAny: return method(*this, QStringLiteral("containsAny"));
    case Kind::IsEmpty: return method(*this, QStringLiteral("isEmpty"));
    case Kind::HasTag: return method(*this, QStringLiteral("hasTag"));
    case Kind::GetTag: return method(*this, QStringLiteral("getTag"));
    case Kind::Has: {
        QStringList parts;
        for (const QString &p : path)
            parts.append(p);
        return QStringLiteral("(%1 has %2)")
                .arg(operands[0]->toString(),
                     path.size() == 1 ? quotedCedarString(path.front()) : parts.join(QLatin1Char('.')));
    }
    case Kind::GetAttribute:
        return operands[0]->toString() + QLatin1Char('[') + quotedCedarString(name) + QLatin1Char(']');
    case Kind::Like:
        return QStringLiteral("(%1 like \"%2\")").arg(operands[0]->toString(), pattern->toString());
    case Kind::Is: return QStringLiteral("(%1 is %2)").arg(operands[0]->toString(), name);
    case Kind::IsIn:
        return QStringLiteral("(%1 is %2 in %3)")
                .arg(operands[0]->toString(), name, operands[1]->toString());
    case Kind::SetLiteral: {
        QStringList parts;
        for (const auto &o : operands)
            parts.append(o->toString());
        return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
    }
    case Kind::RecordLiteral: {
        QStringList parts;
        for (size_t i = 0; i < operands.size(); ++i)
            parts.append(quotedCedarString(keys.at(qsizetype(i))) + QLatin1String(": ")
                         + operands[i]->toString());
        return QLatin1Char('{') + parts.join(QLatin1String(", ")) + QLatin1Char('}');
    }
    case Kind::Call: {
        if (isMethod(function) && !operands.empty())
            return method(*this, functionName(function));
        QStringList args;
        for (const auto &o : operands)
            args.append(o->toString());
        return functionName(function) + QLatin1Char('(') + args.join(QLatin1String(", "))
               + QLatin1Char(')');
    }
    }
    return QString();
}

} // namespace Spool::Cedar
