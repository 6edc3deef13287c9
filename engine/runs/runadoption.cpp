#include "runs/runadoption.h"

#include "approvals/approvalstore.h"
#include "attachments/attachmentstore.h"
#include "core/logging.h"
#include "journal/journalstore.h"
#include "runs/contextbuilder.h"
#include "runs/instancetracker.h"
#include "runs/runstore.h"
#include "tools/tool.h"

#include <QDateTime>
#include <QJsonArray>
#include <QSet>

namespace Spool {

namespace {

QString ownerWords(const InstanceRecord &owner)
{
    return QStringLiteral("process %1 (%2)").arg(owner.pid).arg(owner.frontEnd);
}

} // namespace

RunAdoption::RunAdoption(JournalStore &journal, RunStore &runs, ApprovalStore &approvals,
                         const ContextBuilder &context, const InstanceTracker &instances)
    : m_journal(journal), m_runs(runs), m_approvals(approvals), m_context(context),
      m_instances(instances)
{
}

Status RunAdoption::release(const QString &runId, const QString &approvalId,
                            qint64 wallClockUsedMs)
{
    const InstanceRecord &self = m_instances.self();
    return m_runs
            .changeOwner(runId, self.id, QString(),
                         {{QStringLiteral("action"), QStringLiteral("released")},
                          {QStringLiteral("instance"), self.id},
                          {QStringLiteral("pid"), self.pid},
                          {QStringLiteral("front_end"), self.frontEnd},
                          {QStringLiteral("approval_id"), approvalId},
                          {QStringLiteral("wall_clock_used_ms"), wallClockUsedMs}})
            .error();
}

Result<bool> RunAdoption::isAdoptable(const RunInfo &run) const
{
    if (run.state != RunState::Running)
        return false;
    auto approval = m_approvals.waitingFor(run.id);
    if (!approval)
        return approval.error();
    return approval->has_value();
}

Result<QList<RunInfo>> RunAdoption::orphans(qint64 staleAfterMs) const
{
    auto waiting = m_runs.waitingRuns();
    if (!waiting)
        return waiting.error();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<RunInfo> out;
    for (const RunInfo &run : std::as_const(*waiting)) {
        if (run.ownerInstance == m_instances.self().id)
            continue;
        auto owner = m_instances.get(run.ownerInstance);
        if (owner && m_instances.isAlive(*owner, now, staleAfterMs))
            continue;
        out.append(run);
    }
    return out;
}

Result<RunAdoption::Outcome> RunAdoption::adopt(const QString &runId, qint64 staleAfterMs,
                                                int toolOutputCap)
{
    Outcome outcome;
    // One write transaction: the owner read here is the one the update compares against, and
    // the tape cannot grow while it is read.
    const Status s = m_journal.transaction([&]() -> Status {
        auto run = m_runs.get(runId);
        if (!run)
            return run.error();
        auto approval = m_approvals.waitingFor(run->id);
        if (!approval)
            return approval.error();
        if (run->state != RunState::Running || !*approval)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("run %1 does not wait for an approval (it is %2)")
                                     .arg(run->id, runStateName(run->state)));
        const InstanceRecord &self = m_instances.self();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto owner = m_instances.get(run->ownerInstance);
        if (run->ownerInstance == self.id)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("run %1 is carried on by this process already").arg(run->id));
        if (owner && m_instances.isAlive(*owner, now, staleAfterMs))
            return makeError(ErrorCode::Conflict, QStringLiteral("run %1 is carried on by %2")
                                                          .arg(run->id, ownerWords(*owner)));

        auto events = m_journal.tape(run->id);
        if (!events)
            return events.error();
        QStringList earlierRuns;
        for (const TapeEvent &e : std::as_const(*events)) {
            if (e.kind == TapeKind::Context) {
                earlierRuns = e.payload.value(QStringLiteral("turns_used")).toVariant().toStringList();
                break;
            }
        }
        auto earlier = m_context.messagesOfRuns(earlierRuns, toolOutputCap);
        if (!earlier)
            return earlier.error();
        auto point = resumePoint(*run, **approval, *events, *earlier, m_journal.redactor(),
                                 toolOutputCap, now);
        // The attachments of the input and the earlier turns go to the model again.
        if (point) {
            if (Status loaded = AttachmentStore::load(m_journal, point->messages); !loaded)
                point = loaded.error();
        }
        const qint64 before = events->isEmpty() ? 0 : events->constLast().seq;
        if (!point) {
            qCWarning(lcRuns) << "cannot carry on run" << run->id << point.errorMessage();
            if (Status failed = failUncarriable(*run, **approval, point.errorMessage()); !failed)
                return failed;
        } else {
            const QJsonObject payload{
                {QStringLiteral("action"), QStringLiteral("adopted")},
                {QStringLiteral("instance"), self.id},
                {QStringLiteral("from"), run->ownerInstance},
                {QStringLiteral("pid"), self.pid},
                {QStringLiteral("front_end"), self.frontEnd},
                {QStringLiteral("why"), run->ownerInstance.isEmpty()
                                                ? QStringLiteral("released")
                                                : owner && owner->stoppedAt != 0
                                                ? QStringLiteral("owner_exited")
                                                : QStringLiteral("owner_gone")},
                {QStringLiteral("approval_id"), (*approval)->id},
                {QStringLiteral("wall_clock_used_ms"), point->wallClockUsedMs},
            };
            auto changed = m_runs.changeOwner(run->id, run->ownerInstance, self.id, payload);
            if (!changed)
                return changed.error();
            outcome.point = *point;
        }
        auto written = m_journal.tape(run->id, before + 1);
        if (!written)
            return written.error();
        outcome.written = *written;
        auto now_ = m_runs.get(run->id);
        if (!now_)
            return now_.error();
        outcome.run = *now_;
        if (outcome.point)
            outcome.point->run = outcome.run;
        return {};
    });
    if (!s)
        return s.error();
    if (outcome.point)
        qCInfo(lcRuns) << "adopted run" << runId;
    return outcome;
}

Status RunAdoption::failUncarriable(const RunInfo &run, const PendingToolApproval &approval,
                                    const QString &why)
{
    PendingToolApproval closed = approval;
    if (approval.isPending()) {
        auto decided = m_approvals.decide(approval.id, ApprovalStatus::Cancelled, std::nullopt,
                                          QStringLiteral("system:recovery"), RunReason::Interrupted);
        if (!decided)
            return decided.error();
        closed = *decided;
    }
    if (auto applied = m_approvals.markApplied(approval.id); !applied)
        return applied.error();
    auto event = m_journal.appendTape(
            run.id, TapeKind::ApprovalDecision,
            {{QStringLiteral("approval_id"), approval.id},
             {QStringLiteral("call_id"), approval.callId},
             {QStringLiteral("decision"), approvalStatusName(closed.status)},
             {QStringLiteral("scope"), closed.scope ? QJsonValue(approvalScopeName(*closed.scope))
                                                    : QJsonValue()},
             {QStringLiteral("decided_by"), closed.decidedBy},
             {QStringLiteral("reason"), QString(QStringLiteral("not carried out: ") + why)}});
    if (!event)
        return event.error();
    return m_runs
            .transition(run.id, RunState::Failed, RunReason::Interrupted,
                        QStringLiteral("Its process exited while it waited for an approval, and "
                                       "Spool could not carry it on: %1")
                                .arg(why),
                        {{QStringLiteral("owner_instance"), run.ownerInstance}})
            .error();
}

Result<ResumePoint> RunAdoption::resumePoint(const RunInfo &run,
                                             const PendingToolApproval &approval,
                                             const QList<TapeEvent> &events,
                                             const QList<ChatMessage> &earlierTurns,
                                             const Redactor &redactor, int toolOutputCap,
                                             qint64 now)
{
    ResumePoint p;
    p.run = run;
    p.approval = approval;
    p.messages = earlierTurns;
    QList<ToolCallRequest> turnCalls; // of the newest model turn
    QSet<QString> answered;           // calls of that turn with an output
    const TapeEvent *lastStep = nullptr;
    const TapeEvent *lastOwner = nullptr;
    bool hasInput = false;
    for (const TapeEvent &e : events) {
        if (e.kind == TapeKind::Input) {
            p.messages.append(ContextBuilder::inputMessage(e));
            hasInput = true;
        } else if (e.kind == TapeKind::ProviderRequest) {
            ++p.turns;
        } else if (e.kind == TapeKind::ProviderResponse) {
            turnCalls.clear();
            const QJsonArray calls = e.payload.value(QStringLiteral("tool_calls")).toArray();
            for (const QJsonValue &v : calls)
                turnCalls.append(ToolCallRequest::fromJson(v.toObject()));
            answered.clear();
            p.messages.append(ChatMessage::assistant(e.payload.value(QStringLiteral("text")).toString(),
                                                     turnCalls));
        } else if (e.kind == TapeKind::ToolCall) {
            ++p.toolCalls;
        } else if (e.kind == TapeKind::ToolOutput) {
            const QString callId = e.payload.value(QStringLiteral("call_id")).toString();
            answered.insert(callId);
            p.messages.append(ChatMessage::toolResult(
                    callId, e.payload.value(QStringLiteral("tool")).toString(),
                    ToolResult::forModel(e.payload.value(QStringLiteral("output")).toString(),
                                         toolOutputCap),
                    e.payload.value(QStringLiteral("ok")).toBool()));
        }
        if (e.kind == TapeKind::RunOwner)
            lastOwner = &e;
        else if (e.kind != TapeKind::ProviderPartial)
            lastStep = &e;
    }

    if (!hasInput)
        return makeError(ErrorCode::Conflict, QStringLiteral("its tape has no input"));
    if (!lastStep || lastStep->kind != TapeKind::ApprovalRequest
        || lastStep->payload.value(QStringLiteral("approval_id")).toString() != approval.id)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("its tape does not end at the request of approval %1")
                                 .arg(approval.id));
    int index = -1;
    for (int i = 0; i < turnCalls.size(); ++i) {
        if (turnCalls.at(i).id == approval.callId) {
            index = i;
            break;
        }
    }
    if (index < 0)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("the call %1 is not in the model's last turn").arg(approval.callId));
    for (int i = 0; i < turnCalls.size(); ++i) {
        if ((i < index) != answered.contains(turnCalls.at(i).id))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the calls before %1 are not all answered").arg(approval.callId));
    }
    p.current = turnCalls.at(index);
    p.queue = turnCalls.mid(index + 1);
    // The tape keeps "[redacted]" in place of a secret: running a call with that would not be
    // what the model asked for.
    for (const ToolCallRequest &call : QList<ToolCallRequest>{p.current} + p.queue) {
        if (redactor.containsSecret(call.arguments))
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("the arguments of the call %1 held a secret, which "
                                            "the journal does not keep")
                                     .arg(call.id));
    }

    // The wall clock counts the time a live process owned the run: the time it waited with no
    // owner is not work. A released run's owner counted its own share; a killed one's ends at
    // its last sign of life.
    const QJsonObject owner = lastOwner ? lastOwner->payload : QJsonObject();
    const qint64 usedBefore = owner.value(QStringLiteral("wall_clock_used_ms")).toInteger();
    if (owner.value(QStringLiteral("action")).toString() == QLatin1String("released")) {
        p.wallClockUsedMs = usedBefore;
    } else {
        const qint64 segmentStart = lastOwner ? lastOwner->createdAt : run.startedAt;
        const qint64 lastAlive = qMin(now, qMax(run.heartbeatAt, lastStep->createdAt));
        p.wallClockUsedMs = usedBefore + qMax<qint64>(0, lastAlive - segmentStart);
    }
    return p;
}

} // namespace Spool
