#pragma once

#include "runs/runhost.h"

namespace Spool {

class Gateway;

// The Gateway's side of every run: what a RunOrchestrator needs, wired to the Gateway's areas.
// Every write goes to the journal, is counted, and is announced to the front ends.
class GatewayRunHost : public RunHost
{
public:
    explicit GatewayRunHost(Gateway &gateway) : m_gateway(gateway) {}

    const RuntimeConfig &config() const override;
    ProviderRegistry &providers() override;
    ToolRegistry &tools() override;
    PolicyDecision decidePolicy(const PolicyRequest &request) override;
    const ContextBuilder &contextBuilder() const override;
    void recallMemory(const MemoryQuery &query, QObject *context,
                      std::function<void(const MemoryRecall &recall)> done) override;

    Result<TapeEvent> record(const QString &runId, const QString &kind,
                             const QJsonObject &payload,
                             JournalStore::Commit commit = JournalStore::Commit::Deferred) override;
    Status transition(const QString &runId, RunState to, const QString &reason,
                      const QString &detail, const QJsonObject &extra = {}) override;
    void streamText(const QString &runId, const QString &text) override;
    void toolProgress(const QString &runId, const QString &callId, double progress, double total,
                      const QString &message) override;
    void whenToolsReady(QObject *context, std::function<void()> ready) override;
    void addUsage(const QString &runId, const TokenUsage &usage) override;

    Result<PendingToolApproval> openApproval(const PendingToolApproval &draft) override;
    Result<PendingToolApproval> closeApproval(const QString &id, ApprovalStatus status,
                                              const QString &by, const QString &reason) override;
    Result<PendingToolApproval> approval(const QString &id) const override;
    Result<bool> markApprovalApplied(const QString &id) override;
    std::optional<PendingToolApproval> sessionGrant(const QString &sessionId,
                                                    const QString &tool) const override;

    void countProviderCall(bool failed) override;
    void countToolCall() override;
    void countApproval(ApprovalStatus outcome) override;
    void runFinished(const QString &runId) override;

private:
    Gateway &m_gateway;
};

} // namespace Spool
