#include "gateway/gatewaystatus.h"

#include <QDateTime>
#include <QJsonArray>

namespace Spool {

namespace {

QJsonObject mapToJson(const QMap<QString, qint64> &map)
{
    QJsonObject o;
    for (auto it = map.constBegin(); it != map.constEnd(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

} // namespace

QJsonObject GatewayCounters::toJson() const
{
    return QJsonObject{
        {QStringLiteral("runs_started"), runsStarted},
        {QStringLiteral("runs_ended"), mapToJson(runsEnded)},
        {QStringLiteral("provider_calls"), providerCalls},
        {QStringLiteral("provider_failures"), providerFailures},
        {QStringLiteral("tool_calls"), toolCalls},
        {QStringLiteral("approvals"), mapToJson(approvals)},
        {QStringLiteral("tape_events"), tapeEvents},
    };
}

QJsonObject GatewayStatus::policyJson() const
{
    QJsonArray problems;
    for (const PolicyProblem &p : policyProblems)
        problems.append(p.toJson());
    return QJsonObject{
        {QStringLiteral("engine"), policyEngine},
        {QStringLiteral("folder"), policyFolder},
        {QStringLiteral("policies"), policyCount},
        {QStringLiteral("grants"), activeGrants},
        {QStringLiteral("problems"), problems},
        {QStringLiteral("denying_everything"), !policyProblems.isEmpty()},
    };
}

QJsonObject GatewayStatus::toJson() const
{
    return QJsonObject{
        {QStringLiteral("instance_id"), instanceId},
        {QStringLiteral("front_end"), frontEnd},
        {QStringLiteral("started_at"), startedAt},
        {QStringLiteral("counters"), counters.toJson()},
        {QStringLiteral("runs_by_state"), mapToJson(runsByState)},
        {QStringLiteral("approvals_by_status"), mapToJson(approvalsByStatus)},
        {QStringLiteral("sessions"), sessions},
        {QStringLiteral("active_runs_here"), activeRunsHere},
        {QStringLiteral("journal"),
         QJsonObject{{QStringLiteral("path"), journal.path},
                     {QStringLiteral("bytes"), journal.fileBytes},
                     {QStringLiteral("wal_bytes"), journal.walBytes},
                     {QStringLiteral("schema_version"), journal.schemaVersion},
                     {QStringLiteral("check"), journal.check},
                     {QStringLiteral("last_full_check"),
                      journal.lastFullCheckMs > 0
                              ? QJsonValue(QDateTime::fromMSecsSinceEpoch(journal.lastFullCheckMs, Qt::UTC)
                                                   .toString(Qt::ISODateWithMs))
                              : QJsonValue()},
                     {QStringLiteral("tape_events"), journal.tapeEvents},
                     {QStringLiteral("synced_commits"), journal.syncedCommits},
                     {QStringLiteral("deferred_commits"), journal.deferredCommits}}},
        {QStringLiteral("providers"), QJsonArray::fromStringList(providers)},
        {QStringLiteral("tools"), QJsonArray::fromStringList(tools)},
        {QStringLiteral("policy_engine"), policyEngine},
        {QStringLiteral("policy"), policyJson()},
    };
}

} // namespace Spool
