#pragma once

#include "agents/agent.h"
#include "approvals/approvalstore.h"
#include "approvals/policygrant.h"
#include "core/result.h"
#include "gateway/gatewaystatus.h"
#include "gateway/runtimeconfig.h"
#include "journal/journalstore.h"
#include "journal/tapeevent.h"
#include "providers/connectiontest.h"
#include "providers/providerlisting.h"
#include "policy/cedarpolicyengine.h"
#include "runs/runhost.h"
#include "runs/runinfo.h"
#include "runs/runrequest.h"
#include "runs/runstore.h"
#include "runs/runtimeline.h"
#include "tools/tool.h"
#include "tools/tooloptions.h"
#include "sessions/sessioninfo.h"
#include "sessions/sessionresolver.h"
#include "sessions/sessionstore.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace Spool {

class AgentRegistry;
class ContextBuilder;
class GrantStore;
class InstanceTracker;
class ProviderFactory;
class ProviderRegistry;
class RunOrchestrator;
class RunRecovery;
class ToolRegistry;

// The engine's facade (SPEC §1): one per process, living on the engine thread. It owns the
// journal, the registries, the policy engine and the runs in flight, and offers session
// management, run execution and inspection to every front end. Front ends reach it through
// EngineClient; tests may drive it directly on their own thread.
struct SessionTranscript
{
    QList<RunInfo> runs;     // oldest first
    QList<TapeEvent> events; // in run order, then seq
    bool hasEarlier = false; // older runs exist before the first one here
    // Runs with more steps than a transcript shows: how many were left out (the tape has them).
    QHash<QString, qint64> omitted;
};

class Gateway : public QObject, public RunHost
{
    Q_OBJECT
public:
    explicit Gateway(const RuntimeConfig &config, QObject *parent = nullptr);
    ~Gateway() override;

    // Opens the journal, registers this process, recovers interrupted runs, starts the timers.
    Status open();
    // Ends the runs of this process as interrupted and marks the process stopped.
    void shutdown();
    bool isOpen() const { return m_open; }
    QString instanceId() const;

    // Sessions
    Result<SessionResolution> resolveSession(const SessionSelector &selector, bool create,
                                             const QString &agent = {});
    Result<SessionInfo> session(const QString &idOrKey) const;
    Result<QList<SessionInfo>> sessions(const SessionFilter &filter = {}) const;
    Result<SessionInfo> renameSession(const QString &idOrKey, const QString &title);
    Result<SessionInfo> archiveSession(const QString &idOrKey);
    Result<SessionInfo> restoreSession(const QString &idOrKey);
    Status deleteSession(const QString &idOrKey);
    Result<SessionInfo> resetSession(const QString &idOrKey);
    // The folder the session's file tools and commands work in; empty restores the default
    // (<workspace root>/<session id>).
    Result<SessionInfo> setSessionWorkspace(const QString &idOrKey, const QString &folder);
    QString effectiveWorkspace(const SessionInfo &session) const;
    // The model the session's runs use instead of their agent's; empty goes back to the agent's.
    Result<SessionInfo> setSessionModel(const QString &idOrKey, const QString &model);
    // Tokens used by all the session's runs.
    Result<TokenUsage> sessionUsage(const QString &sessionId) const;

    // Agents
    Result<QList<Agent>> agents() const;
    Result<Agent> agent(const QString &name) const;
    Status saveAgent(const Agent &agent);
    Status removeAgent(const QString &name);

    // Providers (SPEC §5): configured in spool.conf, keys in the KeyStore. The asynchronous
    // calls answer through `done` on the engine thread (front ends: EngineClient::callAsync).
    ProviderFactory &providerFactory() { return *m_providerFactory; }
    ProviderListing providerListing() const;
    // Adds or replaces a provider. `apiKey`, when given, is stored under config.keyRef (by
    // default "provider/<name>"); a stored key the new configuration no longer uses is removed.
    void addProvider(ProviderConfig config, const std::optional<QString> &apiKey,
                     std::function<void(const Status &)> done);
    void removeProvider(const QString &name, std::function<void(const Status &)> done);
    // Whether a provider works, and if not why. The second form tests a configuration that is
    // not saved yet, with a key typed into a form (or, without one, config.keyRef's key).
    void testProvider(const QString &name, std::function<void(const ConnectionTest &)> done);
    void testProvider(const ProviderConfig &config, const std::optional<QString> &apiKey,
                      std::function<void(const ConnectionTest &)> done);
    // The models a provider offers, for the model pickers.
    void providerModels(const QString &name,
                        std::function<void(const Result<QStringList> &)> done);

    // Runs
    // Persists the run as accepted and returns it; the run goes on asynchronously.
    Result<RunInfo> startRun(const RunRequest &request);
    // Cancels a run of this process at once, or asks the owning process to (within a second).
    Result<RunInfo> cancelRun(const QString &idOrPrefix, const QString &by);
    Result<RunInfo> run(const QString &idOrPrefix) const;
    Result<QList<RunInfo>> runs(const RunFilter &filter = {}) const;
    Result<QList<TapeEvent>> tape(const QString &runId, qint64 fromSeq = 1, int limit = -1) const;
    Result<QList<TapeRow>> tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                    const TapeFilter &filter = {}) const;
    Result<TapeEvent> tapeEvent(const QString &runId, qint64 seq) const;
    Result<qint64> tapeLength(const QString &runId) const;
    // Writes the run's tape as JSON Lines (one event per line) to `path`, atomically.
    Result<qint64> exportTape(const QString &runId, const QString &path) const;
    Result<QList<TimelineSpan>> timeline(const QString &runId) const;
    // The runs of a session (oldest first) before `beforeOrdinal`, at most `maxRuns` of the
    // newest, with the tape events a transcript shows.
    // A run's input is always included, and at most `maxEventsPerRun` of its newest steps.
    Result<SessionTranscript> transcript(const QString &sessionId, int beforeOrdinal,
                                         int maxRuns, int maxEventsPerRun = 150) const;
    QStringList activeRunIds() const;
    // One tool call through the very path an agent's call takes (policy, approval, sandbox,
    // tape), as a run of the session; `spool tools run` uses it.
    Result<RunInfo> runTool(const QString &tool, const QJsonObject &arguments,
                            const SessionSelector &session, const QString &source);
    QList<ToolSpec> toolSpecs() const;
    Status setToolSettings(bool allowUnsandboxed, bool allowCommandNetwork, bool allowPrivateAddresses);
    // For approvals asked from now on.
    void setApprovalTimeout(qint64 ms);

    // Approvals
    Result<QList<PendingToolApproval>> approvals(const ApprovalFilter &filter = {}) const;
    Result<PendingToolApproval> findApproval(const QString &idOrPrefix) const;
    // allow or deny, for this call or this session; applied exactly once. Allow "always"
    // also stores a narrow grant (PolicyGrant) in the same transaction and loads it: the
    // approval's grantId names it. Deny has no "always" (write a forbid policy instead).
    Result<PendingToolApproval> decideApproval(const QString &idOrPrefix, bool allow,
                                               ApprovalScope scope, const QString &by);

    // Policy (SPEC §6): the built-in defaults, the user's `*.cedar` files in policyFolder()
    // (read at open() and by reloadPolicies()) and the active grants.
    QString policyFolder() const;
    // Problems of the loaded policies (file, line, column). Non-empty means every tool call is
    // denied until they are fixed.
    QList<PolicyProblem> policyProblems() const;
    QList<PolicyProblem> reloadPolicies();
    QList<PolicyInfo> policies() const;
    // What the policy would answer for this call, asked exactly as a run asks it (the same
    // request, the agent's approval mode), with every policy's part. Without a session, the
    // request has this process's principal, the default agent and no session or workspace.
    Result<PolicyExplanation> explainToolCall(const QString &tool, const QJsonObject &arguments,
                                              const QString &sessionIdOrKey = {});

    // "Always" grants, newest first.
    Result<QList<PolicyGrant>> listGrants(bool includeRevoked = false) const;
    Result<PolicyGrant> findGrant(const QString &idOrPrefix) const;
    // Revokes a grant (at once in this process; other processes notice within a poll).
    Result<PolicyGrant> revokeGrant(const QString &idOrPrefix, const QString &by);

    GatewayStatus status(bool checkJournal = false) const;

    // RunHost
    const RuntimeConfig &config() const override { return m_config; }
    ProviderRegistry &providers() override { return *m_providers; }
    ToolRegistry &tools() override { return *m_tools; }
    PolicyDecision decidePolicy(const PolicyRequest &request) override;
    const ContextBuilder &contextBuilder() const override { return *m_contextBuilder; }
    Result<TapeEvent> record(const QString &runId, const QString &kind,
                             const QJsonObject &payload) override;
    Status transition(const QString &runId, RunState to, const QString &reason,
                      const QString &detail, const QJsonObject &extra = {}) override;
    void streamText(const QString &runId, const QString &text) override;
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

    // Settings changed while running: the next provider call uses them.
    void setDeterministicChunkDelay(int ms);
    JournalStore &journal() { return m_journal; }

signals:
    void runUpdated(const Spool::RunInfo &run);
    void tapeAppended(const Spool::TapeEvent &event);
    void textDelta(const QString &runId, const QString &text);
    void approvalRequested(const Spool::PendingToolApproval &approval);
    void approvalResolved(const Spool::PendingToolApproval &approval);
    void sessionsChanged();
    // A provider was added, changed or removed.
    void providersChanged();
    // No keychain answers: API keys now go to a file readable only by the user (unencrypted).
    void keyStorageFallback(const QString &reason);
    // Another process (a CLI next to the GUI, say) committed to the journal.
    void journalChanged();

private:
    SessionBinding binding() const;
    ToolOptions toolOptions() const;
    Result<PendingToolApproval> resolveApproval(const QString &id, ApprovalStatus status,
                                                std::optional<ApprovalScope> scope,
                                                const QString &by, const QString &reason);
    Result<SessionInfo> findSession(const QString &idOrKey) const;
    void heartbeat();
    void poll();
    void emitRun(const QString &runId);
    // Registers the providers of spool.conf when the file changed (a CLI next to the window
    // added one, say), and drops those no longer configured.
    void syncProviders(bool force = false);
    void loadUserPolicies();
    // Loads the active grants into the policy engine when any process changed them.
    void syncGrants(bool force = false);
    void syncGrantsIfJournalMoved();

    RuntimeConfig m_config;
    JournalStore m_journal;
    std::unique_ptr<SessionStore> m_sessions;
    std::unique_ptr<SessionResolver> m_resolver;
    std::unique_ptr<RunStore> m_runs;
    std::unique_ptr<ApprovalStore> m_approvals;
    std::unique_ptr<AgentRegistry> m_agents;
    std::unique_ptr<InstanceTracker> m_instances;
    std::unique_ptr<RunRecovery> m_recovery;
    std::unique_ptr<ContextBuilder> m_contextBuilder;
    std::unique_ptr<ProviderRegistry> m_providers;
    std::unique_ptr<ProviderFactory> m_providerFactory;
    QSet<QString> m_configuredProviders; // registered from spool.conf
    QDateTime m_providersStamp;          // spool.conf as last read
    std::unique_ptr<ToolRegistry> m_tools;
    std::unique_ptr<GrantStore> m_grants;
    std::unique_ptr<CedarPolicyEngine> m_policy;
    QString m_grantFingerprint;
    qint64 m_policyDataVersion = -1;
    QHash<QString, RunOrchestrator *> m_active;
    GatewayCounters m_counters;
    QTimer *m_heartbeatTimer = nullptr;
    QTimer *m_pollTimer = nullptr;
    qint64 m_dataVersion = -1;
    qint64 m_startedAt = 0;
    bool m_open = false;
};

} // namespace Spool
