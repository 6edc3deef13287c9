#include "approvalscontroller.h"

#include "approvaldialog.h"
#include "approvallistmodel.h"
#include "client/engineclient.h"
#include "messageboxes.h"
#include "pendingapprovalsdialog.h"

#include <QApplication>
#include <QSet>
#include <QSystemTrayIcon>
#include <QToolButton>

#include <algorithm>

namespace Spool {

ApprovalsController::ApprovalsController(EngineClient &engine, QWidget *window, QObject *parent)
    : QObject(parent), m_engine(engine), m_window(window)
{
    m_approvals = new ApprovalListModel(this);
    connect(&engine, &EngineClient::approvalRequested, this, &ApprovalsController::onRequested);
    connect(&engine, &EngineClient::approvalResolved, this, &ApprovalsController::onResolved);
    connect(&engine, &EngineClient::ready, this, &ApprovalsController::reload);
    // Another process may have asked or answered.
    connect(&engine, &EngineClient::journalChanged, this, &ApprovalsController::reload);
    // A renamed session shows its new name in the list.
    connect(&engine, &EngineClient::sessionsChanged, this, [this] { nameSessions(true); });
}

ApprovalsController::~ApprovalsController() = default;

ApprovalDialog *ApprovalsController::dialogFor(const QString &approvalId) const
{
    return m_dialogs.value(approvalId);
}

PendingApprovalsDialog *ApprovalsController::pendingList() const
{
    return m_list;
}

int ApprovalsController::pendingCount() const
{
    return m_approvals->rowCount();
}

void ApprovalsController::setBadge(QToolButton *badge)
{
    m_badge = badge;
    connect(badge, &QToolButton::clicked, this, &ApprovalsController::showPendingList);
    updateBadge();
}

void ApprovalsController::useTray(const QIcon &icon)
{
    if (m_tray || !QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(icon, this);
    m_tray->setToolTip(tr("Spool"));
    connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
        emit attentionRequested();
        if (pendingCount() > 0)
            showPendingList();
    });
    // The notification was about one request: open that one, if it still waits.
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
        emit attentionRequested();
        if (m_approvals->rowOf(m_announcedId) >= 0)
            openApproval(m_announcedId);
        else if (pendingCount() > 0)
            showPendingList();
    });
    m_tray->show();
    updateBadge();
}

void ApprovalsController::reload()
{
    if (!m_engine.isReady())
        return;
    m_engine.call(this, [](Engine &g) { return g.approvals(); },
                  [this](Result<QList<PendingToolApproval>> list) {
                      if (!list)
                          return;
                      QList<PendingToolApproval> oldestFirst = *list;
                      std::reverse(oldestFirst.begin(), oldestFirst.end());
                      m_approvals->setRows(oldestFirst);
                      // A dialog whose request left the list was answered elsewhere: say how.
                      for (auto it = m_dialogs.cbegin(); it != m_dialogs.cend(); ++it) {
                          if (!*it || m_approvals->rowOf(it.key()) >= 0)
                              continue;
                          const QString id = it.key();
                          m_engine.call(this, [id](Engine &g) { return g.findApproval(id); },
                                        [this](Result<PendingToolApproval> a) {
                                            if (a)
                                                onResolved(*a);
                                        });
                      }
                      updateBadge();
                      nameSessions(false);
                  });
}

void ApprovalsController::nameSessions(bool everySession)
{
    QSet<QString> wanted;
    for (const PendingToolApproval &a : m_approvals->rows()) {
        if (!a.sessionId.isEmpty() && (everySession || !m_approvals->hasSessionName(a.sessionId)))
            wanted.insert(a.sessionId);
    }
    if (wanted.isEmpty())
        return;
    const QStringList ids(wanted.cbegin(), wanted.cend());
    m_engine.call(this,
                  [ids](Engine &g) {
                      QHash<QString, QString> names;
                      for (const QString &id : ids) {
                          if (auto s = g.sessions().find(id))
                              names.insert(id, s->displayName());
                      }
                      return names;
                  },
                  [this](QHash<QString, QString> names) {
                      for (auto it = names.cbegin(); it != names.cend(); ++it)
                          m_approvals->setSessionName(it.key(), it.value());
                  });
}

void ApprovalsController::updateBadge()
{
    const int waiting = pendingCount();
    if (m_badge) {
        m_badge->setVisible(waiting > 0);
        m_badge->setText(waiting == 1 ? tr("\u26a0 1 approval waiting")
                                      : tr("\u26a0 %1 approvals waiting").arg(waiting));
        m_badge->setToolTip(tr("Show every pending approval (Ctrl+Shift+R)"));
    }
    if (m_tray)
        m_tray->setToolTip(waiting > 0 ? tr("Spool: %1 waiting for approval").arg(waiting) : tr("Spool"));
    if (waiting != m_lastCount) {
        m_lastCount = waiting;
        emit pendingCountChanged(waiting);
    }
}

void ApprovalsController::onRequested(const PendingToolApproval &approval)
{
    m_approvals->updateApproval(approval);
    updateBadge();
    nameSessions(false);
    // While the user works with the list, the new request joins it rather than jumping in front.
    if (m_list && m_list->isActiveWindow())
        return;
    const bool inUse = QApplication::activeWindow() != nullptr;
    if (inUse || !m_tray) {
        // Without a tray there is no other way to ask: open the dialog, and flash the window.
        openApproval(approval.id);
        if (!inUse && m_window)
            QApplication::alert(m_window);
        return;
    }
    // In the background: a notification and the badge; the dialog opens from there.
    m_announcedId = approval.id;
    m_tray->showMessage(tr("Spool: approval needed"),
                        tr("The tool \u201c%1\u201d wants to run. Click to review.").arg(approval.tool),
                        QSystemTrayIcon::Warning, 15000);
    if (m_window)
        QApplication::alert(m_window);
}

void ApprovalsController::onResolved(const PendingToolApproval &approval)
{
    m_approvals->updateApproval(approval);
    if (ApprovalDialog *dialog = m_dialogs.value(approval.id))
        dialog->resolvedElsewhere(approval);
    updateBadge();
}

void ApprovalsController::openApproval(const QString &approvalId)
{
    if (ApprovalDialog *open = m_dialogs.value(approvalId)) {
        open->raise();
        open->activateWindow();
        return;
    }
    auto show = [this](const PendingToolApproval &approval) {
        if (!approval.isPending() || m_dialogs.value(approval.id) || !m_window)
            return;
        auto *dialog = new ApprovalDialog(approval, m_window);
        m_dialogs.insert(approval.id, dialog);
        connect(dialog, &ApprovalDialog::decided, this, &ApprovalsController::decide);
        connect(dialog, &QObject::destroyed, this, [this, id = approval.id] { m_dialogs.remove(id); });
        dialog->show();
        dialog->raise();
        dialog->activateWindow();
    };
    const int row = m_approvals->rowOf(approvalId);
    if (row >= 0) {
        show(m_approvals->rowAt(row));
        return;
    }
    m_engine.call(this, [approvalId](Engine &g) { return g.findApproval(approvalId); },
                  [show](Result<PendingToolApproval> a) {
                      if (a)
                          show(*a);
                  });
}

void ApprovalsController::showPendingList()
{
    if (!m_window)
        return;
    if (!m_list) {
        m_list = new PendingApprovalsDialog(m_approvals, m_window);
        connect(m_list, &PendingApprovalsDialog::reviewRequested, this, &ApprovalsController::openApproval);
        connect(m_list, &PendingApprovalsDialog::decisionRequested, this,
                [this](const QString &id, bool allow) { decide(id, allow, ApprovalScope::Once); });
    }
    m_list->show();
    m_list->raise();
    m_list->activateWindow();
}

void ApprovalsController::decide(const QString &approvalId, bool allow, ApprovalScope scope)
{
    m_engine.call(this,
                  [approvalId, allow, scope](Engine &g) {
                      return g.decideApproval(approvalId, allow, scope, QStringLiteral("gui"));
                  },
                  [this, approvalId](Result<PendingToolApproval> decided) {
                      if (decided) {
                          onResolved(*decided);
                          return;
                      }
                      // Refused (e.g. "always" for a call that cannot be matched exactly):
                      // ask again while the request is still open, and say why over it.
                      emit status(tr("Cannot record that answer: %1").arg(decided.errorMessage()), 8000);
                      if (m_approvals->rowOf(approvalId) < 0)
                          return;
                      openApproval(approvalId);
                      QWidget *over = m_dialogs.value(approvalId);
                      showWarning(over ? over : m_window.data(), tr("Cannot record that answer"),
                                  decided.errorMessage());
                  });
}

} // namespace Spool
