#pragma once

#include "agents/agents.h"
#include "approvals/pendingtoolapproval.h"
#include "approvals/policygrant.h"
#include "core/result.h"
#include "core/runtimeconfig.h"
#include "gateway/gatewaystatus.h"
#include "journal/tapeevent.h"
#include "mcp/mcpservers.h"
#include "memory/memories.h"
#include "policy/policies.h"
#include "providers/providers.h"
#include "runs/runinfo.h"
#include "runs/runinspection.h"
#include "runs/runrequest.h"
#include "sessions/sessioninfo.h"
#include "sessions/sessions.h"
#include "tools/toolspec.h"

#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <functional>
#include <optional>

namespace Spool {

// What the engine offers its front ends (the window, the command line, the local API), in
// value types only: no journal, store or SQL type crosses this line. The Gateway implements
// it. Every call runs on the thread the engine lives on; the window reaches it through
// EngineClient, the command line calls it directly on its own thread.
//
// Calls that wait on the network answer through a callback, on the engine's thread.
class Engine : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Engine() override;

    // Opens the journal, registers this process, recovers interrupted runs, starts the timers.
    virtual Status open() = 0;
    // Ends the runs of this process as interrupted and marks the process stopped.
    virtual void shutdown() = 0;
    virtual bool isOpen() const = 0;
    virtual QString instanceId() const = 0;
    virtual const RuntimeConfig &config() const = 0;

    // The areas front ends use directly. Each is valid once open() has succeeded, until
    // shutdown(), and lives on the engine's thread like the Engine itself.
    // Sessions (SPEC §4), their forks, exports and imports.
    virtual Sessions &sessions() = 0;
    virtual Agents &agents() = 0;
    // Providers (SPEC §5): configured in spool.conf, keys in the keychain.
    virtual Providers &providers() = 0;
    // Memory (SPEC §7); its settings are below.
    virtual Memories &memories() = 0;
    // MCP servers: the user's tool servers (issue 13).
    virtual McpServers &mcp() = 0;
    // Tapes, timelines and transcripts (SPEC §3).
    virtual RunInspection &inspection() = 0;
    // Policies, their problems, explanations and the "always" grants (SPEC §6).
    virtual Policies &policies() = 0;

    // Runs (SPEC §2)
    // Persists the run as accepted and returns it; the run goes on asynchronously.
    virtual Result<RunInfo> startRun(const RunRequest &request) = 0;
    // Cancels a run of this process at once, or asks the owning process to (within a second).
    virtual Result<RunInfo> cancelRun(const QString &idOrPrefix, const QString &by) = 0;
    // A new run in the same session with the same input as a run that ended (interrupted,
    // failed, cancelled), linked to it both ways on the tapes.
    virtual Result<RunInfo> retryRun(const QString &idOrPrefix) = 0;
    // Takes over a run that waits for an approval and whose process has exited, and carries it
    // on here. Conflict when its process is alive or another process took it first.
    virtual Result<RunInfo> adoptRun(const QString &idOrPrefix) = 0;
    virtual Result<RunInfo> run(const QString &idOrPrefix) const = 0;
    virtual Result<QList<RunInfo>> runs(const RunFilter &filter = {}) const = 0;
    virtual QStringList activeRunIds() const = 0;
    // One tool call through the very path an agent's call takes (policy, approval, sandbox,
    // tape), as a run of the session; `spool tools run` uses it.
    virtual Result<RunInfo> runTool(const QString &tool, const QJsonObject &arguments,
                                    const SessionSelector &session, const QString &source) = 0;

    // Tools and their settings (SPEC §6). Settings are written to spool.conf and take effect
    // at once; the status says when they could not be saved or applied.
    virtual QList<ToolSpec> toolSpecs() const = 0;
    virtual Status setToolSettings(bool allowUnsandboxed, bool allowCommandNetwork,
                                   bool allowPrivateAddresses) = 0;
    // For approvals asked from now on.
    virtual Status setApprovalTimeout(qint64 ms) = 0;
    // The deterministic provider's delay between chunks, for the next call.
    virtual Status setDeterministicChunkDelay(int ms) = 0;

    // Approvals
    virtual Result<QList<PendingToolApproval>> approvals(const ApprovalFilter &filter = {}) const = 0;
    virtual Result<PendingToolApproval> findApproval(const QString &idOrPrefix) const = 0;
    // allow or deny, for this call or this session; applied exactly once. Allow "always"
    // also stores a narrow grant (PolicyGrant) in the same transaction and loads it: the
    // approval's grantId names it. Deny has no "always" (write a forbid policy instead).
    virtual Result<PendingToolApproval> decideApproval(const QString &idOrPrefix, bool allow,
                                                       ApprovalScope scope, const QString &by) = 0;

    // Memory settings (SPEC §7): saved to spool.conf and applied at once; a new embedding model
    // drops the old vectors and computes new ones in the background (memoryStatusChanged
    // follows the progress).
    virtual MemorySettings memorySettings() const = 0;
    virtual Status setMemorySettings(const MemorySettings &settings) = 0;

    // An attachment the journal holds, with its bytes (thumbnails, "open full size").
    virtual Result<Attachment> attachment(const QString &sha256) const = 0;

    virtual GatewayStatus status(bool checkJournal = false) const = 0;

    // Where the MCP servers are configured (McpServers::configPath()), also before open().
    virtual QString mcpConfigPath() const = 0;

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
    // Memory items were added, changed or forgotten by this process.
    void memoryChanged();
    // The embedding model, the vectors computed so far, or the last embedding error changed.
    void memoryStatusChanged(const Spool::MemoryStatus &status);
    // A running tool said how far it has come (MCP progress); total < 0 when unknown.
    void toolProgress(const QString &runId, const QString &callId, double progress, double total,
                      const QString &message);
    // An MCP server's state, tools or configuration changed.
    void mcpServersChanged(const QString &server);
    void mcpServerLogAppended(const QString &server, const Spool::McpLogEntry &entry);
    // A server asks the user something during a tool call; answer with McpServers::answer().
    void mcpQuestionAsked(const Spool::McpUserQuestion &question);
    // Answered (by anyone), or closed by the engine: dialogs and prompts for it go away.
    void mcpQuestionAnswered(const Spool::McpUserQuestion &question);
    // A remote server needs the user to sign in: open `url` in a browser; the engine listens
    // on 127.0.0.1 for the answer.
    void mcpSignInRequested(const QString &server, const QUrl &url);
    // The journal's disk became full (error.code DiskFull, its message says what to do), or has
    // room again (error.code None): writes refused meanwhile are not retried.
    void diskFullChanged(const Spool::Error &error);
};

// Creates the engine a front end runs on (the Gateway, in the application).
using EngineFactory = std::function<Engine *(const RuntimeConfig &config)>;

} // namespace Spool
