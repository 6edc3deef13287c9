#pragma once

#include "core/result.h"
#include "runs/runinfo.h"

#include <QList>

namespace Spool {

class ApprovalStore;
class InstanceTracker;
class JournalStore;
class RunStore;

// Start-up repair (SPEC §2): runs left non-terminal by a process that is gone become `failed`
// with reason `interrupted`, and their pending approvals are closed. Runs of live processes
// (a GUI and a CLI may share the journal) are left alone.
class RunRecovery
{
public:
    RunRecovery(JournalStore &journal, RunStore &runs, ApprovalStore &approvals,
                const InstanceTracker &instances);

    // Returns the runs it failed.
    Result<QList<RunInfo>> recover(qint64 staleAfterMs);
    // One run, if its owner is gone. Returns true when it was failed here.
    Result<bool> recoverRun(const RunInfo &run, qint64 staleAfterMs);

private:
    JournalStore &m_journal;
    RunStore &m_runs;
    ApprovalStore &m_approvals;
    const InstanceTracker &m_instances;
};

} // namespace Spool
