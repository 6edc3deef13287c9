#include "pendingapprovalsdialog.h"

#include "approvallistmodel.h"
#include "recordtable.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace Spool {

PendingApprovalsDialog::PendingApprovalsDialog(ApprovalListModel *approvals, QWidget *parent)
    : QDialog(parent), m_approvals(approvals)
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("Pending approvals \u2014 Spool"));
    setAccessibleName(tr("Pending approvals"));

    m_summary = new QLabel(this);
    m_summary->setAccessibleName(tr("How many approvals are waiting"));
    QFont bold = m_summary->font();
    bold.setBold(true);
    m_summary->setFont(bold);

    m_table = new QTableView(this);
    m_table->setModel(approvals);
    setUpRecordTable(m_table, tr("Pending approvals"));
    // Several requests can be answered at once (deny a burst of calls, say).
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setColumnWidth(ApprovalListModel::ToolColumn, 110);
    m_table->setColumnWidth(ApprovalListModel::SessionColumn, 230);
    m_table->setColumnWidth(ApprovalListModel::AgeColumn, 90);
    m_table->setColumnWidth(ApprovalListModel::ExpiresColumn, 80);
    m_table->setColumnWidth(ApprovalListModel::RiskColumn, 70);
    connect(m_table, &QAbstractItemView::doubleClicked, this, [this] { review(); });

    auto *hint = new QLabel(tr("Enter reviews the selected request in full; Alt+O allows it once, "
                               "Alt+D denies it. Requests left unanswered are denied when they expire."),
                            this);
    hint->setWordWrap(true);
    hint->setEnabled(false); // muted
    hint->setAccessibleName(tr("Keyboard help"));

    m_allowOnce = new QPushButton(tr("Allow &once"), this);
    m_allowOnce->setAccessibleName(tr("Allow the selected calls once"));
    m_deny = new QPushButton(tr("&Deny"), this);
    m_deny->setAccessibleName(tr("Deny the selected calls"));
    m_review = new QPushButton(tr("&Review\u2026"), this);
    m_review->setAccessibleName(tr("Review the selected call in full"));
    // Enter opens the full dialog, the safe choice; allowing always takes a deliberate key.
    m_allowOnce->setAutoDefault(false);
    m_deny->setAutoDefault(false);
    m_review->setDefault(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_review, QDialogButtonBox::ActionRole);
    buttons->addButton(m_allowOnce, QDialogButtonBox::ActionRole);
    buttons->addButton(m_deny, QDialogButtonBox::ActionRole);
    buttons->button(QDialogButtonBox::Close)->setAutoDefault(false);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    connect(m_allowOnce, &QPushButton::clicked, this, [this] { decideSelected(true); });
    connect(m_deny, &QPushButton::clicked, this, [this] { decideSelected(false); });
    connect(m_review, &QPushButton::clicked, this, &PendingApprovalsDialog::review);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    layout->addWidget(hint);
    layout->addWidget(buttons);
    resize(760, 340);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &PendingApprovalsDialog::updateState);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(approvals, signal, this, &PendingApprovalsDialog::updateState);
    connect(approvals, &QAbstractItemModel::modelReset, this, &PendingApprovalsDialog::updateState);
    connect(&m_tick, &QTimer::timeout, approvals, &ApprovalListModel::tick);
    updateState();
    m_table->setFocus(Qt::OtherFocusReason);
}

QString PendingApprovalsDialog::summaryText() const
{
    return m_summary->text();
}

QString PendingApprovalsDialog::currentApprovalId() const
{
    const QModelIndex current = m_table->currentIndex();
    return current.isValid() ? current.data(ApprovalListModel::IdRole).toString() : QString();
}

void PendingApprovalsDialog::selectApproval(const QString &approvalId)
{
    selectRow(m_approvals->rowOf(approvalId));
}

void PendingApprovalsDialog::selectRow(int row)
{
    if (row < 0 || row >= m_approvals->rowCount())
        return;
    // Through the selection model: QTableView::selectRow() would read the keyboard modifiers
    // still held (Ctrl+Shift from the shortcut that opened the list) as "extend" or "toggle".
    const QModelIndex index = m_approvals->index(row, ApprovalListModel::ToolColumn);
    m_table->selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QStringList PendingApprovalsDialog::selectedIds() const
{
    QStringList ids;
    const QModelIndexList rows = m_table->selectionModel()->selectedRows(ApprovalListModel::ToolColumn);
    for (const QModelIndex &row : rows)
        ids.append(row.data(ApprovalListModel::IdRole).toString());
    return ids;
}

void PendingApprovalsDialog::decideSelected(bool allow)
{
    for (const QString &id : selectedIds())
        emit decisionRequested(id, allow);
}

void PendingApprovalsDialog::review()
{
    const QString id = currentApprovalId();
    if (!id.isEmpty())
        emit reviewRequested(id);
}

void PendingApprovalsDialog::updateState()
{
    const int waiting = m_approvals->rowCount();
    m_summary->setText(waiting == 0 ? tr("No tool call is waiting for a decision.")
                       : waiting == 1 ? tr("1 tool call waiting for your decision")
                                      : tr("%1 tool calls waiting for your decision").arg(waiting));
    // Keep a row selected as requests come and go, so the keys always act on something.
    QItemSelectionModel *selection = m_table->selectionModel();
    if (waiting > 0 && !selection->hasSelection()) {
        const QModelIndex current = m_table->currentIndex();
        selectRow(current.isValid() ? current.row() : 0);
    }
    const bool any = selection->hasSelection();
    for (QPushButton *b : {m_allowOnce, m_deny})
        b->setEnabled(any);
    m_review->setEnabled(any && m_table->currentIndex().isValid());
}

void PendingApprovalsDialog::showEvent(QShowEvent *event)
{
    QDialog::showEvent(event);
    m_tick.start(1000);
    m_approvals->tick();
}

void PendingApprovalsDialog::hideEvent(QHideEvent *event)
{
    m_tick.stop();
    QDialog::hideEvent(event);
}

} // namespace Spool
