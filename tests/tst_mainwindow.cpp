#include "testsupport.h"

#include "approvaldialog.h"
#include "approvallistmodel.h"
#include "approvalscontroller.h"
#include "composer.h"
#include "client/engineclient.h"
#include "mainwindow.h"
#include "permissionspage.h"
#include "runlistmodel.h"
#include "runpanel.h"
#include "runscontroller.h"
#include "runtimelinewidget.h"
#include "sessionlistmodel.h"
#include "sessionrail.h"
#include "sessionscontroller.h"
#include "tapeinspector.h"
#include "tapemodel.h"
#include "transcriptmodel.h"
#include "transcriptview.h"
#include "engineanswer.h"
#include "spoolprocess.h"
#include "journal/journalstore.h"

#include <QAbstractButton>
#include <QClipboard>
#include <QFile>
#include <QImage>
#include <QToolButton>
#include <QAbstractItemView>
#include <QAction>
#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

// The window as a user drives it, on the offscreen platform with a real engine and journal.
class tst_MainWindow : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void sendStreamsTheReplyAsMarkdown();
    void approveAToolThroughTheDialog();
    void escapeStopsTheRun();
    void tapeInspectorShowsTheRunsEvents();
    void timelineBarFindsItsEventInTheTape();
    void copyMessageCopiesTheMarkdown();
    void cliRunShowsUpWithoutRestart();
    void apiRunShowsUpWithoutRestart();
    void dialogClosesWhenAnsweredElsewhere();
    void approvalShowsTheDiffAndAlwaysIsRevocable();
    void everyControlHasAnAccessibleName();
    void shortcutsExistForFrequentActions();
    void sessionsControllerActsOnSessions();
    void runsControllerCreatesTheSessionWithItsFirstMessage();
    void questionsDoNotOutliveTheWindow();
    void attachPasteSendThumbnailAndFork();
    void diskFullShowsAndPasses();

private:
    void openWindow(int delayMs = 0);
    void type(const QString &text);
    QProcess *spool(const QStringList &args);
    PermissionsPage *findSettingsPage();

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
    std::unique_ptr<MainWindow> m_window;
    int m_heartbeatMs = 0;
};

void tst_MainWindow::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_MainWindow::cleanup()
{
    m_heartbeatMs = 0;
    m_window.reset();
    m_engine.reset();
    m_env.reset();
}

void tst_MainWindow::openWindow(int delayMs)
{
    // The configuration a `spool` process in the same folders computes too (same principal and
    // device), so sessions made from the command line belong to the window's user.
    m_env->config = RuntimeConfig::load(m_env->config.dataDir, m_env->config.configDir);
    m_env->config.frontEnd = QStringLiteral("gui");
    m_env->config.pollMs = 50;
    m_env->config.deterministicChunkDelayMs = delayMs;
    if (m_heartbeatMs > 0)
        m_env->config.heartbeatMs = m_heartbeatMs;
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(30000));
    m_window = std::make_unique<MainWindow>(*m_engine);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
}

void tst_MainWindow::type(const QString &text)
{
    QPlainTextEdit *editor = m_window->composer()->editor();
    editor->setFocus();
    QTest::keyClicks(editor, text);
    QTest::keyClick(editor, Qt::Key_Return);
}

QProcess *tst_MainWindow::spool(const QStringList &args)
{
    auto *p = new QProcess(this);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SPOOL_DATA_DIR"), m_env->config.dataDir);
    env.insert(QStringLiteral("SPOOL_CONFIG_DIR"), m_env->config.configDir);
    env.insert(QStringLiteral("SPOOL_DETERMINISTIC_DELAY_MS"), QStringLiteral("0"));
    p->setProcessEnvironment(env);
    p->start(QStringLiteral(SPOOL_BINARY), args);
    p->waitForStarted(5000);
    p->closeWriteChannel();
    return p;
}

void tst_MainWindow::sendStreamsTheReplyAsMarkdown()
{
    openWindow(3);
    TranscriptModel *model = m_window->transcriptModel();
    int streamingUpdates = 0;
    connect(model, &QAbstractItemModel::dataChanged, this,
            [&](const QModelIndex &tl, const QModelIndex &, const QList<int> &roles) {
                if (roles.contains(TranscriptModel::TextRole) && model->entryAt(tl.row()).streaming)
                    ++streamingUpdates;
            });
    type(QStringLiteral("**Hello** there [[words 120]]"));
    QVERIFY(m_window->composer()->text().isEmpty());
    QTRY_VERIFY(m_window->composer()->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->composer()->isRunning(), 10000);
    QVERIFY2(streamingUpdates >= 2, qPrintable(QString::number(streamingUpdates)));
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->entryAt(0).kind, TranscriptEntry::Kind::User);
    QCOMPARE(model->entryAt(1).kind, TranscriptEntry::Kind::Assistant);
    QVERIFY(!model->entryAt(1).streaming);
    const QString shown = m_window->transcript()->plainTranscript();
    QVERIFY(shown.contains(QStringLiteral("**Hello** there"))); // the user's words, as typed
    QVERIFY2(shown.contains(QStringLiteral("spool session journal")), qPrintable(shown.left(300))); // the streamed reply, rendered
    // The session was created by the first message and titled from it.
    QTRY_COMPARE(m_window->sessions()->rowCount(), 1);
    QVERIFY(m_window->sessions()->rowAt(0).title.startsWith(QStringLiteral("**Hello** there")));
    QCOMPARE(m_window->currentSessionId(), m_window->sessions()->rowAt(0).id);
}

void tst_MainWindow::approveAToolThroughTheDialog()
{
    openWindow();
    type(QStringLiteral("[[tool echo {\"text\": \"approved in the dialog\"}]]"));
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    const QString id = m_window->approvals()->rowAt(0).id;
    QTRY_VERIFY(m_window->approvalDialog(id));
    ApprovalDialog *dialog = m_window->approvalDialog(id);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->denyButton()->isDefault()); // Enter would deny
    QTest::keyClick(dialog, Qt::Key_O, Qt::AltModifier); // "Allow &once"
    QTRY_VERIFY(!m_window->composer()->isRunning());
    QTRY_COMPARE(m_window->approvals()->rowCount(), 0);
    TranscriptModel *model = m_window->transcriptModel();
    int card = -1;
    for (int i = 0; i < model->rowCount(); ++i) {
        if (model->entryAt(i).kind == TranscriptEntry::Kind::ToolCall)
            card = i;
    }
    QVERIFY(card >= 0);
    QCOMPARE(model->entryAt(card).toolState, QStringLiteral("ok"));
    QCOMPARE(model->entryAt(card).output, QStringLiteral("approved in the dialog"));
    QCOMPARE(model->entryAt(card).decision, QStringLiteral("allow"));
    QVERIFY(model->entryAt(card).decisionDetail.contains(QStringLiteral("gui")));
}

void tst_MainWindow::escapeStopsTheRun()
{
    openWindow(20);
    type(QStringLiteral("[[words 3000]]"));
    TranscriptModel *model = m_window->transcriptModel();
    QTRY_VERIFY(model->rowCount() == 2 && model->entryAt(1).text.size() > 20);
    QVERIFY(m_window->stopAction()->isEnabled());
    QTest::keyClick(m_window.get(), Qt::Key_Escape);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->composer()->isRunning(), 30000); // it would stream for a minute
    RunListModel *runs = m_window->runPanel()->runs();
    QTRY_COMPARE(runs->rowAt(0).state, RunState::Cancelled);
    QTRY_COMPARE(model->entryAt(model->rowCount() - 1).noticeKind, QStringLiteral("cancelled"));
    QVERIFY(!model->entryAt(1).streaming); // what streamed stays, no longer streaming
}

void tst_MainWindow::tapeInspectorShowsTheRunsEvents()
{
    openWindow();
    type(QStringLiteral("time please [[tool clock {}]]"));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    QTest::keyClick(m_window.get(), Qt::Key_T, Qt::ControlModifier);
    TapeInspector *tape = m_window->runPanel()->tape();
    TapeModel *model = tape->model();
    QTRY_VERIFY(model->rowCount() >= 12);
    QStringList kinds;
    for (int i = 0; i < model->rowCount(); ++i)
        kinds.append(model->data(model->index(i, TapeModel::KindColumn)).toString());
    for (const char *k : {"run.status", "input", "context", "provider.request", "provider.response",
                          "tool.call", "policy.decision", "tool.output", "assistant.message"})
        QVERIFY2(kinds.contains(QLatin1String(k)), k);
    const int row = int(kinds.indexOf(QStringLiteral("tool.output")));
    tape->table()->selectRow(row);
    QTRY_VERIFY(tape->jsonText()->toPlainText().contains(QStringLiteral("\"kind\": \"tool.output\"")));
    // Filtering by kind leaves only those events.
    tape->kindFilter()->setCurrentIndex(tape->kindFilter()->findData(QStringLiteral("tool.call")));
    QTRY_COMPARE(model->rowCount(), 1);
    // Clicking the tool bar on the timeline finds its event.
    tape->kindFilter()->setCurrentIndex(0);
    QTRY_VERIFY(model->rowCount() >= 12);
}

void tst_MainWindow::timelineBarFindsItsEventInTheTape()
{
    openWindow();
    type(QStringLiteral("two tools [[tool clock {}]] [[tool clock {\"timezone\": \"UTC\"}]]"));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    RunTimelineWidget *timeline = m_window->runPanel()->timeline();
    // provider call, two tool calls, provider call
    QTRY_COMPARE(timeline->spans().size(), 4);
    QCOMPARE(timeline->spans().at(1).kind, TimelineSpan::Kind::Tool);
    timeline->setFocus();
    QTest::keyClick(timeline, Qt::Key_Down);
    QTest::keyClick(timeline, Qt::Key_Down);
    QTest::keyClick(timeline, Qt::Key_Return);
    TapeInspector *tape = m_window->runPanel()->tape();
    const qint64 seq = timeline->spans().at(1).startSeq;
    QTRY_COMPARE(tape->model()->seqAt(tape->table()->currentIndex().row()), seq);
    QCOMPARE(tape->model()->data(tape->model()->index(tape->table()->currentIndex().row(), TapeModel::KindColumn)).toString(),
             QStringLiteral("tool.call"));
}

void tst_MainWindow::copyMessageCopiesTheMarkdown()
{
    openWindow();
    type(QStringLiteral("**bold** words"));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    TranscriptView *view = m_window->transcript();
    QCOMPARE(view->messageText(1), QStringLiteral("Echo: **bold** words"));
    const int position = view->document()->toPlainText().indexOf(QStringLiteral("Echo"));
    QCOMPARE(view->rowAt(position), 1);
}

// A client of `spool serve` (another process on the same data folder) starts a run: the window
// shows its session and transcript as it does a terminal's, and the tape says it came from the API.
void tst_MainWindow::apiRunShowsUpWithoutRestart()
{
    openWindow();
    QProcess *serve = spool({QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--json")});
    const QJsonObject listening = Test::readJsonLine(serve, 30000);
    const int port = listening.value(QStringLiteral("port")).toInt();
    QVERIFY2(port > 0, serve->readAllStandardError().constData());
    QFile tokenFile(listening.value(QStringLiteral("token_file")).toString());
    QVERIFY(tokenFile.open(QIODevice::ReadOnly));
    const QByteArray token = tokenFile.readAll().trimmed();
    QProcess curl;
    curl.start(QStringLiteral("curl"),
               {QStringLiteral("-sS"), QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token),
                QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-d"),
                QStringLiteral(R"({"model":"default","messages":[{"role":"user","content":"from a script"}]})"),
                QStringLiteral("http://127.0.0.1:%1/v1/chat/completions").arg(port)});
    QVERIFY(curl.waitForFinished(60000));
    QVERIFY2(curl.readAllStandardOutput().contains("Echo: from a script"), curl.readAllStandardError().constData());
    SessionListModel *sessions = m_window->sessions();
    QTRY_COMPARE_WITH_TIMEOUT(sessions->rowCount(), 1, 30000);
    m_window->selectSession(sessions->rowAt(0).id);
    QTRY_VERIFY(m_window->transcript()->plainTranscript().contains(QStringLiteral("Echo: from a script")));
    QTRY_COMPARE(m_window->runPanel()->runs()->rowCount(), 1);
    const QString runId = m_window->runPanel()->runs()->rowAt(0).id;
    const auto answer = Test::engineAnswer(*m_engine, [runId](Engine &g) { return g.inspection().tape(runId, 2, 1); });
    QVERIFY(answer && *answer);
    const QList<TapeEvent> input = **answer;
    QCOMPARE(input.size(), 1);
    QCOMPARE(input.constFirst().payload.value(QStringLiteral("source")).toString(), QStringLiteral("api"));
    serve->terminate();
    QVERIFY(serve->waitForFinished(30000));
}

void tst_MainWindow::cliRunShowsUpWithoutRestart()
{
    openWindow();
    QProcess *chat = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("terminal"),
                            QStringLiteral("from the terminal")});
    QVERIFY(chat->waitForFinished(60000));
    QCOMPARE(chat->exitCode(), 0);
    SessionListModel *sessions = m_window->sessions();
    QTRY_COMPARE_WITH_TIMEOUT(sessions->rowCount(), 1, 30000);
    QCOMPARE(sessions->rowAt(0).key, QStringLiteral("terminal"));
    m_window->selectSession(sessions->rowAt(0).id);
    QTRY_VERIFY(m_window->transcript()->plainTranscript().contains(QStringLiteral("Echo: from the terminal")));
    // A second run of the same session, while it is shown, appears too.
    QProcess *again = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("terminal"),
                             QStringLiteral("and once more")});
    QVERIFY(again->waitForFinished(60000));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->transcript()->plainTranscript().contains(QStringLiteral("Echo: and once more")), 30000);
    QTRY_COMPARE(m_window->runPanel()->runs()->rowCount(), 2);
}

void tst_MainWindow::dialogClosesWhenAnsweredElsewhere()
{
    openWindow();
    type(QStringLiteral("[[tool echo {\"text\": \"x\"}]]"));
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    const QString id = m_window->approvals()->rowAt(0).id;
    QTRY_VERIFY(m_window->approvalDialog(id));
    QPointer<ApprovalDialog> dialog = m_window->approvalDialog(id);
    QProcess *decide = spool({QStringLiteral("approvals"), QStringLiteral("decide"), id, QStringLiteral("deny")});
    QVERIFY(decide->waitForFinished(60000));
    QCOMPARE(decide->exitCode(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(dialog && dialog->statusText().contains(QStringLiteral("denied elsewhere (by cli)")), 30000);
    QVERIFY(!dialog->allowOnceButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!dialog, 30000); // it closes itself
    QTRY_VERIFY(!m_window->composer()->isRunning());
}

void tst_MainWindow::approvalShowsTheDiffAndAlwaysIsRevocable()
{
    openWindow();
    type(QStringLiteral("[[tool fs.write {\"path\": \"notes/todo.txt\", \"content\": \"buy thread\\nwind spool\\n\"}]]"));
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    const QString id = m_window->approvals()->rowAt(0).id;
    QTRY_VERIFY(m_window->approvalDialog(id));
    ApprovalDialog *dialog = m_window->approvalDialog(id);
    const QString preview = dialog->previewText();
    QVERIFY2(preview.contains(QStringLiteral("Creates notes/todo.txt")), qPrintable(preview));
    QVERIFY(preview.contains(QStringLiteral("+buy thread")));
    QVERIFY(preview.contains(QStringLiteral("+wind spool")));
    QTest::keyClick(dialog, Qt::Key_A, Qt::AltModifier); // "Allow &always"
    QTRY_VERIFY(!m_window->composer()->isRunning());
    QTRY_COMPARE(m_window->approvals()->rowCount(), 0);

    // The grant is listed in Settings → Permissions, and can be revoked there.
    m_window->showSettings(QStringLiteral("Permissions"));
    PermissionsPage *page = nullptr;
    QTRY_VERIFY((page = findSettingsPage()));
    QTRY_COMPARE(page->grants()->rowCount(), 1);
    QCOMPARE(page->grants()->item(0, 0)->text(), QStringLiteral("fs.write"));
    QVERIFY(page->grants()->item(0, 1)->text().contains(QStringLiteral("notes/todo.txt")));
    page->grants()->selectRow(0);
    page->revokeSelected();
    QTRY_COMPARE(page->grants()->rowCount(), 0);
}

PermissionsPage *tst_MainWindow::findSettingsPage()
{
    for (QWidget *top : QApplication::topLevelWidgets()) {
        if (auto *page = top->findChild<PermissionsPage *>(); page && top->isVisible())
            return page;
    }
    return nullptr;
}

void tst_MainWindow::everyControlHasAnAccessibleName()
{
    openWindow();
    m_window->showOperations();
    m_window->showSettings();
    QTest::qWait(200);
    QStringList missing;
    for (QWidget *top : QApplication::topLevelWidgets()) {
        if (!top->isVisible())
            continue;
        const auto widgets = top->findChildren<QWidget *>();
        for (QWidget *w : widgets) {
            if (!w->isVisibleTo(top) || !w->focusPolicy())
                continue;
            // The editor inside a combo or spin box is named by its owner.
            if (qobject_cast<QComboBox *>(w->parentWidget()) || qobject_cast<QAbstractSpinBox *>(w->parentWidget()))
                continue;
            const bool control = qobject_cast<QLineEdit *>(w) || qobject_cast<QPlainTextEdit *>(w)
                    || qobject_cast<QAbstractItemView *>(w) || qobject_cast<QComboBox *>(w)
                    || qobject_cast<QAbstractButton *>(w);
            if (!control)
                continue;
            if (auto *button = qobject_cast<QAbstractButton *>(w); button && !button->text().isEmpty())
                continue; // a button's text is its name
            if (w->accessibleName().isEmpty())
                missing.append(QString::fromLatin1(w->metaObject()->className()) + QLatin1Char(' ')
                               + w->objectName() + QStringLiteral(" in ") + top->windowTitle());
        }
    }
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));
}

void tst_MainWindow::shortcutsExistForFrequentActions()
{
    openWindow();
    QHash<QString, QKeySequence> shortcuts;
    for (QAction *a : m_window->findChildren<QAction *>())
        shortcuts.insert(a->text().remove(QLatin1Char('&')).remove(QStringLiteral("\u2026")), a->shortcut());
    QCOMPARE(shortcuts.value(QStringLiteral("New Session")), QKeySequence(QKeySequence::New));
    QCOMPARE(shortcuts.value(QStringLiteral("Search Sessions")), QKeySequence(QKeySequence::Find));
    QCOMPARE(shortcuts.value(QStringLiteral("Stop")), QKeySequence(Qt::Key_Escape));
    QCOMPARE(shortcuts.value(QStringLiteral("Rename")), QKeySequence(Qt::Key_F2));
    QCOMPARE(shortcuts.value(QStringLiteral("Open Tape")), QKeySequence(Qt::CTRL | Qt::Key_T));
    QCOMPARE(shortcuts.value(QStringLiteral("Send")), QKeySequence(Qt::CTRL | Qt::Key_Return));
    // Ctrl+N clears the way for a new session; Ctrl+F goes to the search field.
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(qobject_cast<QLineEdit *>(QApplication::focusWidget()));
}

// The first top-level widget of type T that is shown.
template<typename T>
static T *shown()
{
    for (QWidget *top : QApplication::topLevelWidgets()) {
        if (auto *w = qobject_cast<T *>(top); w && w->isVisible())
            return w;
    }
    return nullptr;
}

// What the composer says above its field ("Your first message ...", "A branch: ...").
static QString composerHint(QWidget *composer)
{
    for (QLabel *label : composer->findChildren<QLabel *>()) {
        if (label->accessibleName() == QStringLiteral("Composer status"))
            return label->text();
    }
    return {};
}

void tst_MainWindow::sessionsControllerActsOnSessions()
{
    openWindow();
    SessionsController *sessions = m_window->sessionsController();
    // A new window starts on a new session, and says how it begins.
    QCOMPARE(m_window->sessionTitle()->text(), QStringLiteral("New session"));
    QCOMPARE(composerHint(m_window->composer()), QStringLiteral("Your first message starts a new session."));
    QSignalSpy shownSessions(sessions, &SessionsController::currentSessionChanged);
    QSignalSpy titles(sessions, &SessionsController::titleChanged);
    type(QStringLiteral("first words"));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    QTRY_COMPARE(sessions->sessions()->rowCount(), 1);
    const QString id = sessions->currentSessionId();
    QVERIFY(!id.isEmpty());
    QCOMPARE(shownSessions.size(), 1);
    QCOMPARE(shownSessions.at(0).at(0).toString(), id);

    // Rename: F2 asks without blocking; the answer renames the session everywhere.
    QTest::keyClick(m_window.get(), Qt::Key_F2);
    QInputDialog *rename = nullptr;
    QTRY_VERIFY((rename = shown<QInputDialog>()));
    QCOMPARE(rename->textValue(), QStringLiteral("first words"));
    rename->setTextValue(QStringLiteral("Renamed"));
    rename->accept();
    QTRY_COMPARE(sessions->sessions()->rowAt(0).title, QStringLiteral("Renamed"));
    QTRY_COMPARE(m_window->sessionTitle()->text(), QStringLiteral("Renamed"));
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("Renamed")));
    QVERIFY(titles.size() >= 2);

    // Reset the context: the composer says so.
    sessions->resetContext(id);
    QTRY_VERIFY(sessions->sessions()->rowAt(0).contextFloor > 0);

    // Archive: it leaves the rail, and the window goes to a new session.
    sessions->setArchived(id, true);
    QTRY_COMPARE(sessions->sessions()->rowCount(), 0);
    QTRY_VERIFY(sessions->currentSessionId().isEmpty());
    QCOMPARE(m_window->sessionTitle()->text(), QStringLiteral("New session"));
    m_window->rail()->findChild<QCheckBox *>()->setChecked(true); // show archived
    QTRY_COMPARE(sessions->sessions()->rowCount(), 1);
    sessions->setArchived(id, false);
    QTRY_VERIFY(!sessions->sessions()->rowAt(0).isArchived());

    // Delete asks first; Cancel (the default) keeps the session, Delete removes it.
    sessions->selectSession(id);
    sessions->askToDelete(id);
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = shown<QMessageBox>()));
    QCOMPARE(confirm->defaultButton(), confirm->button(QMessageBox::Cancel));
    confirm->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!shown<QMessageBox>());
    QCOMPARE(sessions->sessions()->rowCount(), 1);
    sessions->askToDelete(id);
    QTRY_VERIFY((confirm = shown<QMessageBox>()));
    for (QAbstractButton *b : confirm->buttons()) {
        if (confirm->buttonRole(b) == QMessageBox::DestructiveRole)
            b->click();
    }
    QTRY_COMPARE(sessions->sessions()->rowCount(), 0);
    QTRY_VERIFY(sessions->currentSessionId().isEmpty());
}

void tst_MainWindow::runsControllerCreatesTheSessionWithItsFirstMessage()
{
    openWindow(3);
    RunsController *runs = m_window->runsController();
    QSignalSpy created(runs, &RunsController::sessionToShow);
    QSignalSpy running(runs, &RunsController::runningChanged);
    QVERIFY(m_window->currentSessionId().isEmpty());
    runs->send(QStringLiteral("hello [[words 200]]"));
    QTRY_COMPARE(created.size(), 1);
    const QString sessionId = created.at(0).at(0).toString();
    QCOMPARE(m_window->currentSessionId(), sessionId);
    QTRY_VERIFY(runs->isRunning());
    QVERIFY(m_window->stopAction()->isEnabled());
    // A second send while the run goes on is ignored, not queued.
    runs->send(QStringLiteral("too soon"));
    QTRY_VERIFY_WITH_TIMEOUT(!runs->isRunning(), 10000);
    QVERIFY(!m_window->stopAction()->isEnabled());
    QCOMPARE(running.first().at(0).toBool(), false); // reset as the session was shown
    QVERIFY(running.contains(QVariantList{true}));
    QCOMPARE(running.last().at(0).toBool(), false);
    QCOMPARE(m_window->runPanel()->runs()->rowCount(), 1);
    QCOMPARE(runs->transcript()->rowCount(), 2);
    QVERIFY(!m_window->transcript()->plainTranscript().contains(QStringLiteral("too soon")));
}

void tst_MainWindow::questionsDoNotOutliveTheWindow()
{
    // Every question the window asks is shown with open(), never a nested event loop: deleting
    // the window while one is up deletes the question with it, and an answer from the engine
    // that comes afterwards is dropped.
    openWindow();
    type(QStringLiteral("something"));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    QTRY_COMPARE(m_window->sessions()->rowCount(), 1);
    const QString id = m_window->currentSessionId();
    m_window->sessionsController()->askToDelete(id);
    QPointer<QMessageBox> confirm;
    QTRY_VERIFY((confirm = shown<QMessageBox>()));
    m_window->sessionsController()->askToRename(id);
    QPointer<QInputDialog> rename;
    QTRY_VERIFY((rename = shown<QInputDialog>()));
    m_window->sessionsController()->rename(id, QString()); // refused: its warning comes later
    m_window.reset();
    QVERIFY(!confirm);
    QVERIFY(!rename);
    // The refusal arrives with nobody to tell: nothing is shown. (Answers come back in the
    // order the calls were made, so once a later call is answered, the refusal has come too.)
    bool later = false;
    m_engine->call(this, [](Engine &g) { return g.isOpen(); }, [&later](bool) { later = true; });
    QTRY_VERIFY(later);
    QVERIFY(!shown<QMessageBox>());
}

void tst_MainWindow::attachPasteSendThumbnailAndFork()
{
    openWindow();
    Composer *composer = m_window->composer();
    // A large picture from a file is scaled down before it is sent.
    QImage big(3000, 2000, QImage::Format_RGB32);
    big.fill(Qt::darkCyan);
    const QString path = m_env->dir.filePath(QStringLiteral("screen.png"));
    QVERIFY(big.save(path));
    composer->attachFiles({path});
    QCOMPARE(composer->attachments().size(), 1);
    QImage sent;
    QVERIFY(sent.loadFromData(composer->attachments().constFirst().data));
    QCOMPARE(sent.size(), QSize(2048, 1365));
    // A picture pasted from the clipboard becomes an attachment, not text.
    QImage small(40, 30, QImage::Format_RGB32);
    small.fill(Qt::red);
    QApplication::clipboard()->setImage(small);
    composer->editor()->setFocus();
    QTest::keyClick(composer->editor(), Qt::Key_V, Qt::ControlModifier);
    QTRY_COMPARE(composer->attachments().size(), 2);
    QVERIFY(composer->editor()->toPlainText().isEmpty());
    // Each shows as a chip that removes it.
    QList<QToolButton *> chips;
    for (QToolButton *b : composer->findChildren<QToolButton *>()) {
        if (b->isVisibleTo(composer) && b->accessibleName().startsWith(QStringLiteral("Attachment ")))
            chips.append(b);
    }
    QCOMPARE(chips.size(), 2);
    chips.at(1)->click();
    QCOMPARE(composer->attachments().size(), 1);

    type(QStringLiteral("what is on my screen?"));
    QTRY_VERIFY_WITH_TIMEOUT(!composer->isRunning(), 10000);
    QVERIFY(composer->attachments().isEmpty());
    TranscriptModel *model = m_window->transcriptModel();
    QTRY_COMPARE(model->rowCount(), 2);
    QCOMPARE(model->entryAt(0).attachments.size(), 1);
    QVERIFY2(model->entryAt(1).text.contains(QStringLiteral("Received 1 attachment")), qPrintable(model->entryAt(1).text));
    // The thumbnail comes from the journal through the engine.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->transcript()->toHtml().contains(QStringLiteral("spool-thumb:")), 10000);

    // Fork from here: a new session, shown as a branch.
    const QString runId = model->entryAt(0).runId;
    const QString parentId = m_window->currentSessionId();
    SessionListModel *sessions = m_window->findChild<SessionListModel *>();
    QVERIFY(sessions);
    QTRY_COMPARE(sessions->rowCount(), 1);
    emit m_window->transcript()->forkRequested(runId);
    QTRY_COMPARE(sessions->rowCount(), 2);
    bool branch = false;
    for (int row = 0; row < sessions->rowCount(); ++row)
        branch = branch || sessions->index(row, 0).data(Qt::DisplayRole).toString().startsWith(QStringLiteral("\u2387"));
    QVERIFY(branch);
    // The branch is shown, and the composer says what its model sees.
    QTRY_VERIFY(m_window->currentSessionId() != parentId);
    QTRY_VERIFY(composerHint(composer).startsWith(QStringLiteral("A branch:")));
    // Its transcript shows the conversation it continues, then where the branch starts.
    QTRY_VERIFY(m_window->transcript()->plainTranscript().contains(QStringLiteral("This branch starts here")));
    const QString branchText = m_window->transcript()->plainTranscript();
    QVERIFY2(branchText.indexOf(QStringLiteral("what is on my screen?")) >= 0
                     && branchText.indexOf(QStringLiteral("what is on my screen?"))
                             < branchText.indexOf(QStringLiteral("This branch starts here")),
             qPrintable(branchText));
    // And a fork from the parent's run shown there is a fork of the parent, not an error.
    emit m_window->transcript()->forkRequested(runId);
    QTRY_COMPARE(sessions->rowCount(), 3);
    QVERIFY(!shown<QMessageBox>());
}

// A full disk (here SQLite's max_page_count on the engine's connection): the window says so in
// its status bar, keeps showing what it has, and saves again once there is room, no restart.
void tst_MainWindow::diskFullShowsAndPasses()
{
    m_heartbeatMs = 100;
    openWindow();
    type(QStringLiteral("before the disk fills"));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->composer()->isRunning(), 10000);
    QTRY_COMPARE(m_window->transcriptModel()->rowCount(), 2);
    const auto cap = [this](bool full) {
        return engineAnswer(*m_engine, [full](Engine &engine) {
            JournalStore &journal = static_cast<Gateway &>(engine).journal();
            qint64 pages = 1073741823;
            if (full) {
                auto q = journal.exec(QStringLiteral("PRAGMA page_count"));
                if (!q || !q->next())
                    return false;
                pages = q->value(0).toLongLong();
            }
            return bool(journal.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages)));
        });
    };
    QCOMPARE(cap(true), std::optional<bool>(true));
    auto *label = [this] {
        for (QLabel *l : m_window->statusBar()->findChildren<QLabel *>()) {
            if (l->accessibleName() == QLatin1String("Engine state"))
                return l;
        }
        return static_cast<QLabel *>(nullptr);
    }();
    QVERIFY(label);

    // A message needing new pages: refused, and the window says where to free space.
    QPlainTextEdit *editor = m_window->composer()->editor();
    editor->setFocus();
    editor->setPlainText(QStringLiteral("too big for the disk ") + QString(200 * 1024, QLatin1Char('x')));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains(QStringLiteral("Disk full")), 10000);
    QVERIFY2(label->toolTip().contains(m_env->config.dataDir), qPrintable(label->toolTip()));
    QVERIFY(label->toolTip().contains(QStringLiteral("Free some space")));
    // What was there is still shown.
    QCOMPARE(m_window->sessions()->rowCount(), 1);
    QVERIFY(m_window->transcript()->plainTranscript().contains(QStringLiteral("before the disk fills")));

    // Room again: the status bar says so, and the next message goes through.
    QCOMPARE(cap(false), std::optional<bool>(true));
    QTRY_VERIFY_WITH_TIMEOUT(!label->text().contains(QStringLiteral("Disk full")), 10000);
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("room again")));
    QTRY_VERIFY(!m_window->composer()->isRunning());
    editor->setFocus();
    editor->setPlainText(QStringLiteral("after the disk has room"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->transcript()->plainTranscript().contains(
                                     QStringLiteral("after the disk has room")),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->composer()->isRunning(), 10000);
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
