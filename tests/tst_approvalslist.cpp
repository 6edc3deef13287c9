#include "engineanswer.h"
#include "testsupport.h"

#include "approvaldialog.h"
#include "approvallistmodel.h"
#include "approvalscontroller.h"
#include "client/engineclient.h"
#include "mainwindow.h"
#include "pendingapprovalsdialog.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QToolButton>

#include <optional>

using namespace Spool;
using namespace Spool::Test;

// The list behind the approvals badge, as a user drives it: every pending request of every
// session, answered from the list or elsewhere, expiring, joined by new ones; with a real
// engine and journal on the offscreen platform.
class tst_ApprovalsList : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void badgeShowsEveryPendingApproval();
    void keyboardAnswersFromTheList();
    void listFollowsDecisionsMadeElsewhere();
    void expiredRequestsLeaveTheList();
    void reviewOpensTheFullDialog();
    void listClosesWithTheWindowsController();

private:
    void startEngine();
    void openWindow();
    // Starts a run in the session `key` whose tool call waits for approval; returns the run id.
    QString askForApproval(const QString &key, const QString &text);
    // Waits until the engine has this many requests waiting.
    bool waitForPending(int count);
    PendingApprovalsDialog *openList();
    QProcess *spool(const QStringList &args);
    template<typename Work>
    auto ask(Work work) -> std::optional<std::invoke_result_t<Work, Engine &>>;

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
    std::unique_ptr<MainWindow> m_window;
};

template<typename Work>
auto tst_ApprovalsList::ask(Work work) -> std::optional<std::invoke_result_t<Work, Engine &>>
{
    return Test::engineAnswer(*m_engine, std::move(work));
}

void tst_ApprovalsList::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_ApprovalsList::cleanup()
{
    m_window.reset();
    m_engine.reset();
    m_env.reset();
}

void tst_ApprovalsList::startEngine()
{
    // The configuration a `spool` process in the same folders computes too, so the CLI answers
    // as the same user.
    const qint64 timeout = m_env->config.approvalTimeoutMs;
    m_env->config = RuntimeConfig::load(m_env->config.dataDir, m_env->config.configDir);
    m_env->config.frontEnd = QStringLiteral("gui");
    m_env->config.pollMs = 50;
    m_env->config.deterministicChunkDelayMs = 0;
    m_env->config.approvalTimeoutMs = timeout;
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(5000));
}

void tst_ApprovalsList::openWindow()
{
    m_window = std::make_unique<MainWindow>(*m_engine);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
}

QString tst_ApprovalsList::askForApproval(const QString &key, const QString &text)
{
    RunRequest request;
    request.session.key = key;
    request.createSession = true;
    request.source = QStringLiteral("test");
    request.text = QStringLiteral("Please echo %1 [[tool echo {\"text\": \"%1\"}]]").arg(text);
    auto run = ask([request](Engine &g) { return g.startRun(request); });
    return run && *run ? (*run)->id : QString();
}

bool tst_ApprovalsList::waitForPending(int count)
{
    return QTest::qWaitFor(
            [&] {
                auto pending = ask([](Engine &g) { return g.approvals(); });
                return pending && *pending && (*pending)->size() == count;
            },
            10000);
}

PendingApprovalsDialog *tst_ApprovalsList::openList()
{
    m_window->approvalsButton()->click();
    PendingApprovalsDialog *list = m_window->pendingApprovalsList();
    if (list && !QTest::qWaitForWindowExposed(list))
        return nullptr;
    return list;
}

QProcess *tst_ApprovalsList::spool(const QStringList &args)
{
    auto *p = new QProcess(this);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SPOOL_DATA_DIR"), m_env->config.dataDir);
    env.insert(QStringLiteral("SPOOL_CONFIG_DIR"), m_env->config.configDir);
    p->setProcessEnvironment(env);
    p->start(QStringLiteral(SPOOL_BINARY), args);
    p->waitForStarted(5000);
    p->closeWriteChannel();
    return p;
}

void tst_ApprovalsList::badgeShowsEveryPendingApproval()
{
    startEngine();
    // Two sessions wait before the window opens (a restart, say): no dialog pops up for them,
    // the badge counts them.
    QVERIFY(!askForApproval(QStringLiteral("alpha"), QStringLiteral("first")).isEmpty());
    QVERIFY(!askForApproval(QStringLiteral("beta"), QStringLiteral("second")).isEmpty());
    QVERIFY(waitForPending(2));
    openWindow();
    ApprovalListModel *approvals = m_window->approvals();
    QAbstractItemModelTester tester(approvals, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(approvals->rowCount(), 2);
    QVERIFY(!m_window->approvalDialog(approvals->rowAt(0).id));
    QToolButton *badge = m_window->approvalsButton();
    QTRY_VERIFY(badge->isVisible());
    QCOMPARE(badge->text(), QStringLiteral("\u26a0 2 approvals waiting"));
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("(2) ")));

    PendingApprovalsDialog *list = openList();
    QVERIFY(list);
    QCOMPARE(list->table()->model(), approvals);
    QCOMPARE(list->summaryText(), QStringLiteral("2 tool calls waiting for your decision"));
    // Oldest first, each with its session's name, its age and its countdown.
    auto cell = [approvals](int row, int column) { return approvals->index(row, column).data().toString(); };
    // (A session is named by its title, here taken from its first message.)
    QTRY_VERIFY(cell(0, ApprovalListModel::SessionColumn).startsWith(QStringLiteral("Please echo first")));
    QTRY_VERIFY(cell(1, ApprovalListModel::SessionColumn).startsWith(QStringLiteral("Please echo second")));
    for (int row = 0; row < 2; ++row) {
        QCOMPARE(cell(row, ApprovalListModel::ToolColumn), QStringLiteral("echo"));
        QVERIFY2(cell(row, ApprovalListModel::AgeColumn).endsWith(QStringLiteral(" ago")), qPrintable(cell(row, 2)));
        QVERIFY2(cell(row, ApprovalListModel::ExpiresColumn).startsWith(QStringLiteral("in ")), qPrintable(cell(row, 3)));
        QVERIFY(!list->table()->isColumnHidden(row));
    }
    // A screen reader hears the whole row.
    const QString spoken = approvals->index(0, ApprovalListModel::ToolColumn).data(Qt::AccessibleTextRole).toString();
    QVERIFY2(spoken.startsWith(QStringLiteral("echo in Please echo first")), qPrintable(spoken));
    QVERIFY(!list->table()->accessibleName().isEmpty());
    // The countdown runs while the list is open.
    QSignalSpy ticks(approvals, &QAbstractItemModel::dataChanged);
    QVERIFY(ticks.wait(3000));
    QCOMPARE(ticks.last().at(2).value<QList<int>>().contains(Qt::DisplayRole), true);
}

void tst_ApprovalsList::keyboardAnswersFromTheList()
{
    startEngine();
    const QString first = askForApproval(QStringLiteral("alpha"), QStringLiteral("allowed from the list"));
    const QString second = askForApproval(QStringLiteral("beta"), QStringLiteral("denied from the list"));
    QVERIFY(waitForPending(2));
    openWindow();
    QTRY_COMPARE(m_window->approvals()->rowCount(), 2);
    // Ctrl+Shift+R opens the list, with the oldest request selected.
    QTest::keyClick(m_window.get(), Qt::Key_R, Qt::ControlModifier | Qt::ShiftModifier);
    PendingApprovalsDialog *list = nullptr;
    QTRY_VERIFY((list = m_window->pendingApprovalsList()) && list->isVisible());
    QVERIFY(QTest::qWaitForWindowExposed(list));
    QTRY_COMPARE(QApplication::focusWidget(), list->table());
    const QString firstApproval = m_window->approvals()->rowAt(0).id;
    QCOMPARE(list->currentApprovalId(), firstApproval);

    QSignalSpy runs(m_engine.get(), &EngineClient::runUpdated);
    QTest::keyClick(list, Qt::Key_O, Qt::AltModifier); // "Allow &once"
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    // The next one is selected at once, so the keys go on working.
    QTRY_COMPARE(list->currentApprovalId(), m_window->approvals()->rowAt(0).id);
    QTest::keyClick(list, Qt::Key_D, Qt::AltModifier); // "&Deny"
    QTRY_COMPARE(m_window->approvals()->rowCount(), 0);
    QCOMPARE(list->summaryText(), QStringLiteral("No tool call is waiting for a decision."));
    QVERIFY(!list->allowOnceButton()->isEnabled());
    QVERIFY(!m_window->approvalsButton()->isVisible());

    // The decisions reached the runs: the first one's tool ran, the second one's did not.
    auto stateOf = [this](const QString &runId) {
        auto run = ask([runId](Engine &g) { return g.run(runId); });
        return run && *run ? (*run)->isTerminal() : false;
    };
    QTRY_VERIFY(stateOf(first) && stateOf(second));
    auto decided = ask([firstApproval](Engine &g) { return g.findApproval(firstApproval); });
    QVERIFY(decided && *decided);
    QCOMPARE((*decided)->status, ApprovalStatus::Allow);
    QCOMPARE((*decided)->decidedBy, QStringLiteral("gui"));
    auto tape = ask([second](Engine &g) { return g.inspection().tape(second); });
    QVERIFY(tape && *tape);
    bool denied = false;
    for (const TapeEvent &e : **tape)
        denied = denied || (e.kind == TapeKind::ApprovalDecision
                            && e.payload.value(QStringLiteral("decision")).toString() == QLatin1String("deny"));
    QVERIFY(denied);
}

void tst_ApprovalsList::listFollowsDecisionsMadeElsewhere()
{
    startEngine();
    askForApproval(QStringLiteral("alpha"), QStringLiteral("one"));
    askForApproval(QStringLiteral("beta"), QStringLiteral("two"));
    QVERIFY(waitForPending(2));
    openWindow();
    QTRY_COMPARE(m_window->approvals()->rowCount(), 2);
    PendingApprovalsDialog *list = openList();
    QVERIFY(list);
    const QString elsewhere = m_window->approvals()->rowAt(0).id;
    const QString kept = m_window->approvals()->rowAt(1).id;
    list->selectApproval(kept);

    // Answered from a terminal: the row leaves, the selection stays on what the user chose.
    QProcess *decide = spool({QStringLiteral("approvals"), QStringLiteral("decide"), elsewhere, QStringLiteral("deny")});
    QVERIFY(decide->waitForFinished(10000));
    QCOMPARE(decide->exitCode(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->approvals()->rowCount(), 1, 5000);
    QCOMPARE(m_window->approvals()->rowAt(0).id, kept);
    QCOMPARE(list->currentApprovalId(), kept);
    QCOMPARE(list->summaryText(), QStringLiteral("1 tool call waiting for your decision"));

    // A new request joins the list (and does not pop a dialog over it while it is in use).
    list->activateWindow();
    QTRY_VERIFY(list->isActiveWindow());
    askForApproval(QStringLiteral("gamma"), QStringLiteral("three"));
    QTRY_COMPARE(m_window->approvals()->rowCount(), 2);
    QTRY_VERIFY(m_window->approvals()->index(1, ApprovalListModel::SessionColumn).data().toString().startsWith(
            QStringLiteral("Please echo three")));
    QVERIFY(!m_window->approvalDialog(m_window->approvals()->rowAt(1).id));
    QCOMPARE(list->currentApprovalId(), kept);
    QCOMPARE(m_window->approvalsButton()->text(), QStringLiteral("\u26a0 2 approvals waiting"));
}

void tst_ApprovalsList::expiredRequestsLeaveTheList()
{
    m_env->config.approvalTimeoutMs = 1500;
    startEngine();
    openWindow();
    PendingApprovalsDialog *list = openList();
    QVERIFY(list);
    QCOMPARE(list->summaryText(), QStringLiteral("No tool call is waiting for a decision."));
    list->activateWindow();
    QTRY_VERIFY(list->isActiveWindow());
    askForApproval(QStringLiteral("alpha"), QStringLiteral("too late"));
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    const QString countdown = m_window->approvals()->index(0, ApprovalListModel::ExpiresColumn).data().toString();
    QVERIFY2(countdown == QStringLiteral("in 0:02") || countdown == QStringLiteral("in 0:01")
                     || countdown == QStringLiteral("expired"),
             qPrintable(countdown));
    // Unanswered, it expires: the engine denies it, and it leaves the list and the badge.
    QTRY_COMPARE_WITH_TIMEOUT(m_window->approvals()->rowCount(), 0, 10000);
    QTRY_VERIFY(!m_window->approvalsButton()->isVisible());
    QCOMPARE(list->summaryText(), QStringLiteral("No tool call is waiting for a decision."));
}

void tst_ApprovalsList::reviewOpensTheFullDialog()
{
    startEngine();
    askForApproval(QStringLiteral("alpha"), QStringLiteral("look closer"));
    QVERIFY(waitForPending(1));
    openWindow();
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    PendingApprovalsDialog *list = openList();
    QVERIFY(list);
    const QString id = m_window->approvals()->rowAt(0).id;
    list->table()->setFocus();
    QTest::keyClick(list->table(), Qt::Key_Return); // Enter reviews
    QTRY_VERIFY(m_window->approvalDialog(id));
    ApprovalDialog *dialog = m_window->approvalDialog(id);
    QVERIFY(dialog->isVisible());
    // Answered in the dialog, it leaves the list too.
    dialog->allowSessionButton()->click();
    QTRY_COMPARE(m_window->approvals()->rowCount(), 0);
    QTRY_VERIFY(!m_window->approvalDialog(id));
}

void tst_ApprovalsList::listClosesWithTheWindowsController()
{
    // The list and the dialogs belong to the window: deleting it mid-answer touches nothing
    // that is gone, and an answer arriving afterwards is dropped.
    startEngine();
    askForApproval(QStringLiteral("alpha"), QStringLiteral("x"));
    QVERIFY(waitForPending(1));
    openWindow();
    QTRY_COMPARE(m_window->approvals()->rowCount(), 1);
    QPointer<PendingApprovalsDialog> list = openList();
    QVERIFY(list);
    list->allowOnceButton()->click(); // the engine answers after the window is gone
    m_window.reset();
    QVERIFY(!list);
    QSignalSpy resolved(m_engine.get(), &EngineClient::approvalResolved);
    QVERIFY(resolved.wait(5000));
}

QTEST_MAIN(tst_ApprovalsList)
#include "tst_approvalslist.moc"
