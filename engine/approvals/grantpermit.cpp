#include "approvals/grantpermit.h"

#include "core/redactor.h"
#include "core/ulid.h"
#include "policy/cedar/entityuid.h"
#include "policy/cedarpolicyengine.h"
#include "tools/toolspec.h"

#include <QJsonArray>

#include <cmath>

namespace Spool {

namespace {

// Why Cedar could not tell `value` apart from a different one (empty when it can). Mirrors
// how CedarPolicyEngine turns arguments into Cedar values.
QString inexact(const QJsonValue &value, const QString &path)
{
    switch (value.type()) {
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (double(value.toInteger(0)) == d)
            return {};
        if (!std::isfinite(d) || std::abs(d) >= 9.0e14)
            return QStringLiteral("the number %1 is too large to compare exactly").arg(path);
        if (double(qRound64(d * 10000)) / 10000.0 != d)
            return QStringLiteral("the number %1 has more than four decimals").arg(path);
        return {};
    }
    case QJsonValue::Array:
        if (!value.toArray().isEmpty())
            return QStringLiteral("%1 is a list, and policies see lists as sets (order and "
                                  "repetition are lost)")
                    .arg(path);
        return {};
    case QJsonValue::Object: {
        const QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString why = inexact(it.value(), path + QLatin1Char('.') + it.key());
            if (!why.isEmpty())
                return why;
        }
        return {};
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
    case QJsonValue::Bool:
    case QJsonValue::String:
        break;
    }
    return {};
}

QString argumentAccess(const QString &key)
{
    return QStringLiteral("context.arguments[%1]").arg(Cedar::quotedCedarString(key));
}

QString hasArgument(const QString &key)
{
    return QStringLiteral("context.arguments has %1").arg(Cedar::quotedCedarString(key));
}

} // namespace

QStringList GrantPermit::ignoredArguments(const QString &tool)
{
    if (tool == QLatin1String("shell.exec"))
        return {QStringLiteral("timeout_ms")};
    if (tool == QLatin1String("http.fetch"))
        return {QStringLiteral("max_bytes"), QStringLiteral("timeout_ms")};
    return {};
}

Result<PolicyGrant> GrantPermit::forCall(const QString &principal, const QString &tool,
                                         const ToolSpec *spec, const QJsonObject &arguments,
                                         const Redactor &redactor)
{
    const QString refused = QStringLiteral("\"always\" cannot be granted for this call: %1. Allow "
                                           "it once or for this session instead.");
    if (principal.isEmpty() || tool.isEmpty())
        return makeError(ErrorCode::InvalidArgument, refused.arg(QStringLiteral("it has no principal or tool")));
    if (redactor.containsSecret(arguments))
        return makeError(ErrorCode::InvalidArgument,
                         refused.arg(QStringLiteral("its arguments hold a secret, which Spool does "
                                                    "not store, so a grant could not match it")));
    if (const QString why = inexact(arguments, QStringLiteral("arguments")); !why.isEmpty())
        return makeError(ErrorCode::InvalidArgument, refused.arg(why));

    PolicyGrant g;
    g.id = Ulid::generate();
    g.principal = principal;
    g.tool = tool;

    const QStringList ignored = ignoredArguments(tool);
    // With a closed schema the arguments a call may carry are known: each one is pinned, by
    // value or by absence. Otherwise only equality of the whole record keeps the grant narrow.
    const bool closed = spec && spec->parameters.value(QStringLiteral("additionalProperties")) == QJsonValue(false);
    QStringList conditions;
    QJsonObject matched;
    QJsonArray absent;
    if (closed) {
        QStringList names = spec->parameters.value(QStringLiteral("properties")).toObject().keys();
        for (auto it = arguments.begin(); it != arguments.end(); ++it) {
            if (!names.contains(it.key()))
                names.append(it.key()); // cannot pass the schema check, but never leave it free
        }
        names.sort();
        for (const QString &name : std::as_const(names)) {
            if (ignored.contains(name))
                continue;
            const QJsonValue value = arguments.value(name);
            if (value.isNull() || value.isUndefined()) {
                conditions.append(QStringLiteral("!(%1)").arg(hasArgument(name)));
                absent.append(name);
                continue;
            }
            matched.insert(name, value);
            conditions.append(QStringLiteral("%1 && %2 == %3")
                                      .arg(hasArgument(name), argumentAccess(name),
                                           CedarPolicyEngine::argumentLiteral(value)));
        }
        g.constraints.insert(QStringLiteral("match"), QStringLiteral("fields"));
    } else {
        matched = arguments;
        conditions.append(QStringLiteral("context.arguments == %1")
                                  .arg(CedarPolicyEngine::argumentLiteral(arguments)));
        g.constraints.insert(QStringLiteral("match"), QStringLiteral("record"));
    }
    g.constraints.insert(QStringLiteral("arguments"), matched);
    g.constraints.insert(QStringLiteral("absent"), absent);
    g.constraints.insert(QStringLiteral("ignored"), QJsonArray::fromStringList(closed ? ignored : QStringList()));

    QString text = QStringLiteral("// Generated by Spool for an \"always\" approval; revoke it with "
                                  "`spool approvals revoke %1`.\n"
                                  "@id(\"%2\")\n"
                                  "permit (\n"
                                  "    principal == %3,\n"
                                  "    action == Action::\"tool.execute\",\n"
                                  "    resource == %4\n"
                                  ")")
                           .arg(g.id, g.policyId(),
                                Cedar::EntityUid(QStringLiteral("User"), principal).toString(),
                                Cedar::EntityUid(QStringLiteral("Tool"), tool).toString());
    if (!conditions.isEmpty())
        text += QStringLiteral("\nwhen {\n    ") + conditions.join(QStringLiteral(" &&\n    "))
                + QStringLiteral("\n}");
    text += QStringLiteral(";\n");
    g.policyText = text;

    const QList<PolicyProblem> problems = CedarPolicyEngine::validate(text, QStringLiteral("grant"));
    if (!problems.isEmpty())
        return makeError(ErrorCode::Internal,
                         QStringLiteral("the generated grant does not check: %1").arg(problems.front().toString()));
    return g;
}

} // namespace Spool
