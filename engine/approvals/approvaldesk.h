#pragma once

#include "approvals/pendingtoolapproval.h"
#include "approvals/policygrant.h"
#include "core/result.h"

#include <QObject>

#include <memory>
#include <optional>

namespace Spool {

class ApprovalStore;
class GrantStore;
class JournalStore;
class PolicyService;
class SessionStore;
class ToolRegistry;

// Where tool calls wait for a human (SPEC §6): pending approvals in the journal, decided
// exactly once by whichever front end answers first, and the "always" grants they leave
// behind, kept loaded in the PolicyService as narrow permits in step with every process's
// grants and revocations.
class ApprovalDesk : public QObject
{
    Q_OBJECT
public:
    ApprovalDesk(JournalStore &journal, PolicyService &policy, const SessionStore &sessions,
                 const ToolRegistry &tools, QObject *parent = nullptr);
    ~ApprovalDesk() override;

    Result<PendingToolApproval> open(const PendingToolApproval &draft);
    // Closes a pending approval without a human: timeout or cancelled.
    Result<PendingToolApproval> close(const QString &id, ApprovalStatus status,
                                      const QString &by, const QString &reason);
    // allow or deny, once or for the session; "always" allows and stores a grant in the same
    // transaction (the approval's grantId names it), then loads it.
    Result<PendingToolApproval> decide(const QString &idOrPrefix, bool allow,
                                       ApprovalScope scope, const QString &by);

    Result<PendingToolApproval> get(const QString &id) const;
    Result<PendingToolApproval> find(const QString &idOrPrefix) const;
    Result<QList<PendingToolApproval>> list(const ApprovalFilter &filter = {}) const;
    Result<bool> markApplied(const QString &id);
    // An earlier "allow for this session" for this tool in this session, if any.
    std::optional<PendingToolApproval> sessionGrant(const QString &sessionId,
                                                    const QString &tool) const;
    Result<QMap<QString, qint64>> countByStatus() const;

    // Grants, newest first.
    Result<QList<PolicyGrant>> grants(bool includeRevoked = false) const;
    Result<PolicyGrant> findGrant(const QString &idOrPrefix) const;
    Result<PolicyGrant> revokeGrant(const QString &idOrPrefix, const QString &by);
    Result<qint64> activeGrantCount() const;

    // The store under the desk, for start-up recovery, which closes approvals of dead runs.
    ApprovalStore &store() { return *m_approvals; }

    // Loads the active grants into the policy when any process changed them (force: always).
    void syncGrants(bool force = false);
    // syncGrants() only when another connection committed since the last look: cheap enough
    // to call before every policy decision.
    void syncGrantsIfJournalMoved();

signals:
    void approvalRequested(const Spool::PendingToolApproval &approval);
    void approvalResolved(const Spool::PendingToolApproval &approval);

private:
    Result<PendingToolApproval> resolve(const QString &id, ApprovalStatus status,
                                        std::optional<ApprovalScope> scope, const QString &by,
                                        const QString &reason);
    Result<PendingToolApproval> allowAlways(const PendingToolApproval &approval, const QString &by);

    JournalStore &m_journal;
    PolicyService &m_policy;
    const SessionStore &m_sessions;
    const ToolRegistry &m_tools;
    std::unique_ptr<ApprovalStore> m_approvals;
    std::unique_ptr<GrantStore> m_grants;
    QString m_grantFingerprint;
    qint64 m_dataVersion = -1;
};

} // namespace Spool
