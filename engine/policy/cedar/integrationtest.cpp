#include "policy/cedar/integrationtest.h"

#include "policy/cedar/authorizer.h"
#include "policy/cedar/jsonformat.h"
#include "policy/cedar/policyparser.h"
#include "policy/cedar/schema.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace Spool::Cedar {

namespace {

bool readFile(const QString &path, QByteArray &out, QString &error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    out = f.readAll();
    return true;
}

QSet<QString> stringSet(const QJsonValue &v)
{
    QSet<QString> out;
    for (const QJsonValue &s : v.toArray())
        out.insert(s.toString());
    return out;
}

QString setText(const QSet<QString> &s)
{
    QStringList sorted(s.begin(), s.end());
    sorted.sort();
    return QLatin1Char('[') + sorted.join(QLatin1String(", ")) + QLatin1Char(']');
}

} // namespace

IntegrationTest::Outcome IntegrationTest::run(const QString &testFile, const QString &rootDir)
{
    Outcome outcome;
    outcome.file = testFile;

    QByteArray bytes;
    QString error;
    if (!readFile(testFile, bytes, error)) {
        outcome.failed = 1;
        outcome.failures.append(error);
        return outcome;
    }
    QJsonParseError jsonError;
    const QJsonObject test = QJsonDocument::fromJson(bytes, &jsonError).object();
    QDir root(rootDir);
    if (rootDir.isEmpty()) {
        const QString policies = test.value(QLatin1String("policies")).toString();
        root = QFileInfo(testFile).absoluteDir();
        while (!policies.isEmpty() && !root.exists(policies)) {
            if (!root.cdUp())
                break;
        }
    }
    const QJsonArray requests = test.value(QLatin1String("requests")).toArray();
    auto failAll = [&](const QString &why) {
        outcome.failed = int(requests.size());
        outcome.failures.append(why);
        return outcome;
    };
    if (jsonError.error != QJsonParseError::NoError)
        return failAll(QStringLiteral("%1: %2").arg(testFile, jsonError.errorString()));

    // Schema.
    Schema schema;
    const QString schemaPath = test.value(QLatin1String("schema")).toString();
    if (!schemaPath.isEmpty()) {
        if (!schemaPath.endsWith(QLatin1String(".cedarschema"))) {
            outcome.skipped = int(requests.size());
            outcome.skipReason = QStringLiteral("JSON schemas are not supported: %1").arg(schemaPath);
            return outcome;
        }
        if (!readFile(root.filePath(schemaPath), bytes, error))
            return failAll(error);
        Diagnostics errors;
        schema = Schema::parse(QString::fromUtf8(bytes), schemaPath, &errors);
        if (!errors.isEmpty())
            return failAll(errors.front().toString());
    }

    // Policies.
    const QString policiesPath = test.value(QLatin1String("policies")).toString();
    if (!readFile(root.filePath(policiesPath), bytes, error))
        return failAll(error);
    const PolicyParser::Parsed parsed = PolicyParser::parse(QString::fromUtf8(bytes), policiesPath);
    if (!parsed.ok()) {
        for (const Diagnostic &d : parsed.errors) {
            if (d.unsupported) {
                outcome.skipped = int(requests.size());
                outcome.skipReason = d.toString();
                return outcome;
            }
        }
        return failAll(parsed.errors.front().toString());
    }
    PolicySet policies;
    for (const Policy &p : parsed.policies)
        policies.add(p);

    // Entities.
    const QString entitiesPath = test.value(QLatin1String("entities")).toString();
    if (!readFile(root.filePath(entitiesPath), bytes, error))
        return failAll(error);
    const QJsonDocument entitiesJson = QJsonDocument::fromJson(bytes, &jsonError);
    if (jsonError.error != QJsonParseError::NoError)
        return failAll(QStringLiteral("%1: %2").arg(entitiesPath, jsonError.errorString()));
    auto entities = JsonFormat::entitiesFromJson(entitiesJson.array(), schema.isEmpty() ? nullptr : &schema);
    if (!entities)
        return failAll(QStringLiteral("%1: %2").arg(entitiesPath, entities.errorMessage()));

    for (const QJsonValue &item : requests) {
        const QJsonObject r = item.toObject();
        const QString description = r.value(QLatin1String("description")).toString();
        Request request;
        auto principal = JsonFormat::entityUidFromJson(r.value(QLatin1String("principal")));
        auto action = JsonFormat::entityUidFromJson(r.value(QLatin1String("action")));
        auto resource = JsonFormat::entityUidFromJson(r.value(QLatin1String("resource")));
        if (!principal || !action || !resource) {
            ++outcome.failed;
            outcome.failures.append(QStringLiteral("%1: bad principal, action or resource").arg(description));
            continue;
        }
        request.principal = *principal;
        request.action = *action;
        request.resource = *resource;
        auto context = JsonFormat::contextFromJson(r.value(QLatin1String("context")).toObject(),
                                                   schema.isEmpty() ? nullptr : &schema, *action);
        if (!context) {
            ++outcome.failed;
            outcome.failures.append(QStringLiteral("%1: context: %2").arg(description, context.errorMessage()));
            continue;
        }
        request.context = *context;

        const Authorizer::Response response = Authorizer::isAuthorized(request, *entities, policies);
        const QString decision = response.decision == Authorizer::Decision::Allow ? QStringLiteral("allow")
                                                                                  : QStringLiteral("deny");
        const QString expectedDecision = r.value(QLatin1String("decision")).toString().toLower();
        const QSet<QString> expectedReason = stringSet(r.value(QLatin1String("reason")));
        const QSet<QString> expectedErrors = stringSet(r.value(QLatin1String("errors")));
        const QSet<QString> reason(response.determining.begin(), response.determining.end());
        const QStringList erroring = response.erroringPolicies();
        const QSet<QString> errors(erroring.begin(), erroring.end());
        if (decision == expectedDecision && reason == expectedReason && errors == expectedErrors) {
            ++outcome.passed;
            continue;
        }
        ++outcome.failed;
        QString line = QStringLiteral("%1: expected %2 reason %3 errors %4, got %5 reason %6 errors %7")
                               .arg(description, expectedDecision, setText(expectedReason),
                                    setText(expectedErrors), decision, setText(reason), setText(errors));
        for (const Authorizer::PolicyError &e : response.errors)
            line += QStringLiteral("\n    %1: %2").arg(e.policyId, e.message);
        outcome.failures.append(line);
    }
    return outcome;
}

} // namespace Spool::Cedar
