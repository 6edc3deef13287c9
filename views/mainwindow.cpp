#include "mainwindow.h"

#include "approvaldialog.h"
#include "approvallistmodel.h"
#include "apptheme.h"
#include "composer.h"
#include "client/engineclient.h"
#include "memorydialog.h"
#include "mcpcontroller.h"
#include "operationsdialog.h"
#include "runlistmodel.h"
#include "runpanel.h"
#include "sessionbar.h"
#include "sessionlistmodel.h"
#include "sessionrail.h"
#include "settingsdialog.h"
#include "tapeinspector.h"
#include "transcriptmodel.h"
#include "transcriptview.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListView>
#include <QPlainTextEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace Spool {

MainWindow::MainWindow(EngineClient &engine, QWidget *parent) : QMainWindow(parent), m_engine(engine)
{
    setWindowTitle(tr("Spool"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/spool.svg")));
    setAccessibleName(tr("Spool main window"));

    m_sessions = new SessionListModel(this);
    m_transcriptModel = new TranscriptModel(&engine, this);
    m_approvals = new ApprovalListModel(this);

    m_rail = new SessionRail(m_sessions, this);
    connect(m_rail, &SessionRail::sessionActivated, this, &MainWindow::showSession);
    connect(m_rail, &SessionRail::newSessionRequested, this, &MainWindow::startNewSession);
    connect(m_rail, &SessionRail::searchChanged, this, &MainWindow::reloadSessions);
    connect(m_rail, &SessionRail::showArchivedChanged, this, &MainWindow::reloadSessions);
    connect(m_rail, &SessionRail::renameRequested, this, &MainWindow::renameSession);
    connect(m_rail, &SessionRail::archiveRequested, this, &MainWindow::archiveSession);
    connect(m_rail, &SessionRail::resetRequested, this, &MainWindow::resetSession);
    connect(m_rail, &SessionRail::deleteRequested, this, &MainWindow::deleteSession);

    m_sessionTitle = new QLabel(this);
    m_sessionTitle->setAccessibleName(tr("Session title"));
    QFont titleFont = m_sessionTitle->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setBold(true);
    m_sessionTitle->setFont(titleFont);
    m_sessionTitle->setContentsMargins(12, 8, 12, 4);
    m_sessionTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_transcript = new TranscriptView(this);
    m_transcript->setModel(m_transcriptModel);
    connect(m_transcript, &TranscriptView::retryRequested, this, &MainWindow::retryRun);
    connect(m_transcript, &TranscriptView::approvalRequested, this, &MainWindow::openApproval);
    connect(m_transcript, &TranscriptView::tapeRequested, this, [this](const QString &runId) {
        m_runPanel->setVisible(true);
        m_runPanel->selectRun(runId);
        m_runPanel->tape()->table()->setFocus(Qt::OtherFocusReason);
    });
    connect(m_transcript, &TranscriptView::providerSettingsRequested, this,
            [this] { showSettings(tr("Providers")); });
    connect(m_transcript, &TranscriptView::copied, this,
            [this](const QString &what) { setStatus(tr("Copied the %1").arg(what)); });

    m_composer = new Composer(this);
    connect(m_composer, &Composer::submitted, this, &MainWindow::send);
    connect(m_composer, &Composer::stopRequested, this, &MainWindow::stop);

    auto *center = new QWidget(this);
    auto *centerLayout = new QVBoxLayout(center);
    centerLayout->setContentsMargins(0, 0, 0, 0);
    centerLayout->setSpacing(0);
    m_sessionBar = new SessionBar(&engine, this);
    connect(m_sessionBar, &SessionBar::status, this, [this](const QString &m) { setStatus(m); });
    connect(&engine, &EngineClient::providersChanged, m_sessionBar, &SessionBar::reload);
    connect(&engine, &EngineClient::keyStorageFallback, this, [this](const QString &reason) {
        setStatus(tr("\u26a0 No keychain (%1): API keys are kept unencrypted in a file. See "
                     "Settings \u2192 Providers.")
                          .arg(reason),
                  20000);
    });
    auto *header = new QHBoxLayout;
    header->setSpacing(0);
    header->addWidget(m_sessionTitle, 1);
    header->addWidget(m_sessionBar);
    centerLayout->addLayout(header);
    centerLayout->addWidget(m_transcript, 1);
    centerLayout->addWidget(m_composer);

    m_runPanel = new RunPanel(&engine, this);
    connect(m_runPanel, &RunPanel::status, this, [this](const QString &m) { setStatus(m); });

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->addWidget(m_rail);
    m_splitter->addWidget(center);
    m_splitter->addWidget(m_runPanel);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 1);
    m_splitter->setSizes({220, 600, 620});
    m_splitter->setCollapsible(1, false);
    setCentralWidget(m_splitter);

    createActions();
    createStatusBar();
    restoreLayout();

    // MCP servers: started once the engine is ready; their questions and sign-ins.
    auto *mcp = new McpController(&engine, this);
    connect(mcp, &McpController::signInRequested, this, [this](const QString &server, const QUrl &) {
        setStatus(tr("%1 asks you to sign in: the page opened in your browser").arg(server), 20000);
    });

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(windowIcon(), this);
        m_tray->setToolTip(tr("Spool"));
        connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
            bringToFront();
            if (m_approvals->rowCount() > 0)
                openApproval(m_approvals->rowAt(0).id);
        });
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
            bringToFront();
            if (m_approvals->rowCount() > 0)
                openApproval(m_approvals->rowAt(0).id);
        });
        m_tray->show();
    }

    connect(&engine, &EngineClient::ready, this, &MainWindow::onEngineReady);
    connect(&engine, &EngineClient::startFailed, this, &MainWindow::onEngineFailed);
    connect(&engine, &EngineClient::runUpdated, this, &MainWindow::onRunUpdated);
    connect(&engine, &EngineClient::tapeAppended, this, &MainWindow::onTapeEvent);
    connect(&engine, &EngineClient::textDelta, m_transcriptModel, &TranscriptModel::appendDelta);
    connect(&engine, &EngineClient::approvalRequested, this, &MainWindow::onApprovalRequested);
    connect(&engine, &EngineClient::approvalResolved, this, &MainWindow::onApprovalResolved);
    connect(&engine, &EngineClient::sessionsChanged, this, &MainWindow::reloadSessions);
    connect(&engine, &EngineClient::journalChanged, this, &MainWindow::onJournalChanged);
    if (engine.isReady())
        onEngineReady();
    updateSessionActions();
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_newAction = file->addAction(tr("&New Session"), this, &MainWindow::startNewSession);
    m_newAction->setShortcut(QKeySequence::New);
    QAction *exportTape = file->addAction(tr("&Export Run Tape\u2026"), this, [this] {
        m_runPanel->tape()->exportJsonl();
    });
    exportTape->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *search = edit->addAction(tr("&Search Sessions"), m_rail, &SessionRail::focusSearch);
    search->setShortcut(QKeySequence::Find);
    QAction *focusComposer = edit->addAction(tr("&Write a Message"), this, [this] {
        m_composer->editor()->setFocus(Qt::ShortcutFocusReason);
    });
    focusComposer->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    edit->addSeparator();
    QAction *settings = edit->addAction(tr("Se&ttings\u2026"), this, [this] { showSettings(); });
    settings->setShortcut(QKeySequence::Preferences);
    if (settings->shortcut().isEmpty())
        settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));

    QMenu *session = menuBar()->addMenu(tr("&Session"));
    m_renameAction = session->addAction(tr("&Rename\u2026"), this, [this] { renameSession(m_sessionId); });
    m_renameAction->setShortcut(QKeySequence(Qt::Key_F2));
    m_resetAction = session->addAction(tr("Re&set Context"), this, [this] { resetSession(m_sessionId); });
    m_archiveAction = session->addAction(tr("&Archive"), this, [this] { archiveSession(m_sessionId, true); });
    m_archiveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    session->addSeparator();
    m_deleteAction = session->addAction(tr("&Delete\u2026"), this, [this] { deleteSession(m_sessionId); });
    m_deleteAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_Delete));

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    QAction *sendAction = run->addAction(tr("&Send"), this, [this] { send(m_composer->text()); });
    sendAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_stopAction = run->addAction(tr("S&top"), this, &MainWindow::stop);
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setEnabled(false);
    m_tapeAction = run->addAction(tr("Open &Tape"), this, &MainWindow::openTape);
    m_tapeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    QAction *approvals = run->addAction(tr("Review &Approval"), this, [this] {
        if (m_approvals->rowCount() > 0)
            openApproval(m_approvals->rowAt(0).id);
        else
            setStatus(tr("No approval is waiting"));
    });
    approvals->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    run->addSeparator();
    QAction *memory = edit->addAction(tr("&Memory\u2026"), this, &MainWindow::showMemory);
    memory->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    QAction *operations = run->addAction(tr("&Operations\u2026"), this, &MainWindow::showOperations);
    operations->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *toggleRail = view->addAction(tr("Session &Rail"));
    toggleRail->setCheckable(true);
    toggleRail->setChecked(true);
    toggleRail->setShortcut(QKeySequence(Qt::Key_F8));
    connect(toggleRail, &QAction::toggled, m_rail, &QWidget::setVisible);
    QAction *togglePanel = view->addAction(tr("Run &Panel"));
    togglePanel->setCheckable(true);
    togglePanel->setChecked(true);
    togglePanel->setShortcut(QKeySequence(Qt::Key_F9));
    connect(togglePanel, &QAction::toggled, m_runPanel, &QWidget::setVisible);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), this, [this] {
        QMessageBox::information(
                this, tr("Keyboard shortcuts"),
                tr("Ctrl+N  new session\nCtrl+F  search sessions\nEnter  send (Shift+Enter: new line)\n"
                   "Esc  stop the run\nF2  rename the session\nCtrl+T  open the run's tape\n"
                   "Ctrl+Shift+R  review the waiting approval\nCtrl+Shift+O  operations\n"
                   "Ctrl+E  export the run's tape\nF8 / F9  show or hide the rail / run panel\n"
                   "Ctrl+Q  quit"));
    });
    help->addAction(tr("&About Spool"), this, [this] {
        QMessageBox::about(this, tr("About Spool"),
                           tr("<b>Spool %1</b><p>A workbench to see and control everything your AI "
                              "agent does: every step on an append-only tape, every tool call "
                              "through policy and, where asked, your approval.</p>")
                                   .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::createStatusBar()
{
    m_engineLabel = new QLabel(tr("Starting the engine\u2026"), this);
    m_engineLabel->setAccessibleName(tr("Engine state"));
    m_agentLabel = new QLabel(this);
    m_agentLabel->setAccessibleName(tr("Agent, provider and model"));
    m_approvalsButton = new QToolButton(this);
    m_approvalsButton->setAccessibleName(tr("Pending approvals"));
    m_approvalsButton->setAutoRaise(true);
    m_approvalsButton->hide();
    connect(m_approvalsButton, &QToolButton::clicked, this, [this] {
        if (m_approvals->rowCount() > 0)
            openApproval(m_approvals->rowAt(0).id);
    });
    statusBar()->addWidget(m_engineLabel);
    statusBar()->addPermanentWidget(m_approvalsButton);
    statusBar()->addPermanentWidget(m_agentLabel);
}

void MainWindow::restoreLayout()
{
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    if (!restoreGeometry(settings.value(QStringLiteral("gui/geometry")).toByteArray()))
        resize(1400, 860);
    m_splitter->restoreState(settings.value(QStringLiteral("gui/splitter")).toByteArray());
    const int fontSize = settings.value(QStringLiteral("gui/transcript_font_size"), 0).toInt();
    if (fontSize > 0) {
        QFont f = m_transcript->font();
        f.setPointSize(fontSize);
        m_transcript->setFont(f);
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    settings.setValue(QStringLiteral("gui/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("gui/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("gui/last_session"), m_sessionId);
    if (!m_activeRunId.isEmpty()) {
        const auto answer = QMessageBox::question(
                this, tr("A run is in progress"),
                tr("Closing Spool stops the run in progress; it will show as interrupted. Close anyway?"));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    event->accept();
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::ActivationChange && isActiveWindow())
        updateTitle();
}

void MainWindow::setStatus(const QString &message, int timeoutMs)
{
    statusBar()->showMessage(message, timeoutMs);
}

void MainWindow::onEngineReady()
{
    if (m_ready)
        return;
    m_ready = true;
    m_engineLabel->setText(tr("Engine ready"));
    m_engineLabel->setToolTip(tr("Journal: %1").arg(m_engine.config().journalPath()));
    reloadSessions();
    reloadApprovals();
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    const QString last = settings.value(QStringLiteral("gui/last_session")).toString();
    if (!last.isEmpty())
        showSession(last);
}

void MainWindow::onEngineFailed(const Error &error)
{
    m_engineLabel->setText(tr("Engine stopped"));
    m_composer->setEnabled(false);
    QMessageBox::critical(this, tr("Spool cannot open its journal"), error.message);
}

void MainWindow::reloadSessions()
{
    if (!m_ready)
        return;
    SessionFilter filter;
    filter.search = m_rail->searchText();
    filter.archived = m_rail->showArchived() ? SessionFilter::Archived::Include : SessionFilter::Archived::Exclude;
    m_engine.call(this, [filter](Engine &g) { return g.sessions(filter); },
                  [this](Result<QList<SessionInfo>> list) {
                      if (!list)
                          return;
                      m_sessions->setToday(QDate::currentDate());
                      m_sessions->setRows(*list);
                      m_rail->selectSession(m_sessionId);
                      updateTitle();
                  });
}

void MainWindow::reloadApprovals()
{
    if (!m_ready)
        return;
    m_engine.call(this, [](Engine &g) { return g.approvals(); },
                  [this](Result<QList<PendingToolApproval>> list) {
                      if (!list)
                          return;
                      QList<PendingToolApproval> oldestFirst = *list;
                      std::reverse(oldestFirst.begin(), oldestFirst.end());
                      m_approvals->setRows(oldestFirst);
                      for (auto it = m_dialogs.begin(); it != m_dialogs.end(); ++it) {
                          if (*it && m_approvals->rowOf(it.key()) < 0) {
                              const QString id = it.key();
                              m_engine.call(this, [id](Engine &g) { return g.findApproval(id); },
                                            [this](Result<PendingToolApproval> a) {
                                                if (a)
                                                    onApprovalResolved(*a);
                                            });
                          }
                      }
                      updateApprovalBadge();
                  });
}

void MainWindow::selectSession(const QString &id)
{
    showSession(id);
}

void MainWindow::showSession(const QString &sessionId)
{
    if (sessionId == m_sessionId && !sessionId.isEmpty())
        return;
    m_sessionId = sessionId;
    m_activeRunId.clear();
    m_transcriptModel->setSession(sessionId);
    m_runPanel->setSession(sessionId);
    m_sessionBar->setSession(sessionId);
    m_rail->selectSession(sessionId);
    m_composer->setRunning(false);
    m_stopAction->setEnabled(false);
    if (!sessionId.isEmpty()) {
        // Is a run of this session in progress (in this process or another)?
        m_engine.call(this,
                      [sessionId](Engine &g) {
                          RunFilter f;
                          f.sessionId = sessionId;
                          f.activeOnly = true;
                          f.limit = 1;
                          return g.runs(f);
                      },
                      [this, sessionId](Result<QList<RunInfo>> runs) {
                          if (sessionId == m_sessionId && runs && !runs->isEmpty())
                              onRunUpdated(runs->constFirst());
                      });
    }
    updateSessionActions();
    updateTitle();
    emit sessionShown(sessionId);
}

void MainWindow::startNewSession()
{
    // The session is created by its first message, so abandoned drafts leave nothing behind.
    m_rail->list()->clearSelection();
    m_rail->list()->setCurrentIndex({});
    showSession(QString());
    m_composer->editor()->setFocus(Qt::ShortcutFocusReason);
}

void MainWindow::updateTitle()
{
    QString title;
    const int row = m_sessions->rowOf(m_sessionId);
    if (m_sessionId.isEmpty())
        title = tr("New session");
    else if (row >= 0)
        title = m_sessions->data(m_sessions->index(row, 0)).toString();
    m_sessionTitle->setText(title);
    const int waiting = m_approvals->rowCount();
    QString windowTitle = title.isEmpty() ? tr("Spool") : tr("%1 \u2014 Spool").arg(title);
    if (waiting > 0)
        windowTitle = QStringLiteral("(%1) ").arg(waiting) + windowTitle;
    setWindowTitle(windowTitle);
    if (m_sessionId.isEmpty())
        m_composer->setHint(tr("Your first message starts a new session."));
    else if (row >= 0) {
        const SessionInfo s = m_sessions->data(m_sessions->index(row, 0), SessionListModel::SessionRole).value<SessionInfo>();
        const QString agentName = s.agent;
        const QString sessionModel = s.model;
        m_engine.call(this, [agentName](Engine &g) { return g.agent(agentName); },
                      [this, sessionModel](Result<Agent> agent) {
                          if (!agent)
                              return;
                          m_agentLabel->setText(tr("Agent %1 \u00b7 %2 / %3")
                                                        .arg(agent->name, agent->provider,
                                                             sessionModel.isEmpty() ? agent->model : sessionModel));
                      });
        m_composer->setHint(s.contextFloor > 0 ? tr("Context was reset: the model starts fresh from here.")
                                               : QString());
    }
}

void MainWindow::updateSessionActions()
{
    const bool has = !m_sessionId.isEmpty();
    for (QAction *a : {m_renameAction, m_archiveAction, m_resetAction, m_deleteAction, m_tapeAction})
        a->setEnabled(has);
}

void MainWindow::send(const QString &text)
{
    if (text.trimmed().isEmpty() || !m_ready || !m_activeRunId.isEmpty())
        return;
    m_composer->clear();
    m_composer->setRunning(true);
    if (m_sessionId.isEmpty()) {
        // A new session: create it first and show it, so its transcript follows the run from
        // its first event.
        m_engine.call(this, [](Engine &g) { return g.resolveSession({}, true); },
                      [this, text](Result<SessionResolution> r) {
                          if (!r) {
                              m_composer->setRunning(false);
                              m_composer->editor()->setPlainText(text);
                              QMessageBox::warning(this, tr("Cannot send"), r.errorMessage());
                              return;
                          }
                          showSession(r->session.id);
                          m_composer->setRunning(true);
                          startRunIn(r->session.id, text);
                      });
        return;
    }
    startRunIn(m_sessionId, text);
}

void MainWindow::startRunIn(const QString &sessionId, const QString &text)
{
    RunRequest request;
    request.session.id = sessionId;
    request.createSession = false;
    request.text = text;
    request.source = QStringLiteral("gui");
    m_engine.call(this, [request](Engine &g) { return g.startRun(request); },
                  [this, text](Result<RunInfo> run) {
                      if (!run) {
                          m_composer->setRunning(false);
                          m_composer->editor()->setPlainText(text); // nothing is lost
                          QMessageBox::warning(this, tr("Cannot send"), run.errorMessage());
                          return;
                      }
                      if (run->sessionId != m_sessionId)
                          showSession(run->sessionId);
                      m_transcriptModel->applyRun(*run);
                      onRunUpdated(*run);
                      reloadSessions();
                  });
}

void MainWindow::stop()
{
    if (m_activeRunId.isEmpty())
        return;
    const QString runId = m_activeRunId;
    setStatus(tr("Stopping the run\u2026"));
    m_engine.call(this, [runId](Engine &g) { return g.cancelRun(runId, QStringLiteral("gui")); },
                  [this](Result<RunInfo> r) {
                      if (!r)
                          setStatus(r.errorMessage());
                  });
}

void MainWindow::retryRun(const QString &runId)
{
    m_engine.call(this,
                  [runId](Engine &g) -> Result<QString> {
                      auto events = g.tape(runId, 1, 4);
                      if (!events)
                          return events.error();
                      for (const TapeEvent &e : *events) {
                          if (e.kind == TapeKind::Input)
                              return e.payload.value(QStringLiteral("text")).toString();
                      }
                      return makeError(ErrorCode::NotFound, QStringLiteral("the run has no input"));
                  },
                  [this](Result<QString> text) {
                      if (text)
                          send(*text);
                  });
}

void MainWindow::openTape()
{
    m_runPanel->setVisible(true);
    if (m_runPanel->selectedRunId().isEmpty() && m_runPanel->runs()->rowCount() > 0)
        m_runPanel->selectRun(m_runPanel->runs()->rowAt(0).id);
    m_runPanel->tape()->table()->setFocus(Qt::ShortcutFocusReason);
}

void MainWindow::onRunUpdated(const RunInfo &run)
{
    m_transcriptModel->applyRun(run);
    m_runPanel->applyRun(run);
    m_sessionBar->applyRun(run);
    if (run.sessionId != m_sessionId)
        return;
    if (!run.isTerminal()) {
        m_activeRunId = run.id;
    } else if (run.id == m_activeRunId) {
        m_activeRunId.clear();
        if (run.state == RunState::Failed)
            setStatus(tr("The run failed: %1").arg(run.detail.isEmpty() ? run.reason : run.detail), 8000);
        else if (run.state == RunState::Cancelled)
            setStatus(tr("The run was stopped"));
    }
    const bool running = !m_activeRunId.isEmpty();
    m_composer->setRunning(running);
    m_stopAction->setEnabled(running);
}

void MainWindow::onTapeEvent(const TapeEvent &event)
{
    m_transcriptModel->applyEvent(event);
    m_runPanel->applyEvent(event);
}

void MainWindow::onJournalChanged()
{
    // Another process (a `spool chat` in a terminal, say) wrote: catch up.
    reloadSessions();
    reloadApprovals();
    m_transcriptModel->refreshFromJournal();
    m_runPanel->refreshFromJournal();
    if (!m_sessionId.isEmpty()) {
        const QString sessionId = m_sessionId;
        m_engine.call(this,
                      [sessionId](Engine &g) {
                          RunFilter f;
                          f.sessionId = sessionId;
                          f.limit = 3;
                          return g.runs(f);
                      },
                      [this, sessionId](Result<QList<RunInfo>> runs) {
                          if (!runs || sessionId != m_sessionId)
                              return;
                          for (auto it = runs->crbegin(); it != runs->crend(); ++it)
                              onRunUpdated(*it);
                      });
    }
}

int MainWindow::pendingApprovals() const
{
    return m_approvals->rowCount();
}

void MainWindow::updateApprovalBadge()
{
    const int waiting = m_approvals->rowCount();
    m_approvalsButton->setVisible(waiting > 0);
    m_approvalsButton->setText(waiting == 1 ? tr("\u26a0 1 approval waiting")
                                            : tr("\u26a0 %1 approvals waiting").arg(waiting));
    m_approvalsButton->setToolTip(tr("Review the oldest (Ctrl+Shift+R)"));
    if (m_tray)
        m_tray->setToolTip(waiting > 0 ? tr("Spool: %1 waiting for approval").arg(waiting) : tr("Spool"));
    updateTitle();
}

ApprovalDialog *MainWindow::approvalDialog(const QString &approvalId) const
{
    return m_dialogs.value(approvalId);
}

void MainWindow::openApproval(const QString &approvalId)
{
    if (ApprovalDialog *open = m_dialogs.value(approvalId)) {
        open->raise();
        open->activateWindow();
        return;
    }
    const int row = m_approvals->rowOf(approvalId);
    auto show = [this](const PendingToolApproval &approval) {
        if (!approval.isPending() || m_dialogs.value(approval.id))
            return;
        auto *dialog = new ApprovalDialog(approval, this);
        m_dialogs.insert(approval.id, dialog);
        connect(dialog, &ApprovalDialog::decided, this,
                [this](const QString &id, bool allow, ApprovalScope scope) {
                    m_engine.call(this, [id, allow, scope](Engine &g) {
                        return g.decideApproval(id, allow, scope, QStringLiteral("gui"));
                    }, [this, id](Result<PendingToolApproval> a) {
                        if (a)
                            return;
                        // Refused (e.g. "always" for a call that cannot be matched exactly):
                        // say why, and ask again while the request is still open.
                        QMessageBox::warning(this, tr("Cannot record that answer"), a.errorMessage());
                        if (m_approvals->rowOf(id) >= 0)
                            openApproval(id);
                    });
                });
        connect(dialog, &QObject::destroyed, this, [this, id = approval.id] { m_dialogs.remove(id); });
        dialog->show();
        dialog->raise();
        dialog->activateWindow();
    };
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

void MainWindow::onApprovalRequested(const PendingToolApproval &approval)
{
    m_approvals->updateApproval(approval);
    updateApprovalBadge();
    if (isActiveWindow() || !m_tray) {
        // Without a tray there is no other way to ask: open the dialog, and flash the window.
        openApproval(approval.id);
        if (!isActiveWindow())
            QApplication::alert(this);
        return;
    }
    // In the background: a notification and the badge; the dialog opens from there.
    m_tray->showMessage(tr("Spool: approval needed"),
                        tr("The tool \u201c%1\u201d wants to run. Click to review.").arg(approval.tool),
                        QSystemTrayIcon::Warning, 15000);
    QApplication::alert(this);
}

void MainWindow::onApprovalResolved(const PendingToolApproval &approval)
{
    m_approvals->updateApproval(approval);
    if (ApprovalDialog *dialog = m_dialogs.value(approval.id))
        dialog->resolvedElsewhere(approval);
    updateApprovalBadge();
}

void MainWindow::bringToFront()
{
    if (isMinimized())
        showNormal();
    show();
    raise();
    activateWindow();
}

void MainWindow::showMemory()
{
    auto *dialog = new MemoryDialog(&m_engine, this);
    // The run that created a memory: its session, then the run in the run panel.
    connect(dialog, &MemoryDialog::openRun, this, [this](const QString &runId) {
        m_engine.call(this, [runId](Engine &e) { return e.run(runId); }, [this](const Result<RunInfo> &run) {
            if (!run)
                return setStatus(run.errorMessage());
            selectSession(run->sessionId);
            m_runPanel->selectRun(run->id);
            bringToFront();
        });
    });
    dialog->show();
}

void MainWindow::showOperations()
{
    auto *dialog = new OperationsDialog(&m_engine, this);
    dialog->show();
}

void MainWindow::showSettings(const QString &page)
{
    auto *dialog = new SettingsDialog(&m_engine, this);
    connect(dialog, &SettingsDialog::themeChanged, this, [](const QString &theme) { AppTheme::apply(theme); });
    connect(dialog, &SettingsDialog::transcriptFontSizeChanged, this, [this](int points) {
        QFont f = m_transcript->font();
        f.setPointSize(points);
        m_transcript->setFont(f);
    });
    if (!page.isEmpty())
        dialog->showPage(page);
    dialog->show();
}

void MainWindow::renameSession(const QString &id)
{
    if (id.isEmpty())
        return;
    const int row = m_sessions->rowOf(id);
    const QString current = row >= 0 ? m_sessions->data(m_sessions->index(row, 0), SessionListModel::TitleRole).toString() : QString();
    bool ok = false;
    const QString title = QInputDialog::getText(this, tr("Rename session"), tr("Title:"), QLineEdit::Normal, current, &ok);
    if (!ok || title.trimmed().isEmpty())
        return;
    m_engine.call(this, [id, title](Engine &g) { return g.renameSession(id, title); },
                  [this](Result<SessionInfo> s) {
                      if (!s)
                          QMessageBox::warning(this, tr("Cannot rename"), s.errorMessage());
                  });
}

void MainWindow::archiveSession(const QString &id, bool archive)
{
    if (id.isEmpty())
        return;
    m_engine.call(this,
                  [id, archive](Engine &g) { return archive ? g.archiveSession(id) : g.restoreSession(id); },
                  [this, id, archive](Result<SessionInfo> s) {
                      if (!s) {
                          QMessageBox::warning(this, archive ? tr("Cannot archive") : tr("Cannot restore"), s.errorMessage());
                          return;
                      }
                      setStatus(archive ? tr("Archived \u201c%1\u201d").arg(s->displayName())
                                        : tr("Restored \u201c%1\u201d").arg(s->displayName()));
                      if (archive && id == m_sessionId && !m_rail->showArchived())
                          showSession(QString());
                  });
}

void MainWindow::resetSession(const QString &id)
{
    if (id.isEmpty())
        return;
    m_engine.call(this, [id](Engine &g) { return g.resetSession(id); },
                  [this](Result<SessionInfo> s) {
                      if (s)
                          setStatus(tr("Context reset: the next message starts without the earlier turns"));
                      else
                          QMessageBox::warning(this, tr("Cannot reset"), s.errorMessage());
                  });
}

void MainWindow::deleteSession(const QString &id)
{
    if (id.isEmpty())
        return;
    const int row = m_sessions->rowOf(id);
    const QString name = row >= 0 ? m_sessions->data(m_sessions->index(row, 0)).toString() : id;
    QMessageBox box(QMessageBox::Warning, tr("Delete session"),
                    tr("Delete \u201c%1\u201d with all its runs and their tape? This cannot be undone.").arg(name),
                    QMessageBox::Cancel, this);
    QPushButton *confirm = box.addButton(tr("&Delete"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() != confirm)
        return;
    m_engine.call(this, [id](Engine &g) { return g.deleteSession(id); },
                  [this, id](Status s) {
                      if (!s) {
                          QMessageBox::warning(this, tr("Cannot delete"), s.errorMessage());
                          return;
                      }
                      if (id == m_sessionId)
                          showSession(QString());
                  });
}

} // namespace Spool
