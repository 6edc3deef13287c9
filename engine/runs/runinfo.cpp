#include "runs/runinfo.h"

#include "runs/runstatemachine.h"

namespace Spool {

QString runStateName(RunState state)
{
    switch (state) {
    case RunState::Accepted: return QStringLiteral("accepted");
    case RunState::Running: return QStringLiteral("running");
    case RunState::Succeeded: return QStringLiteral("succeeded");
    case RunState::Failed: return QStringLiteral("failed");
    case RunState::Cancelled: return QStringLiteral("cancelled");
    }
    return QString();
}

std::optional<RunState> parseRunState(const QString &name)
{
    for (RunState s : {RunState::Accepted, RunState::Running, RunState::Succeeded,
                       RunState::Failed, RunState::Cancelled}) {
        if (runStateName(s) == name)
            return s;
    }
    return std::nullopt;
}

bool RunInfo::isTerminal() const
{
    return RunStateMachine::isTerminal(state);
}

qint64 RunInfo::durationMs(qint64 now) const
{
    const qint64 end = endedAt ? endedAt : now;
    return end - createdAt;
}

QJsonObject RunInfo::toJson() const
{
    auto optional = [](qint64 v) { return v ? QJsonValue(v) : QJsonValue(); };
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("session_id"), sessionId},
        {QStringLiteral("ordinal"), ordinal},
        {QStringLiteral("agent"), agent},
        {QStringLiteral("provider"), provider},
        {QStringLiteral("model"), model},
        {QStringLiteral("state"), runStateName(state)},
        {QStringLiteral("reason"), reason},
        {QStringLiteral("detail"), detail},
        {QStringLiteral("input_preview"), inputPreview},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("started_at"), optional(startedAt)},
        {QStringLiteral("ended_at"), optional(endedAt)},
        {QStringLiteral("owner_instance"), ownerInstance},
        {QStringLiteral("heartbeat_at"), heartbeatAt},
        {QStringLiteral("cancel_requested_at"), optional(cancelRequestedAt)},
        {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt"), promptTokens},
                                              {QStringLiteral("completion"), completionTokens}}},
        {QStringLiteral("retry_of"), retryOf.isEmpty() ? QJsonValue() : QJsonValue(retryOf)},
    };
}

} // namespace Spool
