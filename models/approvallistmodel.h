#pragma once

#include "approvals/pendingtoolapproval.h"
#include "keyedtablemodel.h"

#include <QHash>

namespace Spool {

// Tool calls waiting for a decision, oldest first (the one to answer next on top), across
// every session: the tool, its session, how long it has waited, when it expires.
class ApprovalListModel : public KeyedTableModel<PendingToolApproval>
{
    Q_OBJECT
public:
    enum Column { ToolColumn, SessionColumn, AgeColumn, ExpiresColumn, RiskColumn, ArgumentsColumn,
                  ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, ApprovalRole, RunIdRole, SessionIdRole, ExpiresAtRole };

    explicit ApprovalListModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Pending ones are kept (or added); decided ones leave.
    void updateApproval(const PendingToolApproval &approval);

    // The name shown for a session (its title or key); until it is known, a short id.
    void setSessionName(const QString &sessionId, const QString &name);
    bool hasSessionName(const QString &sessionId) const { return m_sessionNames.contains(sessionId); }
    QString sessionName(const QString &sessionId) const;

    // Ages grow and countdowns run: tells views to repaint them (called about once a second).
    void tick();
    // The clock the ages and countdowns are read against (milliseconds since the epoch); by
    // default the current time. For tests.
    void setNow(qint64 msecsSinceEpoch) { m_now = msecsSinceEpoch; }

    static QString ageText(qint64 ageMs);
    static QString expiryText(qint64 leftMs);

protected:
    QString keyOf(const PendingToolApproval &a) const override { return a.id; }
    QList<int> changedRoles(const PendingToolApproval &a, const PendingToolApproval &b) const override;

private:
    qint64 now() const;

    QHash<QString, QString> m_sessionNames;
    qint64 m_now = 0;
};

} // namespace Spool
