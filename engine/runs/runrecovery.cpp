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

Result<bool> RunRecovery::recoverRun(const RunInfo &run, qint64 staleAfterMs,
                                     const QString &cancelledBy)
{
    if (run.isTerminal() || run.ownerInstance == m_instances.self().id)
        return false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto owner = m_instances.get(run.ownerInstance);
    if (owner && m_instances.isAlive(*owner, now, staleAfterMs))
        return false;
    bool waits = false;
    if (run.state == RunState::Running) {
        auto waiting = m_approvals.waitingFor(run.id);
        if (!waiting)
            return waiting.error();
        waits = waiting->has_value();
    }
    if (waits && cancelledBy.isEmpty())
        return false; // for a process to adopt
    // Someone cancels a run nobody carries on: it was not interrupted, it was cancelled.
    const bool cancel = waits;
    const QString why = cancel ? QStringLiteral("run cancelled by ") + cancelledBy
                               : QString(RunReason::Interrupted);

    Status s = m_journal.transaction([&]() -> Status {
        // Approvals it waits for, pending or decided but not carried out, end with it.
        for (;;) {
            auto waiting = m_approvals.waitingFor(run.id);
            if (!waiting)
                return waiting.error();
            if (!waiting->has_value())
                break;
            PendingToolApproval a = **waiting;
            if (a.isPending()) {
                auto closed = m_approvals.decide(a.id, ApprovalStatus::Cancelled, std::nullopt,
                                                 QStringLiteral("system:recovery"), why);
                if (!closed)
                    return closed.error();
                a = *closed;
            }
            if (auto applied = m_approvals.markApplied(a.id); !applied)
                return applied.error();
            auto event = m_journal.appendTape(
                    run.id, TapeKind::ApprovalDecision,
                    {{QStringLiteral("approval_id"), a.id},
                     {QStringLiteral("call_id"), a.callId},
                     {QStringLiteral("decision"), QStringLiteral("cancelled")},
                     {QStringLiteral("scope"), QJsonValue()},
                     {QStringLiteral("decided_by"), QStringLiteral("system:recovery")},
                     {QStringLiteral("reason"), why}});
            if (!event)
                return event.error();
        }
        // What the user saw stream stays in the conversation, marked partial.
        auto events = m_journal.tape(run.id, 1, -1,
                                     {TapeKind::ProviderRequest, TapeKind::ProviderResponse,
                                      TapeKind::ProviderPartial, TapeKind::AssistantMessage});
        if (!events)
            return events.error();
        if (const QString text = unfinishedReply(*events); !text.isEmpty()) {
            auto kept = m_journal.appendTape(run.id, TapeKind::AssistantMessage,
                                             {{QStringLiteral("text"), text},
                                              {QStringLiteral("partial"), true},
                                              {QStringLiteral("reason"), why}});
            if (!kept)
                return kept.error();
        }
        if (cancel)
            return m_runs
                    .transition(run.id, RunState::Cancelled, QStringLiteral("cancelled"),
                                QStringLiteral("Cancelled by %1 after its process had stopped.")
                                        .arg(cancelledBy),
                                {{QStringLiteral("by"), cancelledBy},
                                 {QStringLiteral("owner_instance"), run.ownerInstance}})
                    .error();
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

QString RunRecovery::unfinishedReply(const QList<TapeEvent> &events)
{
    QString text;
    for (const TapeEvent &e : events) {
        if (e.kind == TapeKind::ProviderPartial) {
            // Checkpoints follow each other; one that overlaps what is there adds the rest.
            const qsizetype offset = e.payload.value(QStringLiteral("offset")).toInteger();
            const QString part = e.payload.value(QStringLiteral("text")).toString();
            if (offset <= text.size())
                text = text.left(offset) + part;
        } else {
            text.clear(); // a new request, or the reply was answered
        }
    }
    return text;
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
