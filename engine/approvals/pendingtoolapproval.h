#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace Spool {

enum class ApprovalStatus { Pending, Allow, Deny, Timeout, Cancelled };
enum class ApprovalScope { Once, Session, Always };

QString approvalStatusName(ApprovalStatus status);
std::optional<ApprovalStatus> parseApprovalStatus(const QString &name);
QString approvalScopeName(ApprovalScope scope);
std::optional<ApprovalScope> parseApprovalScope(const QString &name);

// A tool call waiting for a human. Persisted in the journal, so it survives the window being
// closed, and decided exactly once by whichever front end answers first.
struct PendingToolApproval
{
    QString id;
    QString runId;
    QString sessionId;
    QString callId;
    QString tool;
    QJsonObject arguments;
    QString risk;
    QString explanation; // why the policy asks
    ApprovalStatus status = ApprovalStatus::Pending;
    std::optional<ApprovalScope> scope;
    QString decidedBy;
    QString reason;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    qint64 decidedAt = 0;
    qint64 appliedAt = 0;
    QString grantId; // the grant an "always" decision created
    QJsonObject preview; // what the call would do: a diff for file writes, the command and its sandbox

    bool isValid() const { return !id.isEmpty(); }
    bool isPending() const { return status == ApprovalStatus::Pending; }
    QJsonObject toJson() const;
};

struct ApprovalFilter
{
    bool pendingOnly = true;
    QString runId;
    QString sessionId;
    int limit = -1;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::PendingToolApproval)
