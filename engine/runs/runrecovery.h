#pragma once

#include "core/result.h"
#include "journal/tapeevent.h"
#include "runs/runinfo.h"

#include <QList>

namespace Spool {

class ApprovalStore;
class InstanceTracker;
class JournalStore;
class RunStore;

// Start-up repair (SPEC §2): runs left non-terminal by a process that is gone become `failed`
// with reason `interrupted`, with the text they had streamed kept as a partial message. Runs
// of live processes (a GUI and a CLI may share the journal) are left alone, and so are runs
// waiting for an approval: another process adopts those (RunAdoption).
class RunRecovery
{
public:
    RunRecovery(JournalStore &journal, RunStore &runs, ApprovalStore &approvals,
                const InstanceTracker &instances);

    // Returns the runs it failed.
    Result<QList<RunInfo>> recover(qint64 staleAfterMs);
    // One run, if its owner is gone. Returns true when it was ended here. With `cancelledBy`
    // (someone cancels it), a run waiting for an approval is ended too, as cancelled; other runs
    // of a gone process end as interrupted either way.
    Result<bool> recoverRun(const RunInfo &run, qint64 staleAfterMs,
                            const QString &cancelledBy = {});

    // The text a killed process had streamed and checkpointed (`provider.partial`) for a reply
    // it never finished, from the run's tape in seq order; empty when there is none.
    static QString unfinishedReply(const QList<TapeEvent> &events);

private:
    JournalStore &m_journal;
    RunStore &m_runs;
    ApprovalStore &m_approvals;
    const InstanceTracker &m_instances;
};

} // namespace Spool
