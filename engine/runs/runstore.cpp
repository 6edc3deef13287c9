#include "runs/runstore.h"

#include "core/logging.h"
#include "core/ulid.h"
#include "journal/journalstore.h"
#include "runs/runstatemachine.h"

#include <QDateTime>
#include <QSqlQuery>

namespace Spool {

namespace {

const QString kColumns = QStringLiteral(
        "id, session_id, ordinal, agent, provider, model, state, reason, input_preview, "
        "detail, created_at, started_at, ended_at, owner_instance, heartbeat_at, cancel_requested_at, "
        "prompt_tokens, completion_tokens, COALESCE(cancel_requested_by, ''), "
        "COALESCE((SELECT json_extract(t.payload, '$.retry_of') FROM orchestrator_tape t "
        "WHERE t.run_id = runs.id AND t.seq = 1), '')");

RunInfo readRun(const QSqlQuery &q)
{
    RunInfo r;
    r.id = q.value(0).toString();
    r.sessionId = q.value(1).toString();
    r.ordinal = q.value(2).toInt();
    r.agent = q.value(3).toString();
    r.provider = q.value(4).toString();
    r.model = q.value(5).toString();
    r.state = parseRunState(q.value(6).toString()).value_or(RunState::Failed);
    r.reason = q.value(7).toString();
    r.inputPreview = q.value(8).toString();
    r.detail = q.value(9).toString();
    r.createdAt = q.value(10).toLongLong();
    r.startedAt = q.value(11).toLongLong();
    r.endedAt = q.value(12).toLongLong();
    r.ownerInstance = q.value(13).toString();
    r.heartbeatAt = q.value(14).toLongLong();
    r.cancelRequestedAt = q.value(15).toLongLong();
    r.promptTokens = q.value(16).toLongLong();
    r.completionTokens = q.value(17).toLongLong();
    r.cancelRequestedBy = q.value(18).toString();
    r.retryOf = q.value(19).toString();
    return r;
}

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

RunStore::RunStore(JournalStore &journal) : m_journal(journal) {}

Result<RunInfo> RunStore::create(const NewRun &run)
{
    const QString id = Ulid::generate();
    const qint64 t = now();
    Status s = m_journal.transaction([&]() -> Status {
        auto q = m_journal.exec(
                QStringLiteral(
                        "INSERT INTO runs(id, session_id, ordinal, agent, provider, model, state, "
                        "reason, input_preview, created_at, owner_instance, heartbeat_at) VALUES "
                        "(?, ?, (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM runs "
                        "WHERE session_id = ?), ?, ?, ?, 'accepted', 'created', ?, ?, ?, ?)"),
                {id, run.sessionId, run.sessionId, run.agent, run.provider, run.model,
                 run.inputPreview, t, run.ownerInstance, t});
        if (!q)
            return q.error();
        QJsonObject accepted{{QStringLiteral("state"), QStringLiteral("accepted")},
                             {QStringLiteral("reason"), QStringLiteral("created")}};
        if (!run.retryOf.isEmpty()) {
            accepted.insert(QStringLiteral("retry_of"), run.retryOf);
            if (auto e = m_journal.appendTape(run.retryOf, TapeKind::RunRetried,
                                              {{QStringLiteral("run_id"), id}}, t);
                !e)
                return e.error();
        }
        if (auto e = m_journal.appendTape(id, TapeKind::RunStatus, accepted, t); !e)
            return e.error();
        if (run.input.isEmpty())
            return {};
        return m_journal.appendTape(id, TapeKind::Input, run.input, t).error();
    });
    if (!s)
        return s.error();
    return get(id);
}

Result<RunInfo> RunStore::get(const QString &id) const
{
    static const QString sql = QStringLiteral("SELECT ") + kColumns
            + QStringLiteral(" FROM runs WHERE id = ?");
    auto q = m_journal.execCached(sql, {id});
    if (!q)
        return q.error();
    if (!(*q)->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no run with id %1").arg(id));
    RunInfo run = readRun(**q);
    (*q)->finish();
    return run;
}

Result<RunInfo> RunStore::find(const QString &idOrPrefix) const
{
    const QString upper = idOrPrefix.trimmed().toUpper();
    if (upper.size() == 26)
        return get(upper);
    if (upper.size() < 4 || upper.contains(QLatin1Char('%')) || upper.contains(QLatin1Char('_')))
        return makeError(ErrorCode::NotFound, QStringLiteral("no run with id %1").arg(idOrPrefix));
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM runs WHERE id LIKE ? LIMIT 2"),
                            {QString(upper + QLatin1Char('%'))});
    if (!q)
        return q.error();
    QList<RunInfo> found;
    while (q->next())
        found.append(readRun(*q));
    if (found.isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no run with id %1").arg(idOrPrefix));
    if (found.size() > 1)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("run id prefix %1 is ambiguous").arg(idOrPrefix));
    return found.constFirst();
}

Result<QList<RunInfo>> RunStore::list(const RunFilter &filter) const
{
    QStringList where{QStringLiteral("1")};
    QVariantList binds;
    if (!filter.sessionId.isEmpty()) {
        where.append(QStringLiteral("session_id = ?"));
        binds.append(filter.sessionId);
    }
    if (filter.activeOnly)
        where.append(QStringLiteral("state IN ('accepted', 'running')"));
    if (!filter.ownerInstance.isEmpty()) {
        where.append(QStringLiteral("owner_instance = ?"));
        binds.append(filter.ownerInstance);
    }
    QString sql = QStringLiteral("SELECT ") + kColumns + QStringLiteral(" FROM runs WHERE ")
            + where.join(QStringLiteral(" AND "))
            + (filter.newestFirst ? QStringLiteral(" ORDER BY created_at DESC, id DESC")
                                  : QStringLiteral(" ORDER BY created_at, id"));
    if (filter.limit >= 0)
        sql += QStringLiteral(" LIMIT %1").arg(filter.limit);
    auto q = m_journal.exec(sql, binds);
    if (!q)
        return q.error();
    QList<RunInfo> out;
    while (q->next())
        out.append(readRun(*q));
    return out;
}

Result<TapeEvent> RunStore::transition(const QString &id, RunState to, const QString &reason,
                                       const QString &detail, const QJsonObject &extra)
{
    Result<TapeEvent> event = makeError(ErrorCode::Internal, QStringLiteral("not written"));
    Status s = m_journal.transaction([&]() -> Status {
        auto current = get(id);
        if (!current)
            return current.error();
        if (!RunStateMachine::canTransition(current->state, to)) {
            qCWarning(lcRuns) << "refused illegal transition of run" << id << "from"
                              << runStateName(current->state) << "to" << runStateName(to);
            return makeError(ErrorCode::IllegalTransition,
                             QStringLiteral("run %1 cannot go from %2 to %3")
                                     .arg(id, runStateName(current->state), runStateName(to)));
        }
        const qint64 t = now();
        QString sql = QStringLiteral("UPDATE runs SET state = ?, reason = ?, detail = ?");
        if (to == RunState::Running)
            sql += QStringLiteral(", started_at = %1").arg(t);
        if (RunStateMachine::isTerminal(to))
            sql += QStringLiteral(", ended_at = %1").arg(t);
        sql += QStringLiteral(" WHERE id = ? AND state = ?");
        auto q = m_journal.exec(sql, {runStateName(to), reason, detail, id,
                                      runStateName(current->state)});
        if (!q)
            return q.error();
        if (q->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("run %1 changed state concurrently").arg(id));
        QJsonObject payload = extra;
        payload.insert(QStringLiteral("state"), runStateName(to));
        payload.insert(QStringLiteral("reason"), reason);
        if (!detail.isEmpty())
            payload.insert(QStringLiteral("detail"), detail);
        payload.insert(QStringLiteral("from"), runStateName(current->state));
        event = m_journal.appendTape(id, TapeKind::RunStatus, payload, t);
        return event.error();
    }, RunStateMachine::isTerminal(to) ? JournalStore::Commit::Durable : JournalStore::Commit::Deferred);
    if (!s)
        return s.error();
    return event;
}

Status RunStore::addUsage(const QString &id, qint64 prompt, qint64 completion)
{
    return m_journal.transaction(
            [&]() -> Status {
                return m_journal
                        .exec(QStringLiteral("UPDATE runs SET prompt_tokens = prompt_tokens + ?, "
                                             "completion_tokens = completion_tokens + ? WHERE id = ?"),
                              {prompt, completion, id})
                        .error();
            },
            JournalStore::Commit::Deferred);
}

Status RunStore::requestCancel(const QString &id, const QString &by)
{
    auto q = m_journal.exec(QStringLiteral("UPDATE runs SET cancel_requested_at = ?, "
                                           "cancel_requested_by = ? WHERE id = ? AND state IN "
                                           "('accepted', 'running') AND cancel_requested_at IS NULL"),
                            {now(), by, id});
    return q.error();
}

Result<QList<RunInfo>> RunStore::cancelRequests(const QString &ownerInstance) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM runs WHERE state IN ('accepted', "
                                                     "'running') AND owner_instance = ? AND "
                                                     "cancel_requested_at IS NOT NULL"),
                            {ownerInstance});
    if (!q)
        return q.error();
    QList<RunInfo> out;
    while (q->next())
        out.append(readRun(*q));
    return out;
}

Status RunStore::heartbeat(const QString &ownerInstance, qint64 when)
{
    return m_journal
            .exec(QStringLiteral("UPDATE runs SET heartbeat_at = ? WHERE owner_instance = ? AND "
                                 "state IN ('accepted', 'running')"),
                  {when, ownerInstance})
            .error();
}

Result<QList<RunInfo>> RunStore::waitingRuns() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM runs WHERE state = 'running' AND id IN "
                                                     "(SELECT run_id FROM approvals WHERE "
                                                     "applied_at IS NULL) ORDER BY created_at, id"));
    if (!q)
        return q.error();
    QList<RunInfo> out;
    while (q->next())
        out.append(readRun(*q));
    return out;
}

Result<TapeEvent> RunStore::changeOwner(const QString &id, const QString &from, const QString &to,
                                        const QJsonObject &payload)
{
    Result<TapeEvent> event = makeError(ErrorCode::Internal, QStringLiteral("not written"));
    const Status s = m_journal.transaction([&]() -> Status {
        // Compare and set: only the owner it was read with can be replaced.
        auto q = m_journal.exec(QStringLiteral("UPDATE runs SET owner_instance = ?, heartbeat_at = ? "
                                               "WHERE id = ? AND owner_instance = ? AND state = 'running'"),
                                {to, now(), id, from});
        if (!q)
            return q.error();
        if (q->numRowsAffected() != 1)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("run %1 was taken over by another process").arg(id));
        event = m_journal.appendTape(id, TapeKind::RunOwner, payload);
        return event.error();
    });
    if (!s)
        return s.error();
    return event;
}

Result<QMap<QString, qint64>> RunStore::countByState() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT state, COUNT(*) FROM runs GROUP BY state"));
    if (!q)
        return q.error();
    QMap<QString, qint64> counts;
    while (q->next())
        counts.insert(q->value(0).toString(), q->value(1).toLongLong());
    return counts;
}

Result<TokenUsage> RunStore::sessionUsage(const QString &sessionId) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COALESCE(SUM(prompt_tokens), 0), "
                                           "COALESCE(SUM(completion_tokens), 0) FROM runs "
                                           "WHERE session_id = ?"),
                            {sessionId});
    if (!q)
        return q.error();
    TokenUsage usage;
    if (q->next()) {
        usage.prompt = q->value(0).toLongLong();
        usage.completion = q->value(1).toLongLong();
    }
    return usage;
}

Result<QStringList> RunStore::idsBefore(const QString &sessionId, int beforeOrdinal, int limit,
                                        int afterOrdinal) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT id FROM runs WHERE session_id = ? AND ordinal < ? "
                                           "AND ordinal > ? ORDER BY ordinal DESC LIMIT ?"),
                            {sessionId, beforeOrdinal, afterOrdinal, limit});
    if (!q)
        return q.error();
    QStringList ids;
    while (q->next())
        ids.append(q->value(0).toString());
    return ids;
}

} // namespace Spool
