#pragma once

#include "approvals/pendingtoolapproval.h"
#include "keyedtablemodel.h"

namespace Spool {

// Tool calls waiting for a decision, oldest first (the one to answer next on top).
class ApprovalListModel : public KeyedTableModel<PendingToolApproval>
{
    Q_OBJECT
public:
    enum Column { ToolColumn, ArgumentsColumn, RiskColumn, ExpiresColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, ApprovalRole, RunIdRole };

    explicit ApprovalListModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Pending ones are kept (or added); decided ones leave.
    void updateApproval(const PendingToolApproval &approval);

protected:
    QString keyOf(const PendingToolApproval &a) const override { return a.id; }
    QList<int> changedRoles(const PendingToolApproval &a, const PendingToolApproval &b) const override;
};

} // namespace Spool
