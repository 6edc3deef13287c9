#pragma once

#include "approvals/pendingtoolapproval.h"

#include <QHash>
#include <QObject>
#include <QPointer>

class QIcon;
class QSystemTrayIcon;
class QToolButton;
class QWidget;

namespace Spool {

class ApprovalDialog;
class ApprovalListModel;
class EngineClient;
class PendingApprovalsDialog;

// The window's side of approvals: keeps the list of pending requests (every session's) in step
// with the engine, asks the user (an approval dialog when the window is in use, the tray and
// the badge otherwise), shows the pending-approvals list behind the badge, and sends the
// decisions. Owns the dialogs it opens and the tray icon; the badge belongs to the window.
class ApprovalsController : public QObject
{
    Q_OBJECT
public:
    // `window` is the parent of the dialogs and the window to alert.
    ApprovalsController(EngineClient &engine, QWidget *window, QObject *parent = nullptr);
    ~ApprovalsController() override;

    ApprovalListModel *approvals() const { return m_approvals; }
    int pendingCount() const;

    // The status bar button that counts the waiting requests; clicking it opens the list.
    void setBadge(QToolButton *badge);
    // Announces requests through the system tray while the window is in the background (when
    // the desktop has a tray).
    void useTray(const QIcon &icon);

    // Fetches the pending requests again (the engine is ready, another process wrote).
    void reload();
    // The full dialog for one request: the call, its preview, and every way to answer.
    void openApproval(const QString &approvalId);
    // The list of every pending request, with allow/deny per request.
    void showPendingList();
    void decide(const QString &approvalId, bool allow, ApprovalScope scope = ApprovalScope::Once);

    ApprovalDialog *dialogFor(const QString &approvalId) const;
    PendingApprovalsDialog *pendingList() const;

signals:
    void pendingCountChanged(int count);
    void status(const QString &message, int timeoutMs);
    // The user came from the tray: the window should come to the front.
    void attentionRequested();

private:
    void onRequested(const PendingToolApproval &approval);
    void onResolved(const PendingToolApproval &approval);
    void updateBadge();
    // Asks the engine for the names of the sessions the list shows (only those not known yet,
    // unless `everySession`).
    void nameSessions(bool everySession);

    EngineClient &m_engine;
    QPointer<QWidget> m_window;
    ApprovalListModel *m_approvals = nullptr;
    QPointer<QToolButton> m_badge;
    QSystemTrayIcon *m_tray = nullptr;
    QString m_announcedId; // the request the last tray message was about
    QHash<QString, QPointer<ApprovalDialog>> m_dialogs;
    QPointer<PendingApprovalsDialog> m_list;
    int m_lastCount = -1;
};

} // namespace Spool
