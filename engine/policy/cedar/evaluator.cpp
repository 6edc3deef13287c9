#include "policy/cedar/evaluator.h"

#include "policy/cedar/extensionvalues.h"

#include <QtNumeric>

namespace Spool::Cedar {

namespace {

QString describe(const Value &v)
{
    QString text = v.toString();
    if (text.size() > 60)
        text = text.left(57) + QLatin1String("...");
    return Value::typeName(v.type()) + QLatin1Char(' ') + text;
}

bool argumentTypeError(Expr::Function f, int index, Value::Type expected, const Value &got,
                       QString &error)
{
    error = QStringLiteral("%1: argument %2 must be %3, not %4")
                    .arg(Expr::functionName(f))
                    .arg(index + 1)
                    .arg(Value::typeName(expected), describe(got));
    return false;
}

} // namespace

Evaluator::Evaluator(const Request &request, const EntityStore &entities)
    : m_request(request)
    , m_entities(entities)
    , m_principal(Value::fromEntity(request.principal))
    , m_action(Value::fromEntity(request.action))
    , m_resource(Value::fromEntity(request.resource))
{
}

bool Evaluator::scopeMatches(const Policy::Scope &scope, const EntityUid &uid) const
{
    switch (scope.kind) {
    case Policy::Scope::Kind::Any:
        return true;
    case Policy::Scope::Kind::Equal:
        return uid == scope.entities.front();
    case Policy::Scope::Kind::In:
        for (const EntityUid &e : scope.entities) {
            if (m_entities.isInOrEqual(uid, e))
                return true;
        }
        return false;
    case Policy::Scope::Kind::Is:
        return uid.type() == scope.entityType;
    case Policy::Scope::Kind::IsIn:
        return uid.type() == scope.entityType && m_entities.isInOrEqual(uid, scope.entities.front());
    }
    return false;
}

Evaluator::Outcome Evaluator::evaluate(const Policy &policy, QString *error)
{
    if (!scopeMatches(policy.principalScope(), m_request.principal)
        || !scopeMatches(policy.actionScope(), m_request.action)
        || !scopeMatches(policy.resourceScope(), m_request.resource))
        return Outcome::NotSatisfied;
    for (const Policy::Condition &c : policy.conditions()) {
        Value v;
        bool ok = eval(*c.body, v);
        if (ok && !v.is(Value::Type::Bool))
            ok = typeError(*c.body, c.when ? QStringLiteral("a when condition")
                                           : QStringLiteral("an unless condition"),
                           Value::Type::Bool, v);
        if (!ok) {
            if (error)
                *error = m_error;
            return Outcome::Error;
        }
        if (v.toBool() != c.when)
            return Outcome::NotSatisfied;
    }
    return Outcome::Satisfied;
}

Result<Value> Evaluator::evaluate(const Expr &expr)
{
    Value v;
    if (!eval(expr, v))
        return makeError(ErrorCode::InvalidArgument, m_error);
    return v;
}

bool Evaluator::fail(const Expr &at, const QString &message)
{
    m_error = QStringLiteral("%1 (line %2, column %3)").arg(message).arg(at.line).arg(at.column);
    return false;
}

bool Evaluator::typeError(const Expr &at, const QString &what, Value::Type expected, const Value &got)
{
    return fail(at, QStringLiteral("type error: %1 must be %2, not %3")
                            .arg(what, Value::typeName(expected), describe(got)));
}

bool Evaluator::hasAttribute(const Expr &at, const Value &target, const QString &name, bool &has)
{
    if (target.is(Value::Type::Record)) {
        has = target.field(name) != nullptr;
        return true;
    }
    if (target.is(Value::Type::Entity)) {
        // An entity that is not in the store has no attributes: `has` is false, not an error.
        const EntityStore::Entity *e = m_entities.find(target.toEntity());
        has = e && e->attributes.field(name);
        return true;
    }
    return fail(at, QStringLiteral("type error: `has` needs a record or an entity, not %1").arg(describe(target)));
}

bool Evaluator::getAttribute(const Expr &at, const Value &target, const QString &name, Value &out)
{
    const Value *v = nullptr;
    if (target.is(Value::Type::Record)) {
        v = target.field(name);
        if (!v)
            return fail(at, QStringLiteral("the record has no attribute %1").arg(quotedCedarString(name)));
    } else if (target.is(Value::Type::Entity)) {
        const EntityStore::Entity *e = m_entities.find(target.toEntity());
        if (!e)
            return fail(at, QStringLiteral("entity %1 does not exist").arg(target.toEntity().toString()));
        v = e->attributes.field(name);
        if (!v)
            return fail(at, QStringLiteral("entity %1 has no attribute %2")
                                    .arg(target.toEntity().toString(), quotedCedarString(name)));
    } else {
        return fail(at, QStringLiteral("type error: cannot read attribute %1 of %2")
                                .arg(quotedCedarString(name), describe(target)));
    }
    out = *v;
    return true;
}

bool Evaluator::eval(const Expr &e, Value &out)
{
    using K = Expr::Kind;
    using T = Value::Type;
    switch (e.kind) {
    case K::Literal:
        out = e.value;
        return true;
    case K::Variable:
        switch (e.variable) {
        case Expr::Variable::Principal: out = m_principal; break;
        case Expr::Variable::Action: out = m_action; break;
        case Expr::Variable::Resource: out = m_resource; break;
        case Expr::Variable::Context: out = m_request.context; break;
        }
        return true;
    case K::If: {
        Value c;
        if (!evalOperand(e, 0, c))
            return false;
        if (!c.is(T::Bool))
            return typeError(*e.operands[0], QStringLiteral("the condition of if"), T::Bool, c);
        return evalOperand(e, c.toBool() ? 1 : 2, out);
    }
    case K::And:
    case K::Or: {
        const bool isAnd = e.kind == K::And;
        const QString what = isAnd ? QStringLiteral("an operand of &&") : QStringLiteral("an operand of ||");
        Value l;
        if (!evalOperand(e, 0, l))
            return false;
        if (!l.is(T::Bool))
            return typeError(*e.operands[0], what, T::Bool, l);
        if (l.toBool() != isAnd) { // false && _, true || _
            out = l;
            return true;
        }
        if (!evalOperand(e, 1, out))
            return false;
        if (!out.is(T::Bool))
            return typeError(*e.operands[1], what, T::Bool, out);
        return true;
    }
    case K::Not: {
        Value v;
        if (!evalOperand(e, 0, v))
            return false;
        if (!v.is(T::Bool))
            return typeError(e, QStringLiteral("the operand of !"), T::Bool, v);
        out = Value::fromBool(!v.toBool());
        return true;
    }
    case K::Negate: {
        Value v;
        if (!evalOperand(e, 0, v))
            return false;
        if (!v.is(T::Long))
            return typeError(e, QStringLiteral("the operand of -"), T::Long, v);
        qint64 r = 0;
        if (qSubOverflow(qint64(0), v.toLong(), &r))
            return fail(e, QStringLiteral("overflow: -(%1) does not fit in 64 bits").arg(v.toLong()));
        out = Value::fromLong(r);
        return true;
    }
    case K::Add:
    case K::Subtract:
    case K::Multiply: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        const char *op = e.kind == K::Add ? "+" : (e.kind == K::Subtract ? "-" : "*");
        if (!a.is(T::Long))
            return typeError(e, QStringLiteral("an operand of %1").arg(QLatin1String(op)), T::Long, a);
        if (!b.is(T::Long))
            return typeError(e, QStringLiteral("an operand of %1").arg(QLatin1String(op)), T::Long, b);
        qint64 r = 0;
        const bool overflow = e.kind == K::Add        ? qAddOverflow(a.toLong(), b.toLong(), &r)
                              : e.kind == K::Subtract ? qSubOverflow(a.toLong(), b.toLong(), &r)
                                                      : qMulOverflow(a.toLong(), b.toLong(), &r);
        if (overflow)
            return fail(e, QStringLiteral("overflow: %1 %2 %3 does not fit in 64 bits")
                                   .arg(a.toLong()).arg(QLatin1String(op)).arg(b.toLong()));
        out = Value::fromLong(r);
        return true;
    }
    case K::Equal:
    case K::NotEqual: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        out = Value::fromBool((a == b) == (e.kind == K::Equal));
        return true;
    }
    case K::Less:
    case K::LessEqual:
    case K::Greater:
    case K::GreaterEqual: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        // Longs, and (since Cedar 4) datetimes and durations, each compared with their own kind.
        const bool comparable = a.type() == b.type()
                                && (a.is(T::Long) || a.is(T::Datetime) || a.is(T::Duration));
        if (!comparable)
            return fail(e, QStringLiteral("type error: cannot compare %1 with %2 (comparisons need "
                                          "two longs, two datetimes or two durations)")
                                   .arg(describe(a), describe(b)));
        const qint64 x = a.toLong();
        const qint64 y = b.toLong();
        bool r = false;
        switch (e.kind) {
        case K::Less: r = x < y; break;
        case K::LessEqual: r = x <= y; break;
        case K::Greater: r = x > y; break;
        default: r = x >= y; break;
        }
        out = Value::fromBool(r);
        return true;
    }
    case K::In: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        if (!a.is(T::Entity))
            return typeError(e, QStringLiteral("the left operand of in"), T::Entity, a);
        if (b.is(T::Entity)) {
            out = Value::fromBool(m_entities.isInOrEqual(a.toEntity(), b.toEntity()));
            return true;
        }
        if (!b.is(T::Set))
            return fail(e, QStringLiteral("type error: the right operand of in must be an entity or "
                                          "a set of entities, not %1").arg(describe(b)));
        // Every element must be an entity, even after a match is found.
        for (const Value &x : b.elements()) {
            if (!x.is(T::Entity))
                return typeError(e, QStringLiteral("each element of the set after in"), T::Entity, x);
        }
        bool found = false;
        for (const Value &x : b.elements()) {
            if (m_entities.isInOrEqual(a.toEntity(), x.toEntity())) {
                found = true;
                break;
            }
        }
        out = Value::fromBool(found);
        return true;
    }
    case K::Contains:
    case K::ContainsAll:
    case K::ContainsAny: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        const QString name = e.kind == K::Contains      ? QStringLiteral("contains")
                             : e.kind == K::ContainsAll ? QStringLiteral("containsAll")
                                                        : QStringLiteral("containsAny");
        if (!a.is(T::Set))
            return typeError(e, QStringLiteral("the receiver of %1").arg(name), T::Set, a);
        if (e.kind == K::Contains) {
            out = Value::fromBool(a.contains(b));
            return true;
        }
        if (!b.is(T::Set))
            return typeError(e, QStringLiteral("the argument of %1").arg(name), T::Set, b);
        // containsAll: every element of the argument is in the receiver; containsAny: some is.
        const bool all = e.kind == K::ContainsAll;
        bool r = all;
        for (const Value &x : b.elements()) {
            if (a.contains(x) != all) {
                r = !all;
                break;
            }
        }
        out = Value::fromBool(r);
        return true;
    }
    case K::IsEmpty: {
        Value a;
        if (!evalOperand(e, 0, a))
            return false;
        if (!a.is(T::Set))
            return typeError(e, QStringLiteral("the receiver of isEmpty"), T::Set, a);
        out = Value::fromBool(a.elements().empty());
        return true;
    }
    case K::HasTag:
    case K::GetTag: {
        Value a;
        Value b;
        if (!evalOperand(e, 0, a) || !evalOperand(e, 1, b))
            return false;
        const QString name = e.kind == K::HasTag ? QStringLiteral("hasTag") : QStringLiteral("getTag");
        if (!a.is(T::Entity))
            return typeError(e, QStringLiteral("the receiver of %1").arg(name), T::Entity, a);
        if (!b.is(T::String))
            return typeError(e, QStringLiteral("the argument of %1").arg(name), T::String, b);
        const EntityStore::Entity *entity = m_entities.find(a.toEntity());
        const Value *tag = entity ? entity->tags.field(b.toStringValue()) : nullptr;
        if (e.kind == K::HasTag) {
            out = Value::fromBool(tag != nullptr);
            return true;
        }
        if (!tag)
            return fail(e, QStringLiteral("entity %1 has no tag %2")
                                   .arg(a.toEntity().toString(), quotedCedarString(b.toStringValue())));
        out = *tag;
        return true;
    }
    case K::Has: {
        // `e has a.b.c` means `e has a && e.a has b && e.a.b has c`.
        Value target;
        if (!evalOperand(e, 0, target))
            return false;
        for (qsizetype i = 0; i < e.path.size(); ++i) {
            bool has = false;
            if (!hasAttribute(e, target, e.path.at(i), has))
                return false;
            if (!has || i + 1 == e.path.size()) {
                out = Value::fromBool(has);
                return true;
            }
            Value next;
            if (!getAttribute(e, target, e.path.at(i), next))
                return false;
            target = next;
        }
        out = Value::fromBool(true);
        return true;
    }
    case K::GetAttribute: {
        Value target;
        if (!evalOperand(e, 0, target))
            return false;
        return getAttribute(e, target, e.name, out);
    }
    case K::Like: {
        Value v;
        if (!evalOperand(e, 0, v))
            return false;
        if (!v.is(T::String))
            return typeError(e, QStringLiteral("the left operand of like"), T::String, v);
        out = Value::fromBool(e.pattern->matches(v.toStringValue()));
        return true;
    }
    case K::Is:
    case K::IsIn: {
        Value v;
        if (!evalOperand(e, 0, v))
            return false;
        if (!v.is(T::Entity))
            return typeError(e, QStringLiteral("the left operand of is"), T::Entity, v);
        if (v.toEntity().type() != e.name || e.kind == K::Is) {
            out = Value::fromBool(v.toEntity().type() == e.name);
            return true;
        }
        Value ancestor;
        if (!evalOperand(e, 1, ancestor))
            return false;
        if (ancestor.is(T::Entity)) {
            out = Value::fromBool(m_entities.isInOrEqual(v.toEntity(), ancestor.toEntity()));
            return true;
        }
        if (!ancestor.is(T::Set))
            return fail(e, QStringLiteral("type error: the right operand of in must be an entity or "
                                          "a set of entities, not %1").arg(describe(ancestor)));
        for (const Value &x : ancestor.elements()) {
            if (!x.is(T::Entity))
                return typeError(e, QStringLiteral("each element of the set after in"), T::Entity, x);
        }
        bool found = false;
        for (const Value &x : ancestor.elements()) {
            if (m_entities.isInOrEqual(v.toEntity(), x.toEntity())) {
                found = true;
                break;
            }
        }
        out = Value::fromBool(found);
        return true;
    }
    case K::SetLiteral: {
        std::vector<Value> values(e.operands.size());
        for (size_t i = 0; i < e.operands.size(); ++i) {
            if (!evalOperand(e, i, values[i]))
                return false;
        }
        out = Value::fromSet(std::move(values));
        return true;
    }
    case K::RecordLiteral: {
        std::vector<Value::Field> fields(e.operands.size());
        for (size_t i = 0; i < e.operands.size(); ++i) {
            fields[i].first = e.keys.at(qsizetype(i));
            if (!evalOperand(e, i, fields[i].second))
                return false;
        }
        out = Value::fromRecord(std::move(fields));
        return true;
    }
    case K::Call: {
        std::vector<Value> args(e.operands.size());
        for (size_t i = 0; i < e.operands.size(); ++i) {
            if (!evalOperand(e, i, args[i]))
                return false;
        }
        QString error;
        if (!applyFunction(e.function, args, out, error))
            return fail(e, error);
        return true;
    }
    }
    return fail(e, QStringLiteral("unknown expression"));
}

bool Evaluator::applyFunction(Expr::Function f, const std::vector<Value> &args, Value &result,
                              QString &error)
{
    using F = Expr::Function;
    using T = Value::Type;
    namespace X = ExtensionValues;

    const int arity = Expr::functionArity(f);
    if (int(args.size()) != arity) {
        error = QStringLiteral("%1 takes %2 argument(s), not %3")
                        .arg(Expr::functionName(f)).arg(arity).arg(args.size());
        return false;
    }
    auto expect = [&](int i, T type) {
        if (args[size_t(i)].is(type))
            return true;
        argumentTypeError(f, i, type, args[size_t(i)], error);
        return false;
    };

    switch (f) {
    case F::Decimal: {
        if (!expect(0, T::String))
            return false;
        const auto d = X::parseDecimal(args[0].toStringValue());
        if (!d) {
            error = QStringLiteral("decimal: %1 is not a decimal with at most 4 digits after the "
                                   "point, within range").arg(quotedCedarString(args[0].toStringValue()));
            return false;
        }
        result = Value::fromDecimal(*d);
        return true;
    }
    case F::LessThan:
    case F::LessThanOrEqual:
    case F::GreaterThan:
    case F::GreaterThanOrEqual: {
        if (!expect(0, T::Decimal) || !expect(1, T::Decimal))
            return false;
        const qint64 a = args[0].toLong();
        const qint64 b = args[1].toLong();
        result = Value::fromBool(f == F::LessThan            ? a < b
                                 : f == F::LessThanOrEqual   ? a <= b
                                 : f == F::GreaterThan       ? a > b
                                                             : a >= b);
        return true;
    }
    case F::Ip: {
        if (!expect(0, T::String))
            return false;
        const auto ip = IpAddress::parse(args[0].toStringValue());
        if (!ip) {
            error = QStringLiteral("ip: %1 is not an IP address or range")
                            .arg(quotedCedarString(args[0].toStringValue()));
            return false;
        }
        result = Value::fromIpAddress(*ip);
        return true;
    }
    case F::IsIpv4:
    case F::IsIpv6:
    case F::IsLoopback:
    case F::IsMulticast: {
        if (!expect(0, T::IpAddr))
            return false;
        const IpAddress &ip = args[0].toIpAddress();
        result = Value::fromBool(f == F::IsIpv4       ? ip.isV4()
                                 : f == F::IsIpv6     ? ip.isV6()
                                 : f == F::IsLoopback ? ip.isLoopback()
                                                      : ip.isMulticast());
        return true;
    }
    case F::IsInRange:
        if (!expect(0, T::IpAddr) || !expect(1, T::IpAddr))
            return false;
        result = Value::fromBool(args[0].toIpAddress().isInRange(args[1].toIpAddress()));
        return true;
    case F::Datetime: {
        if (!expect(0, T::String))
            return false;
        const auto d = X::parseDatetime(args[0].toStringValue());
        if (!d) {
            error = QStringLiteral("datetime: %1 is not a date (YYYY-MM-DD) or date and time "
                                   "(YYYY-MM-DDThh:mm:ss[.SSS](Z|+hhmm|-hhmm))")
                            .arg(quotedCedarString(args[0].toStringValue()));
            return false;
        }
        result = Value::fromDatetime(*d);
        return true;
    }
    case F::Duration: {
        if (!expect(0, T::String))
            return false;
        const auto d = X::parseDuration(args[0].toStringValue());
        if (!d) {
            error = QStringLiteral("duration: %1 is not a duration such as \"1d2h3m4s5ms\" within range")
                            .arg(quotedCedarString(args[0].toStringValue()));
            return false;
        }
        result = Value::fromDuration(*d);
        return true;
    }
    case F::Offset: {
        if (!expect(0, T::Datetime) || !expect(1, T::Duration))
            return false;
        qint64 r = 0;
        if (qAddOverflow(args[0].toLong(), args[1].toLong(), &r)) {
            error = QStringLiteral("offset: the result does not fit in 64 bits");
            return false;
        }
        result = Value::fromDatetime(r);
        return true;
    }
    case F::DurationSince: {
        if (!expect(0, T::Datetime) || !expect(1, T::Datetime))
            return false;
        qint64 r = 0;
        if (qSubOverflow(args[0].toLong(), args[1].toLong(), &r)) {
            error = QStringLiteral("durationSince: the result does not fit in 64 bits");
            return false;
        }
        result = Value::fromDuration(r);
        return true;
    }
    case F::ToDate: {
        if (!expect(0, T::Datetime))
            return false;
        const auto d = X::datetimeToDate(args[0].toLong());
        if (!d) {
            error = QStringLiteral("toDate: the result does not fit in 64 bits");
            return false;
        }
        result = Value::fromDatetime(*d);
        return true;
    }
    case F::ToTime:
        if (!expect(0, T::Datetime))
            return false;
        result = Value::fromDuration(X::datetimeToTime(args[0].toLong()));
        return true;
    case F::ToMilliseconds:
    case F::ToSeconds:
    case F::ToMinutes:
    case F::ToHours:
    case F::ToDays: {
        if (!expect(0, T::Duration))
            return false;
        const qint64 divisor = f == F::ToMilliseconds ? 1
                               : f == F::ToSeconds    ? 1000
                               : f == F::ToMinutes    ? 60000
                               : f == F::ToHours      ? 3600000
                                                      : 86400000;
        result = Value::fromLong(args[0].toLong() / divisor); // truncates toward zero, as Cedar
        return true;
    }
    }
    error = QStringLiteral("unknown function");
    return false;
}

} // namespace Spool::Cedar
