#include "approvallistmodel.h"

#include <QDateTime>
#include <QJsonDocument>

namespace Spool {

ApprovalListModel::ApprovalListModel(QObject *parent) : KeyedTableModel<PendingToolApproval>(parent) {}

int ApprovalListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

qint64 ApprovalListModel::now() const
{
    return m_now > 0 ? m_now : QDateTime::currentMSecsSinceEpoch();
}

QString ApprovalListModel::ageText(qint64 ageMs)
{
    const qint64 seconds = qMax<qint64>(0, ageMs / 1000);
    if (seconds < 60)
        return tr("%1 s ago").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min ago").arg(seconds / 60);
    if (seconds < 48 * 3600)
        return tr("%1 h ago").arg(seconds / 3600);
    return tr("%1 days ago").arg(seconds / 86400);
}

QString ApprovalListModel::expiryText(qint64 leftMs)
{
    if (leftMs <= 0)
        return tr("expired");
    const qint64 left = (leftMs + 999) / 1000; // "in 0:00" would read as expired already
    if (left >= 3600)
        return tr("in %1:%2:%3")
                .arg(left / 3600)
                .arg((left / 60) % 60, 2, 10, QLatin1Char('0'))
                .arg(left % 60, 2, 10, QLatin1Char('0'));
    return tr("in %1:%2").arg(left / 60).arg(left % 60, 2, 10, QLatin1Char('0'));
}

QString ApprovalListModel::sessionName(const QString &sessionId) const
{
    const QString name = m_sessionNames.value(sessionId);
    return name.isEmpty() ? sessionId.left(8) : name;
}

QVariant ApprovalListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PendingToolApproval &a = m_rows.at(index.row());
    switch (role) {
    case IdRole: return a.id;
    case ApprovalRole: return QVariant::fromValue(a);
    case RunIdRole: return a.runId;
    case SessionIdRole: return a.sessionId;
    case ExpiresAtRole: return a.expiresAt;
    case Qt::ToolTipRole: return a.explanation;
    default: break;
    }
    if (role == Qt::AccessibleTextRole && index.column() == ToolColumn) {
        // A screen reader reads the row's first cell: say what is waiting, where, for how long.
        return tr("%1 in %2, asked %3, expires %4")
                .arg(a.tool, sessionName(a.sessionId), ageText(now() - a.createdAt),
                     a.expiresAt > 0 ? expiryText(a.expiresAt - now()) : tr("never"));
    }
    if (role != Qt::DisplayRole && role != Qt::AccessibleTextRole)
        return {};
    switch (index.column()) {
    case ToolColumn: return a.tool;
    case SessionColumn: return sessionName(a.sessionId);
    case AgeColumn: return ageText(now() - a.createdAt);
    case ExpiresColumn:
        return a.expiresAt > 0 ? expiryText(a.expiresAt - now()) : tr("never");
    case RiskColumn: return a.risk;
    case ArgumentsColumn:
        return QString::fromUtf8(QJsonDocument(a.arguments).toJson(QJsonDocument::Compact)).left(200);
    }
    return {};
}

QVariant ApprovalListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ToolColumn: return tr("Tool");
    case SessionColumn: return tr("Session");
    case AgeColumn: return tr("Asked");
    case ExpiresColumn: return tr("Expires");
    case RiskColumn: return tr("Risk");
    case ArgumentsColumn: return tr("Arguments");
    }
    return {};
}

void ApprovalListModel::updateApproval(const PendingToolApproval &approval)
{
    if (!approval.isPending()) {
        removeKey(approval.id);
        return;
    }
    upsert(approval, [](const PendingToolApproval &a, const PendingToolApproval &b) {
        return a.createdAt < b.createdAt;
    });
}

void ApprovalListModel::setSessionName(const QString &sessionId, const QString &name)
{
    if (m_sessionNames.value(sessionId) == name && m_sessionNames.contains(sessionId))
        return;
    m_sessionNames.insert(sessionId, name);
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).sessionId == sessionId)
            emit dataChanged(index(i, SessionColumn), index(i, SessionColumn),
                             {Qt::DisplayRole, Qt::AccessibleTextRole});
    }
}

void ApprovalListModel::tick()
{
    if (m_rows.isEmpty())
        return;
    emit dataChanged(index(0, ToolColumn), index(int(m_rows.size()) - 1, ExpiresColumn),
                     {Qt::DisplayRole, Qt::AccessibleTextRole});
}

QList<int> ApprovalListModel::changedRoles(const PendingToolApproval &a, const PendingToolApproval &b) const
{
    if (a.status != b.status || a.expiresAt != b.expiresAt || a.arguments != b.arguments
        || a.sessionId != b.sessionId || a.tool != b.tool || a.risk != b.risk
        || a.explanation != b.explanation || a.createdAt != b.createdAt)
        return {Qt::DisplayRole, Qt::AccessibleTextRole, Qt::ToolTipRole, ApprovalRole,
                SessionIdRole, ExpiresAtRole};
    return {};
}

} // namespace Spool
