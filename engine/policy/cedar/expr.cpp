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

QString Expr::functionName(Function f)
{
    switch (f) {
    case Function::Decimal: return QStringLiteral("decimal");
    case Function::LessThan: return QStringLiteral("lessThan");
    case Function::LessThanOrEqual: return QStringLiteral("lessThanOrEqual");
    case Function::GreaterThan: return QStringLiteral("greaterThan");
    case Function::GreaterThanOrEqual: return QStringLiteral("greaterThanOrEqual");
    case Function::Ip: return QStringLiteral("ip");
    case Function::IsIpv4: return QStringLiteral("isIpv4");
    case Function::IsIpv6: return QStringLiteral("isIpv6");
    case Function::IsLoopback: return QStringLiteral("isLoopback");
    case Function::IsMulticast: return QStringLiteral("isMulticast");
    case Function::IsInRange: return QStringLiteral("isInRange");
    case Function::Datetime: return QStringLiteral("datetime");
    case Function::Duration: return QStringLiteral("duration");
    case Function::Offset: return QStringLiteral("offset");
    case Function::DurationSince: return QStringLiteral("durationSince");
    case Function::ToDate: return QStringLiteral("toDate");
    case Function::ToTime: return QStringLiteral("toTime");
    case Function::ToMilliseconds: return QStringLiteral("toMilliseconds");
    case Function::ToSeconds: return QStringLiteral("toSeconds");
    case Function::ToMinutes: return QStringLiteral("toMinutes");
    case Function::ToHours: return QStringLiteral("toHours");
    case Function::ToDays: return QStringLiteral("toDays");
    }
    return QString();
}

bool Expr::isMethod(Function f)
{
    return f != Function::Decimal && f != Function::Ip && f != Function::Datetime
           && f != Function::Duration;
}

int Expr::functionArity(Function f)
{
    switch (f) {
    case Function::LessThan:
    case Function::LessThanOrEqual:
    case Function::GreaterThan:
    case Function::GreaterThanOrEqual:
    case Function::IsInRange:
    case Function::Offset:
    case Function::DurationSince:
        return 2;
    default:
        return 1;
    }
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
    case Kind::Negate: return QStringLiteral("(-%1)").arg(operands[0]->toString());
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
