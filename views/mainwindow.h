#pragma once

#include "approvals/pendingtoolapproval.h"
#include "runs/runinfo.h"

#include <QHash>
#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QSplitter;
class QSystemTrayIcon;
class QToolButton;

namespace Spool {

class ApprovalDialog;
class ApprovalListModel;
class Composer;
class EngineClient;
class RunPanel;
class SessionBar;
class SessionListModel;
class SessionRail;
class TranscriptModel;
class TranscriptView;
struct Error;
struct TapeEvent;

// The main window: the session rail, the conversation with the composer, the run panel (runs,
// timeline, tape), approvals (dialogs, a badge, the tray), and the menus. It talks to the
// engine only through EngineClient.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineClient &engine, QWidget *parent = nullptr);
    ~MainWindow() override;

    QString currentSessionId() const { return m_sessionId; }
    void selectSession(const QString &id);
    void startNewSession();
    void send(const QString &text);
    void stop();
    void openTape();
    void showOperations();
    // The Memory view (modeless).
    void showMemory();
    void showSettings(const QString &page = {});
    void openApproval(const QString &approvalId);
    int pendingApprovals() const;
    void bringToFront();

    SessionRail *rail() const { return m_rail; }
    TranscriptView *transcript() const { return m_transcript; }
    TranscriptModel *transcriptModel() const { return m_transcriptModel; }
    Composer *composer() const { return m_composer; }
    RunPanel *runPanel() const { return m_runPanel; }
    SessionBar *sessionBar() const { return m_sessionBar; }
    SessionListModel *sessions() const { return m_sessions; }
    ApprovalListModel *approvals() const { return m_approvals; }
    QToolButton *approvalsButton() const { return m_approvalsButton; }
    ApprovalDialog *approvalDialog(const QString &approvalId) const;
    QAction *stopAction() const { return m_stopAction; }

signals:
    void sessionShown(const QString &sessionId);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    void restoreLayout();
    void onEngineReady();
    void onEngineFailed(const Error &error);
    void reloadSessions();
    void reloadApprovals();
    void showSession(const QString &sessionId);
    void onRunUpdated(const RunInfo &run);
    void onTapeEvent(const TapeEvent &event);
    void onApprovalRequested(const PendingToolApproval &approval);
    void onApprovalResolved(const PendingToolApproval &approval);
    void onJournalChanged();
    void updateApprovalBadge();
    void updateSessionActions();
    void updateTitle();
    void renameSession(const QString &id);
    void archiveSession(const QString &id, bool archive);
    void resetSession(const QString &id);
    void deleteSession(const QString &id);
    void retryRun(const QString &runId);
    void startRunIn(const QString &sessionId, const QString &text);
    void setStatus(const QString &message, int timeoutMs = 4000);

    EngineClient &m_engine;
    SessionListModel *m_sessions = nullptr;
    TranscriptModel *m_transcriptModel = nullptr;
    ApprovalListModel *m_approvals = nullptr;
    SessionRail *m_rail = nullptr;
    TranscriptView *m_transcript = nullptr;
    Composer *m_composer = nullptr;
    QLabel *m_sessionTitle = nullptr;
    SessionBar *m_sessionBar = nullptr;
    RunPanel *m_runPanel = nullptr;
    QSplitter *m_splitter = nullptr;
    QLabel *m_engineLabel = nullptr;
    QLabel *m_agentLabel = nullptr;
    QToolButton *m_approvalsButton = nullptr;
    QSystemTrayIcon *m_tray = nullptr;

    QAction *m_newAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_renameAction = nullptr;
    QAction *m_archiveAction = nullptr;
    QAction *m_resetAction = nullptr;
    QAction *m_deleteAction = nullptr;
    QAction *m_tapeAction = nullptr;

    QString m_sessionId;
    QString m_activeRunId; // the current session's run in progress, if any
    QHash<QString, QPointer<ApprovalDialog>> m_dialogs;
    bool m_ready = false;
};

} // namespace Spool
