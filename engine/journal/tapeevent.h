#pragma once

#include <QJsonObject>
#include <QLatin1String>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// The event kinds of SPEC §3; every payload field is documented in docs/TAPE.md.
namespace TapeKind {
inline constexpr QLatin1String RunStatus("run.status");
inline constexpr QLatin1String Input("input");
inline constexpr QLatin1String Context("context");
inline constexpr QLatin1String ProviderRequest("provider.request");
inline constexpr QLatin1String ProviderResponse("provider.response");
// Streamed text not yet answered by a provider.response, checkpointed at a bounded interval:
// {turn, offset, text}, `text` following the `offset` characters already checkpointed.
inline constexpr QLatin1String ProviderPartial("provider.partial");
inline constexpr QLatin1String ProviderError("provider.error");
inline constexpr QLatin1String ToolCall("tool.call");
inline constexpr QLatin1String PolicyDecision("policy.decision");
inline constexpr QLatin1String ApprovalRequest("approval.request");
inline constexpr QLatin1String ApprovalDecision("approval.decision");
inline constexpr QLatin1String ToolOutput("tool.output");
inline constexpr QLatin1String AssistantMessage("assistant.message");
// Who carries a run on: {action: released | adopted, instance, pid, front_end, ...}.
inline constexpr QLatin1String RunOwner("run.owner");
// On a run that ended: a new run retries it, {run_id}. The new run's input has `retry_of`.
inline constexpr QLatin1String RunRetried("run.retried");
// An MCP server asked the user during a tool call, and the answer (issue 13).
inline constexpr QLatin1String McpElicitation("mcp.elicitation");
} // namespace TapeKind

// One row of a run's append-only tape.
struct TapeEvent
{
    QString runId;
    qint64 seq = 0;       // 1, 2, 3, ... contiguous per run
    QString kind;
    qint64 createdAt = 0; // ms since the epoch
    QJsonObject payload;  // already redacted

    QJsonObject toJson() const;
    // One line for lists (CLI, tape inspector): the payload's essentials.
    QString summary(int maxLength = 160) const;
};

// A tape event as lists show it: no payload, just its one-line summary. A 100,000-event run
// costs a few megabytes this way.
struct TapeRow
{
    qint64 seq = 0;
    QString kind;
    qint64 createdAt = 0;
    QString summary;
};

struct TapeFilter
{
    QStringList kinds; // empty: every kind
    QString text;      // case-insensitive substring of the payload
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::TapeEvent)
Q_DECLARE_METATYPE(Spool::TapeRow)
