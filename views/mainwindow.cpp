#include "mainwindow.h"

#include "approvalscontroller.h"
#include "api/apiserver.h"
#include "apptheme.h"
#include "attachmentviewer.h"
#include "client/engineclient.h"
#include "composer.h"
#include "core/attachmentlimits.h"
#include "elidedlabel.h"
#include "localapiindicator.h"
#include "localapipage.h"
#include "memorydialog.h"
#include "messageboxes.h"
#include "mcpcontroller.h"
#include "operationsdialog.h"
#include "runpanel.h"
#include "runscontroller.h"
#include "sessionbar.h"
#include "sessionheader.h"
#include "sessionrail.h"
#include "sessionscontroller.h"
#include "settingsdialog.h"
#include "tapeinspector.h"
#include "transcriptview.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWindow>

namespace Spool {

MainWindow::MainWindow(EngineClient &engine, QWidget *parent) : QMainWindow(parent), m_engine(engine)
{
    setWindowTitle(tr("Spool"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/spool.svg")));
    setAccessibleName(tr("Spool main window"));
    // An explicit minimum keeps the layout from raising the window's: content that loads
    // later (a long title, a model list) is laid out in the room there is, and never makes
    // the window grow past its screen.
    setMinimumSize(720, 480);

    m_sessionsController = new SessionsController(engine, this, this);
    m_runsController = new RunsController(engine, this, this);
    m_approvalsController = new ApprovalsController(engine, this, this);

    m_rail = new SessionRail(m_sessionsController->sessions(), this);
    m_sessionsController->setRail(m_rail);

    m_sessionTitle = new ElidedLabel(this);
    m_sessionTitle->setAccessibleName(tr("Session title"));
    QFont titleFont = m_sessionTitle->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setBold(true);
    m_sessionTitle->setFont(titleFont);
    m_sessionTitle->setContentsMargins(12, 8, 12, 4);
    m_sessionBar = new SessionBar(&engine, this);
    connect(&engine, &EngineClient::providersChanged, m_sessionBar, &SessionBar::reload);

    m_transcript = new TranscriptView(this);
    m_transcript->setModel(m_runsController->transcript());
    m_composer = new Composer(this);
    m_runPanel = new RunPanel(&engine, this);
    m_runsController->setComposer(m_composer);
    m_runsController->setRunPanel(m_runPanel);
    m_runsController->setSessionBar(m_sessionBar);

    connect(m_transcript, &TranscriptView::retryRequested, m_runsController, &RunsController::retry);
    connect(m_transcript, &TranscriptView::tapeRequested, m_runsController,
            [this](const QString &runId) { m_runsController->showTape(runId); });
    connect(m_transcript, &TranscriptView::approvalRequested, m_approvalsController,
            &ApprovalsController::openApproval);
    connect(m_transcript, &TranscriptView::providerSettingsRequested, this,
            [this] { showSettings(tr("Providers")); });
    connect(m_transcript, &TranscriptView::copied, this,
            [this](const QString &what) { setStatus(tr("Copied the %1").arg(what)); });
    connect(m_transcript, &TranscriptView::forkRequested, m_sessionsController, &SessionsController::fork);
    // Attachments come from the journal through the engine: thumbnails as they are drawn,
    // the whole file when one is opened.
    connect(m_transcript, &TranscriptView::attachmentContentWanted, this, [this](const QString &sha) {
        m_engine.call(this, [sha](Engine &g) { return g.attachment(sha); }, [this, sha](Result<Attachment> a) {
            if (a)
                m_transcript->setAttachmentContent(sha, a->data);
        });
    });
    connect(m_transcript, &TranscriptView::attachmentOpenRequested, this,
            [this](const QString &sha, const QString &name) {
                m_engine.call(this, [sha](Engine &g) { return g.attachment(sha); },
                              [this, name](Result<Attachment> a) {
                                  if (!a)
                                      return setStatus(tr("Cannot open %1: %2").arg(name, a.errorMessage()), 8000);
                                  a->name = name;
                                  openAttachment(this, *a);
                              });
            });
    m_composer->setImageMaxEdge(AttachmentLimits::load(engine.config().settingsPath()).imageMaxEdge);

    auto *center = new QWidget(this);
    auto *centerLayout = new QVBoxLayout(center);
    centerLayout->setContentsMargins(0, 0, 0, 0);
    centerLayout->setSpacing(0);
    m_sessionHeader = new SessionHeader(m_sessionTitle, m_sessionBar, center);
    centerLayout->addWidget(m_sessionHeader);
    centerLayout->addWidget(m_transcript, 1);
    centerLayout->addWidget(m_composer);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->addWidget(m_rail);
    m_splitter->addWidget(center);
    m_splitter->addWidget(m_runPanel);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 1);
    m_splitter->setCollapsible(1, false);
    setCentralWidget(m_splitter);

    createActions();
    createStatusBar();
    restoreLayout();

    // What the controllers say, where the window shows it.
    connect(m_sessionsController, &SessionsController::status, this, &MainWindow::setStatus);
    connect(m_runsController, &RunsController::status, this, &MainWindow::setStatus);
    connect(m_approvalsController, &ApprovalsController::status, this, &MainWindow::setStatus);
    connect(m_runPanel, &RunPanel::status, this, [this](const QString &m) { setStatus(m); });
    connect(m_sessionBar, &SessionBar::status, this, [this](const QString &m) { setStatus(m); });
    connect(&engine, &EngineClient::keyStorageFallback, this, [this](const QString &reason) {
        setStatus(tr("\u26a0 No keychain (%1): API keys are kept unencrypted in a file. See "
                     "Settings \u2192 Providers.")
                          .arg(reason),
                  20000);
    });
    // A full disk stays in the engine label until there is room again; the window keeps
    // reading meanwhile, and each refused write says so where it was asked for.
    connect(&engine, &EngineClient::diskFullChanged, this, [this](const Spool::Error &error) {
        if (error.isError()) {
            m_engineLabel->setText(tr("\u26a0 Disk full: nothing new is saved"));
            m_engineLabel->setToolTip(error.message);
            setStatus(error.message);
        } else {
            m_engineLabel->setText(tr("Engine ready"));
            m_engineLabel->setToolTip(tr("Journal: %1").arg(m_engine.config().journalPath()));
            setStatus(tr("The disk has room again: Spool saves again."), 10000);
        }
    });

    connect(m_sessionsController, &SessionsController::currentSessionChanged, this,
            &MainWindow::onSessionShown);
    connect(m_sessionsController, &SessionsController::titleChanged, this, &MainWindow::updateWindowTitle);
    connect(m_sessionsController, &SessionsController::composerHintChanged, m_composer, &Composer::setHint);
    connect(m_sessionsController, &SessionsController::agentDescribed, m_agentLabel, &ElidedLabel::setFullText);
    connect(m_runsController, &RunsController::sessionToShow, m_sessionsController,
            &SessionsController::selectSession);
    connect(m_runsController, &RunsController::runStarted, m_sessionsController, &SessionsController::reload);
    connect(m_runsController, &RunsController::runningChanged, m_stopAction, &QAction::setEnabled);
    connect(m_approvalsController, &ApprovalsController::pendingCountChanged, this,
            &MainWindow::updateWindowTitle);
    connect(m_approvalsController, &ApprovalsController::attentionRequested, this, &MainWindow::bringToFront);
    m_approvalsController->setBadge(m_approvalsButton);
    m_approvalsController->useTray(windowIcon());
    m_sessionsController->setHeader(m_sessionTitle, m_sessionBar); // describes the new session

    // MCP servers: started once the engine is ready; their questions and sign-ins.
    auto *mcp = new McpController(&engine, this);
    connect(mcp, &McpController::signInRequested, this, [this](const QString &server, const QUrl &) {
        setStatus(tr("%1 asks you to sign in: the page opened in your browser").arg(server), 20000);
    });

    for (QAction *a : std::as_const(m_sessionActions))
        a->setEnabled(false);
    updateWindowTitle();

    connect(&engine, &EngineClient::ready, this, &MainWindow::onEngineReady);
    connect(&engine, &EngineClient::startFailed, this, &MainWindow::onEngineFailed);
    if (engine.isReady()) {
        m_sessionsController->reload();
        m_approvalsController->reload();
        onEngineReady();
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *newSession = file->addAction(tr("&New Session"), this, &MainWindow::startNewSession);
    newSession->setShortcut(QKeySequence::New);
    QAction *exportTape = file->addAction(tr("&Export Run Tape\u2026"), this, [this] {
        m_runPanel->tape()->exportJsonl();
    });
    exportTape->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    QAction *exportSession = file->addAction(tr("Export &Session\u2026"), m_sessionsController,
                                             [this] { m_sessionsController->askToExport(false); });
    exportSession->setToolTip(tr("The session as Markdown (with its files beside it) or JSON (everything)"));
    exportSession->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    file->addAction(tr("Export &All Sessions\u2026"), m_sessionsController,
                    [this] { m_sessionsController->askToExport(true); });
    file->addAction(tr("&Import Sessions\u2026"), m_sessionsController, [this] { m_sessionsController->askToImport(); });
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
    QAction *memory = edit->addAction(tr("&Memory\u2026"), this, &MainWindow::showMemory);
    memory->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    QAction *settings = edit->addAction(tr("Se&ttings\u2026"), this, [this] { showSettings(); });
    settings->setShortcut(QKeySequence::Preferences);
    if (settings->shortcut().isEmpty())
        settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));

    SessionsController *sessions = m_sessionsController;
    QMenu *session = menuBar()->addMenu(tr("&Session"));
    QAction *rename = session->addAction(tr("&Rename\u2026"), sessions,
                                         [sessions] { sessions->askToRename(sessions->currentSessionId()); });
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    QAction *reset = session->addAction(tr("Re&set Context"), sessions,
                                        [sessions] { sessions->resetContext(sessions->currentSessionId()); });
    QAction *archive = session->addAction(tr("&Archive"), sessions,
                                          [sessions] { sessions->setArchived(sessions->currentSessionId(), true); });
    archive->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    session->addSeparator();
    QAction *remove = session->addAction(tr("&Delete\u2026"), sessions,
                                         [sessions] { sessions->askToDelete(sessions->currentSessionId()); });
    remove->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_Delete));

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    QAction *sendAction = run->addAction(tr("&Send"), this, [this] { send(m_composer->text()); });
    sendAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_stopAction = run->addAction(tr("S&top"), this, &MainWindow::stop);
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setEnabled(false);
    QAction *tape = run->addAction(tr("Open &Tape"), this, &MainWindow::openTape);
    tape->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    QAction *approvals = run->addAction(tr("Pending &Approvals\u2026"), this, &MainWindow::showPendingApprovals);
    approvals->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    run->addSeparator();
    QAction *operations = run->addAction(tr("&Operations\u2026"), this, &MainWindow::showOperations);
    operations->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_sessionActions = {rename, reset, archive, remove, tape, exportSession};

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
        showInformation(this, tr("Keyboard shortcuts"),
                        tr("Ctrl+N  new session\nCtrl+F  search sessions\nEnter  send (Shift+Enter: new line)\n"
                           "Esc  stop the run\nF2  rename the session\nCtrl+T  open the run's tape\n"
                           "Ctrl+Shift+R  pending approvals\nCtrl+Shift+M  memory\nCtrl+Shift+O  operations\n"
                           "Ctrl+E  export the run's tape\nF8 / F9  show or hide the rail / run panel\n"
                           "Ctrl+Q  quit"));
    });
    help->addAction(tr("&About Spool"), this, [this] {
        QMessageBox *about = showInformation(
                this, tr("About Spool"),
                tr("<b>Spool %1</b><p>A workbench to see and control everything your AI agent does: "
                   "every step on an append-only tape, every tool call through policy and, where "
                   "asked, your approval.</p>")
                        .arg(QApplication::applicationVersion()));
        if (about)
            about->setIconPixmap(windowIcon().pixmap(64));
    });
}

void MainWindow::createStatusBar()
{
    m_engineLabel = new QLabel(tr("Starting the engine\u2026"), this);
    m_engineLabel->setAccessibleName(tr("Engine state"));
    m_agentLabel = new ElidedLabel(this);
    m_agentLabel->setAccessibleName(tr("Agent, provider and model"));
    m_approvalsButton = new QToolButton(this);
    m_approvalsButton->setAccessibleName(tr("Pending approvals"));
    m_approvalsButton->setAutoRaise(true);
    m_approvalsButton->hide();
    statusBar()->addWidget(m_engineLabel);
    // The badge comes before the agent so that it is the last thing a narrow window cuts.
    statusBar()->addPermanentWidget(m_approvalsButton);
    statusBar()->addPermanentWidget(m_agentLabel);
    m_agentLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
}

QSize MainWindow::defaultSize(const QSize &room)
{
    // Up to 1600x1000: on a laptop screen that is all of it; on a large one, room to spare.
    return room.boundedTo(QSize(1600, 1000));
}

// Where the window goes on its screen: where it is (the saved place) if that fits the screen it
// is on now (screens change between sessions: a laptop leaves its monitor), otherwise the
// default size,
// centred in the available area (the screen less panels and docks). The frame counts: the title
// bar must be on screen too.
void MainWindow::placeOnScreen(bool keepIfItFits)
{
    if (windowState() & (Qt::WindowMaximized | Qt::WindowFullScreen))
        return; // the window manager places it
    QScreen *target = QGuiApplication::screenAt(geometry().center());
    if (!target)
        target = screen() ? screen() : QGuiApplication::primaryScreen();
    if (!target)
        return;
    const QRect available = target->availableGeometry();
    QMargins frame = windowHandle() ? windowHandle()->frameMargins() : QMargins();
    if (frame.isNull() && !isVisible())
        frame = QMargins(0, 32, 0, 0); // a title bar, until the window manager says
    if (keepIfItFits && available.contains(geometry().marginsAdded(frame)))
        return;
    const QSize room = available.size().shrunkBy(frame);
    const QSize size = defaultSize(room).expandedTo(minimumSize()).boundedTo(room);
    QRect placed(QPoint(), size);
    placed.moveCenter(available.center());
    placed.translate((frame.left() - frame.right()) / 2, (frame.top() - frame.bottom()) / 2);
    setGeometry(placed);
}

void MainWindow::restoreLayout()
{
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    // The saved place only if all of it (the frame too) is inside a screen's available area
    // now; Qt would move a window that does not fit, but keep its size.
    const QRect frame = settings.value(QStringLiteral("gui/frame")).toRect();
    const QScreen *screenThere = frame.isValid() ? QGuiApplication::screenAt(frame.center()) : nullptr;
    const bool fits = screenThere && screenThere->availableGeometry().contains(frame);
    const bool restored = fits && restoreGeometry(settings.value(QStringLiteral("gui/geometry")).toByteArray());
    placeOnScreen(restored);
    // The rail as wide as it needs, the rest shared by the conversation and the run panel (the
    // splitter scales these to the window).
    m_splitter->setSizes({220, 640, 540});
    m_splitter->restoreState(settings.value(QStringLiteral("gui/splitter")).toByteArray());
    const int fontSize = settings.value(QStringLiteral("gui/transcript_font_size"), 0).toInt();
    if (fontSize > 0) {
        QFont f = m_transcript->font();
        f.setPointSize(fontSize);
        m_transcript->setFont(f);
    }
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (m_placed)
        return;
    m_placed = true;
    // Now that the frame is known, make sure all of it is on the screen.
    QTimer::singleShot(0, this, [this] {
        if (!isMaximized() && !isFullScreen())
            placeOnScreen(true);
    });
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_runsController->isRunning() && !m_closeConfirmed) {
        // Ask without a nested event loop; agreeing closes the window again.
        event->ignore();
        auto *box = new QMessageBox(QMessageBox::Question, tr("A run is in progress"),
                                    tr("Closing Spool stops the run in progress; it will show as "
                                       "interrupted. Close anyway?"),
                                    QMessageBox::Yes | QMessageBox::No, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setDefaultButton(QMessageBox::No);
        connect(box, &QMessageBox::buttonClicked, this, [this, box](QAbstractButton *button) {
            if (box->standardButton(button) != QMessageBox::Yes)
                return;
            m_closeConfirmed = true;
            QTimer::singleShot(0, this, &QWidget::close);
        });
        box->open();
        return;
    }
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    settings.setValue(QStringLiteral("gui/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("gui/frame"), frameGeometry());
    settings.setValue(QStringLiteral("gui/splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("gui/last_session"), currentSessionId());
    event->accept();
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::ActivationChange && isActiveWindow())
        updateWindowTitle();
}

void MainWindow::setStatus(const QString &message, int timeoutMs)
{
    statusBar()->showMessage(message, timeoutMs);
}

void MainWindow::onEngineReady()
{
    m_engineLabel->setText(tr("Engine ready"));
    m_engineLabel->setToolTip(tr("Journal: %1").arg(m_engine.config().journalPath()));
    QSettings settings(m_engine.config().settingsPath(), QSettings::IniFormat);
    const QString last = settings.value(QStringLiteral("gui/last_session")).toString();
    if (!last.isEmpty() && currentSessionId().isEmpty())
        selectSession(last);
}

void MainWindow::onEngineFailed(const Error &error)
{
    m_engineLabel->setText(tr("Engine stopped"));
    m_composer->setEnabled(false);
    if (QMessageBox *box = showWarning(this, tr("Spool cannot open its journal"), error.message))
        box->setIcon(QMessageBox::Critical);
}

void MainWindow::onSessionShown(const QString &sessionId)
{
    m_runsController->setSession(sessionId);
    for (QAction *a : std::as_const(m_sessionActions))
        a->setEnabled(!sessionId.isEmpty());
    updateWindowTitle();
    emit sessionShown(sessionId);
}

void MainWindow::updateWindowTitle()
{
    const QString title = m_sessionsController->currentTitle();
    QString windowTitle = title.isEmpty() ? tr("Spool") : tr("%1 \u2014 Spool").arg(title);
    if (const int waiting = pendingApprovals(); waiting > 0)
        windowTitle = QStringLiteral("(%1) ").arg(waiting) + windowTitle;
    setWindowTitle(windowTitle);
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
    connect(dialog, &MemoryDialog::openRun, m_runsController, &RunsController::openRun);
    connect(dialog, &MemoryDialog::openRun, this, &MainWindow::bringToFront);
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
    if (m_localApi)
        dialog->addPage(tr("Local API"), new LocalApiPage(m_localApi, m_engine.config(), dialog));
    if (!page.isEmpty())
        dialog->showPage(page);
    dialog->show();
}

void MainWindow::setLocalApi(ApiServer *server)
{
    m_localApi = server;
    statusBar()->addPermanentWidget(new LocalApiIndicator(server, this));
}

QString MainWindow::currentSessionId() const
{
    return m_sessionsController->currentSessionId();
}

void MainWindow::selectSession(const QString &sessionId)
{
    m_sessionsController->selectSession(sessionId);
}

void MainWindow::startNewSession()
{
    m_sessionsController->startNewSession();
    m_composer->editor()->setFocus(Qt::ShortcutFocusReason);
}

void MainWindow::send(const QString &text)
{
    m_runsController->send(text);
}

void MainWindow::stop()
{
    m_runsController->stop();
}

void MainWindow::openTape()
{
    m_runsController->showTape();
}

void MainWindow::openApproval(const QString &approvalId)
{
    m_approvalsController->openApproval(approvalId);
}

void MainWindow::showPendingApprovals()
{
    m_approvalsController->showPendingList();
}

int MainWindow::pendingApprovals() const
{
    return m_approvalsController->pendingCount();
}

TranscriptModel *MainWindow::transcriptModel() const
{
    return m_runsController->transcript();
}

QLabel *MainWindow::sessionTitle() const
{
    return m_sessionTitle;
}

SessionListModel *MainWindow::sessions() const
{
    return m_sessionsController->sessions();
}

ApprovalListModel *MainWindow::approvals() const
{
    return m_approvalsController->approvals();
}

ApprovalDialog *MainWindow::approvalDialog(const QString &approvalId) const
{
    return m_approvalsController->dialogFor(approvalId);
}

PendingApprovalsDialog *MainWindow::pendingApprovalsList() const
{
    return m_approvalsController->pendingList();
}

} // namespace Spool
