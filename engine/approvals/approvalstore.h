#pragma once

#include "approvals/pendingtoolapproval.h"
#include "core/result.h"

#include <QList>
#include <QMap>

namespace Spool {

class JournalStore;

// Approvals in the journal. decide() is a compare-and-set on `status = 'pending'`, so two
// front ends answering at once cannot both win; markApplied() does the same for acting on it.
class ApprovalStore
{
public:
    explicit ApprovalStore(JournalStore &journal);

    Result<PendingToolApproval> create(const PendingToolApproval &approval);
    Result<PendingToolApproval> get(const QString &id) const;
    // By full id or a unique prefix.
    Result<PendingToolApproval> find(const QString &idOrPrefix) const;
    Result<QList<PendingToolApproval>> list(const ApprovalFilter &filter = {}) const;

    // Decides a pending approval. Conflict when it was already decided (the message says how).
    Result<PendingToolApproval> decide(const QString &id, ApprovalStatus status,
                                       std::optional<ApprovalScope> scope,
                                       const QString &decidedBy, const QString &reason = {});
    // True exactly once per approval: the caller that gets true carries out the decision.
    Result<bool> markApplied(const QString &id);
    // The approval a run waits for: pending, or decided and not yet carried out.
    Result<std::optional<PendingToolApproval>> waitingFor(const QString &runId) const;

    // An "allow for this session" given earlier for this tool, if any.
    Result<std::optional<PendingToolApproval>> sessionGrant(const QString &sessionId,
                                                            const QString &tool) const;
    // Approvals of the whole journal by status name.
    Result<QMap<QString, qint64>> countByStatus() const;

private:
    Result<QList<PendingToolApproval>> select(const QString &where, const QVariantList &binds,
                                              const QString &tail = {}) const;

    JournalStore &m_journal;
};

} // namespace Spool
