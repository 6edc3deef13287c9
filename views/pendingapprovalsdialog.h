#pragma once

#include <QDialog>
#include <QTimer>

class QLabel;
class QPushButton;
class QTableView;

namespace Spool {

class ApprovalListModel;

// Every tool call waiting for a decision, across sessions: the tool, its session, how long it
// has waited and when it expires, counting down. The selected request can be allowed once,
// denied, or reviewed in the full approval dialog (Enter or a double click). The list follows
// the model live: requests decided elsewhere or expired leave, new ones appear. Modeless.
class PendingApprovalsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit PendingApprovalsDialog(ApprovalListModel *approvals, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    QPushButton *allowOnceButton() const { return m_allowOnce; }
    QPushButton *denyButton() const { return m_deny; }
    QPushButton *reviewButton() const { return m_review; }
    QString summaryText() const;
    // The approval the buttons act on (the current row), or empty.
    QString currentApprovalId() const;
    void selectApproval(const QString &approvalId);

signals:
    void reviewRequested(const QString &approvalId);
    void decisionRequested(const QString &approvalId, bool allow);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void selectRow(int row);
    void decideSelected(bool allow);
    void review();
    void updateState();
    QStringList selectedIds() const;

    ApprovalListModel *m_approvals;
    QLabel *m_summary = nullptr;
    QTableView *m_table = nullptr;
    QPushButton *m_allowOnce = nullptr;
    QPushButton *m_deny = nullptr;
    QPushButton *m_review = nullptr;
    QTimer m_tick;
};

} // namespace Spool
