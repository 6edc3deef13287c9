#include "approvals/approvalstore.h"

#include "core/ulid.h"
#include "journal/journalstore.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSqlQuery>

namespace Spool {

namespace {

const QString kColumns = QStringLiteral(
        "id, run_id, session_id, call_id, tool, arguments, risk, explanation, status, scope, "
        "decided_by, reason, created_at, expires_at, decided_at, applied_at, "
        "(SELECT g.id FROM policy_grants g WHERE g.source_approval_id = approvals.id), preview");

PendingToolApproval readApproval(const QSqlQuery &q)
{
    PendingToolApproval a;
    a.id = q.value(0).toString();
    a.runId = q.value(1).toString();
    a.sessionId = q.value(2).toString();
    a.callId = q.value(3).toString();
    a.tool = q.value(4).toString();
    a.arguments = QJsonDocument::fromJson(q.value(5).toString().toUtf8()).object();
    a.risk = q.value(6).toString();
    a.explanation = q.value(7).toString();
    a.status = parseApprovalStatus(q.value(8).toString()).value_or(ApprovalStatus::Cancelled);
    if (!q.value(9).isNull())
        a.scope = parseApprovalScope(q.value(9).toString());
    a.decidedBy = q.value(10).toString();
    a.reason = q.value(11).toString();
    a.createdAt = q.value(12).toLongLong();
    a.expiresAt = q.value(13).toLongLong();
    a.decidedAt = q.value(14).toLongLong();
    a.appliedAt = q.value(15).toLongLong();
    a.grantId = q.value(16).toString();
    a.preview = QJsonDocument::fromJson(q.value(17).toString().toUtf8()).object();
    return a;
}

} // namespace

ApprovalStore::ApprovalStore(JournalStore &journal) : m_journal(journal) {}

Result<PendingToolApproval> ApprovalStore::create(const PendingToolApproval &approval)
{
    PendingToolApproval a = approval;
    a.id = Ulid::generate();
    a.status = ApprovalStatus::Pending;
    if (a.createdAt == 0)
        a.createdAt = QDateTime::currentMSecsSinceEpoch();
    const QJsonObject args = m_journal.redactor().redact(a.arguments);
    const QJsonObject preview = m_journal.redactor().redact(a.preview);
    auto q = m_journal.exec(
            QStringLiteral("INSERT INTO approvals(id, run_id, session_id, call_id, tool, "
                           "arguments, risk, explanation, created_at, expires_at, preview) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            {a.id, a.runId, a.sessionId, a.callId, a.tool,
             QString::fromUtf8(QJsonDocument(args).toJson(QJsonDocument::Compact)), a.risk,
             a.explanation, a.createdAt, a.expiresAt,
             QString::fromUtf8(QJsonDocument(preview).toJson(QJsonDocument::Compact))});
    if (!q)
        return q.error();
    a.arguments = args;
    a.preview = preview;
    return a;
}

Result<QList<PendingToolApproval>> ApprovalStore::select(const QString &where,
                                                         const QVariantList &binds,
                                                         const QString &tail) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM approvals WHERE ") + where + tail,
                            binds);
    if (!q)
        return q.error();
    QList<PendingToolApproval> out;
    while (q->next())
        out.append(readApproval(*q));
    return out;
}

Result<PendingToolApproval> ApprovalStore::get(const QString &id) const
{
    auto rows = select(QStringLiteral("id = ?"), {id});
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no approval with id %1").arg(id));
    return rows->constFirst();
}

Result<PendingToolApproval> ApprovalStore::find(const QString &idOrPrefix) const
{
    const QString upper = idOrPrefix.trimmed().toUpper();
    if (upper.size() == 26)
        return get(upper);
    if (upper.size() < 4 || upper.contains(QLatin1Char('%')) || upper.contains(QLatin1Char('_')))
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("no approval with id %1").arg(idOrPrefix));
    auto rows = select(QStringLiteral("id LIKE ?"), {QString(upper + QLatin1Char('%'))},
                       QStringLiteral(" LIMIT 2"));
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("no approval with id %1").arg(idOrPrefix));
    if (rows->size() > 1)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("approval id prefix %1 is ambiguous").arg(idOrPrefix));
    return rows->constFirst();
}

Result<QList<PendingToolApproval>> ApprovalStore::list(const ApprovalFilter &filter) const
{
    QStringList where{QStringLiteral("1")};
    QVariantList binds;
    if (filter.pendingOnly)
        where.append(QStringLiteral("status = 'pending'"));
    if (!filter.runId.isEmpty()) {
        where.append(QStringLiteral("run_id = ?"));
        binds.append(filter.runId);
    }
    if (!filter.sessionId.isEmpty()) {
        where.append(QStringLiteral("session_id = ?"));
        binds.append(filter.sessionId);
    }
    QString tail = QStringLiteral(" ORDER BY created_at DESC, id DESC");
    if (filter.limit >= 0)
        tail += QStringLiteral(" LIMIT %1").arg(filter.limit);
    return select(where.join(QStringLiteral(" AND ")), binds, tail);
}

Result<PendingToolApproval> ApprovalStore::decide(const QString &id, ApprovalStatus status,
                                                  std::optional<ApprovalScope> scope,
                                                  const QString &decidedBy, const QString &reason)
{
    if (status == ApprovalStatus::Pending)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("pending is not a decision"));
    auto q = m_journal.exec(
            QStringLiteral("UPDATE approvals SET status = ?, scope = ?, decided_by = ?, "
                           "reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'"),
            {approvalStatusName(status), scope ? QVariant(approvalScopeName(*scope)) : QVariant(),
             decidedBy, reason, QDateTime::currentMSecsSinceEpoch(), id});
    if (!q)
        return q.error();
    auto current = get(id);
    if (!current)
        return current;
    if (q->numRowsAffected() != 1) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("approval %1 was already decided: %2 by %3")
                                 .arg(id, approvalStatusName(current->status), current->decidedBy));
    }
    return current;
}

Result<bool> ApprovalStore::markApplied(const QString &id)
{
    auto q = m_journal.exec(QStringLiteral("UPDATE approvals SET applied_at = ? WHERE id = ? AND "
                                           "status <> 'pending' AND applied_at IS NULL"),
                            {QDateTime::currentMSecsSinceEpoch(), id});
    if (!q)
        return q.error();
    return q->numRowsAffected() == 1;
}

Result<std::optional<PendingToolApproval>> ApprovalStore::waitingFor(const QString &runId) const
{
    auto rows = select(QStringLiteral("run_id = ? AND applied_at IS NULL"), {runId},
                       QStringLiteral(" ORDER BY created_at DESC LIMIT 1"));
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return std::optional<PendingToolApproval>();
    return std::optional<PendingToolApproval>(rows->constFirst());
}

Result<std::optional<PendingToolApproval>> ApprovalStore::sessionGrant(const QString &sessionId,
                                                                       const QString &tool) const
{
    auto rows = select(QStringLiteral("session_id = ? AND tool = ? AND status = 'allow' AND "
                                      "scope = 'session'"),
                       {sessionId, tool}, QStringLiteral(" ORDER BY decided_at LIMIT 1"));
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return std::optional<PendingToolApproval>();
    return std::optional<PendingToolApproval>(rows->constFirst());
}


Result<QMap<QString, qint64>> ApprovalStore::countByStatus() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT status, COUNT(*) FROM approvals GROUP BY status"));
    if (!q)
        return q.error();
    QMap<QString, qint64> counts;
    while (q->next())
        counts.insert(q->value(0).toString(), q->value(1).toLongLong());
    return counts;
}

} // namespace Spool
