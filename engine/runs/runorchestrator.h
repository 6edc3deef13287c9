#pragma once

#include "agents/agent.h"
#include "approvals/pendingtoolapproval.h"
#include "journal/journalstore.h"
#include "memory/memoryrecall.h"
#include "policy/policyengine.h"
#include "providers/providertypes.h"
#include "runs/resumepoint.h"
#include "runs/runinfo.h"
#include "sessions/sessioninfo.h"
#include "tools/tool.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <optional>

namespace Spool {

class ProviderCall;
class RunHost;

// Drives one run through its loop (SPEC §2): provider call, streamed; each requested tool call
// through schema check, policy, approval when asked, execution; outputs back to the model; until
// a final answer, a failure, a cancel or an exhausted budget. Every step is recorded on the tape
// through the RunHost before the next one starts. Lives on the engine thread.
class RunOrchestrator : public QObject
{
    Q_OBJECT
public:
    RunOrchestrator(RunHost &host, const RunInfo &run, const SessionInfo &session,
                    const Agent &agent, const ChatMessage &input, QObject *parent = nullptr);
    ~RunOrchestrator() override;

    // Turns the caller supplied (RunRequest::priorTurns), given to the model between the
    // session's earlier runs and the input. Set before start().
    void setPriorTurns(const QList<ChatMessage> &turns) { m_priorTurns = turns; }

    void start();
    // Carries on a run another process left waiting for an approval (RunAdoption): the
    // decision, when there is one, is recorded at once; else it waits, with the approval's own
    // expiry. The decided call is carried out once the MCP servers are ready
    // (RunHost::whenToolsReady), so a call of a server's tool finds its tool.
    void resume(const ResumePoint &point);
    // This process exits while the run waits for an approval: it stops here without closing
    // the approval, for another process to adopt (RunAdoption::release says so on the tape).
    void detach();
    // Wall-clock time the run has been carried on so far, across processes.
    qint64 wallClockUsedMs() const;
    void cancel(const QString &by);
    // The process is shutting down: the run ends as failed/interrupted, as recovery would.
    void interrupt(const QString &detail);
    // A decision on the approval this run waits for, from any front end or another process.
    void applyApprovalDecision(const PendingToolApproval &approval);

    // The policy question for a call of `spec` with `arguments` (already schema-checked) in
    // `session` for `agent`. shell.exec's arguments carry the facts of its command line
    // (ShellExecTool::policyArguments), so rules can test `argv0` and `is_compound`.
    static PolicyRequest policyRequest(const ToolSpec &spec, const QJsonObject &arguments,
                                       const SessionInfo &session, const Agent &agent);
    // The agent's approval mode on top of the policy: an agent that asks before every call
    // turns an allow into an ask.
    static PolicyDecision withApprovalMode(PolicyDecision decision, const Agent &agent);

    QString runId() const { return m_run.id; }
    QString waitingApprovalId() const { return m_waitingApproval; }
    bool isFinished() const { return m_finished; }

    // How many tokens of earlier turns a run may be given: the model's context window less a
    // reserve for the reply, the system prompt (with the memory block), the tool schemas and
    // the input; at most `cap` (the `context/token_budget` setting). Filled into `budget`.
    static int historyBudget(int window, int systemTokens, int toolTokens, int inputTokens, int cap,
                             QJsonObject *budget = nullptr);

private:
    // After the MCP servers settled: what memory gives this run, then the context.
    void recallMemory();
    void buildContext(const MemoryRecall &recall);
    QList<ToolDefinition> offeredTools() const;
    // Whether this run's agent may see and call the tool (its allowlist, the tool's agents).
    bool offered(const ToolSpec &spec) const;
    void nextTurn();
    void onTextDelta(const QString &text);
    void checkpointPartial();
    // The streamed text of a reply that will not complete stays, as a partial message.
    void keepPartial(const QString &why);
    void onProviderRetrying(const ProviderError &error);
    void onProviderFinished(const ProviderResponse &response);
    void onProviderFailed(const ProviderError &error);

    void processNextCall();
    // Policy, then approval or execution, once the tool can preview the call.
    void decideCall();
    ToolInvocation invocation() const;
    void askForApproval(const ToolSpec &spec, const QString &explanation);
    void onApprovalTimeout();
    // The decided call: run it, or tell the model why not.
    void carryOut(const PendingToolApproval &approval);
    void execute();
    void onToolFinished(const ToolResult &result);
    void finishCall(ToolResult result);

    // Writes one tape event; a failed write fails the run. Durable before the run acts on the
    // world or asks someone; deferred otherwise (JournalStore::Commit).
    bool record(const QString &kind, const QJsonObject &payload,
                JournalStore::Commit commit = JournalStore::Commit::Deferred);
    void stopWork(const QString &why);
    void fail(const QString &reason, const QString &detail, const QJsonObject &extra = {});
    void finish(RunState state, const QString &reason, const QString &detail,
                const QJsonObject &extra = {});
    // Writes the run's end, again and again while the disk refuses it, then lets it go.
    void recordEnd(RunState state, const QString &reason, const QString &detail,
                   const QJsonObject &extra, int attempt);

    RunHost &m_host;
    RunInfo m_run;
    SessionInfo m_session;
    Agent m_agent;
    ChatMessage m_input;
    MemoryRecall m_memory; // what memory gave this run; its block goes with the system prompt
    QList<ChatMessage> m_priorTurns;
    QList<ChatMessage> m_messages; // what the model sees: earlier turns, input, this run's turns

    QPointer<ProviderCall> m_call;
    QPointer<ToolJob> m_job;
    QList<ToolCallRequest> m_queue;
    ToolCallRequest m_current;
    QElapsedTimer m_toolClock;
    QString m_waitingApproval;
    // An adopted run until this process's MCP servers are ready (or failed); a decision made
    // meanwhile is recorded at once and carried out then.
    bool m_awaitingTools = false;
    std::optional<PendingToolApproval> m_decidedMeanwhile;
    QJsonObject m_preview; // of the current call, for its approval request
    bool m_unsandboxed = false;
    QTimer m_wallClock;
    QElapsedTimer m_ownedFor;    // since this process took the run on
    qint64 m_wallClockBefore = 0; // used by earlier owners
    QTimer m_approvalTimer;
    QString m_streamed;      // of the provider call in flight
    qsizetype m_checkpointed = 0; // how much of it is on the tape
    QTimer m_checkpoint;
    int m_turns = 0;
    int m_toolCalls = 0;
    bool m_finished = false;
    bool m_stopping = false;
};

} // namespace Spool
