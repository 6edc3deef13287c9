#include "mcp/mcpserverstatus.h"

#include <QJsonArray>

namespace Spool {

QJsonObject McpToolState::toJson() const
{
    QJsonObject o{{QStringLiteral("name"), name},
                  {QStringLiteral("spool_name"), spoolName},
                  {QStringLiteral("title"), title},
                  {QStringLiteral("description"), description},
                  {QStringLiteral("input_schema"), inputSchema},
                  {QStringLiteral("annotations"), annotations},
                  {QStringLiteral("enabled"), enabled},
                  {QStringLiteral("offered"), offered}};
    if (!problem.isEmpty())
        o.insert(QStringLiteral("problem"), problem);
    return o;
}

bool McpServerStatus::isSettled() const
{
    return state == QLatin1String("ready") || state == QLatin1String("failed")
        || state == QLatin1String("disabled");
}

QJsonObject McpServerStatus::toJson() const
{
    QJsonArray toolArray;
    for (const McpToolState &t : tools)
        toolArray.append(t.toJson());
    QJsonObject o{{QStringLiteral("name"), config.name},
                  {QStringLiteral("transport"), config.transportName()},
                  {QStringLiteral("target"), config.describe()},
                  {QStringLiteral("enabled"), config.enabled},
                  {QStringLiteral("state"), state},
                  {QStringLiteral("protocol_version"), protocolVersion},
                  {QStringLiteral("server_name"), serverName},
                  {QStringLiteral("server_version"), serverVersion},
                  {QStringLiteral("restarts"), restarts},
                  {QStringLiteral("listed_tools"), listedTools},
                  {QStringLiteral("tools"), toolArray},
                  {QStringLiteral("config"), config.toJson()}};
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    if (!sandbox.isEmpty())
        o.insert(QStringLiteral("sandbox"), sandbox);
    if (pid > 0)
        o.insert(QStringLiteral("pid"), pid);
    if (restartAt > 0)
        o.insert(QStringLiteral("restart_at"), restartAt);
    if (config.isRemote())
        o.insert(QStringLiteral("signed_in"), signedIn);
    if (!instructions.isEmpty())
        o.insert(QStringLiteral("instructions"), instructions);
    return o;
}

QJsonObject McpLogEntry::toJson() const
{
    return QJsonObject{{QStringLiteral("at"), at}, {QStringLiteral("source"), source},
                       {QStringLiteral("text"), text}};
}

QJsonObject McpImportReport::toJson() const
{
    return QJsonObject{{QStringLiteral("added"), QJsonArray::fromStringList(added)},
                       {QStringLiteral("replaced"), QJsonArray::fromStringList(replaced)},
                       {QStringLiteral("skipped"), QJsonArray::fromStringList(skipped)},
                       {QStringLiteral("secrets_in_keychain"), QJsonArray::fromStringList(secrets)},
                       {QStringLiteral("warnings"), QJsonArray::fromStringList(warnings)}};
}

} // namespace Spool
