#include "runs/runrecovery.h"

#include "approvals/approvalstore.h"
#include "core/logging.h"
#include "journal/journalstore.h"
#include "runs/instancetracker.h"
#include "runs/runstore.h"

#include <QDateTime>

namespace Spool {

RunRecovery::RunRecovery(JournalStore &journal, RunStore &runs, ApprovalStore &approvals,
                         const InstanceTracker &instances)
    : m_journal(journal), m_runs(runs), m_approvals(approvals), m_instances(instances)
{
}

Result<bool> RunRecovery::recoverRun(const RunInfo &run, qint64 staleAfterMs)
{
    if (run.isTerminal() || run.ownerInstance == m_instances.self().id)
        return false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto owner = m_instances.get(run.ownerInstance);
    if (owner && m_instances.isAlive(*owner, now, staleAfterMs))
        return false;

    Status s = m_journal.transaction([&]() -> Status {
        auto pending = m_approvals.list(ApprovalFilter{true, run.id, {}, -1});
        if (!pending)
            return pending.error();
        for (const PendingToolApproval &a : *pending) {
            auto closed = m_approvals.decide(a.id, ApprovalStatus::Cancelled, std::nullopt,
                                             QStringLiteral("system:recovery"),
                                             RunReason::Interrupted);
            if (!closed)
                return closed.error();
            if (auto applied = m_approvals.markApplied(a.id); !applied)
                return applied.error();
            auto event = m_journal.appendTape(
                    run.id, TapeKind::ApprovalDecision,
                    {{QStringLiteral("approval_id"), a.id},
                     {QStringLiteral("call_id"), a.callId},
                     {QStringLiteral("decision"), QStringLiteral("cancelled")},
                     {QStringLiteral("scope"), QJsonValue()},
                     {QStringLiteral("decided_by"), QStringLiteral("system:recovery")},
                     {QStringLiteral("reason"), QString(RunReason::Interrupted)}});
            if (!event)
                return event.error();
        }
        return m_runs
                .transition(run.id, RunState::Failed, RunReason::Interrupted,
                            QStringLiteral("The process running it (pid %1) stopped before the "
                                           "run finished.")
                                    .arg(owner ? owner->pid : 0),
                            {{QStringLiteral("owner_instance"), run.ownerInstance}})
                .error();
    });
    if (!s)
        return s.error();
    qCInfo(lcRuns) << "recovered interrupted run" << run.id;
    return true;
}

Result<QList<RunInfo>> RunRecovery::recover(qint64 staleAfterMs)
{
    RunFilter filter;
    filter.activeOnly = true;
    auto active = m_runs.list(filter);
    if (!active)
        return active.error();
    QList<RunInfo> recovered;
    for (const RunInfo &run : *active) {
        auto done = recoverRun(run, staleAfterMs);
        if (!done)
            return done.error();
        if (*done) {
            if (auto updated = m_runs.get(run.id))
                recovered.append(*updated);
        }
    }
    return recovered;
}

} // namespace Spool
