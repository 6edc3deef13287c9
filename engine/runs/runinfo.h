#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace Spool {

enum class RunState { Accepted, Running, Succeeded, Failed, Cancelled };

QString runStateName(RunState state);
std::optional<RunState> parseRunState(const QString &name);

// Reasons recorded with terminal states that front ends and tests rely on.
namespace RunReason {
inline constexpr QLatin1String Interrupted("interrupted");
inline constexpr QLatin1String BudgetExhausted("budget_exhausted");
inline constexpr QLatin1String Completed("completed");
inline constexpr QLatin1String IllegalTransition("illegal_transition");
} // namespace RunReason

struct RunInfo
{
    QString id;
    QString sessionId;
    int ordinal = 0; // 1, 2, ... within the session
    QString agent;
    QString provider;
    QString model;
    RunState state = RunState::Accepted;
    QString reason; // a short token: completed, interrupted, budget_exhausted, provider_error, ...
    QString detail; // the same in words, for the user
    QString inputPreview;
    qint64 createdAt = 0;
    qint64 startedAt = 0;
    qint64 endedAt = 0;
    QString ownerInstance;
    qint64 heartbeatAt = 0;
    qint64 cancelRequestedAt = 0;
    QString cancelRequestedBy;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    QString retryOf; // the run this one retries, if any

    bool isValid() const { return !id.isEmpty(); }
    bool isTerminal() const;
    qint64 durationMs(qint64 now) const;
    QJsonObject toJson() const;
};

struct RunFilter
{
    QString sessionId;
    bool activeOnly = false;
    QString ownerInstance;
    int limit = -1;
    bool newestFirst = true;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::RunInfo)
