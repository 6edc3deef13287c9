#include "policy/policydecision.h"

#include <QJsonArray>

namespace Spool {

QString policyEffectName(PolicyEffect effect)
{
    switch (effect) {
    case PolicyEffect::Allow: return QStringLiteral("allow");
    case PolicyEffect::Deny: return QStringLiteral("deny");
    case PolicyEffect::Ask: return QStringLiteral("ask");
    }
    return QString();
}

QJsonObject PolicyRequest::toJson() const
{
    return QJsonObject{
        {QStringLiteral("principal"), principal},
        {QStringLiteral("tool"), tool},
        {QStringLiteral("arguments"), arguments},
        {QStringLiteral("capabilities"), QJsonArray::fromStringList(capabilities)},
        {QStringLiteral("risk"), risk},
        {QStringLiteral("requires_approval"), toolRequiresApproval},
        {QStringLiteral("session"), sessionId},
        {QStringLiteral("agent"), agent},
        {QStringLiteral("workspace"), workspace},
        {QStringLiteral("server"), server},
        {QStringLiteral("server_tool"), serverTool},
        {QStringLiteral("annotations"), annotations},
    };
}

QJsonObject PolicyDecision::toJson(const QString &callId) const
{
    return QJsonObject{
        {QStringLiteral("call_id"), callId},
        {QStringLiteral("decision"), policyEffectName(effect)},
        {QStringLiteral("determining_policies"), QJsonArray::fromStringList(determining)},
        {QStringLiteral("erroring_policies"), QJsonArray::fromStringList(erroring)},
        {QStringLiteral("explanation"), explanation},
    };
}

QString PolicyProblem::toString() const
{
    QString where = file;
    if (line > 0) {
        if (!where.isEmpty())
            where += QLatin1Char(':');
        where += QString::number(line) + QLatin1Char(':') + QString::number(column);
    }
    return where.isEmpty() ? message : where + QLatin1String(": ") + message;
}

QJsonObject PolicyProblem::toJson() const
{
    return QJsonObject{
        {QStringLiteral("file"), file},
        {QStringLiteral("line"), line},
        {QStringLiteral("column"), column},
        {QStringLiteral("message"), message},
    };
}

QJsonObject PolicyTrace::toJson() const
{
    static const char *const outcomes[] = {"satisfied", "not_satisfied", "error"};
    QJsonObject o{
        {QStringLiteral("policy"), policyId},
        {QStringLiteral("file"), file},
        {QStringLiteral("line"), line},
        {QStringLiteral("effect"), effect},
        {QStringLiteral("ask"), ask},
        {QStringLiteral("outcome"), QLatin1String(outcomes[int(outcome)])},
        {QStringLiteral("text"), text},
    };
    if (outcome == Outcome::Error)
        o.insert(QStringLiteral("error"), error);
    return o;
}

QJsonObject PolicyInfo::toJson() const
{
    return QJsonObject{
        {QStringLiteral("policy"), policyId},
        {QStringLiteral("file"), file},
        {QStringLiteral("line"), line},
        {QStringLiteral("effect"), effect},
        {QStringLiteral("ask"), ask},
        {QStringLiteral("text"), text},
    };
}

QJsonObject PolicyExplanation::toJson() const
{
    QJsonArray list;
    for (const PolicyTrace &t : policies)
        list.append(t.toJson());
    QJsonObject o = decision.toJson(QString());
    o.remove(QStringLiteral("call_id"));
    o.insert(QStringLiteral("policies"), list);
    o.insert(QStringLiteral("request"), request.toJson());
    return o;
}

} // namespace Spool
