#include "approvallistmodel.h"

#include <QDateTime>
#include <QJsonDocument>

namespace Spool {

ApprovalListModel::ApprovalListModel(QObject *parent) : KeyedTableModel<PendingToolApproval>(parent) {}

int ApprovalListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
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
    case Qt::ToolTipRole: return a.explanation;
    default: break;
    }
    if (role != Qt::DisplayRole && role != Qt::AccessibleTextRole)
        return {};
    switch (index.column()) {
    case ToolColumn: return a.tool;
    case ArgumentsColumn:
        return QString::fromUtf8(QJsonDocument(a.arguments).toJson(QJsonDocument::Compact)).left(200);
    case RiskColumn: return a.risk;
    case ExpiresColumn: {
        const qint64 left = (a.expiresAt - QDateTime::currentMSecsSinceEpoch()) / 1000;
        return left > 0 ? tr("in %1:%2").arg(left / 60).arg(left % 60, 2, 10, QLatin1Char('0'))
                        : tr("expired");
    }
    }
    return {};
}

QVariant ApprovalListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ToolColumn: return tr("Tool");
    case ArgumentsColumn: return tr("Arguments");
    case RiskColumn: return tr("Risk");
    case ExpiresColumn: return tr("Expires");
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

QList<int> ApprovalListModel::changedRoles(const PendingToolApproval &a, const PendingToolApproval &b) const
{
    if (a.status != b.status || a.expiresAt != b.expiresAt || a.arguments != b.arguments)
        return {Qt::DisplayRole, ApprovalRole};
    return {};
}

} // namespace Spool
