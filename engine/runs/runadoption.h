#pragma once

#include "core/result.h"
#include "runs/resumepoint.h"
#include "journal/tapeevent.h"
#include "runs/runinfo.h"

#include <QList>

#include <optional>

namespace Spool {

class ApprovalStore;
class ContextBuilder;
class InstanceTracker;
class JournalStore;
class Redactor;
class RunStore;

// Runs that wait for an approval outlive their process (SPEC §6). When the process owning such
// a run exits (cleanly: the run is released, a `run.owner` event says so; or killed: its pid no
// longer runs), the run stays `running` with its approval pending, and any Spool process on the
// journal may adopt it here and carry it on.
//
// Adoption is a compare-and-set on the run's owner inside one write transaction, so two
// processes adopting at once cannot both win, and a run whose owner is alive is never taken.
// The adopter rebuilds the run from its tape alone: the messages the model has seen (the
// earlier turns its `context` event names, its input, its own turns), the call that waits,
// the calls after it in the same turn, the budgets used.
class RunAdoption
{
public:
    RunAdoption(JournalStore &journal, RunStore &runs, ApprovalStore &approvals,
                const ContextBuilder &context, const InstanceTracker &instances);

    struct Outcome
    {
        RunInfo run;                      // as it is now
        std::optional<ResumePoint> point; // empty: it could not be carried on, and was failed
        QList<TapeEvent> written;         // the events the adoption wrote
    };

    // This process exits while `runId` waits for `approvalId`: the run stays running, owned by
    // nobody, its approval open, and a `run.owner` event (released) says so.
    Status release(const QString &runId, const QString &approvalId, qint64 wallClockUsedMs);

    // Whether start-up recovery should leave this run for adoption instead of failing it: it
    // waits for an approval.
    Result<bool> isAdoptable(const RunInfo &run) const;

    // Runs waiting for an approval whose process is gone, oldest first.
    Result<QList<RunInfo>> orphans(qint64 staleAfterMs) const;

    // Takes the run over for this process. Conflict when it does not wait for an approval,
    // when its owner is alive, or when another process adopted it first. A run that waits but
    // cannot be carried on safely (its tape does not end at the approval it waits for, or a
    // call left to run held a secret, which the tape never keeps) is failed here as
    // `interrupted` instead, and the outcome has no point.
    Result<Outcome> adopt(const QString &runId, qint64 staleAfterMs, int toolOutputCap);

    // Rebuilds where a run waiting for `approval` stands from its tape, or says why it cannot.
    // The run's owner and wall-clock figures come from `run`.
    static Result<ResumePoint> resumePoint(const RunInfo &run, const PendingToolApproval &approval,
                                           const QList<TapeEvent> &events,
                                           const QList<ChatMessage> &earlierTurns,
                                           const Redactor &redactor, int toolOutputCap,
                                           qint64 now);

private:
    Status failUncarriable(const RunInfo &run, const PendingToolApproval &approval,
                           const QString &why);

    JournalStore &m_journal;
    RunStore &m_runs;
    ApprovalStore &m_approvals;
    const ContextBuilder &m_context;
    const InstanceTracker &m_instances;
};

} // namespace Spool
