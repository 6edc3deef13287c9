#include "policy/cedar/policy.h"

#include <QStringList>

namespace Spool::Cedar {

namespace {

QString scopeText(const QString &var, const Policy::Scope &s)
{
    switch (s.kind) {
    case Policy::Scope::Kind::Any: return var;
    case Policy::Scope::Kind::Equal: return var + QLatin1String(" == ") + s.entities.front().toString();
    case Policy::Scope::Kind::In: {
        if (!s.isList)
            return var + QLatin1String(" in ") + s.entities.front().toString();
        QStringList parts;
        for (const EntityUid &e : s.entities)
            parts.append(e.toString());
        return var + QLatin1String(" in [") + parts.join(QLatin1String(", ")) + QLatin1Char(']');
    }
    case Policy::Scope::Kind::Is: return var + QLatin1String(" is ") + s.entityType;
    case Policy::Scope::Kind::IsIn:
        return var + QLatin1String(" is ") + s.entityType + QLatin1String(" in ")
               + s.entities.front().toString();
    }
    return var;
}

} // namespace

std::optional<QString> Policy::annotation(const QString &key) const
{
    for (const Annotation &a : m_annotations) {
        if (a.key == key)
            return a.value;
    }
    return std::nullopt;
}

QString Policy::toString() const
{
    QString out;
    for (const Annotation &a : m_annotations) {
        out += QLatin1Char('@') + a.key;
        if (!a.value.isEmpty())
            out += QLatin1Char('(') + quotedCedarString(a.value) + QLatin1Char(')');
        out += QLatin1Char('\n');
    }
    out += m_effect == Effect::Permit ? QLatin1String("permit") : QLatin1String("forbid");
    out += QLatin1String(" (") + scopeText(QStringLiteral("principal"), m_principal)
           + QLatin1String(", ") + scopeText(QStringLiteral("action"), m_action)
           + QLatin1String(", ") + scopeText(QStringLiteral("resource"), m_resource)
           + QLatin1Char(')');
    for (const Condition &c : m_conditions) {
        out += c.when ? QLatin1String("\nwhen { ") : QLatin1String("\nunless { ");
        out += c.body->toString() + QLatin1String(" }");
    }
    out += QLatin1Char(';');
    return out;
}

} // namespace Spool::Cedar
