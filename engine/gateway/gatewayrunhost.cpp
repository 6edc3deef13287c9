#include "gateway/gatewayrunhost.h"

#include "approvals/approvaldesk.h"
#include "core/logging.h"
#include "gateway/gateway.h"
#include "gateway/rundispatcher.h"
#include "journal/journalstore.h"
#include "memory/memoryservice.h"
#include "mcp/mcpserverregistry.h"
#include "policy/policyservice.h"
#include "providers/provideradmin.h"
#include "runs/runstatemachine.h"
#include "runs/runstore.h"

#include <QTimer>

namespace Spool {

const RuntimeConfig &GatewayRunHost::config() const
{
    return m_gateway.m_config;
}

ProviderRegistry &GatewayRunHost::providers()
{
    return m_gateway.m_providers->registry();
}

ToolRegistry &GatewayRunHost::tools()
{
    return *m_gateway.m_tools;
}

PolicyDecision GatewayRunHost::decidePolicy(const PolicyRequest &request)
{
    m_gateway.m_approvals->syncGrantsIfJournalMoved(); // grants made by other processes too
    return m_gateway.m_policy->decide(request);
}

const ContextBuilder &GatewayRunHost::contextBuilder() const
{
    return *m_gateway.m_contextBuilder;
}

void GatewayRunHost::recallMemory(const MemoryQuery &query, QObject *context,
                                  std::function<void(const MemoryRecall &recall)> done)
{
    if (!m_gateway.m_memory) {
        QTimer::singleShot(0, context, [done] { done(MemoryRecall{}); });
        return;
    }
    m_gateway.m_memory->recall(query, context, std::move(done));
}

Result<TapeEvent> GatewayRunHost::record(const QString &runId, const QString &kind,
                                         const QJsonObject &payload, JournalStore::Commit commit)
{
    Result<TapeEvent> e = makeError(ErrorCode::Internal, QStringLiteral("not written"));
    const Status s = m_gateway.m_journal->transaction(
            [&]() -> Status {
                e = m_gateway.m_journal->appendTape(runId, kind, payload);
                return e.error();
            },
            commit);
    if (!s && e)
        e = s.error(); // the commit itself failed
    if (!e) {
        qCWarning(lcJournal) << e.errorMessage();
        return e;
    }
    m_gateway.m_counters.tapeEvents++;
    emit m_gateway.tapeAppended(*e);
    return e;
}

Status GatewayRunHost::transition(const QString &runId, RunState to, const QString &reason,
                                  const QString &detail, const QJsonObject &extra)
{
    auto e = m_gateway.m_runs->transition(runId, to, reason, detail, extra);
    if (!e)
        return e.error();
    m_gateway.m_counters.tapeEvents++;
    if (RunStateMachine::isTerminal(to))
        m_gateway.m_counters.runsEnded[runStateName(to)]++;
    emit m_gateway.tapeAppended(*e);
    m_gateway.m_dispatch->emitRun(runId);
    return {};
}

void GatewayRunHost::streamText(const QString &runId, const QString &text)
{
    emit m_gateway.textDelta(runId, text);
}

void GatewayRunHost::toolProgress(const QString &runId, const QString &callId, double progress,
                                  double total, const QString &message)
{
    emit m_gateway.toolProgress(runId, callId, progress, total, message);
}

void GatewayRunHost::whenToolsReady(QObject *context, std::function<void()> ready)
{
    // A run is the moment MCP servers are needed: they start now if nothing started them.
    m_gateway.m_mcp->startAll();
    m_gateway.m_mcp->whenSettled(context, std::move(ready));
}

void GatewayRunHost::addUsage(const QString &runId, const TokenUsage &usage)
{
    if (Status s = m_gateway.m_runs->addUsage(runId, usage.prompt, usage.completion); !s)
        qCWarning(lcRuns) << "cannot record token usage:" << s.errorMessage();
}

Result<PendingToolApproval> GatewayRunHost::openApproval(const PendingToolApproval &draft)
{
    return m_gateway.m_approvals->open(draft);
}

Result<PendingToolApproval> GatewayRunHost::closeApproval(const QString &id, ApprovalStatus status,
                                                          const QString &by, const QString &reason)
{
    return m_gateway.m_approvals->close(id, status, by, reason);
}

Result<PendingToolApproval> GatewayRunHost::approval(const QString &id) const
{
    return m_gateway.m_approvals->get(id);
}

Result<bool> GatewayRunHost::markApprovalApplied(const QString &id)
{
    return m_gateway.m_approvals->markApplied(id);
}

std::optional<PendingToolApproval> GatewayRunHost::sessionGrant(const QString &sessionId,
                                                                const QString &tool) const
{
    return m_gateway.m_approvals->sessionGrant(sessionId, tool);
}

void GatewayRunHost::countProviderCall(bool failed)
{
    m_gateway.m_counters.providerCalls++;
    if (failed)
        m_gateway.m_counters.providerFailures++;
}

void GatewayRunHost::countToolCall()
{
    m_gateway.m_counters.toolCalls++;
}

void GatewayRunHost::countApproval(ApprovalStatus outcome)
{
    m_gateway.m_counters.approvals[approvalStatusName(outcome)]++;
}

void GatewayRunHost::runFinished(const QString &runId)
{
    m_gateway.m_dispatch->finished(runId);
}

} // namespace Spool
