#include "approvals/grantstore.h"

#include "journal/journalstore.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSqlQuery>

namespace Spool {

namespace {

const QString kColumns = QStringLiteral(
        "id, principal, tool, constraints, policy_text, created_at, created_by, "
        "source_approval_id, revoked_at, revoked_by");

PolicyGrant readGrant(const QSqlQuery &q)
{
    PolicyGrant g;
    g.id = q.value(0).toString();
    g.principal = q.value(1).toString();
    g.tool = q.value(2).toString();
    g.constraints = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    g.policyText = q.value(4).toString();
    g.createdAt = q.value(5).toLongLong();
    g.createdBy = q.value(6).toString();
    g.sourceApprovalId = q.value(7).toString();
    g.revokedAt = q.value(8).toLongLong();
    g.revokedBy = q.value(9).toString();
    return g;
}

} // namespace

GrantStore::GrantStore(JournalStore &journal) : m_journal(journal) {}

Status GrantStore::insert(const PolicyGrant &g)
{
    auto q = m_journal.exec(
            QStringLiteral("INSERT INTO policy_grants(id, principal, tool, constraints, policy_text, "
                           "created_at, created_by, source_approval_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            {g.id, g.principal, g.tool,
             QString::fromUtf8(QJsonDocument(g.constraints).toJson(QJsonDocument::Compact)),
             g.policyText, g.createdAt, g.createdBy,
             g.sourceApprovalId.isEmpty() ? QVariant() : QVariant(g.sourceApprovalId)});
    if (!q)
        return q.error();
    return {};
}

Result<QList<PolicyGrant>> GrantStore::select(const QString &where, const QVariantList &binds,
                                              const QString &tail) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM policy_grants WHERE ") + where + tail,
                            binds);
    if (!q)
        return q.error();
    QList<PolicyGrant> out;
    while (q->next())
        out.append(readGrant(*q));
    return out;
}

Result<PolicyGrant> GrantStore::get(const QString &id) const
{
    auto rows = select(QStringLiteral("id = ?"), {id}, {});
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no grant with id %1").arg(id));
    return rows->constFirst();
}

Result<PolicyGrant> GrantStore::find(const QString &idOrPrefix) const
{
    QString upper = idOrPrefix.trimmed();
    if (upper.startsWith(QLatin1String("grant."), Qt::CaseInsensitive))
        upper = upper.mid(6);
    upper = upper.toUpper();
    if (upper.size() == 26)
        return get(upper);
    const Error notFound = makeError(ErrorCode::NotFound, QStringLiteral("no grant with id %1").arg(idOrPrefix));
    if (upper.size() < 4 || upper.contains(QLatin1Char('%')) || upper.contains(QLatin1Char('_')))
        return notFound;
    auto rows = select(QStringLiteral("id LIKE ?"), {QString(upper + QLatin1Char('%'))},
                       QStringLiteral(" LIMIT 2"));
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return notFound;
    if (rows->size() > 1)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("grant id prefix %1 is ambiguous").arg(idOrPrefix));
    return rows->constFirst();
}

Result<QList<PolicyGrant>> GrantStore::list(bool includeRevoked) const
{
    return select(includeRevoked ? QStringLiteral("1") : QStringLiteral("revoked_at IS NULL"), {},
                  QStringLiteral(" ORDER BY created_at DESC, id DESC"));
}

Result<QList<PolicyGrant>> GrantStore::active() const
{
    return select(QStringLiteral("revoked_at IS NULL"), {}, QStringLiteral(" ORDER BY created_at, id"));
}

Result<PolicyGrant> GrantStore::revoke(const QString &id, const QString &by)
{
    auto q = m_journal.exec(QStringLiteral("UPDATE policy_grants SET revoked_at = ?, revoked_by = ? "
                                           "WHERE id = ? AND revoked_at IS NULL"),
                            {QDateTime::currentMSecsSinceEpoch(), by, id});
    if (!q)
        return q.error();
    auto current = get(id);
    if (!current)
        return current;
    if (q->numRowsAffected() != 1)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("grant %1 was already revoked by %2").arg(id, current->revokedBy));
    return current;
}

Result<QString> GrantStore::fingerprint() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*), COALESCE(MAX(created_at), 0), "
                                           "COALESCE(MAX(revoked_at), 0), "
                                           "COUNT(revoked_at) FROM policy_grants"));
    if (!q)
        return q.error();
    if (!q->next())
        return QString();
    return QStringLiteral("%1/%2/%3/%4")
            .arg(q->value(0).toLongLong())
            .arg(q->value(1).toLongLong())
            .arg(q->value(2).toLongLong())
            .arg(q->value(3).toLongLong());
}


Result<qint64> GrantStore::activeCount() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM policy_grants WHERE revoked_at IS NULL"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

} // namespace Spool
