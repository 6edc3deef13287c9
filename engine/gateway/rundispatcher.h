#pragma once

#include "approvals/pendingtoolapproval.h"
#include "core/result.h"
#include "journal/tapeevent.h"
#include "runs/runinfo.h"
#include "runs/runrequest.h"
#include "sessions/sessioninfo.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>

namespace Spool {

class AgentRegistry;
class ApprovalDesk;
class AttachmentStore;
class InstanceTracker;
class JournalStore;
class McpServerRegistry;
class ProviderAdmin;
class RunAdoption;
class RunHost;
class RunOrchestrator;
class RunRecovery;
class RunStore;
class SessionDesk;
class ToolRegistry;
struct GatewayCounters;
struct RuntimeConfig;

// The runs this process carries on: it accepts new runs (and retries), adopts runs other
// processes left waiting for an approval, cancels, hands decisions to the run that waits for
// them, and releases waiting runs when the process ends. The Gateway owns one and relays its
// signals to the front ends.
class RunDispatcher : public QObject
{
    Q_OBJECT
public:
    // The areas a run is made of, all owned by the Gateway and living as long as it.
    struct Areas
    {
        const RuntimeConfig &config;
        JournalStore &journal;
        SessionDesk &sessions;
        AgentRegistry &agents;
        RunStore &runs;
        InstanceTracker &instances;
        RunRecovery &recovery;
        RunAdoption &adoption;
        AttachmentStore &attachments;
        ApprovalDesk &approvals;
        ProviderAdmin &providers;
        ToolRegistry &tools;
        McpServerRegistry &mcp;
        RunHost &host;
        GatewayCounters &counters;
    };

    explicit RunDispatcher(const Areas &areas, QObject *parent = nullptr);
    ~RunDispatcher() override;

    // Persists the run as accepted (one durable commit) and starts it on the next pass of the
    // event loop. `retryOf` links it to the run it retries.
    Result<RunInfo> start(const RunRequest &request, const QString &retryOf = {});
    Result<RunInfo> retry(const QString &idOrPrefix);
    Result<RunInfo> adopt(const QString &idOrPrefix);
    // Adopts every run whose process left it waiting for an approval.
    void adoptOrphans();
    Result<RunInfo> cancel(const QString &idOrPrefix, const QString &by);
    Result<RunInfo> runTool(const QString &tool, const QJsonObject &arguments,
                            const SessionSelector &session, const QString &source);
    // A decision taken here: to the run that waits for it, or adopt the run if nobody does.
    void applyDecision(const PendingToolApproval &approval);
    // Another process committed: cancel requests and decisions for the runs carried on here.
    void syncWithJournal();
    // Heartbeats of the runs carried on here.
    Status heartbeat(qint64 now);
    // Runs waiting for an approval are released for another process to adopt; the others end
    // as interrupted.
    void releaseAll();
    // The orchestrator of a run that reached its end goes (RunHost::runFinished).
    void finished(const QString &runId);

    bool isActive(const QString &runId) const { return m_active.contains(runId); }
    QStringList activeRunIds() const { return m_active.keys(); }
    int activeCount() const { return int(m_active.size()); }
    void emitRun(const QString &runId);

signals:
    void runUpdated(const Spool::RunInfo &run);
    void tapeAppended(const Spool::TapeEvent &event);
    void approvalRequested(const Spool::PendingToolApproval &approval);
    void approvalResolved(const Spool::PendingToolApproval &approval);

private:
    Areas m_areas;
    QHash<QString, RunOrchestrator *> m_active;
};

} // namespace Spool
