#include "sessions/sessioninfo.h"

namespace Spool {

QString SessionInfo::displayName() const
{
    if (!title.isEmpty())
        return title;
    if (!key.isEmpty())
        return key;
    return id;
}

QJsonObject SessionInfo::toJson() const
{
    QJsonObject o{
        {QStringLiteral("id"), id},
        {QStringLiteral("key"), key.isEmpty() ? QJsonValue() : QJsonValue(key)},
        {QStringLiteral("title"), title},
        {QStringLiteral("title_source"), titleSource},
        {QStringLiteral("principal"), principal},
        {QStringLiteral("device_id"), deviceId},
        {QStringLiteral("agent"), agent},
        {QStringLiteral("model"), model},
        {QStringLiteral("workspace"), workspace},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("updated_at"), updatedAt},
        {QStringLiteral("last_activity_at"), lastActivityAt},
        {QStringLiteral("archived_at"), archivedAt ? QJsonValue(archivedAt) : QJsonValue()},
        {QStringLiteral("context_floor"), contextFloor},
        {QStringLiteral("runs"), runCount},
    };
    if (isFork()) {
        o.insert(QStringLiteral("parent_session_id"), parentSessionId);
        o.insert(QStringLiteral("fork_ordinal"), forkOrdinal);
    }
    return o;
}

} // namespace Spool
