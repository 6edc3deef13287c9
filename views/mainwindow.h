#pragma once

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QSplitter;
class QToolButton;

namespace Spool {

class ApiServer;
class ApprovalDialog;
class ApprovalListModel;
class ApprovalsController;
class Composer;
class ElidedLabel;
class EngineClient;
class PendingApprovalsDialog;
class RunPanel;
class RunsController;
class SessionBar;
class SessionHeader;
class SessionListModel;
class SessionRail;
class SessionsController;
class TranscriptModel;
class TranscriptView;
struct Error;

// The main window: the layout (the session rail, the session header over the conversation and
// the composer, the run panel, the status bar with the approvals badge), the menus and their
// shortcuts, and the window's place on its screen. What happens is the controllers' work:
// SessionsController (which session, and what to do to it), RunsController (sending, stopping,
// the live run) and ApprovalsController (asking the user, the pending list, the tray). It
// talks to the engine only through EngineClient.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineClient &engine, QWidget *parent = nullptr);
    ~MainWindow() override;

    SessionsController *sessionsController() const { return m_sessionsController; }
    RunsController *runsController() const { return m_runsController; }
    ApprovalsController *approvalsController() const { return m_approvalsController; }

    // What a user does most, for the app and the tests.
    QString currentSessionId() const;
    void selectSession(const QString &sessionId);
    void startNewSession();
    void send(const QString &text);
    void stop();
    void openTape();
    void showOperations();
    // The Memory view (modeless).
    void showMemory();
    void showSettings(const QString &page = {});
    void openApproval(const QString &approvalId);
    void showPendingApprovals();
    // The local API this window controls: its settings page and its status bar indicator.
    void setLocalApi(ApiServer *server);
    int pendingApprovals() const;
    void bringToFront();

    SessionRail *rail() const { return m_rail; }
    TranscriptView *transcript() const { return m_transcript; }
    TranscriptModel *transcriptModel() const;
    Composer *composer() const { return m_composer; }
    RunPanel *runPanel() const { return m_runPanel; }
    QLabel *sessionTitle() const;
    SessionBar *sessionBar() const { return m_sessionBar; }
    SessionHeader *sessionHeader() const { return m_sessionHeader; }
    SessionListModel *sessions() const;
    ApprovalListModel *approvals() const;
    QToolButton *approvalsButton() const { return m_approvalsButton; }
    ApprovalDialog *approvalDialog(const QString &approvalId) const;
    PendingApprovalsDialog *pendingApprovalsList() const;
    QAction *stopAction() const { return m_stopAction; }

    // The size the window opens at on a screen with this much room (its available geometry,
    // less the window frame): as large as fits, up to a comfortable maximum.
    static QSize defaultSize(const QSize &room);

signals:
    void sessionShown(const QString &sessionId);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void createActions();
    void createStatusBar();
    void restoreLayout();
    void placeOnScreen(bool keepIfItFits);
    void onEngineReady();
    void onEngineFailed(const Error &error);
    void onSessionShown(const QString &sessionId);
    void updateWindowTitle();
    void setStatus(const QString &message, int timeoutMs = 4000);

    EngineClient &m_engine;
    SessionsController *m_sessionsController = nullptr;
    RunsController *m_runsController = nullptr;
    ApprovalsController *m_approvalsController = nullptr;

    SessionRail *m_rail = nullptr;
    TranscriptView *m_transcript = nullptr;
    Composer *m_composer = nullptr;
    ElidedLabel *m_sessionTitle = nullptr;
    SessionBar *m_sessionBar = nullptr;
    SessionHeader *m_sessionHeader = nullptr;
    RunPanel *m_runPanel = nullptr;
    QSplitter *m_splitter = nullptr;
    QLabel *m_engineLabel = nullptr;
    ElidedLabel *m_agentLabel = nullptr;
    QToolButton *m_approvalsButton = nullptr;

    QAction *m_stopAction = nullptr;
    QList<QAction *> m_sessionActions; // need a session shown
    bool m_placed = false;       // checked against its screen once shown
    bool m_closeConfirmed = false; // the user agreed to stop the run in progress
    QPointer<ApiServer> m_localApi;
};

} // namespace Spool
