#pragma once

#include "approvals/pendingtoolapproval.h"

#include <QDialog>
#include <QTimer>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace Spool {

// Asks the user about one tool call: the tool, its arguments as readable JSON, the risk, why
// the policy asks, what the call would do (the diff of a file write, a command and its sandbox,
// a URL), and the time left. Deny is the default button (Enter); Alt+O allows once, Alt+S for
// the session, Alt+A always (this exact call); Esc closes and leaves the request pending. If the request is answered
// elsewhere (the CLI, another window, the timeout), the dialog says so and closes itself.
class ApprovalDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ApprovalDialog(const PendingToolApproval &approval, QWidget *parent = nullptr);

    QString approvalId() const { return m_approval.id; }
    // The decision came from somewhere else.
    void resolvedElsewhere(const PendingToolApproval &approval);

    QPushButton *allowOnceButton() const { return m_allowOnce; }
    QPushButton *allowSessionButton() const { return m_allowSession; }
    QPushButton *allowAlwaysButton() const { return m_allowAlways; }
    // What the call would do (a diff, the command and its sandbox, the URL), as shown.
    QString previewText() const;
    QPushButton *denyButton() const { return m_deny; }
    QString statusText() const;

signals:
    void decided(const QString &approvalId, bool allow, Spool::ApprovalScope scope);

private:
    void decide(bool allow, ApprovalScope scope);
    void updateCountdown();

    PendingToolApproval m_approval;
    QLabel *m_countdown = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_allowOnce = nullptr;
    QPushButton *m_allowSession = nullptr;
    QPushButton *m_allowAlways = nullptr;
    QPlainTextEdit *m_preview = nullptr;
    QLabel *m_previewTitle = nullptr;
    QPushButton *m_deny = nullptr;
    QTimer m_tick;
    bool m_answered = false;
};

} // namespace Spool
