#pragma once

#include "approvals/pendingtoolapproval.h"
#include "core/result.h"
#include "journal/journalstore.h"
#include "journal/tapeevent.h"
#include "memory/memoryquery.h"
#include "memory/memoryrecall.h"
#include "policy/policyengine.h"
#include "runs/runinfo.h"

#include <functional>
#include <optional>

class QObject;

namespace Spool {

class ContextBuilder;
class ProviderRegistry;
class ToolRegistry;
struct RuntimeConfig;
struct TokenUsage;

// What a RunOrchestrator needs from the engine around it. The Gateway implements it: every
// write goes to the journal and is announced to the front ends.
class RunHost
{
public:
    virtual ~RunHost() = default;

    virtual const RuntimeConfig &config() const = 0;
    virtual ProviderRegistry &providers() = 0;
    virtual ToolRegistry &tools() = 0;
    // The policy's answer for one tool call, with every grant made so far (also by other
    // processes) taken into account.
    virtual PolicyDecision decidePolicy(const PolicyRequest &request) = 0;
    virtual const ContextBuilder &contextBuilder() const = 0;
    // What memory gives the run at its start (SPEC §7): answers once, later, unless `context`
    // is gone; never fails (memory off or failing is said in the recall's note).
    virtual void recallMemory(const MemoryQuery &query, QObject *context,
                              std::function<void(const MemoryRecall &recall)> done) = 0;

    // Steps are deferred (JournalStore::Commit): the run's next durable commit (before a tool
    // acts, when it asks for an approval, at its end) makes them durable too.
    virtual Result<TapeEvent> record(const QString &runId, const QString &kind,
                                     const QJsonObject &payload,
                                     JournalStore::Commit commit = JournalStore::Commit::Deferred) = 0;
    virtual Status transition(const QString &runId, RunState to, const QString &reason,
                              const QString &detail, const QJsonObject &extra = {}) = 0;
    virtual void streamText(const QString &runId, const QString &text) = 0;
    // A running tool said how far it has come (shown live, not on the tape).
    virtual void toolProgress(const QString &runId, const QString &callId, double progress,
                              double total, const QString &message) = 0;
    // Calls `ready` once the tools a run may list are there: the user's MCP servers started
    // (ready or failed) or the startup wait over. Never blocks; at once when nothing starts.
    virtual void whenToolsReady(QObject *context, std::function<void()> ready) = 0;
    virtual void addUsage(const QString &runId, const TokenUsage &usage) = 0;

    virtual Result<PendingToolApproval> openApproval(const PendingToolApproval &draft) = 0;
    virtual Result<PendingToolApproval> closeApproval(const QString &id, ApprovalStatus status,
                                                      const QString &by, const QString &reason) = 0;
    virtual Result<PendingToolApproval> approval(const QString &id) const = 0;
    virtual Result<bool> markApprovalApplied(const QString &id) = 0;
    virtual std::optional<PendingToolApproval> sessionGrant(const QString &sessionId,
                                                            const QString &tool) const = 0;

    virtual void countProviderCall(bool failed) = 0;
    virtual void countToolCall() = 0;
    virtual void countApproval(ApprovalStatus outcome) = 0;

    // The orchestrator of this run is done; the host may delete it (later, not in this call).
    virtual void runFinished(const QString &runId) = 0;
};

} // namespace Spool
