#include "approvals/approvaldesk.h"

#include "approvals/approvalstore.h"
#include "approvals/grantpermit.h"
#include "approvals/grantstore.h"
#include "core/logging.h"
#include "journal/journalstore.h"
#include "policy/policyservice.h"
#include "sessions/sessionstore.h"
#include "tools/tool.h"
#include "tools/toolregistry.h"

#include <QDateTime>

namespace Spool {

ApprovalDesk::ApprovalDesk(JournalStore &journal, PolicyService &policy,
                           const SessionStore &sessions, const ToolRegistry &tools,
                           QObject *parent)
    : QObject(parent), m_journal(journal), m_policy(policy), m_sessions(sessions), m_tools(tools),
      m_approvals(std::make_unique<ApprovalStore>(journal)),
      m_grants(std::make_unique<GrantStore>(journal))
{
}

ApprovalDesk::~ApprovalDesk() = default;

Result<PendingToolApproval> ApprovalDesk::open(const PendingToolApproval &draft)
{
    auto a = m_approvals->create(draft);
    if (a)
        emit approvalRequested(*a);
    return a;
}

Result<PendingToolApproval> ApprovalDesk::close(const QString &id, ApprovalStatus status,
                                                const QString &by, const QString &reason)
{
    return resolve(id, status, std::nullopt, by, reason);
}

Result<PendingToolApproval> ApprovalDesk::resolve(const QString &id, ApprovalStatus status,
                                                  std::optional<ApprovalScope> scope,
                                                  const QString &by, const QString &reason)
{
    auto a = m_approvals->decide(id, status, scope, by, reason);
    if (a)
        emit approvalResolved(*a);
    return a;
}

Result<PendingToolApproval> ApprovalDesk::decide(const QString &idOrPrefix, bool allow,
                                                 ApprovalScope scope, const QString &by)
{
    if (scope == ApprovalScope::Always && !allow) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("\"always\" applies to allowing only; to deny a call for "
                                        "good, write a forbid policy in %1")
                                 .arg(m_policy.folder()));
    }
    auto found = m_approvals->find(idOrPrefix);
    if (!found)
        return found;
    const QString who = by.isEmpty() ? QStringLiteral("user") : by;
    // (An "always" for an approval that was decided already ends in the same conflict.)
    if (scope == ApprovalScope::Always && found->isPending())
        return allowAlways(*found, who);
    return resolve(found->id, allow ? ApprovalStatus::Allow : ApprovalStatus::Deny, scope, who,
                   QString());
}

Result<PendingToolApproval> ApprovalDesk::allowAlways(const PendingToolApproval &approval,
                                                      const QString &by)
{
    auto session = m_sessions.find(approval.sessionId);
    if (!session)
        return session.error();
    const Tool *tool = m_tools.tool(approval.tool);
    const ToolSpec spec = tool ? tool->spec() : ToolSpec{};
    auto grant = GrantPermit::forCall(session->principal, approval.tool, tool ? &spec : nullptr,
                                      approval.arguments, m_journal.redactor());
    if (!grant)
        return grant.error();
    grant->createdAt = QDateTime::currentMSecsSinceEpoch();
    grant->createdBy = by;
    grant->sourceApprovalId = approval.id;
    // The decision and its grant are written together, or neither is.
    Result<PendingToolApproval> decided = makeError(ErrorCode::Internal, QStringLiteral("not decided"));
    const Status written = m_journal.transaction([&]() -> Status {
        decided = m_approvals->decide(approval.id, ApprovalStatus::Allow, ApprovalScope::Always, by);
        if (!decided)
            return decided.error();
        return m_grants->insert(*grant);
    });
    if (!decided)
        return decided;
    if (!written)
        return written.error();
    syncGrants(true);
    qCInfo(lcPolicy).noquote() << "grant" << grant->id << "for" << grant->tool << "by" << by;
    decided = m_approvals->get(approval.id); // now with its grant id
    if (decided)
        emit approvalResolved(*decided);
    return decided;
}

Result<PendingToolApproval> ApprovalDesk::get(const QString &id) const
{
    return m_approvals->get(id);
}

Result<PendingToolApproval> ApprovalDesk::find(const QString &idOrPrefix) const
{
    return m_approvals->find(idOrPrefix);
}

Result<QList<PendingToolApproval>> ApprovalDesk::list(const ApprovalFilter &filter) const
{
    return m_approvals->list(filter);
}

Result<bool> ApprovalDesk::markApplied(const QString &id)
{
    return m_approvals->markApplied(id);
}

std::optional<PendingToolApproval> ApprovalDesk::sessionGrant(const QString &sessionId,
                                                              const QString &tool) const
{
    auto g = m_approvals->sessionGrant(sessionId, tool);
    return g ? *g : std::nullopt;
}

Result<QMap<QString, qint64>> ApprovalDesk::countByStatus() const
{
    return m_approvals->countByStatus();
}

Result<QList<PolicyGrant>> ApprovalDesk::grants(bool includeRevoked) const
{
    return m_grants->list(includeRevoked);
}

Result<PolicyGrant> ApprovalDesk::findGrant(const QString &idOrPrefix) const
{
    return m_grants->find(idOrPrefix);
}

Result<PolicyGrant> ApprovalDesk::revokeGrant(const QString &idOrPrefix, const QString &by)
{
    auto found = m_grants->find(idOrPrefix);
    if (!found)
        return found;
    auto revoked = m_grants->revoke(found->id, by.isEmpty() ? QStringLiteral("user") : by);
    if (revoked) {
        syncGrants(true);
        qCInfo(lcPolicy).noquote() << "grant" << revoked->id << "revoked by" << revoked->revokedBy;
    }
    return revoked;
}

Result<qint64> ApprovalDesk::activeGrantCount() const
{
    return m_grants->activeCount();
}

void ApprovalDesk::syncGrants(bool force)
{
    m_dataVersion = m_journal.dataVersion();
    auto fingerprint = m_grants->fingerprint();
    if (!fingerprint) {
        // What is loaded stays: the next change or poll tries again.
        qCWarning(lcPolicy) << "cannot read the grants:" << fingerprint.errorMessage();
        return;
    }
    if (!force && *fingerprint == m_grantFingerprint)
        return;
    auto active = m_grants->active();
    if (!active) {
        qCWarning(lcPolicy) << "cannot read the grants:" << active.errorMessage();
        return;
    }
    QList<PolicySource> sources;
    sources.reserve(active->size());
    for (const PolicyGrant &g : std::as_const(*active))
        sources.append(PolicySource{g.policyText, QStringLiteral("grants/") + g.id});
    m_policy.replaceGrants(sources);
    m_grantFingerprint = *fingerprint;
}

void ApprovalDesk::syncGrantsIfJournalMoved()
{
    // data_version moves when another process committed: it may have added or revoked a grant.
    if (m_journal.dataVersion() != m_dataVersion)
        syncGrants();
}

} // namespace Spool
