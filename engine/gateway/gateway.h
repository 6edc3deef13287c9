#pragma once

#include "client/engine.h"
#include "core/runtimeconfig.h"
#include "gateway/gatewaystatus.h"

#include <memory>

namespace Spool {

class AgentRegistry;
class AttachmentStore;
class SessionExchange;
class SessionFork;
class ApprovalDesk;
class ContextBuilder;
class GatewayMcpSecrets;
class GatewayRunHost;
class InstanceTracker;
class JournalStore;
class JournalWatcher;
class MemoryService;
class McpServerRegistry;
class PolicyDesk;
class PolicyService;
class ProviderRegistry;
class ProviderAdmin;
class RunInspector;
class RunAdoption;
class RunDispatcher;
class RunRecovery;
class RunStore;
class SessionDesk;
class SessionService;
class ToolRegistry;
struct ToolOptions;

// The engine's facade (SPEC §1), one per process, on the engine thread: it composes the areas
// (journal, sessions, agents, providers, tools, policy, approvals, runs, memory, MCP) and
// offers them to the front ends as the Engine interface, handing out directly those that need
// nothing of the others. It keeps the runs in flight and the process's counters; the work
// itself is the areas' own.
class Gateway : public Engine
{
    Q_OBJECT
public:
    explicit Gateway(const RuntimeConfig &config, QObject *parent = nullptr);
    ~Gateway() override;

    // The EngineFactory front ends are given.
    static Engine *create(const RuntimeConfig &config) { return new Gateway(config); }

    Status open() override;
    void shutdown() override;
    bool isOpen() const override { return m_open; }
    QString instanceId() const override;
    const RuntimeConfig &config() const override { return m_config; }

    Sessions &sessions() override;
    Agents &agents() override;
    Providers &providers() override;
    Memories &memories() override;
    McpServers &mcp() override;
    RunInspection &inspection() override;
    Policies &policies() override;

    Result<RunInfo> startRun(const RunRequest &request) override;
    Result<RunInfo> cancelRun(const QString &idOrPrefix, const QString &by) override;
    Result<RunInfo> retryRun(const QString &idOrPrefix) override;
    Result<RunInfo> adoptRun(const QString &idOrPrefix) override;
    Result<RunInfo> run(const QString &idOrPrefix) const override;
    Result<QList<RunInfo>> runs(const RunFilter &filter = {}) const override;
    QStringList activeRunIds() const override;
    Result<RunInfo> runTool(const QString &tool, const QJsonObject &arguments,
                            const SessionSelector &session, const QString &source) override;

    QList<ToolSpec> toolSpecs() const override;
    Status setToolSettings(bool allowUnsandboxed, bool allowCommandNetwork,
                           bool allowPrivateAddresses) override;
    Status setApprovalTimeout(qint64 ms) override;
    Status setDeterministicChunkDelay(int ms) override;

    Result<QList<PendingToolApproval>> approvals(const ApprovalFilter &filter = {}) const override;
    Result<PendingToolApproval> findApproval(const QString &idOrPrefix) const override;
    Result<PendingToolApproval> decideApproval(const QString &idOrPrefix, bool allow,
                                               ApprovalScope scope, const QString &by) override;

    MemorySettings memorySettings() const override;
    Status setMemorySettings(const MemorySettings &settings) override;

    Result<Attachment> attachment(const QString &sha256) const override;

    GatewayStatus status(bool checkJournal = false) const override;

    QString mcpConfigPath() const override;

    // For tests and benchmarks that look under the facade.
    JournalStore &journal() { return *m_journal; }
    ToolRegistry &tools() { return *m_tools; }
    ProviderRegistry &providerRegistry();
    MemoryService &memoryService() { return *m_memory; }

private:
    friend class GatewayRunHost;

    ToolOptions toolOptions() const;
    void heartbeat(qint64 now);
    // Records whether the journal's disk is full (error.code DiskFull) and tells the front end
    // when that changes.
    void setDiskFull(const Error &error);
    // Another process committed: grants, cancel requests and decisions made elsewhere.
    void onJournalChangedElsewhere();
    // An MCP server's question was answered (or closed): on the tape of the run it served.
    void recordQuestion(const McpUserQuestion &question);

    RuntimeConfig m_config;
    std::unique_ptr<JournalStore> m_journal;
    std::unique_ptr<SessionDesk> m_sessions;
    std::unique_ptr<AgentRegistry> m_agents;
    std::unique_ptr<RunStore> m_runs;
    std::unique_ptr<InstanceTracker> m_instances;
    std::unique_ptr<RunRecovery> m_recovery;
    std::unique_ptr<RunAdoption> m_adoption;
    std::unique_ptr<RunInspector> m_inspector;
    std::unique_ptr<ContextBuilder> m_contextBuilder;
    std::unique_ptr<AttachmentStore> m_attachments;
    std::unique_ptr<SessionFork> m_fork;
    std::unique_ptr<SessionExchange> m_exchange;
    std::unique_ptr<SessionService> m_sessionService;
    std::unique_ptr<ProviderAdmin> m_providers;
    std::unique_ptr<ToolRegistry> m_tools;
    // After the tools and the keychain, so that it goes first: it takes its tools out.
    std::unique_ptr<GatewayMcpSecrets> m_mcpSecrets;
    std::unique_ptr<McpServerRegistry> m_mcp;
    std::unique_ptr<PolicyService> m_policy;
    std::unique_ptr<ApprovalDesk> m_approvals;
    std::unique_ptr<PolicyDesk> m_policyDesk;
    std::unique_ptr<MemoryService> m_memory;
    std::unique_ptr<JournalWatcher> m_watcher;
    std::unique_ptr<GatewayRunHost> m_host;
    // Last, so that it goes first: its runs use every area above.
    std::unique_ptr<RunDispatcher> m_dispatch;
    GatewayCounters m_counters;
    qint64 m_startedAt = 0;
    bool m_open = false;
    Error m_diskFull;
};

} // namespace Spool
