#pragma once

#include "approvals/policygrant.h"
#include "core/result.h"

#include <QList>

#include <optional>

namespace Spool {

class JournalStore;

// The "always" grants in the journal (`policy_grants`). A grant is written once and never
// edited; revoke() is a compare-and-set on `revoked_at IS NULL`, so it happens once.
class GrantStore
{
public:
    explicit GrantStore(JournalStore &journal);

    Status insert(const PolicyGrant &grant);
    Result<PolicyGrant> get(const QString &id) const;
    // By full id or a unique prefix (4+ characters); "grant.<id>" is accepted too.
    Result<PolicyGrant> find(const QString &idOrPrefix) const;
    // Newest first; active ones only unless `includeRevoked`.
    Result<QList<PolicyGrant>> list(bool includeRevoked = false) const;
    // Active grants, oldest first: the order they are loaded into the policy engine.
    Result<QList<PolicyGrant>> active() const;
    // Conflict when it was revoked already (the message says when and by whom).
    Result<PolicyGrant> revoke(const QString &id, const QString &by);
    // Changes whenever any process adds or revokes a grant.
    Result<QString> fingerprint() const;
    Result<qint64> activeCount() const;

private:
    Result<QList<PolicyGrant>> select(const QString &where, const QVariantList &binds,
                                      const QString &tail) const;

    JournalStore &m_journal;
};

} // namespace Spool
